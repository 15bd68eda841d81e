"""Where Hearsay keeps its files, per platform (platformdirs).

``HEARSAY_HOME`` overrides all of them (tests point it at a temporary folder):
then config, cache, log and data live in ``$HEARSAY_HOME/{config,cache,log,data}``.
``HEARSAY_DATA_DIR`` moves only the data folder (the history library and user
models), e.g. to keep the library on an encrypted volume; it wins over ``HEARSAY_HOME``.

Each function creates its folder on first use and raises ``FolderError`` (one
sentence naming the folder and the cause) when it cannot: a file stands where
the folder or one of its parents should be, or the place is read-only. Callers
decide what still runs without it (the log, the cache and the history library
are each optional to an analysis).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from app.core.errors import FolderError

APP_NAME = "Hearsay"


def _dir(kind: str) -> Path:
    home = os.environ.get("HEARSAY_HOME")
    data = os.environ.get("HEARSAY_DATA_DIR") if kind == "data" else None
    if data:
        path = Path(data)
    elif home:
        path = Path(home) / kind
    else:
        path = Path(getattr(platformdirs, f"user_{kind}_dir")(APP_NAME, appauthor=False))
    # Private to the user (0700 when Hearsay creates it): the history library, the KV states and the
    # logs hold transcripts or the names of recordings.
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise FolderError(f"cannot create the folder {path}: {_cause(path, exc)}", path) from None
    return path


def _cause(path: Path, exc: OSError) -> str:
    """Why ``path`` could not be made a folder, naming the file in the way when there is one."""
    for place in (path, *path.parents):
        if place.exists() or place.is_symlink():
            if not place.is_dir():
                return f"{place} is a file, not a folder"
            break
    return exc.strerror or str(exc)


def config_dir() -> Path:
    """Settings folder (created on first use). Raises FolderError."""
    return _dir("config")


def cache_dir() -> Path:
    """Cache folder: checksum results and other things safe to delete. Raises FolderError."""
    return _dir("cache")


def log_dir() -> Path:
    """Log folder: ``hearsay.log`` with tracebacks that the user is not shown. Raises FolderError."""
    return _dir("log")


def data_dir() -> Path:
    """User data folder: the history library (``library.sqlite3``); ``data_dir()/models`` is searched
    for model files. Raises FolderError."""
    return _dir("data")
