"""The GitHub Actions workflows parse and call only commands and options that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from zarr_benchmarks.cli import app

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), f"{path.name}: not a mapping"
    # YAML 1.1 reads the bare key `on` as True
    if True in doc:
        doc["on"] = doc.pop(True)
    return doc


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def _cli_calls(doc: dict[str, Any]) -> list[list[str]]:
    """Each ``zarr-benchmarks ...`` command line in the run steps, as tokens."""
    calls = []
    for step in _steps(doc):
        script = step.get("run", "")
        script = re.sub(r"\\\n\s*", " ", script)  # join continued lines
        for line in script.splitlines():
            for part in re.split(r"&&|\|\||;|\|", line):
                tokens = shlex.split(part.strip(), comments=True) if part.strip() else []
                if "zarr-benchmarks" in tokens:
                    calls.append(tokens[tokens.index("zarr-benchmarks") + 1 :])
    return calls


def _options(command: Any) -> set[str]:
    return {o for p in command.params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")}


def test_there_are_the_four_workflows() -> None:
    assert {p.name for p in FILES} >= {
        "tests.yml",
        "pr-benchmarks.yml",
        "scheduled.yml",
        "zarr-ab.yml",
    }


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_workflow_is_well_formed(path: Path) -> None:
    doc = _load(path)
    assert doc.get("name") and doc.get("on") and doc.get("jobs"), path.name
    for job_id, job in doc["jobs"].items():
        assert job.get("runs-on"), f"{path.name}: job {job_id} has no runs-on"
        assert job.get("steps"), f"{path.name}: job {job_id} has no steps"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"{path.name}: {step}"
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]
    text = path.read_text(encoding="utf-8")
    assert text.count("${{") == text.count("}}"), f"{path.name}: unbalanced expression"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_workflow_calls_only_existing_commands_and_options(path: Path) -> None:
    # typer may vendor its own click: duck-type the group instead of isinstance checks
    group = typer.main.get_command(app)
    assert hasattr(group, "commands")
    for tokens in _cli_calls(_load(path)):
        assert tokens, f"{path.name}: bare zarr-benchmarks call"
        command = group.commands.get(tokens[0])
        assert command is not None, (
            f"{path.name}: `zarr-benchmarks {tokens[0]}` is not a command "
            f"(have: {', '.join(sorted(group.commands))})"
        )
        rest = tokens[1:]
        if hasattr(command, "commands"):
            command = command.commands.get(rest[0]) if rest else None
            assert command is not None, f"{path.name}: unknown subcommand in {tokens}"
            rest = rest[1:]
        for tok in rest:
            if tok.startswith("--"):
                opt = tok.split("=", 1)[0]
                assert opt in _options(command), f"{path.name}: {tokens[0]} has no option {opt}"


def test_triggers_and_key_steps() -> None:
    tests = _load(WORKFLOWS / "tests.yml")
    assert {"push", "pull_request"} <= set(tests["on"])
    assert any(s.get("run", "").strip() == "bash .ci/run" for s in _steps(tests))

    pr = _load(WORKFLOWS / "pr-benchmarks.yml")
    assert set(pr["on"]) == {"pull_request"}
    assert pr["permissions"]["pull-requests"] == "write"
    calls = _cli_calls(pr)
    ab = [c for c in calls if c[:1] == ["run"] and "--against" in c]
    assert ab and ab[0][ab[0].index("--against") + 1] == "origin/$BASE_REF"
    assert ab[0][ab[0].index("--preset") + 1] == "quick"
    steps = _steps(pr)
    assert any(s.get("uses", "").startswith("actions/github-script@") for s in steps)
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # the base branch is needed for the worktree
    # the comment posts the file that `run --against` writes
    from zarr_benchmarks.analyse.ab import DEFAULT_OUTPUT

    assert (
        f"{DEFAULT_OUTPUT.as_posix()}/comparison.md"
        in (WORKFLOWS / "pr-benchmarks.yml").read_text()
    )

    sched = _load(WORKFLOWS / "scheduled.yml")
    crons = [c["cron"] for c in sched["on"]["schedule"]]
    assert crons and all(len(c.split()) == 5 for c in crons)
    assert any(c[:1] == ["run"] for c in _cli_calls(sched))
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") for s in _steps(sched))


def test_reusable_environment_ab_workflow() -> None:
    doc = _load(WORKFLOWS / "zarr-ab.yml")
    inputs = doc["on"]["workflow_call"]["inputs"]
    assert inputs["base"]["required"] and inputs["new"]["required"]
    calls = [c for c in _cli_calls(doc) if c[:1] == ["ab"]]
    assert calls and all(c[c.index("--base") + 1] == "$BASE" for c in calls)
    assert all(c[c.index("--new") + 1] == "$NEW" for c in calls)
    text = (WORKFLOWS / "zarr-ab.yml").read_text()
    assert "${{ inputs.base }}" in text and "${{ inputs.new }}" in text  # via env, not inline


def test_ci_script_exists() -> None:
    assert (ROOT / ".ci" / "run").is_file(), "tests.yml runs `bash .ci/run`, which is missing"


def test_checker_catches_unknown_commands_and_options(tmp_path: Path) -> None:
    """The check above is not vacuous: a made-up command or option is caught."""
    group = typer.main.get_command(app)
    bad = {"jobs": {"j": {"steps": [{"run": "zarr-benchmarks compare a b \\\n  --no-such-flag"}]}}}
    ((cmd, *rest),) = _cli_calls(bad)
    assert cmd == "compare" and "--no-such-flag" not in _options(group.commands[cmd])
    assert rest[-1] == "--no-such-flag"
    assert "frobnicate" not in group.commands
