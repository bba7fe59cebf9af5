"""Machine information: what ties a benchmark result to hardware, and nothing personal.

Small ``collect_*`` functions (pyperf style) gather facts with psutil and the standard
library. Privacy is by allow-list: only the fields built here are ever written; hostname,
user name, home path, IP/MAC addresses and mount points are never collected.

The machine id is a SHA-256 over the canonical JSON of *stable hardware fields only*
(:func:`stable_fields`), so the random friendly name, the hostname, timestamps, swap,
free memory, current frequency or mount points never change it.

The asv machine file (``~/.asv-machine.json``) holds a *flat* entry (string values, as
asv expects; nested values would break ``asv publish``). The full structured document is
remembered, together with the friendly name, in ``~/.config/zarr-benchmarks/machine.json``
(``$XDG_CONFIG_HOME`` honoured).
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zarr_benchmarks._dirs import config_dir
from zarr_benchmarks._format import SCHEMA_VERSION
from zarr_benchmarks._jsonio import atomic_write_json, read_json, sha256_id
from zarr_benchmarks._privacy import scrub
from zarr_benchmarks.run.hardware import (
    collect_machine_info,
)

__all__ = [
    "MachineError",
    "SetupResult",
    "asv_entry",
    "asv_machine_file",
    "check_machine",
    "compute_machine_id",
    "config_dir",
    "load_config",
    "machine_document",
    "new_friendly_name",
    "setup_machine",
    "stable_fields",
]


class MachineError(RuntimeError):
    """Setting up or checking the machine failed (message is user-facing)."""


# --------------------------------------------------------------------------- identity


def stable_fields(info: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``info`` that identifies the hardware and does not drift.

    RAM is rounded to 1/4 GiB because kernels reserve slightly different amounts.
    Swap, OS release and Python are configuration, not hardware.
    """
    hw = info["hardware"]
    cpu = hw["cpu"]
    return {
        "cpu": {
            k: cpu.get(k)
            for k in (
                "model",
                "vendor",
                "arch",
                "logical_cores",
                "physical_cores",
                "sockets",
                "frequency_min_mhz",
                "frequency_max_mhz",
                "caches",
                "flags",
            )
        },
        "memory_quarter_gib": round(hw["memory"]["total_bytes"] / 2**28),
        "disk": {k: hw["disk"].get(k) for k in ("filesystem", "kind", "removable", "model")},
        "gpu": [g.get("model") for g in hw["gpu"]],
        "system": info["os"]["system"],
    }


def compute_machine_id(info: dict[str, Any]) -> str:
    """SHA-256 (hex) over the canonical JSON of :func:`stable_fields`."""
    return sha256_id(stable_fields(info))


def machine_document(name: str, info: dict[str, Any]) -> dict[str, Any]:
    """The ``machine`` document of docs/formats.md (validated by the machine schema)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "machine",
        "machine_id": compute_machine_id(info),
        "name": name,
        "hardware": info["hardware"],
        "os": info["os"],
        "python": info["python"],
    }


def _human_bytes(n: int) -> str:
    units = ("B", "K", "M", "G", "T")
    i = 0
    while n >= 1024 and n % 1024 == 0 and i < len(units) - 1:
        n //= 1024
        i += 1
    return f"{n}{units[i]}"


def asv_entry(document: dict[str, Any]) -> dict[str, str]:
    """Flat, string-valued asv machine entry built from a machine document.

    asv's standard keys (machine, os, arch, cpu, num_cpu, ram) are filled properly,
    plus a few extra flat keys; asv copies them into every result's ``params``.
    """
    hw = document["hardware"]
    cpu, mem, disk = hw["cpu"], hw["memory"], hw["disk"]
    caches = ", ".join(f"{k} {_human_bytes(v)}" for k, v in sorted(cpu["caches"].items()))
    freq = cpu.get("frequency_max_mhz")
    return {
        "machine": document["name"],
        "machine_id": document["machine_id"],
        "os": f"{document['os']['system']} {document['os']['release']}",
        "arch": cpu["arch"],
        "cpu": cpu["model"],
        "num_cpu": str(cpu["logical_cores"] or ""),
        "cpu_physical_cores": str(cpu["physical_cores"] or ""),
        "cpu_max_mhz": f"{freq:g}" if freq else "",
        "cpu_caches": caches,
        "ram": str(mem["total_bytes"]),
        "swap": str(mem.get("swap_bytes", 0)),
        "disk": f"{disk['filesystem'] or 'unknown'} {disk['kind']}",
        "gpu": "; ".join(g["model"] for g in hw["gpu"]) or "none",
    }


def new_friendly_name(rng: random.Random | None = None) -> str:
    """A random PascalCase name such as ``HappySun`` (friendlywords predicate + object)."""
    import friendlywords

    words = friendlywords.generate("po", as_list=True, rng=rng)
    return "".join(w[:1].upper() + w[1:] for w in words)


# --------------------------------------------------------------------------- files


def asv_machine_file() -> Path:
    """asv's machine file (``~/.asv-machine.json``, honouring HOME like asv does)."""
    return Path(os.path.expanduser("~/.asv-machine.json"))


def load_config() -> dict[str, Any] | None:
    """The remembered machine (``{"name", "machine_id", "document"}``) or None."""
    path = config_dir() / "machine.json"
    if not path.is_file():
        return None
    try:
        data = read_json(path)
    except ValueError as exc:
        raise MachineError(f"{path}: {exc}; delete it and run `zarr-benchmarks setup`") from exc
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise MachineError(f"{path}: not a zarr-benchmarks machine config; delete it and rerun")
    return data


def _save_config(document: dict[str, Any]) -> Path:
    return atomic_write_json(
        config_dir() / "machine.json",
        {
            "schema_version": SCHEMA_VERSION,
            "name": document["name"],
            "machine_id": document["machine_id"],
            "document": document,
        },
    )


def _host_names() -> set[str]:
    names = {socket.gethostname(), platform.node()}
    with contextlib.suppress(OSError):
        names.add(socket.getfqdn())
    return {n for n in names if n}


def _rewrite_asv_machine_file(entry: dict[str, str]) -> None:
    """Put our entry in the asv machine file and drop asv's hostname-named default entry."""
    path = asv_machine_file()
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = read_json(path)
        except ValueError as exc:
            raise MachineError(str(exc)) from exc
        if not isinstance(data, dict):
            raise MachineError(f"{path}: not an asv machine file")
    hosts = _host_names()
    for key in list(data):
        value = data[key]
        if key in hosts or (isinstance(value, dict) and value.get("machine") in hosts):
            del data[key]
    data[entry["machine"]] = entry
    data["version"] = 1
    atomic_write_json(path, data)


def _run_asv_machine(
    entry: dict[str, str], cwd: Path, asv_command: Sequence[str] | None = None
) -> None:
    cmd = [*(asv_command or [sys.executable, "-m", "asv"]), "machine", "--yes"]
    for flag, key in (
        ("--machine", "machine"),
        ("--os", "os"),
        ("--arch", "arch"),
        ("--cpu", "cpu"),
        ("--num_cpu", "num_cpu"),
        ("--ram", "ram"),
    ):
        cmd += [flag, entry[key]]
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise MachineError(f"could not run `asv machine`: {exc}") from exc
    if proc.returncode != 0:
        # asv's messages can name the host; show only the last line, scrubbed.

        last = scrub((proc.stdout + proc.stderr).strip().splitlines()[-1:] or ["?"])[0]
        raise MachineError(f"`asv machine` failed (exit {proc.returncode}): {last}")


@dataclass
class SetupResult:
    """Outcome of :func:`setup_machine` / :func:`check_machine`."""

    name: str
    machine_id: str
    document: dict[str, Any]
    created: bool = False
    changed: list[str] = field(default_factory=list)
    previous_id: str | None = None


def _diff(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            out += _diff(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else key)
        return out
    return [] if old == new else [prefix or "."]


def setup_machine(
    workdir: str | os.PathLike[str],
    name: str | None = None,
    asv_command: Sequence[str] | None = None,
) -> SetupResult:
    """Name, describe and register this machine with asv (idempotent).

    Parameters
    ----------
    workdir
        The clone (holding ``asv.conf.json``); its disk is described and asv runs there.
    name
        Friendly name to use; default: the remembered one, else a new random one.
    asv_command
        How to start asv (default: ``python -m asv`` of this interpreter).
    """
    workdir = Path(workdir)
    config = load_config()
    previous = config["document"] if config else None
    name = name or (config["name"] if config else new_friendly_name())
    info = collect_machine_info(workdir)
    document = machine_document(name, info)
    entry = asv_entry(document)
    _run_asv_machine(entry, workdir, asv_command)
    _rewrite_asv_machine_file(entry)
    _save_config(document)
    changed: list[str] = []
    if previous is not None:
        changed = [
            c
            for c in _diff(
                {k: previous.get(k) for k in ("hardware", "os", "python")},
                {k: document[k] for k in ("hardware", "os", "python")},
            )
        ]
    return SetupResult(
        name=name,
        machine_id=document["machine_id"],
        document=document,
        created=config is None,
        changed=changed,
        previous_id=previous.get("machine_id") if previous else None,
    )


def check_machine(
    workdir: str | os.PathLike[str], asv_command: Sequence[str] | None = None
) -> SetupResult:
    """Compare the machine with the remembered info; re-run setup when anything changed.

    Returns the current :class:`SetupResult`; ``changed`` lists the fields that differ
    (empty when nothing changed), ``created`` is True when no setup had been done.
    """
    config = load_config()
    workdir = Path(workdir)
    if config is None:
        return setup_machine(workdir, asv_command=asv_command)
    info = collect_machine_info(workdir)
    document = machine_document(config["name"], info)
    stored = config.get("document") or {}
    changed = _diff(
        {k: stored.get(k) for k in ("hardware", "os", "python")},
        {k: document[k] for k in ("hardware", "os", "python")},
    )
    entry_ok = False
    path = asv_machine_file()
    if path.is_file():
        with contextlib.suppress(ValueError):
            entry_ok = read_json(path).get(config["name"]) == asv_entry(document)
    if changed or not entry_ok:
        result = setup_machine(workdir, name=config["name"], asv_command=asv_command)
        result.changed = changed or ["asv machine entry"]
        return result
    return SetupResult(
        name=config["name"],
        machine_id=document["machine_id"],
        document=document,
        previous_id=config.get("machine_id"),
    )
