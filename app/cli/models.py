"""``hearsay models``: the catalog's models and the installed ones, where they are, and their checksums; download,
import and remove models.

``hearsay models [list] [--verify]``, ``hearsay models download ID [--endpoint URL]``,
``hearsay models import PATH [--reference] [--id ID]``, ``hearsay models remove ID``.
Exit status: 0 done, 1 failed (one line ``hearsay: <sentence>`` on stderr), 2 bad usage; a download stopped by
Ctrl+C (SIGINT), SIGTERM or SIGHUP exits with 128 + the signal's number and keeps its partial file, which the
next ``download`` resumes.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import TextIO

from app.cli import stops
from app.cli.analyze import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from app.core.errors import Cancelled, HearsayError
from app.core.hub import advice, catalog, checksums, downloads, imports, installed
from app.core.user_files import display_path, format_bytes

BAR_WIDTH = 24
LINE_STEP = 0.1
"""Without a terminal, a progress line is printed each time another tenth of the download is done."""


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``hearsay models`` and its subcommands (list is the default)."""
    parser = argparse.ArgumentParser(
        prog="hearsay models",
        description="Hearsay's models: list them (the default), download, import or remove one.",
        epilog="examples:\n  hearsay models --verify\n  hearsay models download qwen2.5-1.5b-instruct-q4_k_m\n"
               "  hearsay models import ~/models/mistral-7b-instruct.Q4_K_M.gguf --reference\n"
               "  hearsay models remove whisper-small",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--verify", action="store_true", help="check the sha256 of installed models")
    commands = parser.add_subparsers(dest="command", metavar="{list,download,import,remove}")
    listing = commands.add_parser("list", help="the catalog's and the installed models, and their state")
    listing.add_argument("--verify", action="store_true", default=argparse.SUPPRESS,
                         help="check the sha256 of installed models")
    get = commands.add_parser("download", help="download a catalog model from the Hugging Face hub or a mirror",
                              description="Download a catalog model (by its id, see `hearsay models`) into "
                                          "Hearsay's data folder. Ctrl+C stops it; running it again resumes.")
    get.add_argument("id", metavar="ID", help="the catalog id, e.g. qwen2.5-1.5b-instruct-q4_k_m or whisper-small")
    get.add_argument("--endpoint", metavar="URL",
                     help="the hub or a mirror (HF_ENDPOINT semantics; default $HF_ENDPOINT or https://huggingface.co)")
    take = commands.add_parser("import", help="register a .gguf file or a CTranslate2 Whisper folder",
                               description="Validate, hash and register a model you already have: a .gguf file "
                                           "or a CTranslate2 Whisper folder (also one from the Hugging Face "
                                           "cache). It is copied into Hearsay's data folder unless --reference.")
    take.add_argument("path", metavar="PATH", help="a .gguf file or a Whisper model folder")
    take.add_argument("--reference", action="store_true",
                      help="record where it lies instead of copying it (moving it later breaks it)")
    take.add_argument("--id", dest="model_id", metavar="ID", help="the id to register it under")
    drop = commands.add_parser("remove", help="remove a downloaded or imported model")
    drop.add_argument("id", metavar="ID", help="the model's id (`hearsay models` lists them)")
    return parser


def run_models(argv: list[str]) -> int:
    """``hearsay models ...`` (see the module docstring). Returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "download":
        return _download(args.id, args.endpoint)
    if args.command == "import":
        return _import(args.path, args.reference, args.model_id)
    if args.command == "remove":
        return _remove(args.id)
    return _list(args.verify)


def _fail(message: str) -> int:
    print(f"hearsay: {message}", file=sys.stderr)
    return EXIT_FAILED


def _verify(path, sha256: str) -> str | None:
    """None when ``path`` matches ``sha256``, else the sentence why not."""
    try:
        checksums.verify_checksum(checksums.checksum_target(path), sha256)
        return None
    except HearsayError as exc:
        return exc.message


def _list(verify: bool) -> int:
    status = EXIT_OK
    recommendations = advice.recommend_all()  # for this computer: its memory, GPU and cores (app.core.hub.advice)
    recommended = {r.entry.id for r in recommendations.values() if r is not None}
    models = {m.id: m for m in installed.installed_models()}
    rows = []
    for entry in catalog.catalog():
        model = models.pop(entry.id, None)
        mark = "recommended" if entry.id in recommended else ("default" if entry.default else "")
        if model is not None:
            state = "bundled" if model.how == "bundled" else "installed"
            where = model.problem or str(model.path)
        elif partial := installed.partial_bytes(entry.id):
            state = "partial"
            share = f"{100 * partial / entry.size_bytes:.0f} %" if entry.size_bytes else format_bytes(partial)
            where = f"{share} downloaded; `hearsay models download {entry.id}` resumes it"
        else:
            state, where = "not installed", f"`hearsay models download {entry.id}`" if entry.hf_repo else ""
        rows.append((entry.role, entry.id, entry.size_bytes, state, mark, where, model, entry.sha256, entry.default))
    for model in models.values():  # imported models and downloads of entries no longer in the catalog
        rows.append((model.role, model.id, model.size_bytes, model.how, "", model.problem or str(model.path),
                     model, model.sha256, False))
    for role, model_id, size, state, mark, where, model, sha256, default in rows:
        line = f"{role:8} {model_id:34} {format_bytes(size) if size else '':>10} {state:13} {mark:11} {where}"
        if verify and model is not None and not model.problem and (sha256 or model.sha256):
            problem = _verify(model.path, model.sha256 or sha256)
            line += f"  {problem}" if problem else "  sha256 ok"
            status = EXIT_FAILED if problem else status
        elif verify and (default and model is None or model is not None and model.problem):
            line += "  missing"
            status = EXIT_FAILED
        print(line.rstrip())
    print()
    print("\n".join(advice.recommendation_lines(recommendations)))
    return status


class DownloadPrinter:
    """Download progress on ``stream`` (stderr): a redrawn bar on a terminal, else a line per tenth."""

    def __init__(self, name: str, stream: TextIO | None = None) -> None:
        self.name = name
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.next_step = -1.0
        self.line_open = False

    def __call__(self, progress: downloads.DownloadProgress) -> None:
        done, total = progress.bytes_done, progress.bytes_total
        rate = f"{format_bytes(int(progress.rate_bytes_per_s))}/s" if progress.rate_bytes_per_s else "…"
        left = (f", {_duration(progress.seconds_left)} left"
                if progress.seconds_left is not None and done < total else "")
        text = f"{format_bytes(done)} of {format_bytes(total)} ({100 * progress.fraction:.0f} %), {rate}{left}"
        if self.tty:
            filled = int(BAR_WIDTH * progress.fraction)
            self.stream.write(f"\r\033[K{self.name}: [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {text}")
            self.line_open = True
        elif progress.fraction >= self.next_step or done >= total:
            if done >= total and self.next_step > 1:
                return
            self.stream.write(f"{self.name}: {text}\n")
            self.next_step = (int(progress.fraction / LINE_STEP) + 1) * LINE_STEP if done < total else 2.0
        self.stream.flush()

    def close(self) -> None:
        """End the redrawn line (on a terminal)."""
        if self.line_open:
            self.stream.write("\n")
            self.stream.flush()
            self.line_open = False


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under 1 s"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _download(model_id: str, endpoint: str | None) -> int:
    entry = catalog.find_entry(model_id)
    if entry is None:
        known = ", ".join(e.id for e in catalog.catalog() if e.hf_repo)
        return _fail(f"no catalog model has the id '{model_id}'; choose one of: {known}")
    existing = installed.find_installed(entry.id)
    if existing is not None:
        print(f"{entry.id} is already installed ({existing.how}): {existing.path}")
        return EXIT_OK
    printer = DownloadPrinter(entry.id)
    cancel = threading.Event()
    started = time.monotonic()
    resumed = installed.partial_bytes(entry.id)
    if resumed:
        print(f"{entry.id}: resuming the partial download ({format_bytes(resumed)} already here)", file=sys.stderr)
    with stops.cancelling(cancel) as stop_signals:
        try:
            model = downloads.download(entry, endpoint=endpoint, cancel=cancel, progress=printer)
        except Cancelled:
            printer.close()
            kept = installed.partial_bytes(entry.id)
            print(f"hearsay: {stops.interrupted(stop_signals.first)}; the download of {entry.id} stopped with "
                  f"{format_bytes(kept)} kept: `hearsay models download {entry.id}` resumes it", file=sys.stderr)
            return stop_signals.code(EXIT_INTERRUPTED)
        except HearsayError as exc:
            printer.close()
            return _fail(exc.message)
    printer.close()
    print(f"{entry.id}: downloaded in {_duration(time.monotonic() - started)}, sha256 {model.sha256} checked; "
          f"installed at {model.path}")
    return EXIT_OK


def _import(path: str, reference: bool, model_id: str | None) -> int:
    try:
        result = imports.import_model(path, mode="reference" if reference else "copy", model_id=model_id)
    except HearsayError as exc:
        return _fail(exc.message)
    for warning in result.warnings:
        print(f"hearsay: warning: {warning}", file=sys.stderr)
    model = result.model
    print(f"{model.id}: {model.role} model {model.how} ({format_bytes(model.size_bytes)}, sha256 {model.sha256}) "
          f"at {display_path(model.path)}; use it with --{'llm' if model.role == 'llm' else 'whisper'}-model "
          f"{model.id}")
    return EXIT_OK


def _remove(model_id: str) -> int:
    try:
        model = installed.remove(model_id)
    except HearsayError as exc:
        return _fail(exc.message)
    kept = f" (the file {display_path(model.path)} itself is kept)" if model.how == "referenced" else ""
    print(f"{model.id}: removed{kept}")
    return EXIT_OK
