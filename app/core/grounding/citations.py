"""The model's own citations in a sentence: ``[mm:ss]`` and ``[h:mm:ss]`` (as Hearsay's transcript and
Markdown write times, ``app.core.export.markdown.format_timestamp``), also in parentheses, and ranges
(``[00:12-00:18]``, whose start counts).
"""

from __future__ import annotations

import re

CITATION = re.compile(r"[\[(](?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:\s*[-–]\s*(?:\d{1,2}:)?\d{1,2}:\d{2})?[\])]")
"""One citation: ``[mm:ss]``, ``[h:mm:ss]``, ``(mm:ss)`` or a range ``[mm:ss-mm:ss]``."""


def parse_citations(text: str) -> list[tuple[float, tuple[int, int]]]:
    """The times ``text`` cites, in order, as (seconds, (start, end) character offsets of the citation in
    ``text``); seconds of 60 or more, or minutes of 60 or more after hours, are not times and are skipped."""
    found = []
    for match in CITATION.finditer(text):
        hours, minutes, seconds = match.group(1), int(match.group(2)), int(match.group(3))
        if seconds >= 60 or (hours is not None and minutes >= 60):
            continue
        found.append((int(hours or 0) * 3600 + minutes * 60 + float(seconds), match.span()))
    return found


def strip_citations(text: str) -> str:
    """``text`` with its citations replaced by spaces (their digits are not the sentence's numbers)."""
    return CITATION.sub(lambda m: " " * len(m.group(0)), text)
