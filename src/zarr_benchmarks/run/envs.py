"""Side environments for an environment A/B: what to install, building and caching them.

A side is given as text, the way a maintainer would say it:

- package requirements, space separated: ``"zarr==3.0.10"``,
  ``"zarr==3.1.6 numcodecs==0.15.1"``;
- a local wheel or source checkout among them: ``"./dist/zarr-3.2.0.dev1-py3-none-any.whl"``,
  ``"~/src/zarr-python"`` (any folder with a ``pyproject.toml`` or ``setup.py``);
- an existing virtual environment: ``"venv:/path/to/venv"`` (used as it is).

A built side is a virtual environment holding the suite's runtime dependencies (this
project's ``dependencies``, plus ``asv_runner``), then the side's requirements on top
(so ``zarr==3.0.10`` replaces the newer Zarr the project asks for). The suite's code
is *not* installed: both sides run this tree's ``src/`` and ``benchmarks/``, so the
only difference between them is the packages under test.

Environments are cached under the user cache folder (platformdirs), keyed by the
Python version, the project's dependency list and the requirements (local wheels by
content hash, checkouts by commit and uncommitted changes); a build goes to a
temporary folder that is renamed into place only when complete. uv is used when
available (it is a dependency; building a side takes seconds), else venv + pip.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from zarr_benchmarks._dirs import cache_dir
from zarr_benchmarks._git import GitError, try_git
from zarr_benchmarks._privacy import without_secrets

__all__ = [
    "EnvError",
    "EnvSpec",
    "SideEnv",
    "build_env",
    "child_environ",
    "env_cache_dir",
    "package_differences",
    "parse_spec",
]

#: Runtime the benchmark processes need besides the project's dependencies.
EXTRA_RUNTIME = ("asv_runner",)
#: Variables never handed to benchmark or installer processes (secrets of the service
#: and of uploads; the benchmarks need none of them).
_BUILD_TIMEOUT = 1800


class EnvError(RuntimeError):
    """A side environment cannot be parsed or built; ``code`` is the CLI exit code."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class EnvSpec:
    """One side as the user gave it.

    Attributes
    ----------
    text
        The text as given (shown in reports).
    requirements
        Requirement strings and local paths (wheels, checkouts), in order.
    venv
        An existing virtual environment to use as it is (then no requirements).
    """

    text: str
    requirements: tuple[str, ...] = ()
    venv: Path | None = None


def _is_local(item: str) -> bool:
    return item.endswith(".whl") or item.startswith((".", "/", "~")) or os.sep in item


def parse_spec(text: str, *, side: str = "side") -> EnvSpec:
    """Parse a side's text (see the module docstring); :class:`EnvError` names the problem."""
    text = text.strip()
    if not text:
        raise EnvError(f"--{side}: empty; give requirements such as 'zarr==3.1.6' or venv:PATH")
    if text.startswith("venv:"):
        path = Path(text.removeprefix("venv:")).expanduser()
        if not (path / "pyvenv.cfg").is_file() or not _python_of(path).exists():
            raise EnvError(f"--{side}: {path} is not a virtual environment (no pyvenv.cfg/python)")
        return EnvSpec(text=text, venv=path.resolve())
    items: list[str] = []
    for item in text.split():
        if _is_local(item):
            path = Path(item).expanduser()
            if path.suffix == ".whl" and not path.is_file():
                raise EnvError(f"--{side}: wheel {item} does not exist")
            if path.suffix != ".whl" and not (
                (path / "pyproject.toml").is_file() or (path / "setup.py").is_file()
            ):
                raise EnvError(
                    f"--{side}: {item} is neither a wheel nor a source checkout "
                    "(no pyproject.toml or setup.py)"
                )
            items.append(str(path.resolve()))
            continue
        try:
            Requirement(item)
        except InvalidRequirement as exc:
            raise EnvError(f"--{side}: {item!r} is not a valid requirement ({exc})") from exc
        items.append(item)
    return EnvSpec(text=text, requirements=tuple(items))


def _python_of(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def env_cache_dir() -> Path:
    """Where built side environments are kept (``ZARR_BENCHMARKS_ENV_CACHE`` overrides)."""
    override = os.environ.get("ZARR_BENCHMARKS_ENV_CACHE")
    if override:
        return Path(override)
    return cache_dir() / "ab-envs"


def child_environ(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) without secrets or a venv's marks."""
    env = without_secrets(os.environ if base is None else base)
    for name in ("VIRTUAL_ENV", "PYTHONHOME"):
        env.pop(name, None)
    return env


def project_requirements(root: Path) -> list[str]:
    """The project's runtime dependencies (from ``pyproject.toml``) plus the runner."""
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        deps = list(data["project"]["dependencies"])
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise EnvError(
            f"{root / 'pyproject.toml'}: cannot read the dependencies ({exc})", 1
        ) from exc
    return [*deps, *EXTRA_RUNTIME]


def _fingerprint(item: str) -> str:
    """What identifies a requirement's content: the text, or a local artefact's state."""
    path = Path(item)
    if path.suffix == ".whl" and path.is_file():
        return "wheel:" + hashlib.sha256(path.read_bytes()).hexdigest()
    if path.is_dir():
        state = [item]
        for args in (["rev-parse", "HEAD"], ["diff", "HEAD"], ["status", "--porcelain"]):
            try:
                returncode, stdout, _ = try_git(path, *args)
            except GitError:
                returncode, stdout = 1, ""
            state.append(stdout if returncode == 0 else "no git")
        return "checkout:" + hashlib.sha256("\0".join(state).encode()).hexdigest()
    return item


def cache_key(spec: EnvSpec, root: Path) -> str:
    """Stable key of a built side: Python, project dependencies and requirements."""
    payload = {
        "python": list(sys.version_info[:3]),
        "implementation": sys.implementation.name,
        "platform": sys.platform,
        "project": project_requirements(root),
        "requirements": [_fingerprint(r) for r in spec.requirements],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SideEnv:
    """A ready side: its interpreter and whether it came from the cache."""

    spec: EnvSpec
    python: Path
    cached: bool


def _uv() -> str | None:
    try:
        from uv import find_uv_bin
    except ImportError:
        return shutil.which("uv")
    try:
        return str(find_uv_bin())
    except FileNotFoundError:
        return shutil.which("uv")


def _run(cmd: Sequence[str], log: Callable[[str], None] | None, what: str) -> None:
    if log is not None:
        log(f"{what}: {' '.join(Path(c).name if os.sep in c else c for c in cmd[:4])} ...")
    proc = subprocess.run(
        list(cmd),
        capture_output=True,
        text=True,
        timeout=_BUILD_TIMEOUT,
        check=False,
        env=child_environ(),
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-12:])
        raise EnvError(f"{what} failed (exit {proc.returncode}):\n{tail}", 1)


def _install(python: Path, requirements: Sequence[str], log: Callable[[str], None] | None) -> None:
    uv = _uv()
    if uv:
        _run([uv, "pip", "install", "--python", str(python), *requirements], log, "install")
    else:
        _run([str(python), "-m", "pip", "install", "--quiet", *requirements], log, "install")


def build_env(
    spec: EnvSpec,
    *,
    root: Path,
    cache: Path | None = None,
    log: Callable[[str], None] | None = None,
) -> SideEnv:
    """The side's environment, built (or taken from the cache) and checked.

    Parameters
    ----------
    spec
        The side (see :func:`parse_spec`).
    root
        Root of this clone (its ``pyproject.toml`` gives the suite's dependencies).
    cache
        Cache folder (default :func:`env_cache_dir`).
    log
        Called with one line per build step.
    """
    if spec.venv is not None:
        python = _python_of(spec.venv)
        check_runtime(python)
        return SideEnv(spec, python, cached=True)
    cache = cache or env_cache_dir()
    target = cache / cache_key(spec, root)
    python = _python_of(target)
    if (target / ".complete").is_file() and python.exists():
        return SideEnv(spec, python, cached=True)
    cache.mkdir(parents=True, exist_ok=True)
    building = cache / f"{target.name}.building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    try:
        uv = _uv()
        if uv:
            _run([uv, "venv", "--quiet", "--python", sys.executable, str(building)], log, "venv")
        else:
            _run([sys.executable, "-m", "venv", str(building)], log, "venv")
        new_python = _python_of(building)
        _install(new_python, project_requirements(root), log)
        if spec.requirements:
            _install(new_python, spec.requirements, log)
        check_runtime(new_python)
        (building / ".complete").write_text(spec.text + "\n", encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    # A venv's interpreter link does not depend on its folder name, so the renamed
    # environment works as built; its console scripts are never used.
    check_runtime(python)
    return SideEnv(spec, python, cached=False)


def check_runtime(python: Path) -> None:
    """Fail clearly when ``python`` cannot run the suite (missing runner or Zarr)."""
    proc = subprocess.run(
        [str(python), "-c", "import asv_runner, numcodecs, numpy, zarr"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=child_environ(),
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise EnvError(
            f"{python}: cannot run the suite ({last}); it needs asv_runner, numcodecs, numpy "
            "and zarr",
            2,
        )


def environment_of(python: Path, root: Path) -> dict[str, Any]:
    """The ``environment`` document (docs/formats.md) of another interpreter."""
    code = (
        "import json; from zarr_benchmarks.run.environment import environment_document; "
        "print(json.dumps(environment_document()))"
    )
    env = child_environ()
    env["PYTHONPATH"] = str(root / "src")
    proc = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, timeout=300, check=False, env=env
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise EnvError(f"{python}: cannot describe its environment ({last})", 1)
    try:
        doc = json.loads(proc.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError) as exc:
        raise EnvError(f"{python}: unexpected environment description ({exc})", 1) from exc
    if not isinstance(doc, dict) or doc.get("kind") != "environment":
        raise EnvError(f"{python}: unexpected environment description", 1)
    return doc


def package_differences(base: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """``"zarr 3.0.10 -> 3.1.6"`` for each package whose version differs (or is missing)."""
    pb, pn = dict(base.get("packages", {})), dict(new.get("packages", {}))
    out = []
    for name in sorted(set(pb) | set(pn)):
        if pb.get(name) != pn.get(name):
            out.append(f"{name} {pb.get(name, 'absent')} -> {pn.get(name, 'absent')}")
    if base.get("python") != new.get("python"):
        out.append(f"python {base.get('python')} -> {new.get('python')}")
    return out


def index_versions(package: str, *, prefix: str = "") -> list[str]:
    """Final releases of ``package`` on the configured package index, oldest first.

    Asks pip (``pip index versions``), so the index, mirrors and proxies configured for
    pip apply; only versions starting with ``prefix`` are kept.
    """
    from packaging.version import InvalidVersion, Version

    proc = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", package],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=child_environ(),
    )
    line = next((ln for ln in proc.stdout.splitlines() if "Available versions:" in ln), "")
    if proc.returncode != 0 or not line:
        raise EnvError(f"cannot list the versions of {package} on the package index", 1)
    found = []
    for text in line.split(":", 1)[1].split(","):
        try:
            version = Version(text.strip())
        except InvalidVersion:
            continue
        if not version.is_prerelease and str(version).startswith(prefix):
            found.append(version)
    return [str(v) for v in sorted(found)]
