#!/usr/bin/env python
"""Load test for ``POST /contribute``: concurrent clients, accepted/s, nothing lost.

Posts schema-valid documents with random ids from ``--clients`` concurrent clients (each
its own HTTP session), reports accepted contributions per second and latencies, waits
until the server has committed and pushed everything (spool drained), then checks that
every accepted document is in the store.

Without ``--url`` it starts a server itself (``zarr-benchmarks serve``, waitress) on a
free 127.0.0.1 port with a fresh instance folder and the embedded bare remote, and also
checks the bare repository with ``git ls-tree``.

Examples
--------
python scripts/load_contribute.py                       # own server, 16 clients
python scripts/load_contribute.py --count 5000
python scripts/load_contribute.py --url http://127.0.0.1:8080 --token "$TOKEN"
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

from flask_app import samples
from flask_app.testing import ServerProcess, remote_files


def _documents(count: int) -> list[dict[str, Any]]:
    machines = [samples.machine_document() for _ in range(4)]
    envs = [samples.environment_document() for _ in range(4)]
    docs: list[dict[str, Any]] = [*machines, *envs]
    for i in range(count - len(docs)):
        docs.append(
            samples.result_document(
                machines[i % 4]["machine_id"], envs[i % 4]["environment_id"], n_entries=3
            )
        )
    return docs


def _post_all(
    url: str, docs: list[dict[str, Any]], clients: int, token: str | None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    shares = [docs[i::clients] for i in range(clients)]
    results: list[list[tuple[int, float, str | None]]] = [[] for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        session = requests.Session()
        out = results[n]
        barrier.wait()
        for doc in shares[n]:
            started = time.perf_counter()
            try:
                response = session.post(url + "/contribute", json=doc, headers=headers, timeout=60)
                ident = response.json().get("id") if response.status_code < 300 else None
                out.append((response.status_code, time.perf_counter() - started, ident))
            except requests.RequestException:
                out.append((0, time.perf_counter() - started, None))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    flat = [r for rs in results for r in rs]
    return {"elapsed": elapsed, "responses": flat}


def _drain(url: str, timeout: float) -> float | None:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        health = requests.get(url + "/health", timeout=10).json()
        if health["spool_depth"] == 0:
            return time.perf_counter() - started
        time.sleep(0.2)
    return None


def _verify_http(url: str, ids: list[str], clients: int) -> list[str]:
    missing: list[str] = []
    lock = threading.Lock()

    def check(part: list[str]) -> None:
        session = requests.Session()
        for ident in part:
            for kind in ("results", "machines", "environments"):
                response = session.get(f"{url}/{kind}/{ident}", timeout=30)
                if response.status_code == 200:
                    if response.headers.get("X-Store-State") != "stored":
                        with lock:
                            missing.append(ident)
                    break
            else:
                with lock:
                    missing.append(ident)

    threads = [threading.Thread(target=check, args=(ids[i::clients],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="running server; default: start one on 127.0.0.1")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--count", type=int, default=2000, help="documents to post")
    parser.add_argument("--token", help="Bearer token for the server")
    parser.add_argument("--threads", type=int, default=16, help="server threads (own server)")
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    if args.clients < 1 or args.count < 16:
        parser.error("--clients must be >= 1 and --count >= 16")

    server = None
    tmp = None
    url = args.url.rstrip("/") if args.url else None
    if url is None:
        tmp = tempfile.TemporaryDirectory(prefix="zb-load-")
        instance = Path(tmp.name) / "instance"
        server = ServerProcess(
            instance, {"rate_limit": "none", "aggregate_debounce": 5}, threads=args.threads
        ).start()
        url = server.url
        print(f"started a server at {url} (waitress, {args.threads} threads, embedded remote)")
    try:
        docs = _documents(args.count)
        print(f"posting {len(docs)} documents from {args.clients} concurrent clients ...")
        run = _post_all(url, docs, args.clients, args.token)
        responses = run["responses"]
        codes: dict[int, int] = {}
        for code, _, _ in responses:
            codes[code] = codes.get(code, 0) + 1
        accepted_ids = [ident for code, _, ident in responses if code in (201, 202) and ident]
        latencies = sorted(lat for _, lat, _ in responses)
        rate = len(accepted_ids) / run["elapsed"]
        print(f"status codes: {dict(sorted(codes.items()))}")
        print(
            f"elapsed {run['elapsed']:.2f} s; latency p50 "
            f"{statistics.median(latencies) * 1000:.1f} ms, p95 "
            f"{latencies[int(0.95 * (len(latencies) - 1))] * 1000:.1f} ms"
        )
        print(
            f"ACCEPTED: {len(accepted_ids)} contributions in {run['elapsed']:.2f} s "
            f"= {rate:.0f} accepted/s"
        )

        drain = _drain(url, args.drain_timeout)
        if drain is None:
            print(f"FAIL: the spool did not drain within {args.drain_timeout:.0f} s")
            return 1
        print(f"drained (committed + pushed) {drain:.1f} s after the last response")
        missing = _verify_http(url, accepted_ids, args.clients)
        lost = len(missing)
        if server is not None:
            bare = server.instance_dir / "remote.git"
            files = [f for f in remote_files(bare) if f.startswith("results/")]
            in_remote = len(files)
            print(f"bare remote holds {in_remote} files for {len(accepted_ids)} accepted")
            if in_remote != len(accepted_ids):
                lost = max(lost, len(accepted_ids) - in_remote)
        errors = sum(n for code, n in codes.items() if code not in (200, 201, 202))
        print(f"LOST: {lost}; errors: {errors}")
        return 1 if lost or errors else 0
    finally:
        if server is not None:
            server.stop()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
