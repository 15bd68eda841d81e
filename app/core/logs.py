"""Hearsay's log file: ``paths.log_dir()/hearsay.log``, rotating (1 MB x 3).

Tracebacks go here, never to the user's screen. At the default level (INFO)
no transcript or response text is logged.
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from app.core import paths

LOG_BYTES = 1_000_000
LOG_BACKUPS = 3


def setup_logging(level: int = logging.INFO) -> Path:
    """Attach the rotating file handler to the root logger (once); return the log file path."""
    log_file = paths.log_dir() / "hearsay.log"
    root = logging.getLogger()
    if not any(isinstance(h, RotatingFileHandler) and Path(h.baseFilename) == log_file for h in root.handlers):
        handler = RotatingFileHandler(log_file, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    return log_file
