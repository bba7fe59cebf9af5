"""Every shell and Python block of README.md and docs/*.md runs (docs/CONTRIBUTING-agents.md).

One test per block, id ``doc:line``. The blocks of one document run in order in one
shell state (``doc_blocks.DocSession``), from a fresh copy of the repository (tracked and
untracked files, as the other suite tests do) with its ``.venv`` pointing at the test's
virtual environment, an empty HOME, and the suite's environment variables set to the
smallest matrix (quick preset, tiny arrays, one modality and one codec), so that
``zarr-benchmarks run`` and plain ``asv run`` finish in seconds. A block marked
``<!-- docs-test: skip: <reason> -->`` is reported as skipped with its reason.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import REPO_ROOT, VENV_BIN, make_suite_clone
from doc_blocks import Block, DocSession, executed_blocks

BLOCKS = executed_blocks(REPO_ROOT)

#: the smallest matrix the suite knows; blocks that name their own values override these
TINY = {
    "ZARR_BENCHMARKS_PRESET": "quick",
    "ZARR_BENCHMARKS_SIZE": "tiny",
    "ZARR_BENCHMARKS_MODALITIES": "ct",
    "ZARR_BENCHMARKS_CODECS": "zstd-3",
}

#: variables of the developer's shell that would make a block see more than a newcomer
_DROPPED_PREFIXES = ("ZARR_BENCHMARKS_", "XDG_", "VIRTUAL_ENV", "PYTHONPATH", "PIP_")


def block_env(home: Path) -> dict[str, str]:
    """A newcomer's environment: empty HOME, the test venv first on PATH, tiny sizes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES)}
    env.update(TINY)
    env.update(
        HOME=str(home),
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        COLUMNS="80",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


@pytest.fixture(scope="module")
def doc_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], DocSession]]:
    """The session of a document, made (fresh copy, empty HOME) when first needed."""
    sessions: dict[str, DocSession] = {}

    def get(doc: str) -> DocSession:
        if doc not in sessions:
            work = tmp_path_factory.mktemp(doc.replace("/", "_").removesuffix(".md"))
            repo = make_suite_clone(work / "repo")
            # `.venv/bin/...` in a block is the interpreter running these tests.
            (repo / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
            home = work / "home"
            home.mkdir()
            sessions[doc] = DocSession(
                blocks=[b for b in BLOCKS if b.doc == doc],
                workdir=work,
                start=repo,
                env=block_env(home),
                python=str(Path(sys.prefix) / "bin" / "python"),
            )
        return sessions[doc]

    yield get


def _tail(text: str, lines: int = 80) -> str:
    kept = text.splitlines()[-lines:]
    return "\n".join(kept)


def test_the_docs_have_blocks() -> None:
    """The extractor finds the documents' blocks (an empty list would pass vacuously)."""
    docs = {b.doc for b in BLOCKS}
    assert "README.md" in docs and len(docs) >= 5, docs
    assert sum(1 for b in BLOCKS if not b.skip_reason and not b.problem) >= 10


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_doc_block(block: Block, doc_session: Callable[[str], DocSession]) -> None:
    if block.problem:
        pytest.fail(f"{block.id}: {block.problem}", pytrace=False)
    if block.skip_reason:
        pytest.skip(f"{block.id}: {block.skip_reason}")
    outcome = doc_session(block.doc).run(block)
    if outcome.timed_out or outcome.returncode != 0:
        what = "timed out" if outcome.timed_out else f"exited {outcome.returncode}"
        pytest.fail(
            f"{block.id} ({block.lang}) {what}\n--- block ---\n{block.code}"
            f"--- output (end) ---\n{_tail(outcome.output)}",
            pytrace=False,
        )
