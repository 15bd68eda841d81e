"""``hearsay history``: the history library from the command line (Qt is never imported).

    hearsay history [list]            newest analyses first: id, date, file, duration, prompts, status
    hearsay history search TEXT       transcript segments and responses containing TEXT
    hearsay history show ID           the stored analysis as Markdown (or --format json|srt|vtt|txt, or
                                      docx|pdf when stdout is not a terminal) on stdout
    hearsay history export ID -o OUT  write it to OUT (never replacing a file without --force)
    hearsay history delete ID         remove it (refused while a Hearsay process is running it)
    hearsay history resume ID         finish an interrupted or cancelled analysis from what was stored
    hearsay history rename-speaker ID "Speaker 2" Alice   name a speaker: transcript, exports, later answers,
                                      the search (and, with voiceprints on, keep that voice's voiceprint)
                                      (refused while another Hearsay process is running it)
    hearsay history segments|edit|split|merge|set-speaker|versions|use-version|revert ID ...
                                      correct a transcript, each edit a new version (``app.cli.edits``)

ID is an analysis id or any unique start of one (the 8 characters ``list`` shows).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

from app.cli import export_options, stops
from app.cli.analyze import EXIT_INTERRUPTED
from app.cli.edits import COMMANDS as EDIT_COMMANDS
from app.cli.edits import add_edit_commands, run_edit_command
from app.core.analysis import Analysis, AnalysisStatus, Transcript
from app.core.errors import HearsayError
from app.core.export import files as export_files
from app.core.export.markdown import format_duration
from app.core.library.store import Library, LibraryEntry, busy_message, running_elsewhere
from app.core.pipeline.batch import run_batch
from app.core.pipeline.engines import create_engines, create_speaker_stage, settings_from_dict
from app.core.pipeline.recorder import LibraryRecorder, for_resume
from app.core.user_files import display_path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_history_parser() -> argparse.ArgumentParser:
    """The ``hearsay history`` argument parser."""
    parser = argparse.ArgumentParser(prog="hearsay history", description="Past analyses, kept on this machine.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    listing = commands.add_parser("list", help="newest analyses first")
    listing.add_argument("--limit", type=int, default=50, metavar="N", help="show at most N (default 50)")
    search = commands.add_parser("search", help="find words in transcripts and responses")
    search.add_argument("text", help="words that must all appear")
    show = commands.add_parser("show", help="print a stored analysis")
    show.add_argument("id")
    show.add_argument("--format", choices=export_files.FORMATS, default="md",
                      help=f"{export_options.FORMAT_HELP} (default md); docx and pdf only when stdout is "
                      "not a terminal")
    export_options.add_text_options(show)
    exporting = commands.add_parser("export", help="write a stored analysis to a file")
    exporting.add_argument("id")
    exporting.add_argument("-o", "--output", type=Path, required=True, metavar="OUT")
    exporting.add_argument("--format", choices=export_files.FORMATS,
                           help=f"{export_options.FORMAT_HELP} (default: from OUT's suffix, else md)")
    export_options.add_text_options(exporting)
    exporting.add_argument("--force", action="store_true", help="replace OUT when it exists")
    delete = commands.add_parser("delete", help="remove a stored analysis")
    delete.add_argument("id")
    resume = commands.add_parser("resume", help="finish an interrupted or cancelled analysis")
    resume.add_argument("id")
    resume.add_argument("-o", "--output", type=Path, metavar="OUT", help="also write the result to OUT")
    resume.add_argument("--force", action="store_true", help="replace OUT when it exists")
    resume.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    rename = commands.add_parser("rename-speaker", help="name a speaker of a stored analysis, everywhere")
    rename.add_argument("id")
    rename.add_argument("speaker", help='the speaker as shown ("Speaker 2", or its current name) or its number')
    rename.add_argument("name", help='the new name ("" gives back "Speaker N")')
    add_edit_commands(commands)
    return parser


def run_history(argv: list[str]) -> int:
    """``hearsay history``: see the module docstring. Returns the exit code."""
    args = build_history_parser().parse_args(argv)
    try:
        library = Library()
        command = args.command or "list"
        if command == "list":
            return _list(library, getattr(args, "limit", 50))
        if command == "search":
            return _search(library, args.text)
        if command == "delete":
            entry = library.entry(args.id)
            library.delete(entry.id)
            print(f"deleted {entry.id[:8]} ({entry.source_name})")
            return EXIT_OK
        if command == "resume":
            return resume(library, args.id, args.output, args.force, args.quiet)
        if command == "rename-speaker":
            return _rename_speaker(library, args.id, args.speaker, args.name)
        if command in EDIT_COMMANDS:
            return run_edit_command(library, args)
        fmt = args.format or export_files.format_for(getattr(args, "output", None))
        problem = export_options.options_problem(args, fmt, to_stdout=command == "show")
        if problem:
            print(f"hearsay: history: {problem}", file=sys.stderr)
            return EXIT_USAGE
        analysis = library.load(args.id)
        if command == "show":
            export_options.write_stdout(export_files.render(analysis, fmt, **export_options.text_options(args)))
            return EXIT_OK
        _write(analysis, args.output, fmt, args.force, export_options.text_options(args))
        return EXIT_OK
    except export_files.ExportExistsError as exc:
        print(f"hearsay: {display_path(exc.path)}: already exists; use --force to replace it", file=sys.stderr)
        return EXIT_FAILED
    except HearsayError as exc:
        print(f"hearsay: history: {exc.message}", file=sys.stderr)
        return EXIT_FAILED


def entry_line(entry: LibraryEntry) -> str:
    """One ``list`` line: short id, local date, duration, prompts done/total, status, file name."""
    when = entry.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    duration = format_duration(entry.duration) if entry.duration else "—"
    prompts = f"{entry.prompts_done}/{entry.prompts_total} prompts"
    return f"{entry.id[:8]}  {when}  {duration:>16}  {prompts:>12}  {entry.status:11}  {entry.source_name}"


def _list(library: Library, limit: int) -> int:
    entries = library.entries(limit)
    if not entries:
        print("the history is empty: analyse a file first", file=sys.stderr)
    for entry in entries:
        print(entry_line(entry))
    return EXIT_OK


def _search(library: Library, text: str) -> int:
    hits = library.search(text)
    if not hits:
        print(f"nothing in the history matches {text!r}", file=sys.stderr)
        return EXIT_FAILED
    for hit in hits:
        where = {"segment": f"segment {hit.idx + 1}", "speaker": "speakers"}.get(hit.kind, f"prompt {hit.idx + 1}")
        snippet = hit.marked("[", "]")
        print(f"{hit.analysis_id[:8]}  {hit.source_name}  {where}: {snippet}")
    return EXIT_OK


def speaker_index(transcript: Transcript, text: str) -> int:
    """The 0-based speaker ``text`` names: "Speaker 2", "2", or a speaker's current name (any case).
    Raises HearsayError naming the speakers there are when none matches."""
    wanted = " ".join(text.split()).casefold()
    for speaker in transcript.speakers:
        if wanted in (transcript.speaker_name(speaker).casefold(), f"speaker {speaker + 1}", str(speaker + 1)):
            return speaker
    known = ", ".join(transcript.speaker_name(k) for k in transcript.speakers)
    raise HearsayError(f"no speaker {text!r} here (speakers: {known})" if known
                       else "this analysis has no speakers (it ran without finding them)")


def _rename_speaker(library: Library, analysis_id: str, speaker: str, name: str) -> int:
    analysis = library.load(analysis_id)
    index = speaker_index(analysis.transcript, speaker)
    before = analysis.transcript.speaker_name(index)
    renamed = library.rename_speaker(analysis.id, index, name)
    after = renamed.transcript.speaker_name(index)
    kept = " (its voiceprint is kept)" if name.strip() and index in renamed.speaker_embeddings else ""
    print(f"{analysis.id[:8]}: {before} is now {after}{kept}")
    return EXIT_OK


def _write(analysis: Analysis, output: Path, fmt: str | None, force: bool, options: dict | None = None) -> None:
    fmt = fmt or export_files.format_for(output)
    export_files.write_export(output, export_files.render(analysis, fmt, **(options or {})), overwrite=force)
    print(f"wrote {display_path(output)}", file=sys.stderr)


def resume(library: Library, analysis_id: str, output: Path | None, force: bool, quiet: bool) -> int:
    """Finish a stored analysis with the settings it was started with: transcribe from the last stored
    segment's end, then run only the prompts that did not finish. Prints the result (or writes ``output``)."""
    from app.cli.progress import ProgressPrinter

    entry = library.entry(analysis_id)
    if library.read_only:
        print(f"hearsay: history: cannot resume {entry.id[:8]} ({entry.source_name}): the history library "
              f"{library.path} is read-only", file=sys.stderr)
        return EXIT_FAILED
    if running_elsewhere(entry):
        print(f"hearsay: history: {busy_message(entry.id, entry.source_name, entry.owner_pid)}; "
              "wait for it to finish", file=sys.stderr)
        return EXIT_FAILED
    if not entry.resumable:
        print(f"hearsay: history: {entry.id[:8]} ({entry.source_name}) has nothing left to do", file=sys.stderr)
        return EXIT_OK
    if output is not None and os.path.lexists(output) and not force:
        raise export_files.ExportExistsError(output)
    analysis = for_resume(library.load(entry.id))
    settings = settings_from_dict(library.stored_settings(entry.id))
    transcriber, runner = create_engines(settings)
    speakers = create_speaker_stage(settings, library.voiceprints() if settings.voiceprints else None)
    recorder = LibraryRecorder(library, settings)
    progress = ProgressPrinter(quiet=quiet)
    cancel = threading.Event()
    with stops.cancelling(cancel) as stop_signals:  # Ctrl+C, SIGTERM, SIGHUP: stop between segments or tokens
        for item in run_batch([analysis], transcriber, runner, cancel, settings.language, recorder=recorder,
                              speakers=speakers):
            progress.handle(*item)
    if recorder.problem:
        print(f"hearsay: {recorder.problem}", file=sys.stderr)
    if analysis.status is AnalysisStatus.FAILED:
        print(f"hearsay: {display_path(analysis.source)}: {analysis.error}", file=sys.stderr)
        return EXIT_FAILED
    if cancel.is_set():
        print(f"hearsay: {stops.interrupted(stop_signals.first)}; what was finished is kept in the history",
              file=sys.stderr)
        return stop_signals.code(EXIT_INTERRUPTED)
    if output is None:
        sys.stdout.write(export_files.render(analysis, "md"))
    else:
        _write(analysis, output, None, force)
    return EXIT_OK
