"""Where the project keeps files of its own on this machine (platformdirs decides).

On Linux these are ``$XDG_CACHE_HOME/zarr-benchmarks`` (``~/.cache/...``) and
``$XDG_CONFIG_HOME/zarr-benchmarks`` (``~/.config/...``); other systems get their own
conventions. Nothing identifying is written in them that leaves the machine.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

__all__ = ["cache_dir", "config_dir"]

APP = "zarr-benchmarks"


def cache_dir() -> Path:
    """The user's cache folder for this project (not created)."""
    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def config_dir() -> Path:
    """The user's configuration folder for this project (not created)."""
    return Path(platformdirs.user_config_dir(APP, appauthor=False))
