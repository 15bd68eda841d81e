"""The edits a user makes to a transcript, as pure functions: each takes the segments (and speaker names)
as they stand and returns new ones with a ``TranscriptChange`` saying what changed. Nothing is stored
here: the history library stores each result as a new transcript version (``Library.edit_transcript``).

Word timestamps survive edits where they can. ``realign_words`` matches the old words to the new text
with ``difflib.SequenceMatcher`` on words compared without case and punctuation: a kept word keeps its
times and confidence; words the user typed in place of others share the replaced words' time span, and
inserted words the gap between their neighbours, in proportion to their length in characters, with
confidence 1.0 (the user stated them). A split puts the boundary at the first word of the second part
(its word timestamp when the words line up with the text, else in proportion to characters); a merge
joins two neighbouring segments of one speaker.

Errors: every function raises ``EditError`` (one sentence) for an edit that cannot be made: an index
out of range, an empty text, a split with nothing on one side, a merge of two speakers' segments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from app.core.analysis import Segment, TranscriptChange, Word
from app.core.errors import HearsayError

MAX_QUOTED_WORDS = 6
"""How many words of the old and the new text a change's description quotes at most."""


class EditError(HearsayError):
    """An edit that cannot be made; the message says why in one sentence."""


@dataclass(frozen=True)
class Edited:
    """The result of one edit: the new ``segments``, the ``speaker_names`` (0-based index -> name) and the
    ``change`` made."""

    segments: list[Segment]
    speaker_names: dict[int, str]
    change: TranscriptChange


def _norm(token: str) -> str:
    return re.sub(r"[^\w']", "", token.casefold())


def _spread(tokens: list[str], start: float, end: float, confidence: float) -> list[Word]:
    """``tokens`` laid over [start, end] seconds in proportion to their length in characters."""
    total = sum(len(t) for t in tokens) or 1
    words, at = [], start
    span = max(0.0, end - start)
    for token in tokens:
        length = span * len(token) / total
        words.append(Word(" " + token, at, at + length, confidence))
        at += length
    return words


def realign_words(words: tuple[Word, ...], text: str, start: float, end: float) -> tuple[Word, ...]:
    """Word timestamps for ``text`` from the ``words`` of the text it replaces (see the module docstring).

    ``start``/``end``: the segment's bounds in seconds (inserted words at either end fall inside them).
    Returns one ``Word`` per whitespace-separated token of ``text``, in order, times never decreasing;
    () when there were no word timestamps to start from.
    """
    tokens = text.split()
    if not words:
        return ()
    old = [_norm(w.word) for w in words]
    new = [_norm(t) for t in tokens]
    out: list[Word] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend(Word(w.word[:len(w.word) - len(w.word.lstrip())] + tokens[j], w.start, w.end, w.confidence)
                       for j, w in zip(range(j1, j2), words[i1:i2]))  # the word's own leading space kept
        elif tag == "replace":
            out.extend(_spread(tokens[j1:j2], words[i1].start, words[i2 - 1].end, 1.0))
        elif tag == "insert":
            before = out[-1].end if out else start
            after = words[i1].start if i1 < len(words) else end
            out.extend(_spread(tokens[j1:j2], before, max(before, after), 1.0))
    return tuple(out)


def describe_text_change(old: str, new: str) -> str:
    """The changed words of ``old`` → ``new``, quoted: '"riding" → "writing"' (at most ``MAX_QUOTED_WORDS``
    words a side, "…" where cut; "" for a side with no words)."""
    a, b = old.split(), new.split()
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1

    def quoted(words: list[str]) -> str:
        cut = len(words) > MAX_QUOTED_WORDS
        shown = " ".join(words[:MAX_QUOTED_WORDS]) + ("…" if cut else "")
        return f'"{shown}"'

    return f"{quoted(a[head:len(a) - tail])} → {quoted(b[head:len(b) - tail])}"


def _check_index(segments: list[Segment], index: int) -> Segment:
    if not 0 <= index < len(segments):
        raise EditError(f"there is no segment {index + 1} (the transcript has {len(segments)})")
    return segments[index]


def _styled(like: str, text: str) -> str:
    """``text`` with the leading space Whisper puts before a segment's text when ``like`` has one."""
    return (" " if like.startswith(" ") else "") + text.strip()


def edit_text(segments: list[Segment], names: dict[int, str], index: int, text: str) -> Edited:
    """Replace segment ``index``'s text with ``text`` (word timestamps realigned). Raises EditError for an
    index out of range, an empty text, or a text with a line break (a segment is one line)."""
    segment = _check_index(segments, index)
    if not text.strip():
        raise EditError(f"segment {index + 1} cannot be left empty: merge it with a neighbour instead")
    if "\n" in text.strip() or "\r" in text.strip():
        raise EditError(f"segment {index + 1} is one line: split it to make two")
    cleaned = " ".join(text.split())
    if cleaned == " ".join(segment.text.split()):
        raise EditError(f"segment {index + 1} already reads so")
    changed = replace(segment, text=_styled(segment.text, cleaned),
                      words=realign_words(segment.words, cleaned, segment.start, segment.end))
    new = list(segments)
    new[index] = changed
    change = TranscriptChange("text", f"Segment {index + 1}: {describe_text_change(segment.text, cleaned)}", index)
    return Edited(new, dict(names), change)


def split_segment(segments: list[Segment], names: dict[int, str], index: int, offset: int) -> Edited:
    """Split segment ``index`` in two at character ``offset`` of its text (moved back to the start of
    the word it falls in). Both parts keep the speaker and language. Raises EditError when a part would
    hold no word."""
    segment = _check_index(segments, index)
    text = segment.text
    offset = max(0, min(offset, len(text)))
    while 0 < offset < len(text) and not text[offset - 1].isspace() and not text[offset].isspace():
        offset -= 1
    left, right = text[:offset].strip(), text[offset:].strip()
    if not left or not right:
        raise EditError(f"segment {index + 1} cannot be split there: each part needs at least one word")
    left_tokens = left.split()
    words = realign_words(segment.words, text.strip(), segment.start, segment.end)
    if words and len(words) == len(left_tokens) + len(right.split()):
        first, second = words[:len(left_tokens)], words[len(left_tokens):]
        boundary_end, boundary_start = first[-1].end, second[0].start
    else:
        share = len(left) / (len(left) + len(right))
        boundary_end = boundary_start = segment.start + (segment.end - segment.start) * share
        first = second = ()
    one = replace(segment, end=boundary_end, text=_styled(text, left), words=tuple(first))
    two = replace(segment, start=boundary_start, text=_styled(text, right), words=tuple(second))
    new = segments[:index] + [one, two] + segments[index + 1:]
    quoted = " ".join(right.split()[:MAX_QUOTED_WORDS]) + ("…" if len(right.split()) > MAX_QUOTED_WORDS else "")
    change = TranscriptChange("split", f'Segment {index + 1} split before "{quoted}"', index)
    return Edited(new, dict(names), change)


def merge_segments(segments: list[Segment], names: dict[int, str], index: int) -> Edited:
    """Join segment ``index`` and the next one into one (from the first's start to the second's end,
    words in order). Raises EditError when there is no next segment or the two have different speakers
    (give them one speaker first)."""
    first = _check_index(segments, index)
    if index + 1 >= len(segments):
        raise EditError(f"segment {index + 1} is the last one: there is nothing after it to merge with")
    second = segments[index + 1]
    if first.speaker != second.speaker:
        def who(speaker: int | None) -> str:
            return names.get(speaker) or (f"Speaker {speaker + 1}" if speaker is not None else "no speaker")

        raise EditError(f"segments {index + 1} and {index + 2} belong to different speakers "
                        f"({who(first.speaker)}, {who(second.speaker)}): give them one speaker first")
    merged = replace(first, end=max(first.end, second.end),
                     text=_styled(first.text, f"{first.text.strip()} {second.text.strip()}"),
                     words=first.words + second.words if first.words and second.words else ())
    new = segments[:index] + [merged] + segments[index + 2:]
    change = TranscriptChange("merge", f"Segments {index + 1} and {index + 2} merged", index)
    return Edited(new, dict(names), change)


def set_speaker(segments: list[Segment], names: dict[int, str], index: int, speaker: int) -> Edited:
    """Give segment ``index`` to ``speaker`` (0-based; one more than the highest so far adds a new speaker).
    Raises EditError when the transcript has no speakers (find them first) or ``speaker`` is not one of
    its speakers or the next new one, or the segment is that speaker's already."""
    segment = _check_index(segments, index)
    present = sorted({s.speaker for s in segments if s.speaker is not None})
    if not present:
        raise EditError("this transcript has no speakers: find speakers first (Settings → Speakers)")
    if speaker not in present and speaker != max(present) + 1:
        raise EditError(f"there is no speaker {speaker + 1}; choose one of the speakers or a new one")
    if segment.speaker == speaker:
        raise EditError(f"segment {index + 1} is {names.get(speaker) or f'Speaker {speaker + 1}'}'s already")
    new = list(segments)
    new[index] = replace(segment, speaker=speaker)
    before = names.get(segment.speaker) or f"Speaker {segment.speaker + 1}" if segment.speaker is not None else "none"
    after = names.get(speaker) or f"Speaker {speaker + 1}"
    change = TranscriptChange("speaker", f"Segment {index + 1} given to {after} (was {before})", index)
    return Edited(new, dict(names), change)


def rename_speaker(segments: list[Segment], names: dict[int, str], speaker: int, name: str) -> Edited:
    """Name ``speaker`` ``name`` everywhere ("" gives back "Speaker N"; spaces collapsed). Raises EditError
    for a speaker the transcript does not have, or a name over 80 characters."""
    name = " ".join(name.split())
    if len(name) > 80:
        raise EditError("a speaker name can be at most 80 characters long")
    if speaker not in {s.speaker for s in segments}:
        raise EditError(f"this transcript has no speaker {speaker + 1}")
    before = names.get(speaker) or f"Speaker {speaker + 1}"
    new_names = dict(names)
    if name:
        new_names[speaker] = name
    else:
        new_names.pop(speaker, None)
    after = name or f"Speaker {speaker + 1}"
    change = TranscriptChange("rename", f"{before} renamed {after}")
    return Edited(list(segments), new_names, change)
