"""A test-environment shim that makes chosen numcodecs codecs burn extra CPU.

Installed *only* into a throw-away virtual environment by
``scripts/ab_campaign.py`` (a ``zb_slowdown_shim.pth`` line imports it at start-up),
never into the project or its dependencies. Each wrapped ``encode`` measures the CPU
time its own thread spent in the real call and then burns ``extra`` times as much on
that thread (SHA-256 over a small buffer, which releases the GIL like the codecs do),
so that codec's encode costs ``1 + extra`` times the CPU.

Configuration: ``zb_slowdown_shim.json`` beside this file, e.g.
``{"encode": {"blosc:lz4": 0.05, "blosc:zstd": 0.10, "zstd": 0.20}}``.
"""

import hashlib
import json
import threading
import time
from pathlib import Path

_BUFFER = bytes(16384)


def _cpu_clock():
    # Called from the main thread, blosc may spread the work over its own threads:
    # count the whole process then. Zarr calls codecs from worker threads (with
    # blosc's threads off), where the calling thread's own CPU time is the cost.
    if threading.current_thread() is threading.main_thread():
        return time.process_time
    return time.thread_time


def _burn(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        hashlib.sha256(_BUFFER).digest()


def _wrap(original, extra_for):
    def encode(self, buf):
        extra = extra_for(self)
        if not extra:
            return original(self, buf)
        clock = _cpu_clock()
        start = clock()
        out = original(self, buf)
        _burn(extra * (clock() - start))
        return out

    encode.__wrapped__ = original
    return encode


def install():
    config = json.loads((Path(__file__).with_suffix(".json")).read_text())
    encode = config.get("encode", {})
    import numcodecs.blosc
    import numcodecs.zstd

    blosc = numcodecs.blosc.Blosc
    blosc.encode = _wrap(
        blosc.encode, lambda codec: encode.get(f"blosc:{getattr(codec, 'cname', '')}", 0.0)
    )
    if "zstd" in encode:
        zstd = numcodecs.zstd.Zstd
        zstd.encode = _wrap(zstd.encode, lambda codec: encode["zstd"])


install()
