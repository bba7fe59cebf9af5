"""The optional-extra markers: one per extra, registered, and skipping with the extra's name."""

from __future__ import annotations

import importlib.metadata
import re
import textwrap
import tomllib
import types
from pathlib import Path

import extras_helpers
from extras_helpers import (
    PYPROJECT,
    distributions,
    extra_markers,
    missing,
    module_extras,
    optional_dependencies,
    skip_reason,
)

pytest_plugins = ["pytester"]


def _registered_markers() -> dict[str, str]:
    with PYPROJECT.open("rb") as fh:
        lines = tomllib.load(fh)["tool"]["pytest"]["ini_options"]["markers"]
    return dict(line.split(":", 1) for line in lines)


def test_every_extra_but_the_aggregates_is_a_registered_marker():
    extras = set(optional_dependencies())
    assert {"all", "test"} <= extras
    assert extra_markers() == extras - {"all", "test"}
    assert set(_registered_markers()) == extra_markers() | {"slow"}


def test_every_distribution_of_an_extra_is_named_by_its_marker_description():
    markers = _registered_markers()
    for extra in extra_markers() - {"readers"}:
        description = markers[extra]
        assert f"'{extra}' extra" in description
        for name in distributions(extra):
            assert name in description or name == extra, (extra, name)


def test_aggregate_extras_expand_to_their_parts():
    assert set(distributions("readers")) == {"pydicom", "nibabel", "mrcfile", "h5py"}
    assert distributions("dask") == ("dask", "distributed")
    assert set(distributions("all")) == {
        name for extra in extra_markers() - {"readers"} for name in distributions(extra)
    }


def test_skip_reason_names_the_extra_and_the_install_command():
    assert skip_reason("db") == "needs the 'db' extra: pip install -e \".[db]\""


def test_missing_lists_the_distributions_that_are_not_installed(monkeypatch):
    def fake(name):
        if name == "pyarrow":
            raise importlib.metadata.PackageNotFoundError(name)
        return object()

    monkeypatch.setattr(importlib.metadata, "distribution", fake)
    missing.cache_clear()
    try:
        assert missing("db") == ("pyarrow",)
        assert missing("report") == ()
    finally:
        missing.cache_clear()


def test_module_extras_reads_pytestmark_without_importing(tmp_path):
    path = tmp_path / "test_x.py"
    path.write_text(
        textwrap.dedent(
            """
            import pytest
            import no_such_module_here

            pytestmark = [pytest.mark.db, pytest.mark.slow, pytest.mark.filterwarnings("x")]
            other = pytest.mark.report
            """
        )
    )
    assert module_extras(path) == ["db"]
    path.write_text("import pytest\npytestmark: object = pytest.mark.lossy\n")
    assert module_extras(path) == ["lossy"]
    path.write_text("def broken(:\n")
    assert module_extras(path) == []


CONFTEST = Path(__file__).parents[1] / "conftest.py"


def test_marked_tests_and_modules_are_skipped_with_the_extra_named(pytester, monkeypatch, request):
    """This directory's conftest hooks in a separate session, with ``db`` made absent."""
    (conftest,) = [
        p
        for p in request.config.pluginmanager.get_plugins()
        if getattr(p, "__file__", None) == str(CONFTEST)
    ]
    hooks = types.SimpleNamespace(
        **{name: getattr(conftest, name) for name in dir(conftest) if name.startswith("pytest_")}
    )
    del hooks.pytest_plugins
    monkeypatch.setattr(extras_helpers, "missing", lambda e: ("pyarrow",) if e == "db" else ())
    pytester.makeini(
        "[pytest]\naddopts = --strict-markers\nmarkers =\n"
        + "".join(f"    {m}: x\n" for m in sorted(extra_markers()))
    )
    pytester.makepyfile(
        test_marked=textwrap.dedent(
            """
            import pytest

            @pytest.mark.db
            def test_needs_db():
                raise AssertionError("ran although db is absent")

            @pytest.mark.report
            def test_needs_report():
                pass

            @pytest.mark.parametrize("x", [1, pytest.param(2, marks=pytest.mark.db)])
            def test_param(x):
                assert x == 1
            """
        ),
        test_module=textwrap.dedent(
            """
            import pytest
            import pyarrow_is_not_importable_here

            pytestmark = [pytest.mark.filterwarnings("ignore"), pytest.mark.db]

            def test_never_collected():
                raise AssertionError
            """
        ),
        test_service_x="def test_needs_service():\n    pass\n",
    )
    result = pytester.runpytest("-rs", "-p", "no:cacheprovider", plugins=[hooks])
    result.assert_outcomes(passed=3, skipped=3)
    reason = skip_reason("db")
    assert result.stdout.str().count(reason) == 3
    escaped = re.escape(reason)
    result.stdout.re_match_lines(
        [
            rf"SKIPPED \[1\] test_marked.py:\d+: {escaped}$",
            rf"SKIPPED \[1\] test_marked.py:\d+: {escaped}$",
            rf"SKIPPED \[1\] test_module.py: {escaped}$",
        ],
        consecutive=True,
    )
    # With the service extra absent too, the service tests are skipped by their file name.
    monkeypatch.setattr(extras_helpers, "missing", lambda e: ("flasgger",))
    result = pytester.runpytest("-rs", "-p", "no:cacheprovider", plugins=[hooks])
    result.assert_outcomes(passed=1, skipped=5)
    assert skip_reason("service") in result.stdout.str()
