"""``ground``: each sentence of a response, the segments that support it, its quotes and its citations checked.

A sentence is ``supported`` when its best window scores at least ``SUPPORT_THRESHOLD`` (``matching``) or a
quote it holds is in the transcript verbatim, and none of its quotes is missing (a sentence that quotes the
recording wrongly is not what the recording says). A time the sentence cites (``[mm:ss]``) is right when the
segment playing at that time (within ``CITE_TOLERANCE`` seconds) is one of the sentence's supporting segments,
or that segment and the next (a citation marks where a passage starts) score at least the threshold or hold
the sentence's quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.core.analysis import Transcript
from app.core.grounding.citations import parse_citations, strip_citations
from app.core.grounding.matching import SUPPORT_THRESHOLD, TranscriptIndex
from app.core.grounding.quotes import QuoteIndex, find_quotes
from app.core.grounding.sentences import split_sentences

CITE_TOLERANCE = 1.0
"""Seconds a cited time may fall before a segment's start or after its end and still name that segment
(citations are written in whole seconds)."""
_MARKUP = re.compile(r"(\*\*|__|[*_`~])|\[([^\]]*)\]\([^)]*\)")


@dataclass(frozen=True)
class Citation:
    """One sentence (or list item) of a response and where the recording says it.

    ``sentence`` is ``response[span[0]:span[1]]`` (character offsets into the response, so a view can mark it
    without altering the text). ``supported``: the recording says it (see the module); ``score`` in [0, 1]
    (``matching``). ``segment_ids``: the supporting segments (0-based indices into the transcript's
    segments, ascending; empty when not supported) and ``start``/``end`` their time span in seconds (None when
    not supported). ``quote_ok``: True when every quoted passage is in the transcript verbatim, False when
    one is not, None when the sentence quotes nothing; ``missing_quotes`` holds the response offsets of
    those not found. ``cited``: the times the sentence cites itself (seconds, in order); ``cited_ok``: True
    when each points at a segment that supports the sentence, False when one does not, None when it cites
    none.
    """

    sentence: str
    span: tuple[int, int]
    supported: bool
    score: float
    start: float | None = None
    end: float | None = None
    segment_ids: list[int] = field(default_factory=list)
    quote_ok: bool | None = None
    missing_quotes: list[tuple[int, int]] = field(default_factory=list)
    cited: list[float] = field(default_factory=list)
    cited_ok: bool | None = None


def _plain(text: str, speakers: re.Pattern | None) -> str:
    """``text`` without Markdown emphasis, with a link's text only, and without speakers' names ("Speaker 2",
    the user's names for them: the transcript's text never says them); offsets not kept (for matching)."""
    text = _MARKUP.sub(lambda m: m.group(2) if m.group(2) is not None else " ", text)
    return speakers.sub(" ", text) if speakers else text


def _speaker_names(transcript: Transcript, quotes: QuoteIndex) -> re.Pattern | None:
    """A pattern of the names the transcript's speakers go by ("Speaker N" and the user's names) that the
    transcript's text does not say itself (a name it says stays evidence)."""
    names = sorted({transcript.speaker_name(i) for i in transcript.speakers} | set(transcript.speaker_names.values()),
                   key=len, reverse=True)
    alternatives = [re.escape(n) for n in names if n.strip() and quotes.locate(n) is None] + [r"speaker\s+\d+"]
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)


def _segment_at(transcript: Transcript, seconds: float) -> int | None:
    """The segment playing at ``seconds`` (the nearest start within ``CITE_TOLERANCE``), or None."""
    best, distance = None, CITE_TOLERANCE + 1e-9
    for index, segment in enumerate(transcript.segments):
        if segment.start - CITE_TOLERANCE <= seconds <= segment.end + CITE_TOLERANCE:
            gap = 0.0 if segment.start <= seconds <= segment.end else min(abs(seconds - segment.start),
                                                                         abs(seconds - segment.end))
            if gap < distance:
                best, distance = index, gap
    return best


def ground(response: str, transcript: Transcript, index: TranscriptIndex | None = None) -> list[Citation]:
    """Each sentence and list item of ``response`` (``sentences.split_sentences``: headings, empty lines and
    labels are not sentences), in order, matched against ``transcript``; a sentence with no word that can be
    evidence ("Sure!") is left out. ``index``: the transcript's ``TranscriptIndex`` when several responses are
    grounded against one transcript (built here otherwise). Calls no language model; never raises on any text."""
    sentences = split_sentences(response)
    if not sentences:
        return []
    texts = [s.text for s in transcript.segments]
    own = index is None
    index = index or TranscriptIndex(texts)
    quotes_index = QuoteIndex(texts)
    speakers = _speaker_names(transcript, quotes_index)
    citations = []
    try:
        for sentence in sentences:
            citations.append(_ground_one(sentence, transcript, index, quotes_index, speakers))
    finally:
        if own:
            index.close()
    return [c for c in citations if c is not None]


def _ground_one(sentence, transcript: Transcript, index: TranscriptIndex, quotes: QuoteIndex,
                speakers: re.Pattern | None) -> Citation | None:
    cited = parse_citations(sentence.text)
    plain = _plain(strip_citations(sentence.text), speakers)
    terms = index.terms(plain)
    passages = find_quotes(sentence.text)
    located = [(passage, span, quotes.locate(passage)) for passage, span in passages]
    missing = [(sentence.start + a, sentence.start + b) for _, (a, b), where in located if where is None]
    found = sorted({i for _, _, where in located if where for i in where})
    if not terms.weights and not passages:
        return None
    match = index.best(terms)
    quote_ok = None if not passages else not missing
    supported = (match.score >= SUPPORT_THRESHOLD or bool(found)) and quote_ok is not False
    segment_ids = found or match.segment_ids if supported else []
    cited_ok = None
    if cited:
        cited_ok = True
        for seconds, _ in cited:
            at = _segment_at(transcript, seconds)
            if at is None:
                cited_ok = False
                continue
            said_there = [at, at + 1] if at + 1 < len(transcript.segments) else [at]  # a citation marks a start
            if not (index.score(terms, said_there) >= SUPPORT_THRESHOLD or at in segment_ids
                    or set(said_there) & set(found)):
                cited_ok = False
    segments = [transcript.segments[i] for i in segment_ids]
    return Citation(
        sentence=sentence.text,
        span=(sentence.start, sentence.end),
        supported=supported,
        score=round(match.score, 4),
        start=min(s.start for s in segments) if segments else None,
        end=max(s.end for s in segments) if segments else None,
        segment_ids=segment_ids,
        quote_ok=quote_ok,
        missing_quotes=missing,
        cited=[seconds for seconds, _ in cited],
        cited_ok=cited_ok,
    )


def ground_responses(responses: list[str], transcript: Transcript) -> list[list[Citation]]:
    """``ground`` for each of ``responses`` against one ``transcript``, sharing one index (an analysis's
    answers, for the exports); an empty response gets an empty list."""
    if not any(r.strip() for r in responses):
        return [[] for _ in responses]
    index = TranscriptIndex([s.text for s in transcript.segments])
    try:
        return [ground(r, transcript, index) if r.strip() else [] for r in responses]
    finally:
        index.close()
