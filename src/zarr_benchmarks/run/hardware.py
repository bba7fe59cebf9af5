"""What this machine is: CPU, memory, disk, GPU, OS and Python (pyperf-style ``collect_*``).

Each collector reads the system without privileges and returns JSON-able data; none
records a hostname, user or address (:mod:`zarr_benchmarks.run.machine` builds the
machine document and its stable id from them).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil

__all__ = [
    "collect_cpu",
    "collect_disk",
    "collect_gpu",
    "collect_machine_info",
    "collect_memory",
    "collect_os",
    "collect_python",
]

# CPU features that change codec/array speed (SIMD paths in blosc, zstd, numpy).
_RELEVANT_FLAGS = frozenset(
    {
        "sse2", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma", "bmi2", "avx512f",
        "avx512bw", "avx512vl", "avx512_vbmi2", "sha_ni", "aes", "pclmulqdq",
        "neon", "asimd", "sve", "sve2",
    }
)  # fmt: skip


def _read(path: str | Path) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _cpuinfo_fields() -> dict[str, str]:
    """First-processor fields of /proc/cpuinfo (Linux), lower-case keys."""
    text = _read("/proc/cpuinfo") or ""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if out:
                break  # first processor block is enough
            continue
        key, _, value = line.partition(":")
        out.setdefault(key.strip().lower(), value.strip())
    return out


def _size_to_bytes(text: str) -> int | None:
    m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)i?B?\s*", text, re.IGNORECASE)
    if not m:
        return None
    return int(m.group(1)) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[m.group(2).upper()]


def _sysfs_caches() -> dict[str, int]:
    """Cache sizes of cpu0 from sysfs: {"L1d": bytes, "L1i": ..., "L2": ..., "L3": ...}."""
    caches: dict[str, int] = {}
    base = Path("/sys/devices/system/cpu/cpu0/cache")
    if not base.is_dir():
        return caches
    for index in sorted(base.glob("index*")):
        level, ctype, size = (_read(index / n) for n in ("level", "type", "size"))
        if not level or not size:
            continue
        suffix = {"Data": "d", "Instruction": "i"}.get(ctype or "", "")
        nbytes = _size_to_bytes(size)
        if nbytes is not None:
            caches[f"L{level}{suffix}"] = nbytes
    return caches


def _lscpu() -> dict[str, str]:
    if not shutil.which("lscpu"):
        return {}
    try:
        proc = subprocess.run(
            ["lscpu", "-J"], capture_output=True, text=True, timeout=10, check=False
        )
        rows = json.loads(proc.stdout).get("lscpu", [])
    except (OSError, subprocess.SubprocessError, ValueError):
        return {}
    return {str(r.get("field", "")).rstrip(":"): str(r.get("data", "")) for r in rows}


def _cpu_model() -> str:
    info = _cpuinfo_fields()
    for key in ("model name", "hardware", "cpu model", "processor"):
        value = info.get(key, "")
        if value and not value.isdigit():
            return value
    if sys.platform == "darwin":
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
            if out:
                return out
    return platform.processor() or platform.machine() or "unknown"


def collect_cpu() -> dict[str, Any]:
    """CPU model, vendor, architecture, cores, frequency range, caches and SIMD flags."""
    info = _cpuinfo_fields()
    lscpu = _lscpu()
    freq = None
    with contextlib.suppress(Exception):  # psutil raises various errors on odd platforms
        freq = psutil.cpu_freq()
    caches = _sysfs_caches()
    flags_text = info.get("flags") or info.get("features") or lscpu.get("Flags", "")
    sockets = lscpu.get("Socket(s)", "")
    return {
        "model": _cpu_model(),
        "vendor": info.get("vendor_id") or lscpu.get("Vendor ID") or None,
        "arch": platform.machine() or "unknown",
        "logical_cores": psutil.cpu_count(logical=True),
        "physical_cores": psutil.cpu_count(logical=False),
        "sockets": int(sockets) if sockets.isdigit() else None,
        # 0.0 means "not reported" (common in VMs); never record the *current* frequency.
        "frequency_min_mhz": round(freq.min, 1) if freq and freq.min else None,
        "frequency_max_mhz": round(freq.max, 1) if freq and freq.max else None,
        "caches": caches,
        "flags": sorted(set(flags_text.split()) & _RELEVANT_FLAGS),
    }


def collect_memory() -> dict[str, int]:
    """Total RAM and swap in bytes (never free/used memory: it changes all the time)."""
    return {
        "total_bytes": int(psutil.virtual_memory().total),
        "swap_bytes": int(psutil.swap_memory().total),
    }


def _block_device_dir(path: Path) -> Path | None:
    """sysfs folder of the whole disk holding ``path`` (Linux), via its st_dev."""
    try:
        dev = os.stat(path).st_dev
    except OSError:
        return None
    node = Path(f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}")
    if not node.exists():
        return None  # overlay/tmpfs/network file systems have no block device
    real = node.resolve()
    return real.parent if (real / "partition").exists() else real


def collect_disk(path: str | os.PathLike[str] = ".") -> dict[str, Any]:
    """File-system type and disk kind (ssd/hdd/unknown) under ``path``.

    The mount point and device name are deliberately not recorded (they can hold user
    names, e.g. ``/media/<user>/usb``, and change between plug-ins).
    """
    target = Path(path).resolve()
    fstype: str | None = None
    best = -1
    with contextlib.suppress(Exception):
        for part in psutil.disk_partitions(all=True):
            mount = part.mountpoint
            if (str(target) == mount or str(target).startswith(mount.rstrip(os.sep) + os.sep)) and (
                len(mount) > best
            ):
                best, fstype = len(mount), part.fstype or None
    kind, removable, model = "unknown", None, None
    block = _block_device_dir(target)
    if block is not None:
        rotational = _read(block / "queue" / "rotational")
        kind = {"1": "hdd", "0": "ssd"}.get(rotational or "", "unknown")
        rem = _read(block / "removable")
        removable = {"1": True, "0": False}.get(rem or "")
        model = _read(block / "device" / "model") or None
    return {"filesystem": fstype, "kind": kind, "removable": removable, "model": model}


def collect_gpu() -> list[dict[str, Any]]:
    """Visible GPUs (model and memory); empty when none is visible."""
    gpus: list[dict[str, Any]] = []
    if shutil.which("nvidia-smi"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            proc = subprocess.run(
                [
                    "nvidia-smi",
                    "--query-gpu=name,memory.total",
                    "--format=csv,noheader,nounits",
                ],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
            for line in proc.stdout.splitlines() if proc.returncode == 0 else []:
                name, _, mem = line.partition(",")
                if name.strip():
                    mem = mem.strip()
                    gpus.append(
                        {"model": name.strip(), "memory_mib": int(mem) if mem.isdigit() else None}
                    )
    if not gpus:
        for info in sorted(Path("/proc/driver/nvidia/gpus").glob("*/information")):
            for line in (_read(info) or "").splitlines():
                if line.lower().startswith("model:"):
                    gpus.append({"model": line.split(":", 1)[1].strip(), "memory_mib": None})
    return sorted(gpus, key=lambda g: (g["model"], g["memory_mib"] or 0))


def collect_os() -> dict[str, str]:
    """Operating system, kernel release and machine architecture."""
    return {
        "system": platform.system() or "unknown",
        "release": platform.release() or "unknown",
        "machine": platform.machine() or "unknown",
    }


def collect_python() -> dict[str, str]:
    """Python implementation and version of the running interpreter."""
    return {
        "implementation": platform.python_implementation(),
        "version": platform.python_version(),
    }


def collect_machine_info(path: str | os.PathLike[str] = ".") -> dict[str, Any]:
    """All machine facts: ``{"hardware": ..., "os": ..., "python": ...}``.

    Parameters
    ----------
    path
        Benchmark working directory; its disk is described.
    """
    return {
        "hardware": {
            "cpu": collect_cpu(),
            "memory": collect_memory(),
            "disk": collect_disk(path),
            "gpu": collect_gpu(),
        },
        "os": collect_os(),
        "python": collect_python(),
    }
