"""Measures two hairkg hosts on one store (docs/deployment.md, "Several hosts on one engine").

    .venv/bin/python scripts/bench_hosts.py [--writes 10] [--workers 2]

Builds the release into a temporary directory, starts one ``oxigraph serve`` and two
``hairkg serve --store-url`` hosts (each its own data dir), then registers ``--writes``
articles through host A and, for each, times from A's ``201`` until host B's related, search
and entity answers all show it (polled every 10 ms, on new connections so that every worker
of B answers some). Also times the store's write lease (kb/store/lease.py): one take and
release on this store, what the lease adds to every write. Prints medians, 95th percentiles
and maxima in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.store.client import SparqlStore  # noqa: E402
from kb.store.lease import StoreLease  # noqa: E402
from kb.store.managed import free_port, oxigraph_binary  # noqa: E402
from kb.validation.release import build_release  # noqa: E402

TOKEN = "bench-secret"


def get(url: str) -> tuple[int, dict | None]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def wait_for(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"not in {timeout_s:g} s: {what}")
        time.sleep(0.1)


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def start_host(tmp: Path, name: str, store_url: str, workers: int) -> tuple[str, subprocess.Popen]:
    data_dir = tmp / name
    shutil.copytree(tmp / "build", data_dir / "build")
    for path in (data_dir / "build").iterdir():
        path.touch()  # newer than the sources: used as built
    port = free_port()
    env = {
        **os.environ,
        "HAIRKG_TOKENS": f"bench:{TOKEN}:write",
        "HAIRKG_TOKENS_FILE": "",
        "HAIRKG_WRITE_VALIDATION": "shapes",
        "HAIRKG_RATE_LIMIT": "off",
    }
    args = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    args += ["--workers", str(workers), "--store-url", store_url, "--data-dir", str(data_dir)]
    log = (tmp / f"{name}.log").open("ab")
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if process.poll() is not None:
            raise SystemExit(f"host {name} exited: see {tmp / f'{name}.log'}")
        try:
            return get(url + "/healthz")[0] == 200
        except OSError:
            return False

    wait_for(ready, 180, f"host {name}")
    return url, process


def register(url: str, n: int) -> dict:
    doc = {
        "id": f"bench-hosts-article-{n}",
        "url": f"https://hairclinic.example/bench-hosts-{n}",
        "title": f"Bench hosts worked example {n}",
        "summary": "Microneedling with minoxidil for androgenetic alopecia (worked example).",
        "date": "2026-01-02",
        "about": ["microneedling", "androgenetic-alopecia"],
        "mentions": ["topical-minoxidil"],
    }
    request = urllib.request.Request(
        url + "/api/v1/edit/articles",
        data=json.dumps(doc).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        if response.status != 201:
            raise SystemExit(f"the write answered {response.status}")
    return doc


def seen(url: str, doc: dict) -> bool:
    related = get(url + "/api/v1/related?" + urllib.parse.urlencode({"url": doc["url"]}))
    query = urllib.parse.urlencode({"q": doc["title"], "type": "Article"})
    search = get(url + "/api/v1/search?" + query)
    entity = get(url + f"/api/v1/entities/{doc['id']}")
    return (
        related[0] == 200
        and bool(related[1]["items"])
        and search[0] == 200
        and any(item["id"] == doc["id"] for item in search[1]["items"])
        and entity[0] == 200
    )


def report(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    print(
        f"{name}: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, "
        f"max {ordered[-1]:.1f} ms ({len(times)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        build_release(tmp / "build")
        port = free_port()
        processes.append(
            subprocess.Popen(
                [
                    oxigraph_binary(),
                    "serve",
                    "--location",
                    str(tmp / "oxigraph"),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--union-default-graph",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        store_url = f"http://127.0.0.1:{port}"
        try:
            store = SparqlStore.for_server(store_url)
            wait_for(lambda: listening(port), 20, "oxigraph serve")
            a, process = start_host(tmp, "host-a", store_url, args.workers)
            processes.append(process)
            b, process = start_host(tmp, "host-b", store_url, args.workers)
            processes.append(process)

            writes, visible = [], []
            for n in range(args.writes):
                started = time.perf_counter()
                doc = register(a, n)
                acknowledged = time.perf_counter()
                writes.append((acknowledged - started) * 1000)
                wait_for(lambda doc=doc: seen(b, doc), 60, "the article on host B")
                visible.append((time.perf_counter() - acknowledged) * 1000)
            report("write through host A (POST /api/v1/edit/articles, 201)", writes)
            report("from A's 201 to B's related, search and entity answers", visible)

            lease, cycles = StoreLease(store, "bench-hosts:lease"), []
            for _ in range(100):
                started = time.perf_counter()
                lease.acquire(timeout_s=10)
                lease.release()
                cycles.append((time.perf_counter() - started) * 1000)
            report("the write lease taken and released (what it adds to a write)", cycles)
        finally:
            for process in reversed(processes):
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    main()
