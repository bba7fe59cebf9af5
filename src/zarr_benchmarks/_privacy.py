"""Privacy: remove what identifies a machine or person from text that leaves it.

:func:`scrub` removes home paths, the hostname, the user name and IP/MAC addresses. It
is used by every stage that writes logs or messages (the asv wrapper, the machine
description, the A/B drivers, the CLI), so it lives below all of them.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import platform
import pwd
import re
import socket
from collections.abc import Iterable, Mapping
from functools import cache
from typing import overload

__all__ = ["SECRET_VARIABLES", "scrub", "without_secrets"]

#: environment variables holding credentials: never handed to a child process
#: (asv, git, the A/B sides) that does not need them
SECRET_VARIABLES = (
    "ZARR_BENCHMARKS_TOKEN",
    "ZARR_BENCHMARKS_TOKENS",
    "ZARR_BENCHMARKS_GIT_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
)


def without_secrets(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``env`` without :data:`SECRET_VARIABLES`."""
    return {k: v for k, v in env.items() if k not in SECRET_VARIABLES}


@cache
def _private_patterns() -> list[tuple[re.Pattern[str], str]]:
    homes = {os.path.expanduser("~")}
    with contextlib.suppress(KeyError, OSError):
        homes.add(pwd.getpwuid(os.getuid()).pw_dir)
    hosts = {socket.gethostname(), platform.node()}
    users = set()
    with contextlib.suppress(Exception):
        users.add(getpass.getuser())
    pats: list[tuple[re.Pattern[str], str]] = []
    for home in sorted((h for h in homes if h and h != "/"), key=len, reverse=True):
        pats.append((re.compile(re.escape(home.rstrip("/")) + r"(?=/|\b|$)"), "~"))
        # asv names an existing environment after its interpreter path with "/" -> "_"
        # (existing-py_home_alice_venv_bin_python): the home in that form too, only there
        # (a bare "_root" elsewhere is an ordinary word)
        flat = home.rstrip("/").replace("/", "_")
        pats.append((re.compile(r"(?<=existing-py)" + re.escape(flat) + r"(?=_|\b|$)"), "_~"))
    for host in sorted((h for h in hosts if h), key=len, reverse=True):
        pats.append((re.compile(rf"(?<![\w.-]){re.escape(host)}(?![\w-])"), "<host>"))
    for user in sorted((u for u in users if u), key=len, reverse=True):
        pats.append((re.compile(rf"(?<![\w.-]){re.escape(user)}(?![\w-])"), "<user>"))
    pats.append((re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "<ip>"))
    pats.append((re.compile(r"\b(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}\b"), "<mac>"))
    return pats


@overload
def scrub(text: str) -> str: ...
@overload
def scrub(text: list[str] | tuple[str, ...]) -> list[str]: ...  # not Iterable: str is one too
def scrub(text: str | Iterable[str]) -> str | list[str]:
    """Remove home paths, hostname, user name and IP/MAC addresses from text."""
    if not isinstance(text, str):
        return [scrub(t) for t in text]
    for pattern, repl in _private_patterns():
        text = pattern.sub(repl, text)
    return text
