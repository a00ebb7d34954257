"""A snapshot directory: numpy arrays and a few opaque files, written crash-safely and opened
only when complete.

Writing goes to a temporary directory beside the target; every file is fsynced, then the
manifest (the format, caller's metadata and the size of every file) is written and fsynced
last, the directory is fsynced and renamed into place in one step, and the parent directory is
fsynced. A writer killed at any point leaves either no target or a complete one (and a
temporary directory that the next writer removes). Opening checks the manifest's format and
every file's size before mapping the arrays read-only."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
from pathlib import Path

import numpy as np

from kb.store.managed import process_alive

log = logging.getLogger("kb.read.indexes")

MANIFEST = "manifest.json"
_TEMPORARY_SUFFIX = ".tmp"


def _fsync_path(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_file(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _save_array(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as handle:
        np.save(handle, np.ascontiguousarray(array), allow_pickle=False)
        handle.flush()
        os.fsync(handle.fileno())


def remove_abandoned(directory: Path) -> None:
    """Removes temporary directories of writers that no longer run (killed mid-write)."""
    for path in directory.glob(f".*{_TEMPORARY_SUFFIX}"):
        owner = path.name.rsplit(".", 3)[-3] if path.name.count(".") >= 3 else ""
        if owner.isdigit() and process_alive(int(owner)):
            continue
        shutil.rmtree(path, ignore_errors=True)


def write_directory(
    target: Path, arrays: dict[str, np.ndarray], files: dict[str, bytes], meta: dict, fmt: int
) -> None:
    """Writes ``target`` (arrays as ``NAME.npy``, ``files`` as named) and replaces any
    directory of that name in one rename. Raises OSError on failure, leaving no target
    behind that a reader would take."""
    temporary = target.with_name(
        f".{target.name}.{os.getpid()}.{threading.get_ident()}{_TEMPORARY_SUFFIX}"
    )
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    try:
        sizes = {}
        for name, array in arrays.items():
            path = temporary / f"{name}.npy"
            _save_array(path, array)
            sizes[path.name] = path.stat().st_size
        for name, data in files.items():
            _write_file(temporary / name, data)
            sizes[name] = len(data)
        manifest = {"format": fmt, "meta": meta, "files": sizes}
        _write_file(temporary / MANIFEST, json.dumps(manifest, sort_keys=True).encode())
        _fsync_path(temporary)
        if target.exists():  # an unreadable or outdated copy: moved aside, then removed
            aside = target.with_name(f".{target.name}.{os.getpid()}.old{_TEMPORARY_SUFFIX}")
            os.rename(target, aside)
            shutil.rmtree(aside, ignore_errors=True)
        os.rename(temporary, target)
        _fsync_path(target.parent)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


class SnapshotDirectory:
    """A complete snapshot directory opened read-only: ``meta``, the arrays (memory-mapped)
    and the other files' bytes."""

    def __init__(self, meta: dict, arrays: dict[str, np.ndarray], files: dict[str, bytes]):
        self.meta = meta
        self.arrays = arrays
        self.files = files


def open_directory(path: Path, fmt: int) -> SnapshotDirectory | None:
    """The snapshot in ``path``, or None when there is none or it is incomplete, of another
    format or damaged (a reader never maps a partial snapshot)."""
    try:
        manifest = json.loads((path / MANIFEST).read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        log.warning("index snapshot %s has no readable manifest (%s); ignoring it", path, error)
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != fmt:
        return None
    arrays: dict[str, np.ndarray] = {}
    files: dict[str, bytes] = {}
    try:
        for name, size in dict(manifest["files"]).items():
            file = path / name
            if file.stat().st_size != size:
                raise ValueError(f"{name} has {file.stat().st_size} bytes, not {size}")
            if name.endswith(".npy"):
                mapped = np.load(file, mmap_mode="r", allow_pickle=False)
                # a plain read-only array over the same mapping: numpy.memmap's own indexing
                # costs several times an ndarray's on the look-up paths
                arrays[name[: -len(".npy")]] = mapped.view(np.ndarray)
            else:
                files[name] = file.read_bytes()
    except FileNotFoundError:
        return None  # removed meanwhile (an older snapshot being cleaned up)
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("index snapshot %s is damaged (%s); ignoring it", path, error)
        return None
    return SnapshotDirectory(dict(manifest.get("meta") or {}), arrays, files)


def manifest_time(path: Path) -> float | None:
    """When the snapshot in ``path`` was completed (its manifest's mtime), or None."""
    with contextlib.suppress(OSError):
        return (path / MANIFEST).stat().st_mtime
    return None
