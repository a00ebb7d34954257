"""String tables for memory-mapped snapshots: one UTF-8 blob plus offsets, and for the tables
looked up by value a sorted array of 64-bit hashes (with the row of each) searched with
``np.searchsorted``; equal hashes are told apart by comparing the strings."""

from __future__ import annotations

import hashlib

import numpy as np


def string_hash(text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _string_hashes(strings: list[str]) -> np.ndarray:
    """``string_hash`` of every string, as uint64 (the digests read as little-endian words)."""
    digests = b"".join(
        hashlib.blake2b(s.encode("utf-8", "surrogatepass"), digest_size=8).digest() for s in strings
    )
    return np.frombuffer(digests, dtype="<u8").astype(np.uint64)


def _encoded(strings: list[str]) -> tuple[bytes, np.ndarray]:
    """(the UTF-8 of the strings one after the other, the offset of each and the end). The
    strings are encoded at once; when that took a byte per character (all ASCII), the
    offsets are the character counts', else each string is encoded on its own."""
    offsets = np.zeros(len(strings) + 1, dtype=np.int64)
    blob = "".join(strings).encode("utf-8", "surrogatepass")
    lengths = np.fromiter(map(len, strings), np.int64, len(strings))
    if strings and len(blob) != int(lengths.sum()):
        lengths = np.fromiter(
            (len(s.encode("utf-8", "surrogatepass")) for s in strings), np.int64, len(strings)
        )
    np.cumsum(lengths, out=offsets[1:])
    return blob, offsets


def table_arrays(name: str, strings: list[str], *, lookup: bool) -> dict[str, np.ndarray]:
    """The arrays of a string table named ``name`` (rows in the order of ``strings``)."""
    blob, offsets = _encoded(strings)
    arrays = {
        f"{name}.blob": np.frombuffer(blob, dtype=np.uint8),
        f"{name}.offsets": offsets,
    }
    if lookup:
        hashes = _string_hashes(strings)
        order = np.argsort(hashes, kind="stable")
        arrays[f"{name}.hashes"] = hashes[order]
        arrays[f"{name}.rows"] = order.astype(np.int64)
    return arrays


class StringTable:
    """A string table opened from a snapshot's arrays."""

    def __init__(self, arrays: dict[str, np.ndarray], name: str):
        self.blob = arrays[f"{name}.blob"]
        self.offsets = arrays[f"{name}.offsets"]
        # memoryviews: Python ints and bytes slices without numpy's per-item objects
        self._bytes, self._offsets = memoryview(self.blob), memoryview(self.offsets)
        self.hashes = arrays.get(f"{name}.hashes")
        self.rows = arrays.get(f"{name}.rows")

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, row: int) -> str:
        start, end = self._offsets[row], self._offsets[row + 1]
        return bytes(self._bytes[start:end]).decode("utf-8", "surrogatepass")

    def strings(self, start: int = 0, end: int | None = None) -> list[str]:
        """The strings of rows ``start`` to ``end`` (default: every row), in row order."""
        end = len(self) if end is None else end
        offsets = self.offsets[start : end + 1].tolist()
        raw = self.blob[offsets[0] : offsets[-1]].tobytes() if offsets else b""
        base = offsets[0] if offsets else 0
        return [
            raw[offsets[i] - base : offsets[i + 1] - base].decode("utf-8", "surrogatepass")
            for i in range(len(offsets) - 1)
        ]

    def find(self, text: str) -> list[int]:
        """The rows holding ``text``, ascending (needs a table made with ``lookup``)."""
        wanted = np.uint64(string_hash(text))
        low = int(np.searchsorted(self.hashes, wanted, side="left"))
        high = int(np.searchsorted(self.hashes, wanted, side="right"))
        return sorted(int(r) for r in self.rows[low:high] if self[int(r)] == text)

    def first(self, text: str) -> int | None:
        found = self.find(text)
        return found[0] if found else None
