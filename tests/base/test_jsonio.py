"""Atomic writes: whole files with the usual permissions, nothing left on failure."""

from __future__ import annotations

import os
import stat

import pytest

from zarr_benchmarks._jsonio import atomic_write_bytes, atomic_write_json, atomic_write_many


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_files_get_the_umask_mode_not_mkstemps_0600(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    expected = 0o666 & ~umask
    single = atomic_write_json(tmp_path / "a.json", {"x": 1})
    (many,) = atomic_write_many([(tmp_path / "b.json", "{}\n")])
    raw = atomic_write_bytes(tmp_path / "c.png", b"\x89PNG")
    assert {_mode(single), _mode(many), _mode(raw)} == {expected}
    assert single.read_text() == '{\n  "x": 1\n}\n'


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    dest = tmp_path / "a.json"
    atomic_write_json(dest, {"old": True})
    with pytest.raises(ValueError):
        atomic_write_json(dest, {"bad": float("nan")})  # NaN is not JSON
    assert dest.read_text() == '{\n  "old": true\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]
