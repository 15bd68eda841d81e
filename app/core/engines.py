"""The two engine interfaces the pipeline drives.

The real ones are ``app.core.transcription.WhisperTranscriber`` (faster-whisper)
and ``app.core.prompting.LlamaPromptRunner`` (llama-cpp-python). Tests inject
scripted engines with the same methods to cue segments, tokens and faults.

Thread-safety contract: an engine is used by one thread at a time. The GUI
gives both to a single long-lived worker thread; llama-cpp-python crashes on
concurrent use of one ``Llama``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from dataclasses import dataclass
from typing import Protocol

from app.core.analysis import Segment


class Transcriber(Protocol):
    """Speech to segments."""

    model_name: str
    device: str

    def load(self) -> float:
        """Load the model if not loaded yet; return seconds spent (0.0 when warm).

        Raises ModelError.
        """

    def transcribe(
        self, path: Path, cancel: threading.Event, language: str | None = None
    ) -> tuple[float, Iterator[Segment]]:
        """Start decoding ``path``; return (audio duration in seconds, segments).

        Segments are yielded as they decode; the iterator stops early (without
        error) once ``cancel`` is set. Raises MediaError for unreadable input.
        """


class PromptRunner(Protocol):
    """Transcript + prompt to a streamed response."""

    model_name: str
    device: str

    def load(self) -> float:
        """Load the model if not loaded yet; return seconds spent. Raises ModelError."""

    def stream(self, transcript: str, prompt: str, cancel: threading.Event) -> Iterator[str]:
        """Yield the response to ``prompt`` over ``transcript`` piece by piece.

        Stops early once ``cancel`` is set. Raises PromptError (for instance
        ContextOverflowError) when the prompt cannot run.
        """


@dataclass(frozen=True)
class EngineSettings:
    """What the user chose; ``None`` means the default model.

    ``whisper_model``: a faster-whisper size name ("tiny.en", "base", ...) or a
    CTranslate2 model directory. ``llm_model``: a path to a ``.gguf`` file.
    ``device``: "auto", "cpu" or "cuda". ``max_tokens``: response length cap in tokens.
    ``language``: ISO 639-1 code, or None to auto-detect.
    """

    whisper_model: str | None = None
    llm_model: str | None = None
    device: str = "auto"
    language: str | None = None
    max_tokens: int = 512


def create_engines(settings: EngineSettings) -> tuple[Transcriber, PromptRunner]:
    """Build the real engines for ``settings``; nothing loads until their ``load()``.

    Raises ModelError when a named model cannot be found on this machine.
    """
    from app.core.prompting import LlamaPromptRunner
    from app.core.transcription import WhisperTranscriber

    transcriber = WhisperTranscriber(settings.whisper_model, device=settings.device)
    runner = LlamaPromptRunner(settings.llm_model, device=settings.device, max_tokens=settings.max_tokens)
    return transcriber, runner
