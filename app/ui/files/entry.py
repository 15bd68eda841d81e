"""``FileEntry``: the GUI's own picture of one file, built only from pipeline events.

It holds segments, streamed response text and per-prompt status, so the GUI
never reads an ``Analysis`` while the worker thread is still filling it. Once
the ``AnalysisFinished`` event arrives the ``Analysis`` is final and the entry
takes its results from it. A follow-up question (``begin_follow_up``) hands
the finished ``Analysis`` to the worker again until the next ``AnalysisFinished``.
An entry may also show a stored analysis from the history library (``restored``).

Thread-safety: GUI thread only (it has no Qt objects, but the worker never touches it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from app.core.analysis import Analysis, AnalysisStatus, Diarization, PromptStatus, Segment, Transcript
from app.core.export.markdown import segment_lines
from app.core.library.store import INTERRUPTED
from app.core.llm.labels import turn_lines
from app.core.llm.prompts import NamedPrompt
from app.core.pipeline.events import (
    AnalysisFinished,
    ContextMeasured,
    DiarizationProgress,
    MapProgress,
    ModelReady,
    PromptAdded,
    PromptFinished,
    PromptStarted,
    ResponseDelta,
    SegmentDecoded,
    SpeakersFound,
    Stage,
    StageChanged,
    TranscriptionProgress,
    TranscriptReady,
)
from app.ui.messages import coverage_note, map_progress, transcript_reused, usage_tip


@dataclass
class FileEntry:
    """One file in the list: its current ``Analysis`` and the live view of it.

    ``analysis`` is handed to the worker when the file is submitted; until its
    ``AnalysisFinished`` the entry's other fields are the only thing the GUI
    reads. ``prompts`` is the entry's own copy of the prompts (a follow-up
    appends to it on ``PromptAdded``); ``responses[i]`` is prompt i's text so
    far (the final response once the prompt finished); ``prompt_notes[i]`` the
    coverage note of a map-reduce answer. ``context`` is the last
    ``ContextMeasured`` (transcript tokens against the context window) and
    ``map_part`` the (part, parts) a map-reduce prompt is reading; ``prompt_cut_off[i]`` the tokens of
    prompt i's answer when it stopped at the answer limit (0 when it ended by itself). ``note`` is
    said after the state ("from History, 21 Nov 14:03", a reused transcript);
    ``reused_from`` the history id whose transcript this run reused. ``llm_demo`` is True while the
    answers come from the catalog's demo language model; ``prompt_usage[i]`` the tooltip line on the
    tokens prompt i's answer took ("" before it finished).

    Speakers: ``speaker_names`` are the names given to speakers (by the user, or by a recognised voiceprint:
    ``diarization.recognised``), by 0-based speaker index; ``diarization`` says how speakers were found, or in
    its ``error`` why not (None: not looked for); ``diarized`` is the fraction (0..1) of the diarization done.
    """

    analysis: Analysis
    status: AnalysisStatus = AnalysisStatus.QUEUED
    submitted: bool = False
    stage: Stage | None = None
    seconds_done: float = 0.0
    seconds_total: float = 0.0
    prompt_index: int = -1
    map_part: tuple[int, int] | None = None
    error: str | None = None
    prompts: list[str] = field(default_factory=list)
    prompt_names: list[str] = field(default_factory=list)
    prompt_kinds: list[str] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)
    prompt_statuses: list[PromptStatus] = field(default_factory=list)
    prompt_errors: list[str | None] = field(default_factory=list)
    prompt_notes: list[str | None] = field(default_factory=list)
    prompt_cut_off: list[int] = field(default_factory=list)
    context: ContextMeasured | None = None
    models: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    reused_from: str | None = None
    llm_demo: bool = False
    prompt_usage: list[str] = field(default_factory=list)
    speaker_names: dict[int, str] = field(default_factory=dict)
    diarization: Diarization | None = None
    diarized: float = 0.0

    @classmethod
    def create(cls, path: Path, prompts: list[str | NamedPrompt]) -> FileEntry:
        """A queued entry for ``path`` with ``prompts`` (texts, or ``NamedPrompt``s whose names title their tabs)."""
        entry = cls(analysis=new_analysis(Path(path), prompts))
        entry.reset()
        return entry

    @classmethod
    def restored(cls, analysis: Analysis, note: str | None = None) -> FileEntry:
        """An entry showing a stored ``analysis`` (from the history library) as it is; nothing runs."""
        entry = cls(analysis=analysis)
        entry.take(analysis, note)
        return entry

    def take(self, analysis: Analysis, note: str | None = None) -> None:
        """Show ``analysis`` as it stands (stored, or made ready to resume or re-run), not submitted."""
        self.analysis, self.submitted, self.note, self.reused_from = analysis, False, note, None
        self.seconds_done, self.prompt_index, self.context = 0.0, -1, None
        self._finish(analysis)
        self.models = {role: name for role, name in (("whisper", analysis.whisper_model),
                                                     ("llm", analysis.llm_model)) if name}

    def renew(self, prompts: list[str | NamedPrompt]) -> None:
        """Start over with a fresh queued ``Analysis`` of the same file and ``prompts``."""
        self.analysis = new_analysis(self.analysis.source, prompts)
        self.reset()

    def reset(self) -> None:
        """Forget all progress: back to queued, not submitted."""
        self.prompts = list(self.analysis.prompts)
        self.prompt_names = [r.name for r in self.analysis.prompt_results]
        self.prompt_kinds = [r.kind for r in self.analysis.prompt_results]
        count = len(self.prompts)
        self.status, self.submitted, self.stage, self.error = AnalysisStatus.QUEUED, False, None, None
        self.seconds_done = self.seconds_total = 0.0
        self.prompt_index, self.map_part, self.context = -1, None, None
        self.segments = []
        self.responses = [""] * count
        self.prompt_statuses = [PromptStatus.WAITING] * count
        self.prompt_errors = [None] * count
        self.prompt_notes = [None] * count
        self.prompt_cut_off = [0] * count
        self.prompt_usage = [""] * count
        self.llm_demo = False
        self.models = {}
        self.note = self.reused_from = None
        self.speaker_names, self.diarization, self.diarized = {}, None, 0.0

    def begin_follow_up(self) -> None:
        """A follow-up question was handed to the worker: queued (and busy) until its ``AnalysisFinished``."""
        self.status, self.submitted, self.stage = AnalysisStatus.QUEUED, True, None
        self.prompt_index, self.map_part = -1, None

    # ---- derived ------------------------------------------------------------

    @property
    def id(self) -> str:
        """The current analysis id (what worker events are keyed by)."""
        return self.analysis.id

    @property
    def path(self) -> Path:
        """The file."""
        return self.analysis.source

    def relocate(self, path: Path) -> None:
        """The recording is at ``path`` now (the user located a moved file): the entry's source path points
        there for the rest of this session (player, header, re-runs); the history library keeps the path it
        stored."""
        self.analysis.source = Path(path)

    @property
    def active(self) -> bool:
        """True while the file waits in a submitted batch or runs."""
        return self.status is AnalysisStatus.RUNNING or (self.status is AnalysisStatus.QUEUED and self.submitted)

    @property
    def finished(self) -> bool:
        """True once the analysis ended (done, failed or cancelled)."""
        return self.status in (AnalysisStatus.DONE, AnalysisStatus.FAILED, AnalysisStatus.CANCELLED)

    @property
    def exportable(self) -> bool:
        """True when there is something to export: done, or ended with some transcript."""
        return self.status is AnalysisStatus.DONE or (self.finished and bool(self.segments))

    @property
    def transcribed(self) -> bool:
        """True once the transcription is complete while the prompts have not begun (with overlap the
        file waits there for the prompts of the file before it)."""
        return self.stage is Stage.TRANSCRIBING and 0 < self.seconds_total <= self.seconds_done

    @property
    def can_ask(self) -> bool:
        """True when a follow-up question can be asked: the analysis ended with a transcript."""
        return self.finished and any(s.text.strip() for s in self.segments)

    def speaker_name(self, speaker: int | None) -> str:
        """The name shown for ``speaker``: its given name, else "Speaker N" (N = index + 1); "" for None
        (``Transcript.speaker_name`` on the entry's own names)."""
        return Transcript(speaker_names=self.speaker_names).speaker_name(speaker)

    @property
    def speakers(self) -> list[int]:
        """The speaker indices in the segments shown, ascending (empty when speakers were not found)."""
        return sorted({s.speaker for s in self.segments if s.speaker is not None})

    @property
    def recognised(self) -> dict[int, str]:
        """Speakers labelled by a matching voiceprint and not yet confirmed: index -> that voiceprint's name."""
        return dict(self.diarization.recognised) if self.diarization is not None else {}

    def transcript_lines(self) -> list[str]:
        """``[mm:ss] text`` per segment so far; with speakers, ``[mm:ss] Name: text`` per speaker turn (as the
        language model reads it, ``app.core.llm.labels.turn_lines``)."""
        if any(s.speaker is not None for s in self.segments):
            return turn_lines(self.segments, self.speaker_name)
        return segment_lines(self.segments)

    def failed_prompts(self) -> list[int]:
        """Indices of prompts that failed."""
        return [i for i, s in enumerate(self.prompt_statuses) if s is PromptStatus.FAILED]

    def state_text(self) -> str:
        """A short line for the file list: "Queued", "Transcribing 40%", "Prompt 2 of 3", "Done", ...,
        then the ``note`` if any."""
        state = self._state()
        return f"{state} · {self.note}" if self.note else state

    def _state(self) -> str:
        if self.status is AnalysisStatus.QUEUED:
            return "Queued"
        if self.status is AnalysisStatus.RUNNING:
            if self.stage is Stage.TRANSCRIBING:
                if self.transcribed:
                    return "Transcribed, waiting for prompts"
                if self.seconds_total > 0:
                    return f"Transcribing {min(100, int(100 * self.seconds_done / self.seconds_total))}%"
                return "Transcribing…"
            if self.stage is Stage.DIARIZING:
                return f"Finding speakers {min(100, int(100 * self.diarized))}%"
            if self.stage is Stage.PROMPTING:
                if self.prompt_index >= 0:
                    text = f"Prompting {self.prompt_index + 1} of {len(self.prompts)}"
                    return f"{text} · {map_progress(*self.map_part)}" if self.map_part else text
                return "Prompting…"
            if self.stage in (Stage.LOADING_WHISPER, Stage.LOADING_LLM):
                return "Loading model…"
            return "Starting…"
        if self.status is AnalysisStatus.DONE:
            failed = len(self.failed_prompts())
            if failed:
                return f"Done, {failed} prompt{'s' if failed > 1 else ''} failed"
            if not self.segments:
                return "Done, no speech found"
            return "Done"
        if self.status is AnalysisStatus.FAILED:
            return f"Failed: {self.error}" if self.error else "Failed"
        return "Interrupted" if self.error == INTERRUPTED else "Cancelled"

    def state_icon_name(self) -> str:
        """The ``resources/state-*.svg`` icon for the current state."""
        if self.status is AnalysisStatus.DONE:
            return "state-warning" if self.failed_prompts() else "state-done"
        return {
            AnalysisStatus.QUEUED: "state-queued",
            AnalysisStatus.RUNNING: "state-running",
            AnalysisStatus.FAILED: "state-failed",
            AnalysisStatus.CANCELLED: "state-cancelled",
        }[self.status]

    # ---- events -----------------------------------------------------------

    def apply(self, event) -> None:
        """Update the live view from one pipeline event (GUI thread)."""
        if isinstance(event, StageChanged):
            self.status = AnalysisStatus.RUNNING
            self.stage = event.stage
        elif isinstance(event, ModelReady):
            self.models[event.role] = f"{event.name} on {event.device}"
            if event.role == "llm":
                self.llm_demo = event.demo
        elif isinstance(event, SegmentDecoded):
            self.status = AnalysisStatus.RUNNING
            self.segments.append(event.segment)
        elif isinstance(event, TranscriptionProgress):
            self.seconds_done, self.seconds_total = event.seconds_done, event.seconds_total
        elif isinstance(event, DiarizationProgress):
            self.diarized = min(max(event.fraction, 0.0), 1.0)
        elif isinstance(event, SpeakersFound):
            # The transcript split where speakers change: it replaces the one shown (copies: the worker's own
            # objects stay the worker's until AnalysisFinished).
            self.segments = list(event.segments)
            self.speaker_names = dict(event.speaker_names)
            self.diarization = _copy_diarization(event.diarization)
            self.diarized = 1.0
        elif isinstance(event, TranscriptReady) and event.reused_from:
            # The stored transcript was put in place before this event and no longer changes: safe to read.
            self.reused_from, self.note = event.reused_from, transcript_reused(event.reused_created_at)
            self.segments = list(self.analysis.transcript.segments)
            self.seconds_total = self.analysis.transcript.duration
            self.speaker_names = dict(self.analysis.transcript.speaker_names)
            self.diarization = _copy_diarization(self.analysis.transcript.diarization)
        elif isinstance(event, ContextMeasured):
            self.context = event
        elif isinstance(event, MapProgress):
            self.prompt_index, self.map_part = event.index, (event.part, event.parts)
            self.prompt_statuses[event.index] = PromptStatus.RUNNING
        elif isinstance(event, PromptAdded):
            self._add_prompt(event.index, event.prompt)
        elif isinstance(event, PromptStarted):
            self.prompt_index, self.map_part = event.index, None
            self.prompt_statuses[event.index] = PromptStatus.RUNNING
            self.responses[event.index] = ""
        elif isinstance(event, ResponseDelta):
            self.responses[event.index] += event.text
        elif isinstance(event, PromptFinished):
            result = event.result
            self.prompt_statuses[event.index] = result.status
            self.prompt_errors[event.index] = result.error
            self.prompt_notes[event.index] = coverage_note(result)
            self.prompt_cut_off[event.index] = _cut_off(result)
            self.prompt_usage[event.index] = usage_tip(result)
            self.responses[event.index] = result.response
        elif isinstance(event, AnalysisFinished):
            self._finish(event.analysis)

    def _add_prompt(self, index: int, prompt: str) -> None:
        # A follow-up: one more slot at ``index`` (the end), prompting from here on.
        self.status, self.stage = AnalysisStatus.RUNNING, Stage.PROMPTING
        del self.prompts[index:], self.prompt_names[index:], self.prompt_kinds[index:]
        self.prompts.append(prompt)
        self.prompt_names.append("")
        self.prompt_kinds.append("question")
        for values, empty in ((self.responses, ""), (self.prompt_statuses, PromptStatus.WAITING),
                              (self.prompt_errors, None), (self.prompt_notes, None), (self.prompt_cut_off, 0),
                              (self.prompt_usage, "")):
            del values[index:]
            values.append(empty)

    # ---- speakers (the user's changes) ----------------------------------------------------------------------

    def rename_speaker(self, speaker: int, name: str) -> str:
        """Call ``speaker`` ``name`` ("" = back to "Speaker N") here and in the entry's analysis, so exports and
        prompts run from now on use it; returns the name it had before ("" when none). A recognised voice given
        another name is no longer marked recognised. Only while the entry is not ``active`` (the worker owns a
        running analysis): raises RuntimeError otherwise."""
        if self.active:
            raise RuntimeError("a running analysis belongs to the worker")
        old = self.speaker_names.get(speaker, "")
        transcript = self.analysis.transcript
        for names in (self.speaker_names, transcript.speaker_names):
            if name:
                names[speaker] = name
            else:
                names.pop(speaker, None)
        if name != self.recognised.get(speaker, name):
            self._forget_recognised(speaker)
        return old

    def confirm_voice(self, speaker: int) -> None:
        """The user confirmed that ``speaker`` is the recognised voice: its name stays, the mark goes."""
        self._forget_recognised(speaker)

    def reject_voice(self, speaker: int) -> str:
        """The recognised name was wrong: ``speaker`` is "Speaker N" again; returns the name it had."""
        name = self.recognised.get(speaker, "")
        self.rename_speaker(speaker, "")
        self._forget_recognised(speaker)
        return name

    def _forget_recognised(self, speaker: int) -> None:
        for diarization in (self.diarization, self.analysis.transcript.diarization):
            if diarization is not None:
                diarization.recognised.pop(speaker, None)
                diarization.similarity.pop(speaker, None)

    # ---- transcript edits (the user's corrections) ---------------------------------------------------------

    def set_transcript(self, segments: list[Segment], speaker_names: dict[int, str], version: int,
                       edited: bool) -> None:
        """Show ``segments`` and ``speaker_names`` as transcript version ``version`` (``UNSAVED_VERSION`` until
        the library numbers a new one), here and in the entry's analysis, so exports, follow-up questions and
        answers run again use them; answers made from another version read as stale (``stale_prompts``).
        Only while the entry is not ``active``: raises RuntimeError otherwise."""
        if self.active:
            raise RuntimeError("a running analysis belongs to the worker")
        transcript = self.analysis.transcript
        transcript.segments, transcript.speaker_names = list(segments), dict(speaker_names)
        self.segments, self.speaker_names = list(segments), dict(speaker_names)
        self.analysis.transcript_version, self.analysis.transcript_edited = version, edited

    def stale_prompts(self) -> list[int]:
        """Indices of the finished answers made from another transcript version than the one shown."""
        if self.active:
            return []
        return [i for i, r in enumerate(self.analysis.prompt_results) if self.analysis.is_stale(r)]

    def mark_started(self) -> None:
        """The worker began this file."""
        self.status = AnalysisStatus.RUNNING
        self.stage = None

    def _finish(self, analysis: Analysis) -> None:
        # The analysis is final now: take everything from it.
        self.status, self.error, self.stage, self.map_part = analysis.status, analysis.error, None, None
        self.segments = list(analysis.transcript.segments)
        # The entry's own copies: a rename changes them and the analysis's transcript together (``rename``).
        self.speaker_names = dict(analysis.transcript.speaker_names)
        self.diarization = _copy_diarization(analysis.transcript.diarization)
        if analysis.duration:
            self.seconds_total = analysis.duration
        self.prompts = list(analysis.prompts)
        results = analysis.prompt_results
        self.prompt_names = [r.name for r in results]
        self.prompt_kinds = [r.kind for r in results]
        self.prompt_statuses = [r.status for r in results]
        self.prompt_errors = [r.error for r in results]
        self.prompt_notes = [coverage_note(r) for r in results]
        self.prompt_cut_off = [_cut_off(r) for r in results]
        self.prompt_usage = [usage_tip(r) for r in results]
        self.responses = [r.response for r in results]
        self.llm_demo = analysis.llm_demo


UNSAVED_VERSION = -1
"""The version number an edited transcript shows until the history library has numbered it."""


def _copy_diarization(diarization: Diarization | None) -> Diarization | None:
    if diarization is None:
        return None
    return replace(diarization, requested=dict(diarization.requested), recognised=dict(diarization.recognised),
                   similarity=dict(diarization.similarity))


def _cut_off(result) -> int:
    """The answer's tokens when it stopped at the answer limit, else 0."""
    return max(result.completion_tokens, 1) if result.status is PromptStatus.DONE and result.cut_off else 0


def new_analysis(path: Path, prompts: list[str | NamedPrompt]) -> Analysis:
    """A queued ``Analysis`` of ``path`` with ``prompts``, each result named as its prompt is."""
    named = [p if isinstance(p, NamedPrompt) else NamedPrompt(p) for p in prompts]
    analysis = Analysis(source=Path(path), prompts=[p.text for p in named])
    for result, prompt in zip(analysis.prompt_results, named):
        result.name = prompt.name
    return analysis
