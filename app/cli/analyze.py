"""``hearsay analyze``: the headless run over the same core as the window (Qt is never imported).

Inputs are recordings, ``.txt`` transcripts, or ``.json`` results written by
Hearsay; for a result, the prompts given are follow-ups added to its earlier
results (prompts already answered there are not run again), and only their
own tokens are evaluated when the transcript's KV state is still kept. Earlier
answers made with another system prompt or temperature are not reused: they
all run again with the ones given now.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import threading
from pathlib import Path

from app.cli import export_options, stops
from app.core.analysis import Analysis, AnalysisStatus, PromptResult, PromptStatus
from app.core.errors import HearsayError
from app.core.export import files as export_files
from app.core.hub import catalog
from app.core.llm import prompts
from app.core.llm.assembly import DEFAULT_TEMPERATURE, TEMPERATURE_RANGE
from app.core.pipeline.batch import run_batch
from app.core.pipeline.engines import EngineSettings, create_engines, create_speaker_stage, resolve_overlap
from app.core.pipeline.events import AnalysisFinished
from app.core.speech import options as speech_options
from app.core.speech import transcript_files
from app.core.user_files import display_path, is_valid_text, read_limited

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXISTS_CAUSE = "already exists; use --force to replace it"


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return value


def _natural_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _temperature(text: str) -> float:
    value = float(text)
    low, high = TEMPERATURE_RANGE
    if not math.isfinite(value) or not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be a number from {low:g} to {high:g}")
    return value


def build_analyze_parser() -> argparse.ArgumentParser:
    """The ``hearsay analyze`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="hearsay analyze",
        description="Transcribe recordings and run prompts over them, on this machine. "
        "Inputs may also be a .txt transcript or a .json result written by Hearsay "
        "(transcription is then skipped; with a result, the prompts are added as follow-ups).",
    )
    parser.add_argument("inputs", nargs="+", metavar="FILE", help="audio, video, .txt or Hearsay .json files")
    parser.add_argument("-p", "--prompt", action="append", dest="prompts", metavar="PROMPT",
                        help="a prompt to run (repeatable); default: the three built-in prompts")
    parser.add_argument("--prompts-file", type=Path, metavar="F",
                        help="prompts, one per line, or a JSON array of strings")
    parser.add_argument("-o", "--output", type=Path, metavar="OUT",
                        help="output file (one input) or folder (several inputs); default: stdout")
    parser.add_argument("--force", action="store_true",
                        help="replace output files that already exist (without it they are refused)")
    parser.add_argument("--format", choices=export_files.FORMATS,
                        help=f"output format: {export_options.FORMAT_HELP} (default: from -o's suffix, else md); "
                        "docx and pdf go to stdout only when it is not a terminal")
    export_options.add_text_options(parser)
    parser.add_argument("--whisper-model", metavar="ID_OR_DIR",
                        help="a model id (`hearsay models` lists them, e.g. whisper-small.en), a faster-whisper "
                             "size name, or a model folder")
    parser.add_argument("--llm-model", metavar="ID_OR_GGUF",
                        help="a model id (`hearsay models` lists them, e.g. qwen2.5-1.5b-instruct-q4_k_m) "
                             "or a .gguf model file")
    parser.add_argument("--language", metavar="CODE[,CODE]",
                        help="spoken language (ISO 639-1), or several separated by commas to detect among "
                        "those only (fr,en); default: detect")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--max-tokens", type=_positive_int, default=512, metavar="N",
                        help="longest response, in tokens (default 512)")
    answers = parser.add_argument_group("answers (fal's system_prompt and temperature; see docs/generation.md)")
    answers.add_argument("--system-prompt", metavar="TEXT",
                         help="instructions for the language model, in place of Hearsay's own; they go before "
                         "the transcript, so all prompts still share one prefill")
    answers.add_argument("--temperature", type=_temperature, default=DEFAULT_TEMPERATURE, metavar="T",
                         help=f"sampling temperature, 0 (always the likeliest word) to 2 (default "
                         f"{DEFAULT_TEMPERATURE:g}, chosen from a measurement)")
    speech = parser.add_argument_group("languages, translation and vocabulary (see docs/languages.md)")
    speech.add_argument("--code-switching", action="store_true",
                        help="the recording switches language: detect the language of every stretch of speech "
                        "(among the --language codes when several are given); slower")
    speech.add_argument("--translate", action="store_true",
                        help="write the transcript in English, whatever language is spoken (needs a multilingual "
                        "Whisper model such as base); each utterance keeps the language spoken")
    speech.add_argument("--vocabulary", metavar="TERMS",
                        help='names and terms that Whisper should expect, separated by commas ("Okonkwo, Kubernetes")')
    speech.add_argument("--vocabulary-file", type=Path, metavar="F",
                        help="the same, from a UTF-8 file (one term per line or comma-separated)")
    speakers = parser.add_argument_group("speakers (Gladia's diarization; see README, Speakers)")
    speakers.add_argument("--diarize", action=argparse.BooleanOptionalAction, default=True,
                          help="find who speaks when and label the transcript (default: on)")
    speakers.add_argument("--num-speakers", type=_positive_int, metavar="N",
                          help="the number of speakers, when known (default: found from the recording)")
    speakers.add_argument("--min-speakers", type=_positive_int, metavar="N", help="at least N speakers")
    speakers.add_argument("--max-speakers", type=_positive_int, metavar="N", help="at most N speakers")
    speakers.add_argument("--voiceprints", action="store_true",
                          help="recognise voices you named in earlier recordings, and keep a voiceprint (a voice "
                               "embedding, never audio) of each speaker you name (default: off)")
    speed = parser.add_argument_group("speed (defaults measured by `make bench`, see docs/benchmarks.md)")
    speed.add_argument("--beam-size", type=_positive_int, default=EngineSettings.beam_size, metavar="N",
                       help=f"Whisper beam size; 1 is greedy (default {EngineSettings.beam_size})")
    speed.add_argument("--vad", action="store_true", help="skip silence with Silero VAD before transcribing")
    speed.add_argument("--batch-size", type=_natural_int, default=0, metavar="N",
                       help="decode N 30-s windows at once (faster-whisper's batched pipeline, uses VAD); 0 = off")
    speed.add_argument("--context-window", type=_positive_int, metavar="TOKENS",
                       help="most tokens the LLM context may hold (default: the model's trained context); "
                       "longer transcripts run map-reduce")
    speed.add_argument("--overlap", action=argparse.BooleanOptionalAction, default=None,
                       help="transcribe the next file while the prompts of the previous one run "
                       "(default: on with 2 or more cores or a GPU)")
    history = parser.add_argument_group("history (the library of past analyses, see `hearsay history`)")
    history.add_argument("--no-history", action="store_true", help="do not store this run in the history library")
    history.add_argument("--retranscribe", action="store_true",
                         help="transcribe again even when the history holds a transcript of the same file "
                         "made with the same Whisper settings")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
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
            return _usage_error(parser, f"{display_path(args.prompts_file)}: {exc.message}")
    for prompt in args.prompts or []:
        if not prompt.strip():
            return _usage_error(parser, "a prompt given with -p is empty")
        if not is_valid_text(prompt):  # bytes that are not UTF-8 on the command line
            return _usage_error(parser, f"a prompt given with -p is not UTF-8 text ({_first_bad_byte(prompt)})")
        chosen.append(prompt)
    return chosen or prompts.default_prompts()


def _first_bad_byte(text: str) -> str:
    """"byte 0xff at offset 3" for the first byte of ``text`` (from the command line) that is not UTF-8."""
    data = text.encode("utf-8", "surrogateescape")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
    return "a character that cannot be written"


def _output_paths(args, parser) -> list[Path | None] | int:
    inputs = [Path(p) for p in args.inputs]
    if args.output is None:
        return [None] * len(inputs)
    if len(inputs) == 1 and not os.path.isdir(args.output):
        if not os.path.isdir(args.output.parent):
            return _usage_error(parser, f"{display_path(args.output)}: the output folder does not exist")
        return [args.output]
    if os.path.lexists(args.output) and not os.path.isdir(args.output):
        return _usage_error(parser, f"{display_path(args.output)}: with several inputs, -o must be a folder")
    try:
        args.output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _usage_error(parser, f"{display_path(args.output)}: cannot make the output folder: "
                                    f"{exc.strerror or exc}")
    return [args.output / name for name in export_files.output_names(inputs, _format(args))]


def _speech_settings(args, parser) -> tuple[str | None, str] | int:
    """(the expected languages as ``EngineSettings.language`` holds them, the vocabulary as one line) from
    --language, --vocabulary and --vocabulary-file; or the usage error's exit code, said before any model
    loads: a code Whisper does not know, an unreadable vocabulary file, or a choice the Whisper model
    cannot do (an English-only model asked to translate or to hear another language)."""
    try:
        languages = speech_options.parse_languages(args.language)
    except HearsayError as exc:
        return _usage_error(parser, exc.message)
    if args.vocabulary is not None and not is_valid_text(args.vocabulary):
        return _usage_error(parser, f"--vocabulary is not UTF-8 text ({_first_bad_byte(args.vocabulary)})")
    terms = speech_options.parse_vocabulary(args.vocabulary)
    if args.vocabulary_file is not None:
        try:
            terms += speech_options.read_vocabulary_file(args.vocabulary_file)
        except HearsayError as exc:
            return _usage_error(parser, f"{display_path(args.vocabulary_file)}: {exc.message}")
    try:
        whisper = catalog.resolve_whisper(args.whisper_model)
    except HearsayError:
        whisper = None  # not on this machine: the run says so in its own sentence
    if whisper is not None:
        problem = speech_options.model_problem(whisper.name, catalog.whisper_english_only(whisper), languages,
                                               args.translate, args.code_switching)
        if problem:
            return _usage_error(parser, problem)
    vocabulary = speech_options.vocabulary_text(speech_options.parse_vocabulary(", ".join(terms)))
    return speech_options.languages_text(languages), vocabulary


def _format(args) -> str:
    return args.format or export_files.format_for(args.output)


def new_analysis(source: Path, chosen: list[str], settings: EngineSettings | None = None) -> Analysis:
    """The analysis for one input: a fresh one, or a Hearsay result with ``chosen`` appended as follow-ups
    (a prompt already answered there is not run again). A damaged result file gets a fresh analysis,
    which then fails with the file's own error.

    ``settings``: the generation settings of this run (default: ``EngineSettings()``). When the result's
    answers were made with another system prompt or temperature (its ``metadata``), none of them is
    reused: every earlier prompt runs again with the current ones (a stored answer never stands in for
    one made with other settings)."""
    try:  # only a readable regular .json is read; anything else gets a fresh analysis that says what is wrong
        earlier = transcript_files.load_result(source)
    except HearsayError:
        earlier = None
    if earlier is None:
        analysis = Analysis(source=source, prompts=list(chosen))
        for result in analysis.prompt_results:
            result.name = prompts.default_name(result.prompt)  # "Summary", ... for the default prompts
        return analysis
    if not _same_generation(source, settings or EngineSettings()):
        for result in earlier.prompt_results:
            if result.status is PromptStatus.DONE:
                result.status, result.response, result.finish_reason = PromptStatus.WAITING, "", None
    answered = {r.prompt for r in earlier.prompt_results if r.status is PromptStatus.DONE}
    for prompt in chosen:
        if prompt not in answered:
            earlier.prompts.append(prompt)
            earlier.prompt_results.append(PromptResult(prompt=prompt, name=prompts.default_name(prompt)))
    return earlier


def _same_generation(result_path: Path, settings: EngineSettings) -> bool:
    """Whether the answers in the Hearsay result ``result_path`` were made with ``settings``' system prompt and
    temperature (its ``metadata``). A result without them (written before they existed) used the built-in
    instructions and counts as made with any temperature."""
    try:
        meta = json.loads(read_limited(result_path, transcript_files.TRANSCRIPT_LIMIT_BYTES))["result"]["metadata"]
    except (HearsayError, OSError, ValueError, KeyError, TypeError):
        return True  # load_result read it a moment ago; what it could not read, it reports itself
    stored_prompt = meta.get("system_prompt") or None
    wanted_prompt = (settings.system_prompt or "").strip() or None
    stored_temperature = meta.get("temperature")
    same_temperature = not isinstance(stored_temperature, (int, float)) or stored_temperature == settings.temperature
    return stored_prompt == wanted_prompt and same_temperature


def _file_failed(analysis: Analysis) -> bool:
    return analysis.status is not AnalysisStatus.DONE or any(
        r.status is PromptStatus.FAILED for r in analysis.prompt_results
    )


def run_analyze(argv: list[str]) -> int:
    """``hearsay analyze``: see ``build_analyze_parser``. Returns the exit code."""
    from app.cli.progress import ProgressPrinter

    parser = build_analyze_parser()
    args = parser.parse_args(argv)
    chosen = _gather_prompts(args, parser)
    if isinstance(chosen, int):
        return chosen
    if args.system_prompt is not None and not is_valid_text(args.system_prompt):
        return _usage_error(parser, f"--system-prompt is not UTF-8 text ({_first_bad_byte(args.system_prompt)})")
    outputs = _output_paths(args, parser)
    if isinstance(outputs, int):
        return outputs
    fmt = _format(args)
    problem = export_options.options_problem(args, fmt, to_stdout=args.output is None, outputs=len(outputs))
    if problem:
        return _usage_error(parser, problem)
    refused = [] if args.force else export_files.existing_targets(outputs)
    for output in refused:  # said before any model loads, not after an hour of transcription
        print(f"hearsay: {display_path(output)}: {EXISTS_CAUSE}", file=sys.stderr)
    if refused and len(refused) == len(outputs):
        return EXIT_FAILED
    speech = _speech_settings(args, parser)
    if isinstance(speech, int):
        return speech
    language, vocabulary = speech
    settings = EngineSettings(
        args.whisper_model, args.llm_model, args.device, language, args.max_tokens,
        beam_size=args.beam_size, vad_filter=args.vad, batch_size=args.batch_size,
        context_window=args.context_window, overlap=args.overlap,
        system_prompt=args.system_prompt, temperature=args.temperature,
        code_switching=args.code_switching, translate=args.translate, vocabulary=vocabulary,
        diarize=args.diarize, num_speakers=args.num_speakers, min_speakers=args.min_speakers,
        max_speakers=args.max_speakers, voiceprints=args.voiceprints,
    )
    if args.num_speakers is not None and (args.min_speakers is not None or args.max_speakers is not None):
        return _usage_error(parser, "give either --num-speakers or --min-speakers/--max-speakers, not both")
    try:
        speakers = create_speaker_stage(settings, _voiceprints(settings, args.no_history))
    except HearsayError as exc:
        return _usage_error(parser, exc.message)
    transcriber, runner = create_engines(settings)
    kept = [(source, output) for source, output in zip(args.inputs, outputs) if output not in refused]
    analyses = [new_analysis(Path(source), chosen, settings) for source, _ in kept]
    output_of = {analysis.id: output for analysis, (_, output) in zip(analyses, kept)}
    progress = ProgressPrinter(quiet=args.quiet)
    for number, analysis in enumerate(analyses, start=1):
        progress.add_file(analysis, number, len(analyses))
    recorder = None if args.no_history else _recorder(settings, reuse=not args.retranscribe)
    cancel = threading.Event()
    failures, written = 0, 0
    try:
        with stops.cancelling(cancel) as stop_signals:  # Ctrl+C, SIGTERM, SIGHUP: stop between segments or tokens
            for analysis, event in run_batch(analyses, transcriber, runner, cancel, settings.language,
                                             overlap=resolve_overlap(settings), recorder=recorder,
                                             speakers=speakers):
                progress.handle(analysis, event)
                if isinstance(event, AnalysisFinished) and analysis.status is not AnalysisStatus.CANCELLED:
                    failures += _report(analysis, output_of[analysis.id], fmt, first=written == 0,
                                        force=args.force, options=export_options.text_options(args))
                    written += 1
    finally:
        if recorder is not None:  # its connection is closed now, not by the garbage collector some time later
            recorder.library.close()
    if recorder is not None and recorder.problem:
        print(f"hearsay: {recorder.problem}", file=sys.stderr)
    if cancel.is_set():
        hint = "; `hearsay history` lists the interrupted file, `hearsay history resume ID` finishes it" \
            if recorder is not None and not recorder.problem else ""
        print(f"hearsay: {stops.interrupted(stop_signals.first)}; finished files were kept{hint}",
              file=sys.stderr)
        return stop_signals.code(EXIT_INTERRUPTED)
    return EXIT_FAILED if failures or refused else EXIT_OK


def _voiceprints(settings: EngineSettings, no_history: bool) -> list:
    """The named voiceprints to recognise: only with ``--voiceprints`` (the user's consent) and the history
    library, where they are kept; [] when it cannot be read (said on stderr)."""
    if not settings.diarize or not settings.voiceprints or no_history:
        return []
    from app.core.library.store import Library

    try:
        library = Library()
        try:
            return library.voiceprints()
        finally:
            library.close()
    except HearsayError as exc:
        print(f"hearsay: voiceprints are not used: {exc.message}", file=sys.stderr)
        return []


def _recorder(settings: EngineSettings, reuse: bool):
    """A recorder into the user's history library, or None (said on stderr, once) when it cannot be opened
    (its folder cannot be created, the file is damaged) or only read."""
    from app.core.library.store import Library
    from app.core.pipeline.recorder import LibraryRecorder

    try:
        library = Library()
    except HearsayError as exc:
        print(f"hearsay: {exc.message}; this run is not stored in the history", file=sys.stderr)
        return None
    if library.read_only:
        print(f"hearsay: the history library {library.path} is read-only; this run is not stored in the history",
              file=sys.stderr)
        library.close()
        return None
    return LibraryRecorder(library, settings, reuse_transcripts=reuse)


def _report(analysis: Analysis, output: Path | None, fmt: str, first: bool, force: bool = False,
            options: dict | None = None) -> int:
    """Print a finished file's errors and write its result (``options``: ``render``'s keywords); return 1
    when something failed, else 0."""
    source = display_path(analysis.source)
    if analysis.status is AnalysisStatus.FAILED:
        print(f"hearsay: {source}: {analysis.error}", file=sys.stderr)
        if analysis.transcript.is_empty:
            return 1
        # the prompts could not run (say the LLM failed to load): the transcript is still written
    for result in analysis.prompt_results:
        if result.status is PromptStatus.FAILED:
            print(f"hearsay: {source}: prompt “{prompts.short_title(result.prompt)}” failed: {result.error}",
                  file=sys.stderr)
    try:
        text = export_files.render(analysis, fmt, **(options or {}))
        if output is None:
            export_options.write_stdout(text, first)
            return int(_file_failed(analysis))
        export_files.write_export(output, text, overwrite=force)
    except export_files.ExportExistsError as exc:  # appeared while this file was analysed
        print(f"hearsay: {display_path(exc.path)}: {EXISTS_CAUSE}", file=sys.stderr)
        return 1
    except HearsayError as exc:
        print(f"hearsay: {source}: {exc.message}", file=sys.stderr)
        return 1
    return int(_file_failed(analysis))
