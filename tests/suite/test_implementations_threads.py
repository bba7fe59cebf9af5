"""The implementation registry's first lookup from many threads at once (a fresh
process, so the built-ins really are not loaded yet)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

_SCRIPT = textwrap.dedent(
    """
    import sys
    import threading

    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    import zarr_benchmarks.suite.implementations as registry

    assert not registry._builtins_loaded, "the built-ins must not be loaded at the start"
    barrier = threading.Barrier(16)
    errors = []

    def first_lookup():
        barrier.wait()
        try:
            assert registry.get_implementation("zarr-python").name == "zarr-python"
            assert "tensorstore" in registry.list_implementations()
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=first_lookup) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(len(errors), errors[:3])
    sys.exit(1 if errors else 0)
    """
)


def test_sixteen_concurrent_first_lookups_all_succeed():
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
