"""Optional extras as test markers: which extras exist, which are installed, the skip reason.

Every extra of ``[project.optional-dependencies]`` in pyproject.toml except ``all`` and
``test`` is a marker of the same name (``@pytest.mark.db``, ``pytestmark =
pytest.mark.report``), registered in ``[tool.pytest.ini_options] markers``. A test
carrying one is skipped with :func:`skip_reason` when a distribution of that extra is
not installed (``tests/conftest.py`` does the skipping); it runs, and may fail, when the
extra is there. A module whose pytestmark names an extra is skipped before it is
imported, so its top-level imports may need the extra.
"""

from __future__ import annotations

import ast
import importlib.metadata
import tomllib
from functools import cache
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
PROJECT = "zarr-benchmarks"
NOT_MARKERS = frozenset({"all", "test"})  # aggregates of everything: no test needs one


@cache
def optional_dependencies() -> dict[str, tuple[str, ...]]:
    with PYPROJECT.open("rb") as fh:
        table = tomllib.load(fh)["project"]["optional-dependencies"]
    return {name: tuple(reqs) for name, reqs in table.items()}


def extra_markers() -> frozenset[str]:
    """The extras that are test markers."""
    return frozenset(optional_dependencies()) - NOT_MARKERS


def distributions(extra: str) -> tuple[str, ...]:
    """The distributions ``extra`` installs, with the project's own extras expanded."""
    names: list[str] = []
    for spec in optional_dependencies()[extra]:
        req = Requirement(spec)
        if canonicalize_name(req.name) == PROJECT:
            for inner in sorted(req.extras):
                names.extend(distributions(inner))
        elif req.marker is None or req.marker.evaluate({"extra": extra}):
            names.append(req.name)
    return tuple(dict.fromkeys(names))


@cache
def missing(extra: str) -> tuple[str, ...]:
    """The distributions of ``extra`` that are not installed here."""
    absent = []
    for name in distributions(extra):
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            absent.append(name)
    return tuple(absent)


def skip_reason(extra: str) -> str:
    return f"needs the '{extra}' extra: pip install -e \".[{extra}]\""


def first_missing_extra(extras: list[str]) -> str | None:
    return next((e for e in extras if e in extra_markers() and missing(e)), None)


def module_extras(path: Path) -> list[str]:
    """The extras a test module's top-level ``pytestmark`` names (``pytest.mark.<extra>``),
    read from its source so that the module need not be imported."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []  # let the ordinary collection report the problem
    found: list[str] = []
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign) and node.value is not None
            else []
        )
        if not any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in targets):
            continue
        for sub in ast.walk(node.value):  # type: ignore[union-attr]
            if (
                isinstance(sub, ast.Attribute)
                and isinstance(sub.value, ast.Attribute)
                and sub.value.attr == "mark"
                and isinstance(sub.value.value, ast.Name)
                and sub.value.value.id == "pytest"
                and sub.attr in extra_markers()
            ):
                found.append(sub.attr)
    return found
