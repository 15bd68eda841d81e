"""The prompt stage of an analysis: every prompt over the transcript, whole or map-reduce.

Before running, the transcript's tokens are measured against the context
window (``ContextMeasured``). Prompts for which transcript + prompt + answer
fit run back to back on the same runner over one shared prefix, so the
transcript is prefilled once for all of them. Prompts that do not fit run
map-reduce: the transcript is split at segment boundaries into chunks that
fit with room for the prompt and answer; each chunk is read by every such
prompt in turn (chunk outer, prompts inner, so each chunk is prefilled once),
then one reduce step per prompt combines its partial answers (recursively
when they do not fit together). Nothing is ever truncated silently: every
result carries its ``strategy``, ``parts`` and ``coverage``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from app.core.analysis import Analysis, PromptResult, PromptStatus
from app.core.errors import ContextOverflowError, HearsayError
from app.core.llm.assembly import REDUCE_SYSTEM_TEXT, partial_answers_text
from app.core.llm.chunking import group_texts, split_segments
from app.core.llm.labels import transcript_text
from app.core.pipeline.engines import PromptRunner
from app.core.pipeline.events import (
    AnalysisFinished,
    ContextMeasured,
    Event,
    MapProgress,
    PromptAdded,
    PromptFinished,
    PromptStarted,
    ResponseDelta,
)

log = logging.getLogger(__name__)

MIN_CHUNK_TOKENS = 64
"""Smallest useful chunk of transcript for map-reduce; below it a prompt is too long for the context."""


def run_prompts(analysis: Analysis, runner: PromptRunner, cancel: threading.Event,
                indices: list[int] | None = None) -> Iterator[Event]:
    """Run prompts ``indices`` (default: all still WAITING) of ``analysis`` over its transcript, yielding events.

    Fills each ``PromptResult`` in place. A failing prompt fails alone; a
    cancel leaves the unfinished prompts for the caller to mark.
    """
    if indices is None:
        indices = [i for i, r in enumerate(analysis.prompt_results) if r.status is PromptStatus.WAITING]
    text = transcript_text(analysis.transcript)
    for i in indices:  # provenance: the transcript version these answers are made from
        analysis.prompt_results[i].transcript_version = analysis.transcript_version
    limit = runner.context_limit()
    transcript_tokens = runner.count_tokens(text)
    fixed = {i: runner.fixed_tokens(analysis.prompt_results[i].prompt) for i in indices}
    whole = [i for i in indices if transcript_tokens + fixed[i] + runner.max_tokens <= limit]
    split = [i for i in indices if i not in whole]
    chunks = []
    if split:
        budget = limit - max(fixed[i] for i in split) - runner.max_tokens
        chunks = split_segments(analysis.transcript.segments, runner.count_tokens, budget,
                                name_of=analysis.transcript.speaker_name) \
            if budget >= MIN_CHUNK_TOKENS else []
    yield ContextMeasured(transcript_tokens, limit, "map-reduce" if split else "whole", max(len(chunks), 1))
    for index in whole:
        if cancel.is_set():
            return
        yield from _run_whole(analysis.prompt_results[index], index, text, runner, cancel)
    if split and not chunks:
        for index in split:
            result = analysis.prompt_results[index]
            result.status, result.error = PromptStatus.FAILED, ContextOverflowError(
                fixed[index] + MIN_CHUNK_TOKENS + runner.max_tokens, limit).message
            yield PromptFinished(index, result)
    elif split:
        yield from _map_reduce(analysis, split, chunks, transcript_tokens, runner, cancel)


def note_generation(analysis: Analysis, runner: PromptRunner) -> None:
    """Record on ``analysis`` what makes its answers what they are besides the model: whether ``runner``
    holds the catalog's demo model (``demo``), and its ``temperature`` and ``system_prompt`` (a runner
    without them, a scripted one, leaves the defaults)."""
    analysis.llm_demo = bool(getattr(runner, "demo", False))
    temperature = getattr(runner, "temperature", None)
    analysis.temperature = float(temperature) if isinstance(temperature, (int, float)) else None
    system_prompt = getattr(runner, "system_prompt", None)
    analysis.system_prompt = system_prompt.strip() if isinstance(system_prompt, str) and system_prompt.strip() \
        else None


class _Usage:
    """Tokens read and generated over the model calls that make one answer (map-reduce makes several)."""

    def __init__(self) -> None:
        self.prompt_tokens = 0
        self.completion_tokens = 0

    def counted(self, pieces: Iterator[str], runner: PromptRunner) -> Iterator[str]:
        """``pieces`` passed through, each counted as one generated token; the call's prompt tokens
        (``runner.last_stats``) are added once it started generating or ended."""
        started = False
        try:
            for piece in pieces:
                if not started:
                    started = True
                    self._add_prompt(runner)
                self.completion_tokens += 1
                yield piece
            if not started:
                self._add_prompt(runner)
        finally:
            close = getattr(pieces, "close", None)
            if callable(close):
                close()

    def _add_prompt(self, runner: PromptRunner) -> None:
        stats = getattr(runner, "last_stats", None)
        if stats is not None:
            self.prompt_tokens += stats.prompt_tokens


def ask(analysis: Analysis, prompt: str, runner: PromptRunner, cancel: threading.Event) -> Iterator[Event]:
    """A follow-up: append ``prompt`` to a finished ``analysis`` and run it over the stored transcript.

    Yields ``PromptAdded``, the prompt's events and a new ``AnalysisFinished``.
    With the transcript's prefix state kept (live or on disk), only the new
    prompt's tokens are evaluated. Raises ValueError when ``analysis`` has no transcript.
    """
    if analysis.transcript.is_empty:
        raise ValueError("a follow-up needs an analysis with a transcript")
    analysis.prompts.append(prompt)
    analysis.prompt_results.append(PromptResult(prompt=prompt, kind="question"))
    index = len(analysis.prompt_results) - 1
    yield PromptAdded(index, prompt)
    try:
        yield from run_prompts(analysis, runner, cancel, [index])
    except HearsayError as exc:
        _fail(analysis.prompt_results[index], exc.message)
    if cancel.is_set() and analysis.prompt_results[index].status is PromptStatus.RUNNING:
        analysis.prompt_results[index].status = PromptStatus.CANCELLED
    yield AnalysisFinished(analysis)


def _run_whole(result: PromptResult, index: int, text: str, runner: PromptRunner,
               cancel: threading.Event) -> Iterator[Event]:
    result.status, result.strategy, result.parts = PromptStatus.RUNNING, "whole", 1
    yield PromptStarted(index)
    started = time.perf_counter()
    pieces: list[str] = []
    try:
        for piece in runner.stream(text, result.prompt, cancel):
            if result.ttft is None:
                result.ttft = time.perf_counter() - started
            pieces.append(piece)
            yield ResponseDelta(index, piece)
            if cancel.is_set():
                break
        result.status = PromptStatus.CANCELLED if cancel.is_set() else PromptStatus.DONE
        result.coverage = 1.0
    except HearsayError as exc:
        _fail(result, exc.message)
    except Exception as exc:
        log.exception("prompt %d failed", index)
        _fail(result, f"the language model failed: {exc}")
    _record(result, runner, pieces, time.perf_counter() - started)
    yield PromptFinished(index, result)


def _map_reduce(analysis: Analysis, indices: list[int], chunks, transcript_tokens: int,
                runner: PromptRunner, cancel: threading.Event) -> Iterator[Event]:
    partials: dict[int, list[str]] = {i: [] for i in indices}
    covered = dict.fromkeys(indices, 0)
    spent = dict.fromkeys(indices, 0.0)
    usage = {i: _Usage() for i in indices}
    for i in indices:
        result = analysis.prompt_results[i]
        result.status, result.strategy, result.parts = PromptStatus.RUNNING, "map-reduce", len(chunks)
    for part, chunk in enumerate(chunks, start=1):
        for i in indices:
            if cancel.is_set():
                return
            yield MapProgress(i, part, len(chunks))
            started = time.perf_counter()
            try:
                partials[i].append("".join(usage[i].counted(
                    runner.stream(chunk.text, analysis.prompt_results[i].prompt, cancel), runner)))
                covered[i] += chunk.tokens
            except HearsayError as exc:
                log.warning("part %d of prompt %d failed: %s", part, i, exc.message)
            spent[i] += time.perf_counter() - started
    for i in indices:
        if cancel.is_set():
            return
        result = analysis.prompt_results[i]
        result.coverage = min(1.0, covered[i] / max(transcript_tokens, 1))
        yield PromptStarted(i)
        if not partials[i]:
            _fail(result, "no part of the transcript could be read by the language model")
            yield PromptFinished(i, result)
            continue
        started = time.perf_counter()
        pieces: list[str] = []
        try:
            for piece in _reduce(result.prompt, partials[i], runner, cancel, usage[i]):
                if result.ttft is None:
                    result.ttft = time.perf_counter() - started
                pieces.append(piece)
                yield ResponseDelta(i, piece)
            result.status = PromptStatus.CANCELLED if cancel.is_set() else PromptStatus.DONE
        except HearsayError as exc:
            _fail(result, exc.message)
        _record(result, runner, pieces, spent[i] + time.perf_counter() - started)
        result.usage_prompt_tokens = usage[i].prompt_tokens
        result.usage_completion_tokens = usage[i].completion_tokens
        yield PromptFinished(i, result)


def _reduce(prompt: str, partials: list[str], runner: PromptRunner, cancel: threading.Event,
            usage: _Usage) -> Iterator[str]:
    """Stream the combined answer; partial answers that do not fit together are combined in groups first.
    Every call's tokens are added to ``usage``."""
    budget = runner.context_limit() - runner.fixed_tokens(prompt, REDUCE_SYSTEM_TEXT) - runner.max_tokens
    while True:
        groups = group_texts(partials, runner.count_tokens, budget)
        if len(groups) == 1:
            yield from usage.counted(
                runner.stream(partial_answers_text(partials), prompt, cancel, REDUCE_SYSTEM_TEXT), runner)
            return
        if len(groups) == len(partials):
            raise ContextOverflowError(runner.count_tokens(partials[0]) + runner.max_tokens, runner.context_limit())
        partials = [
            "".join(usage.counted(
                runner.stream(partial_answers_text(group), prompt, cancel, REDUCE_SYSTEM_TEXT), runner))
            for group in groups
        ]
        if cancel.is_set():
            return


def _fail(result: PromptResult, message: str) -> None:
    result.status, result.error = PromptStatus.FAILED, message


def _record(result: PromptResult, runner: PromptRunner, pieces: list[str], seconds: float) -> None:
    result.response = "".join(pieces).strip()
    result.completion_tokens = len(pieces)
    result.exec_time = seconds
    stats = getattr(runner, "last_stats", None)
    if stats is not None:
        result.prompt_tokens, result.reused_tokens = stats.prompt_tokens, stats.reused_tokens
    if result.status is PromptStatus.DONE:
        result.finish_reason = getattr(runner, "last_finish_reason", None) or "stop"
