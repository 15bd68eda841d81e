"""Progress events the analysis pipeline yields, in order, for one file.

The pipeline (``app.core.pipeline.analyze``) is a generator of these; the CLI
prints them and the GUI's worker turns each into a Qt signal. Times are
seconds. Order for an audio file::

    StageChanged(LOADING_WHISPER) -> ModelReady(whisper) -> StageChanged(TRANSCRIBING)
    -> (SegmentDecoded, TranscriptionProgress)* -> StageChanged(LOADING_LLM)
    -> ModelReady(llm) -> StageChanged(PROMPTING)
    -> (PromptStarted, ResponseDelta*, PromptFinished)* -> AnalysisFinished

A transcript input (.txt / .json) skips the Whisper stages; a failure or a
cancel jumps to AnalysisFinished.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app.core.analysis import Analysis, PromptResult, Segment


class Stage(str, Enum):
    """The pipeline's stages, in the order they run."""

    LOADING_WHISPER = "loading speech model"
    TRANSCRIBING = "transcribing"
    LOADING_LLM = "loading language model"
    PROMPTING = "running prompts"


@dataclass(frozen=True)
class StageChanged:
    """A new stage began."""

    stage: Stage


@dataclass(frozen=True)
class ModelReady:
    """A model finished loading. ``role`` is "whisper" or "llm"; ``load_time`` in seconds."""

    role: str
    name: str
    device: str
    load_time: float


@dataclass(frozen=True)
class SegmentDecoded:
    """One more transcript segment, in recording order."""

    segment: Segment


@dataclass(frozen=True)
class TranscriptionProgress:
    """Seconds of audio transcribed so far (end of the last segment) of the total."""

    seconds_done: float
    seconds_total: float


@dataclass(frozen=True)
class PromptStarted:
    """Prompt number ``index`` (0-based, prompt order) began."""

    index: int


@dataclass(frozen=True)
class ResponseDelta:
    """More response text for prompt ``index`` (one or more tokens)."""

    index: int
    text: str


@dataclass(frozen=True)
class PromptFinished:
    """Prompt ``index`` ended (done, failed or cancelled; see ``result.status``)."""

    index: int
    result: PromptResult


@dataclass(frozen=True)
class AnalysisFinished:
    """The file's analysis ended; ``analysis.status`` says how."""

    analysis: Analysis


Event = StageChanged | ModelReady | SegmentDecoded | TranscriptionProgress | PromptStarted | ResponseDelta | PromptFinished | AnalysisFinished
