"""Progress events the analysis pipeline yields, in order, for one file.

The pipeline (``app.core.pipeline.stages.analyze``) is a generator of these; the CLI
prints them and the GUI's worker turns each into a Qt signal. Times are
seconds. Order for an audio file::

    StageChanged(LOADING_WHISPER) -> ModelReady(whisper) -> StageChanged(TRANSCRIBING)
    -> (SegmentDecoded, TranscriptionProgress)* -> TranscriptReady -> [StageChanged(DIARIZING)
    -> DiarizationProgress* -> SpeakersFound] -> StageChanged(LOADING_LLM)
    -> ModelReady(llm) -> StageChanged(PROMPTING) -> ContextMeasured
    -> [MapProgress* (map-reduce only)] -> (PromptStarted, ResponseDelta*, PromptFinished)*
    -> AnalysisFinished

A transcript input (.txt / .json) skips the Whisper stages; a failure or a
cancel jumps to AnalysisFinished. A transcript restored or reused from the
history library (``analysis.transcript_complete``) skips to the prompts; a
partial one transcribes only the rest. In a batch (``app.core.pipeline.batch``) the LLM loads
in the background, so its ``ModelReady`` may come while the first file is
still transcribing. A follow-up (``app.core.pipeline.prompting.ask``) on a finished analysis
yields ``PromptAdded`` then the prompt events and a new ``AnalysisFinished``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app.core.analysis import Analysis, Diarization, PromptResult, Segment


class Stage(str, Enum):
    """The pipeline's stages, in the order they run."""

    LOADING_WHISPER = "loading speech model"
    TRANSCRIBING = "transcribing"
    DIARIZING = "finding speakers"
    LOADING_LLM = "loading language model"
    PROMPTING = "running prompts"


@dataclass(frozen=True)
class StageChanged:
    """A new stage began."""

    stage: Stage


@dataclass(frozen=True)
class ModelReady:
    """A model finished loading. ``role`` is "whisper" or "llm"; ``load_time`` in seconds; ``demo`` is True
    for the catalog's demo language model (its answers are for trying Hearsay out, often invented)."""

    role: str
    name: str
    device: str
    load_time: float
    demo: bool = False


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
class DiarizationProgress:
    """Speaker diarization: ``fraction`` (0..1) of its work done."""

    fraction: float


@dataclass(frozen=True)
class SpeakersFound:
    """Diarization ended (after ``TranscriptReady``, before the prompts): ``segments`` is the whole transcript again, each segment with its speaker (segments
    that spanned a change of speaker split at word boundaries); ``diarization`` says how, or in its
    ``error`` why speakers were not found (then ``segments`` are the transcript's, without speakers)."""

    segments: tuple[Segment, ...]
    diarization: Diarization
    speaker_names: dict[int, str]


@dataclass(frozen=True)
class TranscriptReady:
    """The transcript is complete: transcribed, read from a transcript file, or reused.

    ``reused_from`` is the history-library id of an earlier analysis of the same
    content with the same Whisper settings whose transcript was reused instead of
    transcribing again (None when this run produced the transcript);
    ``reused_created_at`` is that analysis's date (ISO 8601).
    """

    reused_from: str | None = None
    reused_created_at: str | None = None


@dataclass(frozen=True)
class ContextMeasured:
    """The transcript against the context window, before the prompts run.

    ``transcript_tokens`` and ``context_window`` in tokens; ``strategy`` is
    "whole" when the transcript fits with room for the prompts and answers,
    else "map-reduce" over ``parts`` chunks.
    """

    transcript_tokens: int
    context_window: int
    strategy: str
    parts: int = 1


@dataclass(frozen=True)
class MapProgress:
    """Map-reduce: prompt ``index`` is reading chunk ``part`` (1-based) of ``parts``."""

    index: int
    part: int
    parts: int


@dataclass(frozen=True)
class PromptAdded:
    """A follow-up prompt was appended to a finished analysis at ``index``."""

    index: int
    prompt: str


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


Event = (
    StageChanged | ModelReady | SegmentDecoded | TranscriptionProgress | DiarizationProgress | SpeakersFound
    | TranscriptReady | ContextMeasured
    | MapProgress
    | PromptAdded | PromptStarted | ResponseDelta | PromptFinished | AnalysisFinished
)
