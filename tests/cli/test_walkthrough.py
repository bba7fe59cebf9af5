"""A newcomer's first hour, scripted: a fresh clone, an empty HOME, an 80-column terminal.

One clone under one empty HOME (the interpreter reached through a venv link inside that
HOME too, as when a user's own venv lives there), ``COLUMNS=80`` and no
``ZARR_BENCHMARKS_*`` setting from outside. In order, each a real subprocess: ``setup``,
the quickstart's ``run --preset quick`` (tiny, one modality and codec), ``modalities``,
``codecs``, ``presets``, ``recommend`` (a tiny dataset and an oversized one), two small
default-preset runs, ``summary --full``, ``report``, ``upload`` to a real waitress server
over a real bare git remote on loopback, and ``compare`` of the two runs. The tests below
check every command's output (exit code, no traceback, no truncated id or name, no home
path, lines that fit in 80 columns), every file written, and that the report keeps this
machine's quick results apart from the repository's committed reference results.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from flask_app.testing import ServerProcess, remote_files

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
WIDTH = 80
MODALITY = "ct"  # also in the committed reference results (default preset, small)
CODEC = "blosc-lz4-5-shuffle"
LOSSY = "shift-4-blosc-zstd-5-shuffle"  # a long id, and the PSNR/SSIM columns
TINY = ("--size", "tiny", "--modality", MODALITY, "--codec", CODEC)
SMALL_RUN = (
    "run",
    *TINY,
    "--layout",
    "cube64",
    "--bench",
    r"bench_write\.Write\.(time_write|track_compression_ratio)|bench_read\.Read\.time_read",
)
#: a name asv cut on the left to fit the terminal ("....MemoryBandwidth.track_...")
CUT_NAME = re.compile(r"(?<![.\w])\.{3,}\w")
#: user names that are ordinary words (or container defaults): searching output for
#: them would find "root" in "--root" or "runner" in prose, not a leak
COMMON_USERS = {"root", "user", "admin", "runner", "ubuntu", "test", "dev", "app", "ci"}


@dataclass
class Step:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __str__(self) -> str:
        return f"zarr-benchmarks {shlex.join(self.args)}"


@dataclass
class Walk:
    home: Path
    clone: Path
    bare: Path
    machine_id: str
    venv_under_home: bool
    steps: dict[str, Step] = field(default_factory=dict)
    runs: dict[str, list[str]] = field(default_factory=dict)  # step -> new result files
    modalities: list[str] = field(default_factory=list)
    codecs: list[str] = field(default_factory=list)
    expected_rc: dict[str, set[int]] = field(default_factory=dict)


def _python() -> Path:
    venv_python = REPO / ".venv" / "bin" / "python"
    return venv_python if venv_python.exists() else Path(sys.executable)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZARR_BENCHMARKS_", "XDG_"))}
    env.update(HOME=str(home), COLUMNS=str(WIDTH), LINES="40", NO_COLOR="1")
    env.pop("PYTHONPATH", None)
    return env


def _quickstart_commands() -> list[list[str]]:
    """The ``zarr-benchmarks`` command lines scripts/quickstart.sh runs."""
    calls = []
    for line in (REPO / "scripts" / "quickstart.sh").read_text().splitlines():
        tokens = shlex.split(line, comments=True)
        if tokens and tokens[0].endswith("/zarr-benchmarks"):
            calls.append(tokens[1:])
    return calls


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Walk:
    base = tmp_path_factory.mktemp("walk")
    home = base / "home"
    (home / "src").mkdir(parents=True)
    python = _python()
    venv = python.parent.parent
    if (venv / "pyvenv.cfg").is_file():
        # the interpreter's path is under HOME (asv names its environment after it)
        (home / "venv").symlink_to(venv, target_is_directory=True)
        python = home / "venv" / "bin" / python.name
    clone = home / "src" / "zarr-benchmarks"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, timeout=300)
    env = _env(home)
    bare = base / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)

    steps: dict[str, Step] = {}
    runs: dict[str, list[str]] = {}

    def cli(name: str, *args: str, timeout: float = 300) -> Step:
        before = set(os.listdir(clone / "results"))
        proc = subprocess.run(
            [str(python), "-m", "zarr_benchmarks", *args],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        step = Step(tuple(args), proc.returncode, proc.stdout, proc.stderr)
        steps[name] = step
        new = sorted(set(os.listdir(clone / "results")) - before)
        runs[name] = [f for f in new if f.startswith("result_")]
        return step

    setup = cli("setup", "setup")
    assert setup.returncode == 0, setup.output
    (machine_id,) = re.findall(r"machine id: ([0-9a-f]{64})", setup.stdout)

    # The README's first command path is scripts/quickstart.sh: after installing it runs
    # exactly `setup` and `run --preset quick "$@"`; the walk passes tiny filters as "$@".
    assert _quickstart_commands() == [["setup"], ["run", "--preset", "quick", "$@"]]
    cli("quickstart", "run", "--preset", "quick", *TINY)
    modalities = json.loads(cli("modalities --json", "modalities", "--json").stdout)
    codecs = json.loads(cli("codecs --json", "codecs", "--json").stdout)
    cli("modalities", "modalities")
    cli("codecs", "codecs")
    cli("presets", "presets")
    cli(
        "recommend",
        "recommend",
        "--dataset-type",
        MODALITY,
        "--shape",
        "32,32,32",
        "--codecs",
        CODEC,
        "zstd-3",
        LOSSY,
        "--runs",
        "1",
    )
    cli("recommend oversized", "recommend", "--dataset-type", "cryoet", "--shape", "4096,4096,4096")
    cli("run A", *SMALL_RUN)
    cli("run B", *SMALL_RUN)
    cli("summary --full", "summary", "--full")  # the run summary's "full table" hint
    cli("report", "report")
    log_path = base / "server.log"
    with log_path.open("wb") as log:
        server = ServerProcess(base / "instance", {"remote": str(bare)}, log=log)
        try:
            server.start()
        except RuntimeError as exc:
            pytest.fail(f"{exc}; its log:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            cli("upload", "upload", "--url", server.url)
            expected = {f"results/info_machine-{machine_id}.json"}
            held = _wait_for_remote(bare, expected, runs["run A"] + runs["run B"])
        finally:
            server.stop()
    assert held, f"the bare remote holds {remote_files(bare)}"
    (a,) = runs["run A"]
    (b,) = runs["run B"]
    # --all: every row with its ids, whatever the verdict (unchanged rows are hidden)
    cli("compare", "compare", "--all", f"results/{a}", f"results/{b}")
    return Walk(
        home=home,
        clone=clone,
        bare=bare,
        machine_id=machine_id,
        venv_under_home=python.is_relative_to(home),
        steps=steps,
        runs=runs,
        modalities=[m["id"] for m in modalities],
        codecs=list(codecs),
        expected_rc={
            "recommend oversized": {2},
            # two runs of tiny arrays: noise can pass the regression threshold (exit 1)
            "compare": {0, 1},
        },
    )


def _wait_for_remote(bare: Path, files: set[str], results: list[str]) -> bool:
    """Wait (60 s deadline) until the remote holds ``files`` and one copy of each result."""
    deadline = time.monotonic() + 60
    while True:
        held = set(remote_files(bare))
        stems = [r.removesuffix(".json") for r in results]
        if files <= held and all(
            any(h.startswith(f"results/{s}_id-") for h in held) for s in stems
        ):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


# --- what must hold for every command's output -------------------------------------------


def _home_patterns(home: Path) -> list[re.Pattern[str]]:
    """Patterns of this user's home paths and names (temp HOME, real HOME, user, host)."""
    pats = []
    for h in {str(home), str(home.resolve())}:
        pats.append(re.compile(re.escape(h)))
        pats.append(re.compile(re.escape(h.replace("/", "_"))))  # asv's flattened form
    real = os.path.expanduser("~") if "HOME" in os.environ else ""
    if real and real != "/":
        # as a path component: "/root" in "/root/x", not in "/work/rooted"
        pats.append(re.compile(rf"(?<![\w.-]){re.escape(real)}(?![\w.-])"))
        pats.append(re.compile(rf"existing-py{re.escape(real.replace('/', '_'))}(?![\w.-])"))
    user = getpass.getuser()
    if len(user) >= 3 and user.lower() not in COMMON_USERS:
        pats.append(re.compile(rf"(?<![\w.-]){re.escape(user)}(?![\w-])"))
    host = socket.gethostname()
    if len(host) >= 4 and host.lower() not in {"localhost", "runner"}:
        pats.append(re.compile(rf"(?<![\w.-]){re.escape(host)}(?![\w-])"))
    return pats


def _leaks(text: str, pats: list[re.Pattern[str]]) -> list[str]:
    return [m.group(0) for p in pats for m in p.finditer(text)]


def _tokens(text: str) -> list[str]:
    return [t.strip(".") for t in re.split(r"[\s,;:()\[\]{}'\"`|│┃=/<>]+", text) if t.strip(".")]


def _cut_ids(text: str, ids: set[str]) -> list[str]:
    """Tokens that are the start of an id but not an id (``light_sh`` of ``light_sheet``)."""
    return sorted(
        {
            t
            for t in _tokens(text)
            if len(t) >= 3
            and ("-" in t or "_" in t)
            and t not in ids
            and any(i.startswith(t) for i in ids)
        }
    )


def _too_wide(text: str) -> list[str]:
    """Lines over 80 columns, except a lone unbreakable token (a file name, a URL)
    after a short prefix, and an ``error:`` line (an error is one line by design, for
    logs and grep; the terminal wraps it): rich must fold or wrap everything else,
    tables included."""
    wide = []
    for line in text.splitlines():
        line = line.rstrip()
        if len(line) <= WIDTH or line.startswith("error: "):
            continue
        longest = max(line.split(), key=len)
        if len(line.replace(longest, "", 1).strip()) > 20:
            wide.append(line)
    return wide


STEPS = [
    "setup",
    "quickstart",
    "modalities --json",
    "codecs --json",
    "modalities",
    "codecs",
    "presets",
    "recommend",
    "recommend oversized",
    "run A",
    "run B",
    "summary --full",
    "report",
    "upload",
    "compare",
]


def test_every_step_ran(walk: Walk) -> None:
    assert list(walk.steps) == STEPS


@pytest.mark.parametrize("name", STEPS)
def test_exit_code_and_no_traceback(walk: Walk, name: str) -> None:
    step = walk.steps[name]
    assert step.returncode in walk.expected_rc.get(name, {0}), f"{step}:\n{step.output[-3000:]}"
    assert "Traceback" not in step.output, f"{step}:\n{step.output}"


@pytest.mark.parametrize("name", STEPS)
def test_no_truncated_id_or_name(walk: Walk, name: str) -> None:
    step = walk.steps[name]
    assert "…" not in step.output, f"{step}:\n{step.output}"
    # asv's left-cut names ("....MemoryBandwidth.track_...") must not reach the user
    assert not CUT_NAME.search(step.output), f"{step}:\n{step.output}"
    ids = set(walk.modalities) | set(walk.codecs)
    assert not _cut_ids(step.output, ids), f"{step}: {_cut_ids(step.output, ids)}"


@pytest.mark.parametrize("name", STEPS)
def test_no_home_path_user_or_host(walk: Walk, name: str) -> None:
    step = walk.steps[name]
    leaks = _leaks(step.output, _home_patterns(walk.home))
    assert not leaks, f"{step}: {leaks}"


@pytest.mark.parametrize("name", [s for s in STEPS if "--json" not in s])
def test_lines_fit_in_80_columns(walk: Walk, name: str) -> None:
    step = walk.steps[name]
    assert not _too_wide(step.output), f"{step}:\n" + "\n".join(_too_wide(step.output))


def test_listings_show_every_id_whole(walk: Walk) -> None:
    assert MODALITY in walk.modalities and CODEC in walk.codecs and len(walk.codecs) > 20
    for name, ids in (("modalities", walk.modalities), ("codecs", walk.codecs)):
        tokens = set(_tokens(walk.steps[name].stdout))
        missing = [i for i in ids if i not in tokens]
        assert not missing, f"{name} does not show {missing} whole"
    for name in ("quickstart", "recommend", "run A", "summary --full", "compare"):
        tokens = set(_tokens(walk.steps[name].stdout))
        assert {MODALITY, CODEC} <= tokens, name


def test_no_home_path_in_any_file_written(walk: Walk) -> None:
    pats = _home_patterns(walk.home)
    folders = [walk.clone / "results", walk.clone / "report"]
    folders += [walk.clone / ".asv" / "zarr-benchmarks-logs"]
    files = [p for f in folders for p in f.rglob("*") if p.is_file()]
    assert len([p for p in files if p.suffix == ".log"]) == 3  # one log per run
    assert (walk.clone / "report" / "index.html") in files
    found = {}
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        hits = _leaks(text, pats) + _leaks(str(path.relative_to(walk.clone)), pats)
        if hits:
            found[str(path.relative_to(walk.clone))] = sorted(set(hits))
    assert not found, found
    if walk.venv_under_home:
        # the case that matters: asv's own files are named after the interpreter's path
        # under HOME (existing-py_<home>_venv_bin_python), yet the log says ~
        flat = str(walk.home).replace("/", "_")
        assert any(flat in p.name for p in (walk.clone / ".asv" / "results").rglob("*"))


def test_the_walk_checks_can_fail(walk: Walk) -> None:
    """The checks above find what they look for (so their passing means something)."""
    pats = _home_patterns(walk.home)
    assert _leaks(f"log: {walk.clone}/x.log", pats)
    assert _leaks("existing-py" + str(walk.home).replace("/", "_") + "_venv_bin_python", pats)
    assert _cut_ids("ct · light_sh · blosc-lz4-5-", {"light_sheet", "blosc-lz4-5-shuffle"}) == [
        "blosc-lz4-5-",
        "light_sh",
    ]
    assert CUT_NAME.search("✓ ....MemoryBandwidth.track_memory_copy_bandwidth 11.2")
    assert not CUT_NAME.search("see `zarr-benchmarks codecs`... or blosc-lz4-5-shuffle.")
    assert _too_wide("x " * 50) and not _too_wide("wrote results/" + "r" * 190)


def test_quickstart_marks_a_smoke_test_and_writes_one_quick_result(walk: Walk) -> None:
    step = walk.steps["quickstart"]
    assert "Summary of this run" in step.stdout and "quick is a smoke test" in step.stdout
    (name,) = walk.runs["quickstart"]
    doc = json.loads((walk.clone / "results" / name).read_text())
    assert doc["quick"] is True and doc["preset"] == "quick" and doc["size"] == "tiny"
    assert doc["machine_id"] == walk.machine_id


def test_summary_is_of_this_machines_newest_run(walk: Walk) -> None:
    """Not the committed reference result (default preset, small) in the same folder."""
    out = walk.steps["summary --full"].stdout
    assert "Summary (median)" in out and "Write.time_write" in out
    assert "Arrays (default preset, tiny size): ct 32x32x32 uint16" in out
    assert "small" not in out


def test_recommend_oversized_is_one_line(walk: Walk) -> None:
    step = walk.steps["recommend oversized"]
    assert step.stdout.strip() == ""
    lines = step.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --shape 4096x4096x4096"), step.stderr
    assert "memory" in lines[0]


def test_recommend_ranks_the_codecs(walk: Walk) -> None:
    out = walk.steps["recommend"].stdout
    assert "Recommended for profile balanced" in out
    assert {CODEC, "zstd-3", LOSSY} <= set(_tokens(out))
    # the lossy codec keeps its quality columns at 80 columns
    assert re.search(r"\bPSNR\s+SSIM\b", out), out
    assert re.search(rf"{LOSSY}\s+[\d.]+\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+", out), out


# --- the report keeps this machine's quick results apart from the reference ones ---------


def _sections(html: str) -> dict[tuple[str, str, str], str]:
    """``(modality, preset, size) -> the section's HTML``."""
    out = {}
    pattern = (
        r'<section id="[^"]*" data-modality="([^"]+)" data-preset="([^"]+)" '
        r'data-size="([^"]+)">(.*?)</section>'
    )
    for m in re.finditer(pattern, html, re.S):
        out[(m.group(1), m.group(2), m.group(3))] = m.group(4)
    return out


def test_report_keeps_quick_results_apart_from_reference_results(walk: Walk) -> None:
    out = walk.steps["report"].stdout
    assert "shown apart (never averaged together):" in out
    assert "quick preset, tiny arrays: 1 machine(s) (this machine)" in out
    assert "default preset, tiny arrays: 1 machine(s) (this machine)" in out
    assert "default preset, small arrays: 1 machine(s) (reference)" in out

    data = json.loads((walk.clone / "report" / "report.json").read_text())
    by_group = {(s["id"], s["preset"], s["size"]): s for s in data["sections"]}
    roles = {k: {m["role"] for m in s["machines"]} for k, s in by_group.items()}
    assert roles[(MODALITY, "quick", "tiny")] == {"this machine"}
    assert roles[(MODALITY, "default", "tiny")] == {"this machine"}
    assert roles[(MODALITY, "default", "small")] == {"reference"}
    for key, s in by_group.items():
        ids = {m["id"] for m in s["machines"]}
        assert (walk.machine_id in ids) == (key[1:] != ("default", "small")), key
    # recommendations are ranked per preset and size, from that group's machines only
    recs = [r for r in data["recommendations"] if r["modality"] == MODALITY]
    assert {(r["preset"], r["size"]) for r in recs} == {
        ("quick", "tiny"),
        ("default", "tiny"),
        ("default", "small"),
    }
    assert all(r["machines"] == 1 for r in recs)

    html = (walk.clone / "report" / "index.html").read_text()
    sections = _sections(html)
    quick = sections[(MODALITY, "quick", "tiny")]
    assert "Quick preset: a smoke test" in quick
    assert "(this machine)" in quick and "(reference)" not in quick
    reference = sections[(MODALITY, "default", "small")]
    assert "(reference)" in reference and "(this machine)" not in reference
    assert "Quick preset" not in reference
    assert re.search(
        rf'<tr data-modality="{MODALITY}" data-profile="[a-z]+" data-preset="quick" '
        r'data-size="tiny">',
        html,
    )


# --- upload sends this machine's results only; the remote holds them ----------------------


def test_upload_sends_only_this_machines_results_and_names_the_skipped(walk: Walk) -> None:
    out = walk.steps["upload"].stdout
    results = walk.clone / "results"
    mine = set(walk.runs["run A"] + walk.runs["run B"])
    (quick,) = walk.runs["quickstart"]
    uploaded = set(re.findall(r"^uploaded\s+(\S+)$", out, re.M))
    environments = {f"info_environment-{n.split('_environment-')[1]}" for n in mine}
    assert uploaded == mine | environments | {f"info_machine-{walk.machine_id}.json"}
    skipped = set(re.findall(r"^  (\S+\.json)$", out, re.M))
    others = {
        p.name
        for p in results.glob("*.json")
        if p.name.startswith(("result_", "info_machine-")) and walk.machine_id not in p.name
    }
    assert others, "the clone has committed reference results"
    # a reference environment file no result of this machine refers to (where this
    # machine's packages differ from the reference machine's) is left out as well
    others |= {
        p.name for p in results.glob("info_environment-*.json") if p.name not in environments
    }
    assert skipped == others | {quick}
    assert "quick result: never uploaded" in out
    assert re.search(r"skipped \d+ file\(s\): result of another machine", out)
    assert re.search(rf"^{len(uploaded)} uploaded, {len(skipped)} skipped, 0 rejected", out, re.M)

    held = remote_files(walk.bare)
    stored = [h for h in held if h.startswith("results/result_")]
    assert len(stored) == 2 and all(walk.machine_id in h for h in stored)
    assert not any(o.removesuffix(".json") in h for o in others for h in held)


def test_compare_of_two_runs(walk: Walk) -> None:
    step = walk.steps["compare"]
    out = step.stdout
    assert "NEW vs BASE" in out
    for name in ("Read.time_read", "Write.time_write", "Write.track_compression_ratio"):
        assert f"bench_{name.split('.')[0].lower()}.{name}" in out, out
    # the exit code says what the last line says
    verdict = "regressions found" if step.returncode == 1 else "no regression"
    assert verdict in out, out
