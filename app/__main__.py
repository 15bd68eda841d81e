"""The ``hearsay`` command and ``python -m app``: the command line, or the window when no command is given.

This is the one module above both front ends: ``app.cli`` runs ``analyze``,
``history`` and ``models`` without Qt, and hands ``hearsay [FILE...]`` to
``open_window``, which imports the window (``app.ui``) only then.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from app import cli


def open_window(files: Sequence[str]) -> int:
    """Open the window with ``files`` queued; returns the exit code when it closes."""
    from app.ui.launch import run_gui

    return run_gui(files)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``hearsay``: ``app.cli.main`` with the window behind "no command"."""
    return cli.main(argv, open_window=open_window)


if __name__ == "__main__":
    sys.exit(main())
