"""``hearsay history`` commands that correct a stored transcript; every edit is a new transcript version
(``app.core.editing`` makes the edit, ``Library.edit_transcript`` stores it):

    hearsay history segments ID                 the segments, numbered, with time and speaker
    hearsay history edit ID N "TEXT"             segment N's text becomes TEXT (word timestamps realigned)
    hearsay history split ID N W                 split segment N before its word W (1-based)
    hearsay history merge ID N                   join segment N and the next (one speaker)
    hearsay history set-speaker ID N SPEAKER     give segment N to SPEAKER ("Speaker 2", a name, a number, or "new")
    hearsay history versions ID                  the transcript's versions, the current one marked
    hearsay history use-version ID V             make version V current again (undo / redo)
    hearsay history revert ID                    back to the transcription as made, as a new version

Segment numbers are 1-based, as ``segments`` prints them. Each command says which answers were made from
another version than the current one (stale); the window's "Run again on the edited transcript" re-runs them.
"""

from __future__ import annotations

import argparse

from app.core.analysis import Analysis
from app.core.editing import operations
from app.core.errors import HearsayError
from app.core.export.markdown import format_timestamp
from app.core.library.store import Library

COMMANDS = ("segments", "edit", "split", "merge", "set-speaker", "versions", "use-version", "revert")
EXIT_OK = 0


def add_edit_commands(commands: argparse._SubParsersAction) -> None:
    """Add the commands of the module docstring to ``hearsay history``'s subparsers."""
    segments = commands.add_parser("segments", help="a stored transcript's segments, numbered")
    segments.add_argument("id")
    edit = commands.add_parser("edit", help="correct a segment's text (a new transcript version)")
    edit.add_argument("id")
    edit.add_argument("segment", type=int, help="the segment's number, as `segments` shows it")
    edit.add_argument("text", help="the segment's corrected text")
    split = commands.add_parser("split", help="split a segment in two before one of its words")
    split.add_argument("id")
    split.add_argument("segment", type=int)
    split.add_argument("word", type=int, help="the 1-based number of the word that starts the second part")
    merge = commands.add_parser("merge", help="join a segment and the next one")
    merge.add_argument("id")
    merge.add_argument("segment", type=int)
    speaker = commands.add_parser("set-speaker", help="give a segment to another speaker")
    speaker.add_argument("id")
    speaker.add_argument("segment", type=int)
    speaker.add_argument("speaker", help='"Speaker 2", a name, a number, or "new"')
    versions = commands.add_parser("versions", help="a transcript's versions, the current one marked")
    versions.add_argument("id")
    use = commands.add_parser("use-version", help="make an earlier (or later) version current again")
    use.add_argument("id")
    use.add_argument("version", type=int)
    revert = commands.add_parser("revert", help="back to the transcription as made (a new version)")
    revert.add_argument("id")


def run_edit_command(library: Library, args: argparse.Namespace) -> int:
    """Run one of ``COMMANDS``; returns the exit code. Raises HearsayError (EditError, LibraryError) for an
    edit that cannot be made or stored."""
    analysis = library.load(args.id)
    if args.command == "segments":
        return _segments(analysis)
    if args.command == "versions":
        return _versions(library, analysis)
    if args.command == "use-version":
        after = library.switch_transcript_version(analysis.id, args.version)
        print(f"{analysis.id[:8]}: transcript version {after.transcript_version} is current"
              f"{_stale_note(after)}")
        return EXIT_OK
    if args.command == "revert":
        after = library.revert_transcript(analysis.id)
        print(f"{analysis.id[:8]}: back to the transcription as made (version {after.transcript_version})"
              f"{_stale_note(after)}")
        return EXIT_OK
    transcript = analysis.transcript
    segments, names, index = transcript.segments, transcript.speaker_names, args.segment - 1
    if args.command == "edit":
        made = operations.edit_text(segments, names, index, args.text)
    elif args.command == "split":
        made = operations.split_segment(segments, names, index, _word_offset(analysis, index, args.word))
    elif args.command == "merge":
        made = operations.merge_segments(segments, names, index)
    else:
        made = operations.set_speaker(segments, names, index, _speaker(analysis, args.speaker))
    after = library.edit_transcript(analysis.id, made.segments, made.speaker_names, made.change)
    print(f"{analysis.id[:8]}: version {after.transcript_version}: {made.change.description}{_stale_note(after)}")
    return EXIT_OK


def _segments(analysis: Analysis) -> int:
    transcript = analysis.transcript
    width = len(str(len(transcript.segments)))
    for number, segment in enumerate(transcript.segments, start=1):
        who = f"{transcript.speaker_name(segment.speaker)}: " if segment.speaker is not None else ""
        print(f"{number:>{width}}  {format_timestamp(segment.start)}  {who}{segment.text.strip()}")
    return EXIT_OK


def _versions(library: Library, analysis: Analysis) -> int:
    versions = library.transcript_versions(analysis.id)
    if not versions:
        print(f"{analysis.id[:8]}: the transcript was never edited (version 0, the transcription as made)")
        return EXIT_OK
    for version in versions:
        when = version.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        made_from = f"from {version.parent}" if version.parent is not None else "      "
        mark = "  ← current" if version.number == analysis.transcript_version else ""
        print(f"{version.number:>3}  {when}  {made_from:>7}  {version.description}{mark}")
    return EXIT_OK


def _stale_note(analysis: Analysis) -> str:
    stale = [i + 1 for i, r in enumerate(analysis.prompt_results) if analysis.is_stale(r)]
    if not stale:
        return ""
    listed = ", ".join(str(n) for n in stale)
    return f" (answers made from another version: prompt{'s' if len(stale) > 1 else ''} {listed})"


def _word_offset(analysis: Analysis, index: int, word: int) -> int:
    """The character offset in segment ``index``'s text where its 1-based ``word`` starts."""
    segments = analysis.transcript.segments
    if not 0 <= index < len(segments):
        raise HearsayError(f"there is no segment {index + 1} (the transcript has {len(segments)})")
    text = segments[index].text
    starts = [k for k, ch in enumerate(text) if not ch.isspace() and (k == 0 or text[k - 1].isspace())]
    if not 2 <= word <= len(starts):
        raise HearsayError(f"segment {index + 1} has {len(starts)} words: split before word 2 to {len(starts)}")
    return starts[word - 1]


def _speaker(analysis: Analysis, text: str) -> int:
    """The speaker ``text`` names, or the next new one for "new"."""
    from app.cli.history import speaker_index

    transcript = analysis.transcript
    if text.strip().casefold() == "new" and transcript.speakers:
        return max(transcript.speakers) + 1
    return speaker_index(transcript, text)
