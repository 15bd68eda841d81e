"""Export options shared by ``hearsay analyze`` and ``hearsay history``: the plain-text transcript's
``--no-timestamps`` and ``--no-speakers``, and writing an export to stdout.

DOCX and PDF are binary files. Written to stdout they go out as bytes when stdout is a file or a pipe
(``hearsay history show ID --format pdf > notes.pdf``, ``... | lp``), as ``curl`` and ``pandoc`` do; to a
terminal they are refused with one line (the bytes would garble it), before any model loads.
"""

from __future__ import annotations

import argparse
import sys

from app.core.export import files as export_files

FORMAT_HELP = ("md (Markdown), json (Gladia-shaped), srt or vtt (subtitles), txt (plain text), "
               "docx (Word) or pdf")
"""The ``--format`` choices in words, for the help of every command that has the option."""


def add_text_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--no-timestamps`` and ``--no-speakers`` (plain-text exports only) to ``parser``."""
    parser.add_argument("--no-timestamps", dest="timestamps", action="store_false",
                        help="txt: leave the [mm:ss] times out of the transcript")
    parser.add_argument("--no-speakers", dest="speakers", action="store_false",
                        help="txt: leave the speaker names out of the transcript")


def text_options(args) -> dict[str, bool]:
    """The ``render`` keywords that ``args`` turns off (``timestamps``, ``speakers``: False), none by default."""
    return {key: False for key in ("timestamps", "speakers") if not getattr(args, key, True)}


def options_problem(args, fmt: str, to_stdout: bool, outputs: int = 1) -> str | None:
    """Why ``args`` cannot be done as asked, in one sentence, or None: the text options with another
    format than txt, or a binary format on a terminal, or for several files joined on stdout."""
    if fmt != "txt" and text_options(args):
        return "--no-timestamps and --no-speakers apply to --format txt only"
    if to_stdout and fmt in export_files.BINARY_FORMATS:
        if outputs > 1:
            return f"{fmt.upper()} files cannot be joined on stdout: with several inputs, give -o FOLDER"
        if sys.stdout.isatty():
            return f"--format {fmt} writes a binary file: give -o FILE, or redirect stdout to a file"
    return None


def write_stdout(content: str | bytes, first: bool = True) -> None:
    """Write an export to stdout: text (after a blank line unless ``first``), or bytes to its binary buffer."""
    if isinstance(content, (bytes, bytearray)):
        sys.stdout.flush()
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return
    sys.stdout.write(content if first else "\n" + content)
    sys.stdout.flush()
