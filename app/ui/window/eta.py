"""Time left for each running file's stage, from rates measured while it runs.

Transcription: the seconds of audio done against the wall-clock seconds they
took (the real-time factor, RTF) give the time for the rest. Prompts: a
prompt's prefill (transcript tokens at the measured prefill rate) plus its
answer (the answers finished so far in this run, or the typical answer
length at the measured decode rate) for each prompt still to run. Until a
run has measured a rate, the rate remembered from earlier runs is used
(``Rates``, kept in the settings); with no rate at all there is no estimate
(never a made-up one). Every figure is an estimate and is shown as "about".

Thread-safety: GUI thread only (fed with the events the window receives).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field

from app.core.pipeline.events import (
    ContextMeasured,
    PromptFinished,
    PromptStarted,
    ResponseDelta,
    Stage,
    StageChanged,
    TranscriptionProgress,
)

MIN_AUDIO_SECONDS = 5.0
"""Audio transcribed before this run's own real-time factor is trusted."""
MIN_ANSWER_TOKENS = 8
"""Tokens decoded before this prompt's own decode rate is trusted."""


@dataclass
class Rates:
    """Measured speeds: ``realtime_factor`` (wall seconds per audio second of transcription),
    ``prefill_tokens_per_s``, ``decode_tokens_per_s`` and ``answer_tokens`` (a typical answer's length);
    None where nothing was measured yet."""

    realtime_factor: float | None = None
    prefill_tokens_per_s: float | None = None
    decode_tokens_per_s: float | None = None
    answer_tokens: float | None = None

    def to_dict(self) -> dict:
        """As a plain dict (for the settings)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> Rates:
        """From a stored dict; anything missing or not a positive number is None."""
        data = data if isinstance(data, dict) else {}

        def positive(key):
            value = data.get(key)
            return float(value) if isinstance(value, (int, float)) and value > 0 else None

        return cls(*(positive(key) for key in ("realtime_factor", "prefill_tokens_per_s", "decode_tokens_per_s",
                                              "answer_tokens")))


@dataclass
class _FileClock:
    prompts: int = 0
    transcribe_started: float | None = None
    audio_done: float = 0.0
    audio_total: float = 0.0
    transcript_tokens: int = 0
    prompt_index: int = -1
    prompt_started: float | None = None
    first_token: float | None = None
    tokens: int = 0
    durations: list[float] = field(default_factory=list)


class StageClock:
    """Estimates of the time left in each running file's stage (transcribing, or running its prompts).

    ``rates``: what earlier runs measured (updated in place as this run measures; store
    ``rates`` afterwards). ``max_tokens``: the answer cap, the longest an answer can be.
    """

    def __init__(self, rates: Rates | None = None, max_tokens: int = 512) -> None:
        self.rates = rates or Rates()
        self.max_tokens = max_tokens
        self._files: dict[str, _FileClock] = {}

    def observe(self, file_id: str, event, prompts: int, now: float | None = None) -> None:
        """Take one pipeline event of file ``file_id`` (which has ``prompts`` prompts) into account."""
        now = time.monotonic() if now is None else now
        clock = self._files.setdefault(file_id, _FileClock())
        clock.prompts = prompts
        if isinstance(event, StageChanged) and event.stage is Stage.TRANSCRIBING:
            clock.transcribe_started = now
        elif isinstance(event, TranscriptionProgress):
            if clock.transcribe_started is None:
                clock.transcribe_started = now
            clock.audio_done, clock.audio_total = event.seconds_done, event.seconds_total
            elapsed = now - clock.transcribe_started
            if clock.audio_done >= MIN_AUDIO_SECONDS and elapsed > 0:
                self.rates.realtime_factor = elapsed / clock.audio_done
        elif isinstance(event, ContextMeasured):
            clock.transcript_tokens = event.transcript_tokens
        elif isinstance(event, PromptStarted):
            clock.prompt_index, clock.prompt_started, clock.first_token, clock.tokens = event.index, now, None, 0
        elif isinstance(event, ResponseDelta):
            if clock.first_token is None and clock.prompt_started is not None:
                clock.first_token = now
                prefill = now - clock.prompt_started
                if clock.transcript_tokens and prefill > 0.5 and not clock.durations:
                    self.rates.prefill_tokens_per_s = clock.transcript_tokens / prefill  # the first prompt's prefill
            clock.tokens += 1
            decoding = now - (clock.first_token or now)
            if clock.tokens >= MIN_ANSWER_TOKENS and decoding > 0:
                self.rates.decode_tokens_per_s = (clock.tokens - 1) / decoding
        elif isinstance(event, PromptFinished):
            if clock.prompt_started is not None:
                clock.durations.append(now - clock.prompt_started)
            if clock.tokens:
                previous = self.rates.answer_tokens
                self.rates.answer_tokens = clock.tokens if previous is None else 0.7 * previous + 0.3 * clock.tokens
            clock.prompt_started = None

    def forget(self, file_id: str) -> None:
        """The file ended: drop its clock."""
        self._files.pop(file_id, None)

    def seconds_left(self, file_id: str, stage: Stage | None, now: float | None = None) -> float | None:
        """Seconds left in the file's ``stage`` (TRANSCRIBING or PROMPTING), or None when there is nothing
        to go on yet."""
        now = time.monotonic() if now is None else now
        clock = self._files.get(file_id)
        if clock is None:
            return None
        if stage is Stage.TRANSCRIBING:
            rtf = self.rates.realtime_factor
            if rtf is None or clock.audio_total <= 0:
                return None
            return max(clock.audio_total - clock.audio_done, 0.0) * rtf
        if stage is Stage.PROMPTING:
            return self._prompts_left(clock, now)
        return None

    def _prompts_left(self, clock: _FileClock, now: float) -> float | None:
        per_prompt = self._prompt_seconds(clock)
        if per_prompt is None:
            return None
        later = max(clock.prompts - clock.prompt_index - 1, 0) * per_prompt
        if clock.prompt_started is None:
            return later + per_prompt
        elapsed = now - clock.prompt_started
        decode = self.rates.decode_tokens_per_s
        if clock.first_token is not None and decode:
            expected = max(self._answer_tokens(), clock.tokens + 1)
            current = (expected - clock.tokens) / decode
        else:
            current = max(per_prompt + self._prefill_seconds(clock) - elapsed, 0.0)
        return max(current, 0.0) + later

    def _prompt_seconds(self, clock: _FileClock) -> float | None:
        if clock.durations:
            return statistics.median(clock.durations)
        decode = self.rates.decode_tokens_per_s
        return self._answer_tokens() / decode if decode else None

    def _prefill_seconds(self, clock: _FileClock) -> float:
        prefill = self.rates.prefill_tokens_per_s
        first = not clock.durations and clock.prompt_index <= 0
        return clock.transcript_tokens / prefill if first and prefill and clock.transcript_tokens else 0.0

    def _answer_tokens(self) -> float:
        return min(self.rates.answer_tokens or self.max_tokens / 2, self.max_tokens)


def about(seconds: float | None) -> str:
    """"about 40 s left", "about 3 min left"; "" for None."""
    if seconds is None:
        return ""
    if seconds < 10:
        return "a few seconds left"
    if seconds < 90:
        return f"about {int(round(seconds / 5.0) * 5)} s left"
    return f"about {int(round(seconds / 60.0))} min left"
