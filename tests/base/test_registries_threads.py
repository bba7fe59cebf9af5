"""Every plugin registry's first lookup from many threads at once.

Each case runs in a fresh process, so the registry really is unloaded; 16 threads do
their first lookup together, three times over. Marking a registry loaded before its
built-ins were imported once made 15 of 16 such lookups see it empty.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

#: (registry module, its LoadOnce attribute, the lookup every thread makes)
REGISTRIES = [
    (
        "zarr_benchmarks.data.modalities",
        "_ensure_loaded",
        'assert registry.get_modality("light_sheet").id == "light_sheet"',
    ),
    (
        "zarr_benchmarks.suite.implementations",
        "_ensure_builtins",
        'assert registry.get_implementation("zarr-python").name == "zarr-python"\n'
        'assert "tensorstore" in registry.list_implementations()',
    ),
    (
        "zarr_benchmarks.suite.codecs._registry",
        "_ensure_builtins",
        'assert registry.get_codec("zstd-3").id == "zstd-3"',
    ),
    (
        "zarr_benchmarks.data.readers",
        "_ensure_loaded",
        'assert "nifti" in [r.name for r in registry.list_readers()]',
    ),
]

_SCRIPT = """
import sys
import threading

sys.setswitchinterval(1e-6)  # switch threads as often as possible
import {module} as registry

assert not registry.{once}.done, "the registry must be unloaded at the start"
barrier = threading.Barrier(16)
errors = []

def first_lookup():
    barrier.wait()
    try:
{lookup}
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


@pytest.mark.parametrize(("module", "once", "lookup"), REGISTRIES, ids=[r[0] for r in REGISTRIES])
def test_sixteen_concurrent_first_lookups_all_succeed(module: str, once: str, lookup: str) -> None:
    script = _SCRIPT.format(module=module, once=once, lookup=textwrap.indent(lookup, " " * 8))
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
