"""Hearsay's command line.

``hearsay [FILE...]`` opens the window (with FILEs queued); ``hearsay analyze
FILE...`` runs headless on the same core without importing Qt; ``hearsay
history`` reads the history library; ``hearsay models`` lists the models and
checks their checksums, and downloads (the one command that goes online, and only
to the hub named), imports and removes models.

Exit codes of ``analyze``: 0 every file succeeded, 1 some file (or prompt)
failed while the others were still written, 2 bad usage; stopped by a signal,
128 + its number: 130 Ctrl+C (SIGINT), 143 SIGTERM, 129 SIGHUP. The first such
signal stops the run cleanly (what is finished is written and kept in the
history, the files in progress are stored as cancelled and can be resumed); a
second one stops waiting for the engines and exits at once, also with
128 + the first signal's number (``app.cli.stops``).

Folders Hearsay cannot write (``HEARSAY_HOME`` is a file, or read-only) never
stop what can run without them: no log file (said in the one place that
points at it), no cache, and the history library said in one line by the
command that needs it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from app.cli.analyze import EXIT_FAILED, EXIT_USAGE, run_analyze
from app.cli.models import run_models
from app.cli.stops import StopSignals
from app.core.errors import HearsayError
from app.core.logs import setup_logging

SUBCOMMANDS = ("analyze", "history", "models", "voices")
log = logging.getLogger("hearsay.cli")


def build_gui_parser() -> argparse.ArgumentParser:
    """The parser for ``hearsay [FILE...]`` (the window)."""
    parser = argparse.ArgumentParser(
        prog="hearsay",
        description="Hearsay: local, private audio-to-LLM. With no command, opens the window.",
        epilog="commands:\n  analyze FILE...   run headless (see `hearsay analyze --help`)\n"
        "  history [list|search|show|export|delete|resume] past analyses (see `hearsay history --help`)\n"
        "  models [list|download|import|remove] models: list and check them, download, import, remove\n"
        "                    (see `hearsay models --help`)\n"
        "  voices [list|delete] voiceprints of the speakers you named (see `hearsay voices --help`)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="files to queue in the window")
    parser.add_argument("--version", action="version", version="hearsay 0.1.0")
    return parser


def main(argv: list[str] | None = None, open_window: Callable[[Sequence[str]], int] | None = None,
         own_process: bool = False) -> int:
    """Entry point of ``hearsay`` and ``python -m app`` (through ``app.__main__``). Returns the exit code.

    ``analyze``, ``history`` and ``models`` run here without importing Qt; with
    no command, ``open_window(files)`` opens the window (``app.__main__`` passes
    ``app.ui.launch.run_gui``: the command line never imports the window
    itself). Without ``open_window``, asking for the window is a usage error.

    SIGINT, SIGTERM and SIGHUP are handled while the command runs (see the
    module docstring and ``app.cli.stops``); ``own_process`` (the process's
    entry point only) lets a second signal end the process with ``os._exit``
    after flushing, and keeps the handlers until the process ends.

    Sets ``HF_HUB_OFFLINE=1`` (unless the environment already sets it) before
    any engine is imported, so nothing Hearsay runs reaches Hugging Face. The
    one explicit download action, ``hearsay models download`` (and the window's
    Download), goes online for its own requests only: ``app.core.hub.downloads``
    sends them through a client of its own, so offline mode stays on for
    everything else in the process.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    argv = list(sys.argv[1:] if argv is None else argv)
    stops = StopSignals(own_process=own_process)
    stops.install()
    try:
        code = stops.run(lambda: _command(argv, open_window))
        return stops.settle(code)
    finally:
        if not own_process:
            stops.restore()


def _command(argv: list[str], open_window: Callable[[Sequence[str]], int] | None) -> int:
    try:
        log_file, no_log = setup_logging(), None
    except HearsayError as exc:  # a log folder that cannot be created must not stop the run
        log_file, no_log = None, exc.message
    try:
        if argv and argv[0] == "analyze":
            return run_analyze(argv[1:])
        if argv and argv[0] == "models":
            return run_models(argv[1:])
        if argv and argv[0] == "history":
            from app.cli.history import run_history

            return run_history(argv[1:])
        if argv and argv[0] == "voices":
            from app.cli.voices import run_voices

            return run_voices(argv[1:])
        args = build_gui_parser().parse_args(argv)
        if open_window is None:
            print("hearsay: the window is opened by the `hearsay` command (or `python -m app`)", file=sys.stderr)
            return EXIT_USAGE
        return open_window(args.files)
    except SystemExit as exc:  # argparse: --help (0) or bad usage (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except BrokenPipeError:
        # The reader of stdout went away (`hearsay models | head`): nothing to say to anyone. Point stdout at
        # /dev/null so the interpreter's final flush does not fail again (Python's documented recipe,
        # docs.python.org/3/library/signal.html#note-on-sigpipe).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as exc:
        log.exception("unexpected error")
        where = f"details in {log_file}" if log_file else f"no details kept: {no_log}"
        print(f"hearsay: unexpected error: {exc} ({where})", file=sys.stderr)
        return EXIT_FAILED
