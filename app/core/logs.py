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

LOG_BYTES = 1_000_000
LOG_BACKUPS = 3
_MARK = "_hearsay_log"


def setup_logging(level: int = logging.INFO) -> Path:
    """Attach the rotating file handler to the root logger and return the log file path.

    Idempotent for one log folder. When the folder changed since the last call
    (``HEARSAY_HOME`` moved, as between tests), the handler of the old file is
    closed and replaced, so one process never writes to two log files.
    """
    log_file = paths.log_dir() / "hearsay.log"
    root = logging.getLogger()
    current = False
    for handler in list(root.handlers):
        if not getattr(handler, _MARK, False):
            continue
        if Path(handler.baseFilename) == log_file:
            current = True
        else:
            root.removeHandler(handler)
            handler.close()
    if not current:
        # backslashreplace: a file name that is not UTF-8 (bad\udcffname.wav) is logged, not a "Logging error" on stderr
        handler = RotatingFileHandler(log_file, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8",
                                      errors="backslashreplace")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    root.setLevel(level)
    return log_file
