"""Which transcript segments support a sentence: lexical matching over windows of neighbouring segments.

Terms come from SQLite FTS5's ``porter unicode61`` tokenizer (stdlib ``sqlite3``; an in-memory database per
transcript): lower case, diacritics removed, Porter-stemmed, so "launching" meets "launch". Number words up
to twenty are read as digits on both sides ("five" meets "5"). Stop words and the words answers use to talk
about a recording ("speaker", "mentions", "discussed") are not evidence and are left out.

Score of a sentence S against a window W (a segment with ``WINDOW`` segments either side; Whisper splits
sentences across segments), an IDF-weighted term recall::

    score(S, W) = sum(w(t) for t in S & W) / sum(w(t) for t in S)
    w(t) = idf(t) * (2 if t is a number or a name else 1)
    idf(t) = ln(1 + (N - n(t) + 0.5) / (n(t) + 0.5))

with N the transcript's segments and n(t) those holding t: the BM25 inverse document frequency (Robertson and
Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond", 2009, eq. 3.3, the "+1" form Lucene
uses so it is never negative). A term the recording never says weighs the most, so an invented name or
number pulls the score down hardest; a name is a capitalised word not at the sentence's start. The score is
in [0, 1]; a sentence is supported at ``SUPPORT_THRESHOLD`` or more (tuned on ``tests/data/grounding``,
``scripts/bench_grounding.py``). A number or a name the sentence states that the window lacks halves the
score (a wrong figure or person is the commonest invention that still shares most words).
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

SUPPORT_THRESHOLD = 0.6
"""Lowest ``score`` of a supported sentence: the best F1 and accuracy on the labelled set (70 sentences, 4
recordings; docs/benchmarks.md), preferring precision: a link on an invented sentence misleads more than a
missing one."""
WINDOW = 1
"""Segments on either side of a segment that its window holds."""
NUMBER_OR_NAME_WEIGHT = 2.0
"""How much more a number or a name weighs than another word."""
MISSING_NUMBER_FACTOR = 0.5
"""What the score is multiplied by when the sentence states a number or a name the window lacks."""

_TOKENIZER = "porter unicode61 remove_diacritics 2"
_TOKEN = re.compile(r"[^\W_]+")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having he
her here hers herself him himself his how i if in into is it its itself just me more most my myself nor not
now of off on once only or other our ours ourselves out over own same she should so some such than that the
their theirs them themselves then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours yourself yourselves s t don
whether someone somebody anyone anybody everyone everybody nobody might must shall may either neither another
among upon within without via per
let lets get got going gonna yes yeah okay ok oh um uh well like really thing things something
speaker speakers recording recordings transcript audio conversation meeting says said say saying mention
mentions mentioned mentioning discuss discusses discussed discussing talk talks talked talking state states
stated explain explains explained note notes noted describe describes described also overall summary
sure certainly absolutely hope glad here following based provided
""".split())
"""Words that are not evidence (English function words, fillers, and the words answers use about a
recording). Number words are not stop words: they are read as digits."""


def _words(text: str) -> list[str]:
    """``text``'s tokens as FTS5's unicode61 splits them, number words replaced by digits."""
    return [_NUMBER_WORDS.get(w.lower(), w) for w in _TOKEN.findall(text)]


@dataclass(frozen=True)
class Terms:
    """A sentence's evidence terms: ``weights`` by Porter stem, and ``numbers`` (the digit terms and names)."""

    weights: dict[str, float]
    numbers: frozenset[str]

    @property
    def total(self) -> float:
        """The sum of the weights (the score's denominator)."""
        return sum(self.weights.values())


@dataclass(frozen=True)
class Match:
    """The best window for a sentence: ``score`` in [0, 1] and ``segment_ids``, the window's segments that
    hold at least one of the sentence's terms (0-based indices into the transcript's segments, ascending)."""

    score: float
    segment_ids: list[int]


class TranscriptIndex:
    """A transcript's segments indexed for matching (one in-memory SQLite FTS5 table, read once into
    postings); build it once per transcript and match any number of sentences against it.

    ``texts`` are the segment texts in order (index i is segment i). Not thread-safe: use one index per
    thread (building one and grounding an answer against an hour's transcript takes tens of milliseconds,
    see docs/benchmarks.md).
    """

    def __init__(self, texts: Sequence[str]) -> None:
        self._db = sqlite3.connect(":memory:")
        self._db.execute(f"CREATE VIRTUAL TABLE seg USING fts5(body, tokenize='{_TOKENIZER}')")
        self._db.execute("CREATE VIRTUAL TABLE seg_terms USING fts5vocab(seg, instance)")
        self._db.execute(f"CREATE VIRTUAL TABLE probe USING fts5(body, tokenize='{_TOKENIZER}')")
        self._db.execute("CREATE VIRTUAL TABLE probe_terms USING fts5vocab(probe, instance)")
        self._db.executemany("INSERT INTO seg(rowid, body) VALUES (?, ?)",
                             [(i, " ".join(_words(t))) for i, t in enumerate(texts)])
        self.count = len(texts)
        self._postings: dict[str, set[int]] = defaultdict(set)
        for term, doc in self._db.execute("SELECT term, doc FROM seg_terms"):
            self._postings[term].add(doc)
        self._stop = set(self._stems(" ".join(STOP_WORDS))) | set(STOP_WORDS)

    def close(self) -> None:
        """Free the in-memory database."""
        self._db.close()

    def _stems(self, text: str) -> list[str]:
        """``text``'s tokens, in order, as the FTS5 tokenizer stems them."""
        self._db.execute("DELETE FROM probe")
        self._db.execute("INSERT INTO probe(rowid, body) VALUES (1, ?)", (text,))
        return [term for term, _ in self._db.execute("SELECT term, offset FROM probe_terms ORDER BY offset")]

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of ``term`` over the segments (see the module)."""
        n = len(self._postings.get(term, ()))
        return math.log(1.0 + (self.count - n + 0.5) / (n + 0.5))

    def terms(self, sentence: str) -> Terms:
        """The evidence terms of ``sentence`` (plain text: citations and Markdown already removed), weighted."""
        words = _words(sentence)
        stems = self._stems(" ".join(words))
        weights: dict[str, float] = {}
        numbers = set()
        for position, (word, stem) in enumerate(zip(words, stems)):
            if stem in self._stop or word.lower() in STOP_WORDS:
                continue
            number = stem.isdigit()
            name = position > 0 and word[:1].isupper() and not word.isupper()
            weight = self.idf(stem) * (NUMBER_OR_NAME_WEIGHT if number or name else 1.0)
            weights[stem] = max(weights.get(stem, 0.0), weight)
            if number or name:
                numbers.add(stem)
        return Terms(weights, frozenset(numbers))

    def window(self, centre: int) -> range:
        """The segment indices of the window around segment ``centre``."""
        return range(max(centre - WINDOW, 0), min(centre + WINDOW + 1, self.count))

    def score(self, terms: Terms, segments: Sequence[int]) -> float:
        """``score(S, W)`` (see the module) of ``terms`` against the union of ``segments``."""
        total = terms.total
        if total <= 0:
            return 0.0
        held = [t for t in terms.weights if any(s in self._postings.get(t, ()) for s in segments)]
        value = sum(terms.weights[t] for t in held) / total
        if terms.numbers - set(held):
            value *= MISSING_NUMBER_FACTOR
        return value

    def best(self, terms: Terms) -> Match:
        """The window that supports ``terms`` best (the earliest among equals); score 0 and no segments when
        no segment shares a term."""
        candidates = sorted({c for t in terms.weights for s in self._postings.get(t, ())
                             for c in self.window(s)})
        best_score, best_centre = 0.0, None
        for centre in candidates:
            value = self.score(terms, self.window(centre))
            if value > best_score + 1e-9:
                best_score, best_centre = value, centre
        if best_centre is None:
            return Match(0.0, [])
        held = [s for s in self.window(best_centre)
                if any(s in self._postings.get(t, ()) for t in terms.weights)]
        return Match(best_score, held)
