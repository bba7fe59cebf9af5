#!/usr/bin/env python
"""Load test for ``POST /contribute``: concurrent clients, accepted/s, nothing lost.

Posts schema-valid documents with random ids from ``--clients`` concurrent clients (each
its own HTTP session), reports accepted contributions per second and latencies, waits
until the server has committed and pushed everything (spool drained), then checks that
every accepted document is in the store.

Without ``--url`` it starts a server itself (``zarr-benchmarks serve``, waitress) on a
free 127.0.0.1 port with a fresh instance folder and the embedded bare remote, and also
checks the bare repository: every accepted document is one file there, added by exactly
one commit, and every commit title counts the files it touches.

Faults (own server only):

``--kill-midway``
    SIGKILL the server once half the documents are accepted, start a new one on the
    same instance folder, and let the clients re-send what got no answer.  Nothing
    accepted may be lost, nothing may be stored twice.
``--outage SECONDS``
    Once a third of the documents are accepted, install a ``pre-receive`` hook in the
    bare remote that refuses every push, and remove it SECONDS later.  Contributions
    keep being accepted (spooled, committed) and all reach the remote afterwards.

Examples
--------
python scripts/load_contribute.py                       # own server, 16 clients
python scripts/load_contribute.py --count 5000
python scripts/load_contribute.py --count 1000 --kill-midway
python scripts/load_contribute.py --count 1000 --outage 10
python scripts/load_contribute.py --url http://127.0.0.1:8080 --token "$TOKEN"
"""

from __future__ import annotations

import argparse
import os
import stat
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

from flask_app import samples
from flask_app.testing import ServerProcess, remote_commits, remote_files

_REFUSE_HOOK = "#!/bin/sh\necho 'load test: the remote is down for maintenance' >&2\nexit 1\n"


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


class _Target:
    """Where the clients post; replaced when the server is restarted after a kill."""

    def __init__(self, url: str):
        self.url = url
        self.up = threading.Event()
        self.up.set()
        self.accepted = 0
        self.lock = threading.Condition()


def _post_all(
    target: _Target,
    docs: list[dict[str, Any]],
    clients: int,
    token: str | None,
    retry_for: float = 0.0,
) -> dict[str, Any]:
    """Post ``docs`` from ``clients`` threads.

    A request that gets no answer (the server was killed) is re-sent once the target is
    up again, for at most ``retry_for`` seconds; without it, it counts as status 0.
    """
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    shares = [docs[i::clients] for i in range(clients)]
    results: list[list[tuple[int, float, str | None]]] = [[] for _ in range(clients)]
    resent = [0] * clients
    barrier = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        session = requests.Session()
        out = results[n]
        barrier.wait()
        for doc in shares[n]:
            deadline = time.monotonic() + retry_for
            while True:
                target.up.wait(max(0.0, deadline - time.monotonic()))
                started = time.perf_counter()
                try:
                    response = session.post(
                        target.url + "/contribute", json=doc, headers=headers, timeout=60
                    )
                except requests.RequestException:
                    if time.monotonic() < deadline:
                        resent[n] += 1
                        session = requests.Session()
                        continue
                    out.append((0, time.perf_counter() - started, None))
                    break
                ident = response.json().get("id") if response.status_code < 300 else None
                out.append((response.status_code, time.perf_counter() - started, ident))
                if ident:
                    with target.lock:
                        target.accepted += 1
                        target.lock.notify_all()
                break

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    flat = [r for rs in results for r in rs]
    return {"elapsed": elapsed, "responses": flat, "resent": sum(resent)}


def _when_accepted(target: _Target, count: int, action: Any) -> threading.Thread:
    """Run ``action()`` in a thread once ``count`` documents are accepted."""

    def watch() -> None:
        with target.lock:
            target.lock.wait_for(lambda: target.accepted >= count)
        action()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _check_remote(bare: Path) -> dict[str, int]:
    """Files in the remote, paths added more than once, titles that miscount."""
    files = [f for f in remote_files(bare) if f.startswith("results/")]
    added: dict[str, int] = {}
    miscounted = 0
    for commit in remote_commits(bare)[:-1]:  # the oldest starts the store
        words = commit["subject"].split()
        if len(words) > 1 and words[0] == "Add" and words[1].isdigit():
            miscounted += int(words[1]) != len(commit["changes"])
        for change in commit["changes"]:
            added[change[-1]] = added.get(change[-1], 0) + 1
    twice = sum(1 for n in added.values() if n > 1)
    return {"files": len(files), "twice": twice, "miscounted": miscounted}


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
    parser.add_argument(
        "--kill-midway",
        action="store_true",
        help="SIGKILL the server at half the documents and restart it (own server)",
    )
    parser.add_argument(
        "--outage",
        type=float,
        metavar="SECONDS",
        help="refuse pushes in the bare remote for SECONDS from a third of the documents",
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.count < 16:
        parser.error("--clients must be >= 1 and --count >= 16")
    if args.url and (args.kill_midway or args.outage is not None):
        parser.error("--kill-midway and --outage need the script's own server (no --url)")
    if args.outage is not None and args.outage <= 0:
        parser.error("--outage SECONDS must be > 0")

    server = None
    tmp = None
    url = args.url.rstrip("/") if args.url else None
    settings = {"rate_limit": "none", "aggregate_debounce": 5, "push_retry_max": 2}
    if url is None:
        tmp = tempfile.TemporaryDirectory(prefix="zb-load-")
        instance = Path(tmp.name) / "instance"
        server = ServerProcess(instance, settings, threads=args.threads).start()
        url = server.url
        print(f"started a server (waitress, {args.threads} threads, embedded remote)")
    print(
        f"date {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    target = _Target(url)
    events: list[str] = []
    try:
        docs = _documents(args.count)
        watcher = None
        if args.kill_midway:
            assert server is not None

            def kill_and_restart() -> None:
                nonlocal server
                assert server is not None
                target.up.clear()
                server.kill()
                with target.lock:
                    at = target.accepted
                events.append(f"SIGKILL of the server after {at} accepted")
                started = time.perf_counter()
                server = ServerProcess(server.instance_dir, settings, threads=args.threads)
                server.start()
                target.url = server.url
                events.append(
                    f"restarted on the same instance in {time.perf_counter() - started:.1f} s"
                )
                target.up.set()

            watcher = _when_accepted(target, len(docs) // 2, kill_and_restart)
        outage_end: list[float] = []
        if args.outage is not None:
            assert server is not None
            hook = server.instance_dir / "remote.git" / "hooks" / "pre-receive"

            def outage() -> None:
                tmp_hook = hook.with_name("pre-receive.tmp")
                tmp_hook.write_text(_REFUSE_HOOK, encoding="utf-8")
                tmp_hook.chmod(tmp_hook.stat().st_mode | stat.S_IXUSR)
                tmp_hook.replace(hook)
                with target.lock:
                    at = target.accepted
                events.append(f"remote refuses pushes from {at} accepted, for {args.outage:g} s")
                time.sleep(args.outage)  # the outage's length, not a synchronisation
                state = requests.get(target.url + "/health", timeout=10).json()
                events.append(
                    f"at the end of the outage: {state['spool_depth']} accepted not yet on "
                    f"the remote, status {state['status']}, last push ok "
                    f"{(state['last_push'] or {}).get('ok')}"
                )
                hook.unlink()
                outage_end.append(time.perf_counter())
                with target.lock:
                    at = target.accepted
                events.append(f"remote restored at {at} accepted")

            watcher = _when_accepted(target, len(docs) // 3, outage)
        print(f"posting {len(docs)} documents from {args.clients} concurrent clients ...")
        run = _post_all(target, docs, args.clients, args.token, 120.0 if args.kill_midway else 0.0)
        posted_at = time.perf_counter()
        if watcher is not None:
            watcher.join(args.drain_timeout)
        for event in events:
            print(event)
        if args.kill_midway:
            print(f"re-sent after the kill (no answer): {run['resent']}")
        url = target.url
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
        drained_at = time.perf_counter()
        print(
            f"drained (committed + pushed) {drained_at - posted_at:.1f} s after the last response"
        )
        if outage_end:
            print(f"all in the remote {drained_at - outage_end[0]:.1f} s after the outage ended")
        # Accepted ids, each once: a document re-sent after a kill may answer 200 (it was
        # spooled before the kill) - that is an acknowledgement too.
        acked = {ident for code, _, ident in responses if code in (200, 201, 202) and ident}
        missing = _verify_http(url, sorted(acked), args.clients)
        lost = len(missing)
        problems = 0
        if server is not None:
            check = _check_remote(server.instance_dir / "remote.git")
            print(
                f"bare remote holds {check['files']} files for {len(acked)} accepted; "
                f"added twice: {check['twice']}; commit titles miscounting: {check['miscounted']}"
            )
            if check["files"] != len(acked):
                lost = max(lost, len(acked) - check["files"])
            problems = check["twice"] + check["miscounted"] + (check["files"] > len(acked))
        errors = sum(n for code, n in codes.items() if code not in (200, 201, 202))
        print(f"LOST: {lost}; errors: {errors}; load average {os.getloadavg()[0]:.1f}")
        return 1 if lost or errors or problems else 0
    finally:
        if server is not None:
            server.stop()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
