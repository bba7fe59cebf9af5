"""The docs test's extractor and runner (doc_blocks.py) on small hand-written documents."""

from __future__ import annotations

import sys
from pathlib import Path

from doc_blocks import DocSession, console_commands, executed_blocks, extract

SAMPLE = """\
# Title

```bash
echo one
```

```text
not run
```

<!-- docs-test: skip: needs a server -->
```sh
serve forever
```

  ```python
  print("indented in a list")
  ```

<!-- docs-test: skip -->
```bash
echo marker without a reason
```

<!-- docs-test: skip: nothing below -->

Some text.

```json
{"a": 1}
```
"""


def _doc(tmp_path: Path, text: str = SAMPLE, name: str = "README.md") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_languages_lines_markers_and_problems(tmp_path: Path) -> None:
    blocks = {b.line: b for b in extract(_doc(tmp_path))}
    assert blocks[3].lang == "bash" and blocks[3].code == "echo one\n"
    assert not blocks[7].executed  # text
    assert blocks[12].skip_reason == "needs a server"
    assert blocks[16].lang == "python" and blocks[16].code == 'print("indented in a list")\n'
    assert blocks[21].problem and "without a reason" in blocks[21].problem
    assert blocks[25].problem and "not directly above" in blocks[25].problem
    assert not blocks[29].executed and blocks[29].problem is None  # json, no marker


def test_a_marker_on_an_output_block_is_a_problem(tmp_path: Path) -> None:
    text = "<!-- docs-test: skip: why -->\n```text\nout\n```\n"
    (block,) = extract(_doc(tmp_path, text))
    assert block.problem and "never runs" in block.problem


def test_new_documents_are_picked_up(tmp_path: Path) -> None:
    _doc(tmp_path)
    _doc(tmp_path, "```console\n$ echo two\ntwo\n```\n", "docs/new.md")
    ids = [b.id for b in executed_blocks(tmp_path)]
    assert ids == [
        "README.md:3",
        "README.md:12",
        "README.md:16",
        "README.md:21",
        "README.md:25",
        "docs/new.md:1",
    ]


def test_console_blocks_run_their_dollar_lines_and_continuations() -> None:
    code = "$ echo a \\\n    b\na b\n$ ls\nfile\n"
    assert console_commands(code) == "echo a \\\n    b\nls\n"
    assert console_commands("echo plain\n") == "echo plain\n"


def _session(tmp_path: Path, text: str) -> tuple[DocSession, list]:
    blocks = [b for b in extract(_doc(tmp_path, text)) if b.executed]
    work = tmp_path / "work"
    start = tmp_path / "start"
    start.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    return DocSession(blocks, work, start, env, sys.executable, timeout=60), blocks


def test_blocks_of_a_document_share_variables_and_the_directory(tmp_path: Path) -> None:
    text = (
        "```bash\nmkdir sub && cd sub\nGREETING=hello\nexport OTHER=x\n```\n"
        '```bash\necho "$GREETING $OTHER" > out.txt\n```\n'
        "```python\nimport os, pathlib\n"
        "print(pathlib.Path('out.txt').read_text().strip(), os.environ['GREETING'])\n```\n"
    )
    session, blocks = _session(tmp_path, text)
    last = session.run(blocks[-1])  # runs the two shell blocks first
    assert last.returncode == 0, last.output
    assert last.output.strip() == "hello x hello"
    assert (tmp_path / "start" / "sub" / "out.txt").read_text() == "hello x\n"


def test_a_failing_command_fails_its_block_and_later_blocks_still_run(tmp_path: Path) -> None:
    text = "```bash\nfalse\necho not reached\n```\n```bash\necho after\n```\n"
    session, blocks = _session(tmp_path, text)
    first = session.run(blocks[0])
    assert first.returncode == 1 and "not reached" not in first.output
    assert session.run(blocks[1]).output == "after\n"


def test_a_block_that_outlives_its_timeout_is_stopped_with_its_children(tmp_path: Path) -> None:
    text = "```bash\nsleep 300 &\necho $! > child.pid\nsleep 300\n```\n"
    session, blocks = _session(tmp_path, text)
    session.timeout = 2
    outcome = session.run(blocks[0])
    assert outcome.timed_out
    child = int((tmp_path / "start" / "child.pid").read_text())
    assert not Path(f"/proc/{child}").exists() or "Z" in _state(child)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (FileNotFoundError, IndexError):
        return "Z"
