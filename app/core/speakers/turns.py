"""Speaker turns onto a transcript: each word to a speaker, segments split where the speaker changes.

The rule (stated in README): a word goes to the speaker whose turns overlap the word's time span the most;
a word no turn overlaps (diarization's voice activity detection and Whisper's timestamps disagree by a few
hundred milliseconds at the edges of speech) goes to the turn nearest in time. A segment with words from
several speakers is split at the word boundaries where the speaker changes, each piece keeping its words;
a segment without word timestamps goes as a whole to the speaker overlapping it most. Speakers are then
numbered 0, 1, 2... in order of first appearance in the transcript (shown as "Speaker 1", "Speaker 2"...).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.core.analysis import Segment, Word


@dataclass(frozen=True)
class SpeakerTurn:
    """One stretch of one speaker's voice: ``start``/``end`` in seconds, ``speaker`` a label (int) that is
    only meaningful within one diarization (the same int is the same voice)."""

    start: float
    end: float
    speaker: int


class TurnIndex:
    """Turns sorted by start, for "who speaks over [start, end]?" in O(log n + k)."""

    def __init__(self, turns: Sequence[SpeakerTurn]) -> None:
        self.turns = sorted((t for t in turns if t.end > t.start), key=lambda t: (t.start, t.end))
        self._starts = [t.start for t in self.turns]
        self._longest = max((t.end - t.start for t in self.turns), default=0.0)

    def overlapping(self, start: float, end: float) -> int | None:
        """The speaker whose turns overlap [``start``, ``end``] (seconds) the most (ties: the lower label; a
        zero-length span counts as overlapping a turn it lies within); None when no turn overlaps."""
        end = max(end, start)
        overlap: dict[int, float] = {}
        first = bisect.bisect_left(self._starts, start - self._longest)
        last = bisect.bisect_right(self._starts, end)
        for turn in self.turns[first:last]:
            shared = min(end, turn.end) - max(start, turn.start)
            if shared > 0 or (start == end and turn.start <= start <= turn.end):
                overlap[turn.speaker] = overlap.get(turn.speaker, 0.0) + max(shared, 1e-9)
        return max(overlap, key=lambda s: (overlap[s], -s)) if overlap else None

    def speaker_over(self, start: float, end: float) -> int | None:
        """``overlapping``, or when no turn overlaps the span, the speaker of the turn nearest in time; None when
        there are no turns at all."""
        if not self.turns:
            return None
        found = self.overlapping(start, end)
        if found is not None:
            return found
        middle = (start + max(end, start)) / 2
        at = bisect.bisect_left(self._starts, middle)
        near = self.turns[max(0, at - 1 - 8):at + 1]
        return min(near, key=lambda t: max(t.start - middle, middle - t.end, 0.0)).speaker


def assign_speakers(segments: Sequence[Segment], turns: Sequence[SpeakerTurn]) -> tuple[list[Segment], dict[int, int]]:
    """``segments`` with a speaker each, split at word boundaries where the speaker changes (module rule).

    Returns (segments, numbering): ``numbering`` maps each diarization label that got at least one word or
    segment to its speaker index (0-based, by first appearance). With no turns, the segments come back as they
    are (no speaker) and the numbering is empty.
    """
    index = TurnIndex(turns)
    if not index.turns:
        return list(segments), {}
    pieces: list[Segment] = []
    for segment in segments:
        if not segment.words:
            pieces.append(replace(segment, speaker=index.speaker_over(segment.start, segment.end)))
            continue
        runs: list[tuple[int | None, list[Word]]] = []
        for word in segment.words:
            label = index.speaker_over(word.start, word.end)
            if runs and runs[-1][0] == label:
                runs[-1][1].append(word)
            else:
                runs.append((label, [word]))
        for k, (label, words) in enumerate(runs):
            start = segment.start if k == 0 else words[0].start
            end = segment.end if k == len(runs) - 1 else words[-1].end
            text = segment.text if len(runs) == 1 else _words_text(segment, words)
            pieces.append(replace(segment, start=start, end=max(start, end), text=text, words=tuple(words),
                                  speaker=label))
    numbering: dict[int, int] = {}
    for piece in pieces:
        if piece.speaker is not None and piece.speaker not in numbering:
            numbering[piece.speaker] = len(numbering)
    return [replace(p, speaker=numbering.get(p.speaker)) if p.speaker is not None else p for p in pieces], numbering


def _words_text(segment: Segment, words: Sequence[Word]) -> str:
    """The text of ``words`` of ``segment``: Whisper's words carry their leading space ("".join gives the
    segment's text back); words that do not (a transcript read from elsewhere) are joined by spaces."""
    if "".join(w.word for w in segment.words).strip() == segment.text.strip():
        return "".join(w.word for w in words).strip()
    return " ".join(w.word.strip() for w in words if w.word.strip())
