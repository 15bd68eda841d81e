"""Hearsay's log file: ``paths.log_dir()/hearsay.log``, rotating (1 MB x 3).

Tracebacks go here, never to the user's screen. At the default level (INFO)
no transcript, prompt or response text is logged: Hearsay's own messages
carry counts, times and file names only, and llama.cpp's lines (which
``app.core.llm.llama_logs`` routes here) are DEBUG, below that level
(tests/unit/test_logs_private.py checks both on a real analysis).
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from app.core import paths
from app.core.errors import FolderError

LOG_BYTES = 1_000_000
LOG_BACKUPS = 3
_MARK = "_hearsay_log"


def setup_logging(level: int = logging.INFO) -> Path:
    """Attach the rotating file handler to the root logger and return the log file path.

    Idempotent for one log folder. When the folder changed since the last call
    (``HEARSAY_HOME`` moved, as between tests), the handler of the old file is
    closed and replaced, so one process never writes to two log files.

    Raises FolderError when the log folder cannot be created or the log file
    cannot be opened (a read-only place); the process then logs nowhere, and
    still never to the screen (a do-nothing handler stands in for the file).
    """
    root = logging.getLogger()
    root.setLevel(level)
    try:
        log_file = paths.log_dir() / "hearsay.log"
    except FolderError:
        _replace_handlers(root, None)
        raise
    if not _replace_handlers(root, log_file):
        try:
            # backslashreplace: a file name that is not UTF-8 (bad\udcffname.wav) is logged, not a "Logging error"
            handler = RotatingFileHandler(log_file, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8",
                                          errors="backslashreplace")
        except OSError as exc:
            _replace_handlers(root, None)
            raise FolderError(f"cannot write the log file {log_file}: {exc.strerror or exc}", log_file.parent) \
                from None
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    return log_file


def _replace_handlers(root: logging.Logger, log_file: Path | None) -> bool:
    """Drop Hearsay's handlers that do not write ``log_file``; True when one writing it is kept. With
    ``log_file`` None, a do-nothing handler is put in their place (else Python's last-resort handler would
    print warnings and tracebacks on stderr)."""
    current = False
    for handler in list(root.handlers):
        if not getattr(handler, _MARK, False):
            continue
        if log_file is not None and Path(getattr(handler, "baseFilename", "")) == log_file:
            current = True
        else:
            root.removeHandler(handler)
            handler.close()
    if log_file is None:
        silent = logging.NullHandler()
        setattr(silent, _MARK, True)
        root.addHandler(silent)
    return current
