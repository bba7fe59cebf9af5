"""The fenced shell and Python blocks of README.md and docs/*.md, and a runner for them.

The docs test (``test_doc_blocks.py``) parametrises one test per block found here, so
a new document or block is picked up without editing the test.

Executed languages: ``bash``, ``sh``, ``shell`` and ``python`` (the whole block) and
``console`` (the ``$ `` lines and their ``\\`` continuations; a console block without
any ``$`` line is run whole). Every other fence (``text``, ``json``, ``toml``, none) is
output or an example and is not run.

A block that must not run carries, on the line directly above its fence::

    <!-- docs-test: skip: <reason> -->

The reason is required: a marker without one, with another directive, or not directly
above an executed block is reported as a problem of that block (the test fails).

:class:`DocSession` runs the blocks of one document in order, each in its own ``bash``
process, but in one shell state: exported and assigned variables (``set -a``) and the
working directory carry over from one block to the next. Python blocks run with the
test's interpreter in that same state (environment and working directory).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

#: fence language -> how the block is executed
EXECUTED: dict[str, str] = {
    "bash": "shell",
    "sh": "shell",
    "shell": "shell",
    "console": "console",
    "python": "python",
}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*?)[ \t]*$")
_MARKER = re.compile(r"^\s*<!--\s*docs-test:(?P<rest>.*?)-->\s*$")
_SKIP = re.compile(r"^\s*skip\s*(?::(?P<reason>.*))?$")


@dataclass(frozen=True)
class Block:
    """One fenced block of a document.

    ``line`` is the 1-based line of the opening fence; ``problem`` is set when the
    block's docs-test marker is malformed or misplaced.
    """

    doc: str
    line: int
    lang: str
    code: str
    skip_reason: str | None = None
    problem: str | None = None

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"

    @property
    def executed(self) -> bool:
        return self.lang in EXECUTED


def documents(root: Path) -> list[Path]:
    """README.md and every docs/*.md of the repository at ``root``."""
    docs = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    return [d for d in docs if d.is_file()]


def console_commands(code: str) -> str:
    """The commands of a console block: ``$ `` lines and their continuation lines."""
    lines = code.splitlines()
    if not any(line.startswith("$") for line in lines):
        return code
    commands: list[str] = []
    continued = False
    for line in lines:
        if line.startswith("$"):
            commands.append(line[1:].removeprefix(" "))
        elif continued:
            commands.append(line)
        else:
            continue
        continued = line.rstrip().endswith("\\")
    return "\n".join(commands) + "\n"


def _marker(lines: list[str], fence_index: int) -> tuple[str | None, str | None]:
    """(skip reason, problem) from the line directly above the fence at ``fence_index``."""
    if fence_index == 0:
        return None, None
    m = _MARKER.match(lines[fence_index - 1])
    if m is None:
        return None, None
    skip = _SKIP.match(m.group("rest"))
    if skip is None:
        return None, (
            f"docs-test marker {lines[fence_index - 1].strip()!r} is not "
            "'<!-- docs-test: skip: <reason> -->'"
        )
    reason = (skip.group("reason") or "").strip()
    if not reason:
        return None, "docs-test skip marker without a reason ('<!-- docs-test: skip: <reason> -->')"
    return reason, None


def extract(path: Path, name: str | None = None) -> list[Block]:
    """Every fenced block of the Markdown file ``path`` (``name`` labels them).

    A docs-test marker that is not directly above an executed block becomes a
    problem block at the marker's own line, so a misplaced marker fails too.
    """
    name = name or path.name
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    used_markers: set[int] = set()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        fence = m.group("fence")
        lang = m.group("info").split()[0].lower() if m.group("info").strip() else ""
        end = i + 1
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        prefix = m.group("indent")
        body = textwrap.dedent("\n".join(line.removeprefix(prefix) for line in lines[i + 1 : end]))
        reason, problem = _marker(lines, i)
        if reason is not None or problem is not None:
            used_markers.add(i - 1)
        if lang not in EXECUTED and (reason is not None or problem is not None):
            reason, problem = (
                None,
                f"docs-test marker above a {lang or 'plain'} block, which never runs",
            )
        code = console_commands(body + "\n") if lang == "console" else body + "\n"
        blocks.append(Block(name, i + 1, lang, code, reason, problem))
        i = end + 1
    for j, line in enumerate(lines):
        if _MARKER.match(line) and j not in used_markers:
            blocks.append(
                Block(
                    name, j + 1, "", "", None, "docs-test marker not directly above a fenced block"
                )
            )
    return sorted(blocks, key=lambda b: b.line)


def executed_blocks(root: Path) -> list[Block]:
    """The executed blocks (and marker problems) of every document, in document order."""
    found: list[Block] = []
    for doc in documents(root):
        rel = doc.relative_to(root).as_posix()
        found += [b for b in extract(doc, rel) if b.executed or b.problem]
    return found


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    """What running one block gave."""

    returncode: int
    output: str
    timed_out: bool = False


_PROLOGUE = """\
set -a
if [ -f "$DOCS_TEST_STATE/env" ]; then . "$DOCS_TEST_STATE/env"; fi
cd "$(cat "$DOCS_TEST_STATE/cwd")"
_docs_test_save() {
  _docs_test_rc=$?
  set +e
  export -p | grep -v -E '^declare -[a-z]*x[a-z]* (PWD|OLDPWD|SHLVL|_|DOCS_TEST_STATE)=' \\
    > "$DOCS_TEST_STATE/env.new" && mv "$DOCS_TEST_STATE/env.new" "$DOCS_TEST_STATE/env"
  pwd > "$DOCS_TEST_STATE/cwd"
  exit "$_docs_test_rc"
}
trap _docs_test_save EXIT
set -eo pipefail
"""


@dataclass
class DocSession:
    """Runs the blocks of one document in order, in one shell state, in ``workdir``.

    ``start`` is the working directory of the first block; ``env`` the environment
    the first block starts with; ``python`` the interpreter for Python blocks.
    """

    blocks: list[Block]
    workdir: Path
    start: Path
    env: dict[str, str]
    python: str
    timeout: float = 300.0
    outcomes: dict[int, Outcome] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.state = self.workdir / "state"
        self.state.mkdir(parents=True, exist_ok=True)
        (self.state / "cwd").write_text(str(self.start) + "\n")

    def run(self, block: Block) -> Outcome:
        """Run ``block``, first running every earlier runnable block not run yet."""
        for earlier in self.blocks:
            if earlier.line > block.line:
                break
            if earlier.line not in self.outcomes and not (earlier.skip_reason or earlier.problem):
                self.outcomes[earlier.line] = self._execute(earlier)
        return self.outcomes[block.line]

    def _execute(self, block: Block) -> Outcome:
        n = block.line
        body = block.code
        if block.lang == "python":
            source = self.state / f"block_{n}.py"
            source.write_text(block.code, encoding="utf-8")
            body = f'"$DOCS_TEST_PYTHON" {_quote(str(source))}\n'
        script = self.state / f"block_{n}.sh"
        script.write_text(_PROLOGUE + body, encoding="utf-8")
        log = self.state / f"block_{n}.log"
        env = {**self.env, "DOCS_TEST_STATE": str(self.state), "DOCS_TEST_PYTHON": self.python}
        with open(log, "wb") as out:
            # Own session: whatever the block leaves running is stopped with it.
            proc = subprocess.Popen(
                ["bash", "--noprofile", "--norc", str(script)],
                cwd=self.start,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            timed_out = False
            try:
                proc.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                _stop_group(proc)
        return Outcome(proc.returncode, log.read_text(errors="replace"), timed_out)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the block's process group (background servers included) and reap ``proc``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)  # polls the group's end, bounded by the deadline
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"
