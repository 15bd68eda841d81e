"""Quoted passages of a response checked verbatim against the transcript, after normalising case,
punctuation and white space (so "We'll launch, on Friday" matches "we'll launch on friday."; a changed,
added or dropped word does not match).

Quotes are text between straight double quotes, typographic double quotes (“…”, „…“) or guillemets
(«…», »…«), within one line.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

QUOTE = re.compile(r"\"([^\"\n]+)\"|“([^”\n]+)”|„([^“”\n]+)[“”]|«([^»\n]+)»|»([^«\n]+)«")
"""One quoted passage; the passage is the first group that matched."""
_NOT_WORD = re.compile(r"[^\w]+|_")


def normalise(text: str) -> str:
    """``text`` for a verbatim comparison: Unicode NFKC, case folded, apostrophes dropped ("we'll" ->
    "well"), every other run of punctuation or white space one space, trimmed."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("'", "").replace("’", "")
    return " ".join(_NOT_WORD.sub(" ", text).split())


def find_quotes(text: str) -> list[tuple[str, tuple[int, int]]]:
    """The quoted passages in ``text`` as (passage, (start, end) offsets of the passage without its quote
    marks); passages with no letter or digit are left out."""
    found = []
    for match in QUOTE.finditer(text):
        group = next(i for i in range(1, 6) if match.group(i) is not None)
        if normalise(match.group(group)):
            found.append((match.group(group), match.span(group)))
    return found


class QuoteIndex:
    """A transcript's text normalised for ``locate`` (built once per transcript).

    ``texts`` are the segment texts in order; the normalised texts are joined by single spaces, so a quote
    may run across segments.
    """

    def __init__(self, texts: list[str]) -> None:
        parts, self._starts, position = [], [], 0
        for text in texts:
            words = normalise(text)
            self._starts.append(position)
            parts.append(words)
            position += len(words) + 1
        self._text = " " + " ".join(parts) + " "

    def locate(self, passage: str) -> list[int] | None:
        """The indices of the segments holding ``passage`` verbatim (normalised; the first place it occurs),
        or None when the transcript does not say it."""
        words = normalise(passage)
        if not words:
            return None
        at = self._text.find(f" {words} ")
        if at < 0:
            return None
        first = bisect.bisect_right(self._starts, at) - 1
        last = bisect.bisect_right(self._starts, at + len(words)) - 1
        return list(range(max(first, 0), max(last, first, 0) + 1))
