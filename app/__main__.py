"""The ``hearsay`` command and ``python -m app``: the command line, or the window when no command is given.

This is the one module above both front ends: ``app.cli`` runs ``analyze``,
``history`` and ``models`` without Qt, and hands ``hearsay [FILE...]`` to
``open_window``, which imports the window (``app.ui``) only then.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence


def open_window(files: Sequence[str]) -> int:
    """Open the window with ``files`` queued; returns the exit code when it closes."""
    from app.ui.launch import run_gui

    return run_gui(files)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``hearsay``: ``app.cli.main`` with the window behind "no command", in charge of the
    process (a second Ctrl+C, SIGTERM or SIGHUP may end it at once, see ``app.cli.stops``)."""
    _quiet_stop_signals()
    from app import cli  # after the handlers: importing it takes a few tenths of a second

    return cli.main(argv, open_window=open_window, own_process=True)


def _quiet_stop_signals() -> None:
    """Until ``app.cli`` installs its own handlers: Ctrl+C, SIGTERM or SIGHUP while Hearsay starts (nothing
    is written yet) ends the process with 128 + the signal's number, saying so in one line, without a
    traceback. A signal the process was started ignoring (``nohup``) stays ignored.

    The handler leaves with ``os._exit`` rather than raising ``SystemExit``: raised in the middle of the
    imports, an exception can be lost (CPython's import machinery drops one raised in some of its own
    steps, such as a module lock's callback), and the run would go on after the "interrupted" line.
    Nothing needs tearing down yet: no file is open for writing and no thread is started."""

    def stop(signo, _frame):
        name = "" if signo == signal.SIGINT else f" by {signal.Signals(signo).name}"
        try:
            print(f"hearsay: interrupted{name}", file=sys.stderr, flush=True)
        except (OSError, ValueError):
            pass
        os._exit(128 + signo)

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name) and signal.getsignal(getattr(signal, name)) is not signal.SIG_IGN:
            signal.signal(getattr(signal, name), stop)


if __name__ == "__main__":
    sys.exit(main())
