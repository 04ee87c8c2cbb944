"""Where the harness keeps per-user state: `HARNESS_HOME` if set (tests, CI), else platformdirs."""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "takehome-harness"


def config_dir() -> Path:
    home = os.environ.get("HARNESS_HOME")
    return Path(home) / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    home = os.environ.get("HARNESS_HOME")
    return Path(home) / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """Results the harness can always recompute (a variant's reference scores); safe to delete."""
    home = os.environ.get("HARNESS_HOME")
    return Path(home) / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME))
