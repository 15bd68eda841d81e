"""Hearsay's command line.

``hearsay [FILE...]`` opens the window (with FILEs queued); ``hearsay analyze
FILE...`` runs headless on the same core without importing Qt; ``hearsay
models`` lists the models and checks their checksums.

Exit codes of ``analyze``: 0 every file succeeded, 1 some file (or prompt)
failed while the others were still written, 2 bad usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from app.core import export, models, prompts
from app.core.analysis import Analysis, AnalysisStatus, PromptStatus
from app.core.engines import EngineSettings, create_engines
from app.core.errors import HearsayError
from app.core.logs import setup_logging
from app.core.pipeline import analyze

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
SUBCOMMANDS = ("analyze", "models")
log = logging.getLogger("hearsay.cli")


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return value


def build_analyze_parser() -> argparse.ArgumentParser:
    """The ``hearsay analyze`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="hearsay analyze",
        description="Transcribe recordings and run prompts over them, on this machine. "
        "Inputs may also be a .txt transcript or a .json result written by Hearsay "
        "(transcription is then skipped).",
    )
    parser.add_argument("inputs", nargs="+", metavar="FILE", help="audio, video, .txt or Hearsay .json files")
    parser.add_argument("-p", "--prompt", action="append", dest="prompts", metavar="PROMPT",
                        help="a prompt to run (repeatable); default: the three built-in prompts")
    parser.add_argument("--prompts-file", type=Path, metavar="F",
                        help="prompts, one per line, or a JSON array of strings")
    parser.add_argument("-o", "--output", type=Path, metavar="OUT",
                        help="output file (one input) or folder (several inputs); default: stdout")
    parser.add_argument("--format", choices=("md", "json"), help="output format (default: from -o's suffix, else md)")
    parser.add_argument("--whisper-model", metavar="NAME_OR_DIR", help="faster-whisper size name or model folder")
    parser.add_argument("--llm-model", metavar="GGUF", help="a .gguf model file")
    parser.add_argument("--language", metavar="CODE", help="spoken language (ISO 639-1); default: detect")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--max-tokens", type=_positive_int, default=512, metavar="N",
                        help="longest response, in tokens (default 512)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    """The parser for ``hearsay [FILE...]`` (the window)."""
    parser = argparse.ArgumentParser(
        prog="hearsay",
        description="Hearsay: local, private audio-to-LLM. With no command, opens the window.",
        epilog="commands:\n  analyze FILE...   run headless (see `hearsay analyze --help`)\n"
        "  models [--verify] list models and check their checksums",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="files to queue in the window")
    parser.add_argument("--version", action="version", version="hearsay 0.1.0")
    return parser


def _usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    parser.print_usage(sys.stderr)
    print(f"hearsay: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _gather_prompts(args, parser) -> list[str] | int:
    chosen: list[str] = []
    if args.prompts_file:
        try:
            chosen += prompts.read_prompts_file(args.prompts_file)
        except HearsayError as exc:
            return _usage_error(parser, f"{args.prompts_file}: {exc.message}")
    for prompt in args.prompts or []:
        if not prompt.strip():
            return _usage_error(parser, "a prompt given with -p is empty")
        chosen.append(prompt)
    return chosen or prompts.default_prompts()


def _output_paths(args, parser) -> list[Path | None] | int:
    inputs = [Path(p) for p in args.inputs]
    if args.output is None:
        return [None] * len(inputs)
    if len(inputs) == 1 and not args.output.is_dir():
        if not args.output.parent.is_dir():
            return _usage_error(parser, f"{args.output}: the output folder does not exist")
        return [args.output]
    if args.output.exists() and not args.output.is_dir():
        return _usage_error(parser, f"{args.output}: with several inputs, -o must be a folder")
    args.output.mkdir(parents=True, exist_ok=True)
    return [args.output / name for name in export.output_names(inputs, _format(args))]


def _format(args) -> str:
    if args.format:
        return args.format
    if args.output is not None and args.output.suffix.lower() == ".json":
        return "json"
    return "md"


def _file_failed(analysis: Analysis) -> bool:
    return analysis.status is not AnalysisStatus.DONE or any(
        r.status is PromptStatus.FAILED for r in analysis.prompt_results
    )


def run_analyze(argv: list[str]) -> int:
    """``hearsay analyze``: see ``build_analyze_parser``. Returns the exit code."""
    from app.cli_progress import ProgressPrinter

    parser = build_analyze_parser()
    args = parser.parse_args(argv)
    chosen = _gather_prompts(args, parser)
    if isinstance(chosen, int):
        return chosen
    outputs = _output_paths(args, parser)
    if isinstance(outputs, int):
        return outputs
    fmt = _format(args)
    settings = EngineSettings(args.whisper_model, args.llm_model, args.device, args.language, args.max_tokens)
    transcriber, runner = create_engines(settings)
    cancel = threading.Event()
    previous_handler = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    progress = ProgressPrinter(quiet=args.quiet)
    failures = 0
    try:
        for number, (source, output) in enumerate(zip(args.inputs, outputs), start=1):
            if cancel.is_set():
                break
            analysis = Analysis(source=Path(source), prompts=chosen)
            progress.start_file(Path(source).name, len(chosen), number, len(args.inputs))
            for event in analyze(analysis, transcriber, runner, cancel, args.language):
                progress.handle(event)
            if analysis.status is AnalysisStatus.FAILED:
                failures += 1
                print(f"hearsay: {source}: {analysis.error}", file=sys.stderr)
                continue
            for result in analysis.prompt_results:
                if result.status is PromptStatus.FAILED:
                    print(f"hearsay: {source}: prompt “{prompts.short_title(result.prompt)}” failed: {result.error}",
                          file=sys.stderr)
            failures += _file_failed(analysis)
            text = export.render(analysis, fmt)
            if output is None:
                sys.stdout.write(text if number == 1 else "\n" + text)
                sys.stdout.flush()
                continue
            try:
                export.write_export(output, text)
            except HearsayError as exc:
                failures += 1
                print(f"hearsay: {source}: {exc.message}", file=sys.stderr)
    finally:
        signal.signal(signal.SIGINT, previous_handler)
    if cancel.is_set():
        print("hearsay: interrupted; finished files were kept", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_FAILED if failures else EXIT_OK


def run_models(argv: list[str]) -> int:
    """``hearsay models [--verify]``: list catalog models, where they are, and (with --verify) their checksums."""
    parser = argparse.ArgumentParser(prog="hearsay models", description="List Hearsay's models.")
    parser.add_argument("--verify", action="store_true", help="check the sha256 of installed models")
    args = parser.parse_args(argv)
    status = EXIT_OK
    for entry in models.catalog():
        path = entry.installed_path()
        mark = "default" if entry.default else ("recommended" if entry.recommended else "")
        where = str(path) if path else "not installed"
        line = f"{entry.role:8} {entry.name:40} {mark:12} {where}"
        if args.verify and path is not None and entry.sha256:
            try:
                models.verify_checksum(models.checksum_target(path), entry.sha256)
                line += "  sha256 ok"
            except HearsayError as exc:
                line += f"  {exc.message}"
                status = EXIT_FAILED
        elif args.verify and entry.default and path is None:
            line += "  missing"
            status = EXIT_FAILED
        print(line)
    return status


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``hearsay`` and ``python -m app``. Returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    log_file = setup_logging()
    try:
        if argv and argv[0] == "analyze":
            return run_analyze(argv[1:])
        if argv and argv[0] == "models":
            return run_models(argv[1:])
        args = build_gui_parser().parse_args(argv)
        from app.ui.launch import run_gui

        return run_gui(args.files)
    except SystemExit as exc:  # argparse: --help (0) or bad usage (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        log.exception("unexpected error")
        print(f"hearsay: unexpected error: {exc} (details in {log_file})", file=sys.stderr)
        return EXIT_FAILED
