"""Progress of ``hearsay analyze`` on stderr: a redrawn line on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from app.core.analysis import PromptStatus
from app.core.events import (
    AnalysisFinished,
    Event,
    ModelReady,
    PromptFinished,
    PromptStarted,
    ResponseDelta,
    Stage,
    StageChanged,
    TranscriptionProgress,
)

BAR_WIDTH = 24
REDRAW_INTERVAL = 0.1
"""Seconds between redraws of the token counter on a terminal."""


class ProgressPrinter:
    """Turns pipeline events for one file into stderr lines.

    On a TTY one status line is redrawn in place (``\\r``) with a bar for
    transcription and a token count for prompts; otherwise one line per stage
    change, so logs stay readable.
    """

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self._name = ""
        self._prompts = 0
        self._tokens = 0
        self._line_open = False
        self._last_redraw = 0.0

    def start_file(self, name: str, prompts: int, index: int, total: int) -> None:
        self._name = f"{name} ({index}/{total})" if total > 1 else name
        self._prompts = prompts

    def handle(self, event: Event) -> None:
        if self.quiet:
            return
        if isinstance(event, StageChanged) and event.stage in (Stage.LOADING_WHISPER, Stage.LOADING_LLM):
            self._status(event.stage.value + "…")
        elif isinstance(event, ModelReady) and event.load_time > 0:
            self._line(f"{event.role} model {event.name} ready on {event.device} in {event.load_time:.1f} s")
        elif isinstance(event, TranscriptionProgress):
            self._transcription(event.seconds_done, event.seconds_total)
        elif isinstance(event, PromptStarted):
            self._tokens = 0
            self._status(f"prompt {event.index + 1}/{self._prompts} running")
        elif isinstance(event, ResponseDelta):
            self._tokens += 1
            if self.tty and time.monotonic() - self._last_redraw >= REDRAW_INTERVAL:
                self._last_redraw = time.monotonic()
                self._status(f"prompt {event.index + 1}/{self._prompts} running, {self._tokens} tokens so far")
        elif isinstance(event, PromptFinished):
            result = event.result
            detail = f"failed: {result.error}" if result.status is PromptStatus.FAILED else result.status.value
            self._line(f"prompt {event.index + 1}/{self._prompts} {detail} ({result.exec_time:.1f} s)")
        elif isinstance(event, AnalysisFinished):
            self._close_line()

    def _transcription(self, done: float, total: float) -> None:
        if self.tty:
            filled = int(BAR_WIDTH * done / total) if total > 0 else 0
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self._status(f"transcribing [{bar}] {done:.0f}/{total:.0f} s")
        elif total > 0 and done >= total:
            self._line(f"transcribed {total:.1f} s of audio")
        elif done == 0:
            self._line(f"transcribing {total:.1f} s of audio")

    def _status(self, text: str) -> None:
        if self.tty:
            self.stream.write(f"\r\033[K{self._name}: {text}")
            self._line_open = True
            self.stream.flush()
        else:
            self._line(text)

    def _line(self, text: str) -> None:
        self._close_line()
        self.stream.write(f"{self._name}: {text}\n")
        self.stream.flush()

    def _close_line(self) -> None:
        if self._line_open:
            self.stream.write("\r\033[K")
            self._line_open = False
