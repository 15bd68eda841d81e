"""``hearsay voices``: the voiceprints kept in the history library (Qt and torch are never imported).

    hearsay voices [list]       name, recording it was taken from, date, model
    hearsay voices delete NAME  forget that voice (later recordings no longer recognise it)

A voiceprint is the mean speaker embedding of a speaker the user named while voiceprints were on
(``hearsay analyze --voiceprints``, or the window's setting); never audio. See ``app.core.speakers.voiceprints``.
"""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_FAILED = 0, 1
from app.core.errors import HearsayError
from app.core.library.store import Library


def build_voices_parser() -> argparse.ArgumentParser:
    """The ``hearsay voices`` argument parser."""
    parser = argparse.ArgumentParser(prog="hearsay voices", description="Voiceprints of the speakers you named.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", help="the voiceprints kept")
    delete = commands.add_parser("delete", help="forget a voiceprint")
    delete.add_argument("name")
    return parser


def run_voices(argv: list[str]) -> int:
    """``hearsay voices``: see the module docstring. Returns the exit code."""
    args = build_voices_parser().parse_args(argv)
    try:
        library = Library()
        try:
            if args.command == "delete":
                if not library.delete_voiceprint(args.name):
                    print(f"hearsay: voices: no voiceprint named {args.name!r}", file=sys.stderr)
                    return EXIT_FAILED
                print(f"forgot the voiceprint of {args.name}")
                return EXIT_OK
            prints = library.voiceprints()
            if not prints:
                print("no voiceprints are kept: turn voiceprints on and name a speaker to keep one", file=sys.stderr)
            for voiceprint in prints:
                when = voiceprint.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
                print(f"{voiceprint.name}\t{voiceprint.source_name}\t{when}\t{voiceprint.model}")
            return EXIT_OK
        finally:
            library.close()
    except HearsayError as exc:
        print(f"hearsay: voices: {exc.message}", file=sys.stderr)
        return EXIT_FAILED
