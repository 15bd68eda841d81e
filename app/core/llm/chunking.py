"""Splitting a transcript that does not fit the context window, for map-reduce.

Chunks break at segment boundaries (a segment is never split unless it alone
exceeds the budget, as a long line of a ``.txt`` transcript can; then it
breaks between words). Budgets are in tokens, counted by the caller's
``count_tokens`` (the model's own tokenizer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.core.analysis import Segment
from app.core.llm.labels import clock

TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class Chunk:
    """Consecutive segments taken together: their ``text`` and ``tokens`` (count)."""

    segments: tuple[Segment, ...]
    text: str
    tokens: int


def split_segments(segments: list[Segment], count_tokens: TokenCounter, budget: int,
                   name_of: Callable[[int | None], str] | None = None) -> list[Chunk]:
    """Group ``segments`` in order into chunks of at most ``budget`` tokens each.

    With ``name_of`` (speaker index -> name) and speakers on the segments, each segment is a line of the
    chunk's text with its time and speaker (``[mm:ss] Name: text``), budgeted with that label.
    Raises ValueError when ``budget`` is below 1.
    """
    if budget < 1:
        raise ValueError("the chunk budget must be at least one token")
    separator = " "
    pieces = [(s, s.text.strip()) for s in segments if s.text.strip()]
    if name_of is not None and any(s.speaker is not None for s, _ in pieces):
        separator = "\n"  # one line per segment, each with its speaker, as ``app.core.llm.labels`` writes
        pieces = [(s, f"[{clock(s.start)}] {name_of(s.speaker)}: {text}" if s.speaker is not None else text)
                  for s, text in pieces]
    chunks: list[Chunk] = []
    current: list[tuple[Segment, str]] = []
    current_tokens = 0
    for segment, text in _fit_pieces(pieces, count_tokens, budget):
        tokens = count_tokens(text) + (1 if current else 0)  # the joining space or new line
        if current and current_tokens + tokens > budget:
            chunks.append(_chunk(current, count_tokens, separator))
            current, current_tokens = [], 0
            tokens = count_tokens(text)
        current.append((segment, text))
        current_tokens += tokens
    if current:
        chunks.append(_chunk(current, count_tokens, separator))
    return chunks


def _fit_pieces(pieces, count_tokens: TokenCounter, budget: int):
    for segment, text in pieces:
        if count_tokens(text) <= budget:
            yield segment, text
            continue
        words = text.split()
        part: list[str] = []
        for word in words:
            if part and count_tokens(" ".join(part + [word])) > budget:
                yield segment, " ".join(part)
                part = []
            part.append(word)
        if part:
            yield segment, " ".join(part)


def _chunk(items: list[tuple[Segment, str]], count_tokens: TokenCounter, separator: str = " ") -> Chunk:
    text = separator.join(text for _, text in items)
    segments = tuple(dict.fromkeys(segment for segment, _ in items))
    return Chunk(segments, text, count_tokens(text))


def group_texts(texts: list[str], count_tokens: TokenCounter, budget: int) -> list[list[str]]:
    """Group ``texts`` (partial answers) in order so each group's joined text stays within ``budget``
    tokens where possible; a text longer than the budget forms a group of its own."""
    groups: list[list[str]] = []
    current: list[str] = []
    used = 0
    for text in texts:
        tokens = count_tokens(text) + 8  # the "Part N:" heading and blank lines
        if current and used + tokens > budget:
            groups.append(current)
            current, used = [], 0
        current.append(text)
        used += tokens
    if current:
        groups.append(current)
    return groups
