"""Subtitles of a transcript: SubRip (``.srt``) and WebVTT (``.vtt``), written by ``pysubs2``.

Cues are made from the words when the transcript has word timestamps, else from the segments (a
segment's words are then spread over its time in proportion to their length; a segment without a
duration, as in a transcript read from text, lasts until the next one starts, or for as long as its
text takes to read at ``READING_CHARS_PER_SECOND`` when it is the last one). The rules:

- **Speakers.** A cue holds one speaker's words: a speaker change always starts a new cue.
- **Length.** At most ``MAX_LINES`` (2) lines of at most ``MAX_LINE_CHARS`` (42) characters; a cue that
  fits on one line is one line, else it is broken into two at the space that makes the lines most even,
  a break after punctuation counting as ``LINE_BREAK_PUNCTUATION_BONUS`` characters more even.
  A single word longer than a line (a URL) stays whole on a line of its own.
- **Duration.** At most ``MAX_CUE_SECONDS`` (7 s) from the cue's first word's start to its last word's end.
- **Breaks.** A cue ends after a word that ends a sentence (``. ? ! …``) once it lasts ``MIN_CUE_SECONDS``
  (a shorter sentence, "Hello.", shares its cue with the next one when they fit), and before a pause of at
  least ``PAUSE_SECONDS``. When the next word would break the length or duration rule, the cue ends at its
  latest clause break (after ``. ? ! , ; :`` or before a pause of at least ``CLAUSE_PAUSE_SECONDS``) in its
  second half, else just before that word.
- **Timing.** A cue shows from its first word's start to its last word's end, lengthened to at least
  ``MIN_CUE_SECONDS`` (about 1 s) when the next cue starts late enough (else up to the next cue's start);
  cues never overlap (timestamps in milliseconds).
- **Speaker labels.** SRT has no speaker markup, so a cue whose speaker differs from the previous cue's
  starts with ``Alice: `` (counted in the line length). WebVTT cues of a speaker start with a voice tag,
  ``<v Alice>`` (WebVTT's cue text syntax, https://www.w3.org/TR/webvtt1/#webvtt-cue-voice-span; the closing
  ``</v>`` may be left out when the span runs to the end of the cue); its name is not counted in the line
  length, as players show it as styling or not at all. Without speakers there are no labels or tags.

pysubs2 writes both formats (numbering, timestamps, the ``WEBVTT`` header) but carries cue text as
SubStation text: it would drop ``{…}`` from speech as override tags, and turns ``\\N``, ``\\n`` and ``\\h``
into breaks and spaces. So the cue text is written with ``keep_ssa_tags=True`` (braces kept), a
backslash before ``N``, ``n`` or ``h`` in speech gets a U+2060 word joiner after it, and for WebVTT
(whose writer passes ``<v …>`` through but escapes nothing) ``&``, ``<`` and ``>`` in speech and in speaker
names are written as ``&amp;``, ``&lt;`` and ``&gt;`` as the WebVTT syntax requires.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pysubs2

from app.core.analysis import Analysis, Transcript

MAX_LINE_CHARS = 42
"""Most characters on one subtitle line (the common broadcast and streaming guideline)."""
MAX_LINES = 2
"""Most lines in one cue."""
MAX_CUE_SECONDS = 7.0
"""Longest a cue is shown, in seconds."""
MIN_CUE_SECONDS = 1.0
"""Shortest a cue is shown, in seconds, when the next cue starts late enough to allow it."""
PAUSE_SECONDS = 0.8
"""A silence at least this long between two words ends a cue."""
CLAUSE_PAUSE_SECONDS = 0.25
"""A silence at least this long between two words is a clause break, where a cue that is full ends."""
LINE_BREAK_PUNCTUATION_BONUS = 10
"""Two lines may differ by this many more characters when the first ends at punctuation (a clause ends there)."""
READING_CHARS_PER_SECOND = 15.0
"""How long the last segment without a duration is shown: its characters at this reading speed."""
_SENTENCE_END = (".", "?", "!", "…", "。", "？", "！")
_CLAUSE_END = (",", ";", ":", "，", "；", "：", "—", "–")
_CLOSING = "\"'”’»)]"


@dataclass(frozen=True)
class Cue:
    """One subtitle: shown from ``start`` to ``end`` (seconds), its ``lines`` (at most ``MAX_LINES``; the
    first begins with the ``"Alice: "`` label when ``labelled``), spoken by ``speaker`` (0-based; None when
    speakers were not looked for)."""

    start: float
    end: float
    lines: tuple[str, ...]
    speaker: int | None = None
    labelled: bool = False


@dataclass(frozen=True)
class _Word:
    text: str
    start: float
    end: float
    speaker: int | None


def _words(transcript: Transcript) -> list[_Word]:
    """The transcript's words with times and speakers; a segment without word timestamps is spread out."""
    segments = [s for s in transcript.segments if s.text.strip()]
    words: list[_Word] = []
    for n, segment in enumerate(segments):
        timed = [w for w in segment.words if w.word.strip()]
        if timed:
            words += [_Word(w.word.strip(), w.start, max(w.end, w.start), segment.speaker) for w in timed]
            continue
        texts = segment.text.split()
        start, end = segment.start, segment.end
        if end <= start:
            following = segments[n + 1].start if n + 1 < len(segments) else start
            end = following if following > start else start + len(segment.text.strip()) / READING_CHARS_PER_SECOND
        weights = [len(t) + 1 for t in texts]
        at, total = start, sum(weights)
        for text, weight in zip(texts, weights):
            step = (end - start) * weight / total
            words.append(_Word(text, at, at + step, segment.speaker))
            at += step
    return words


def _wrap(texts: Sequence[str]) -> list[str] | None:
    """``texts`` (words) as one line, or two lines as even as possible (preferring a break after punctuation),
    each at most ``MAX_LINE_CHARS`` (a line of one word may be longer); None when they do not fit."""
    whole = " ".join(texts)
    if len(whole) <= MAX_LINE_CHARS or len(texts) == 1:
        return [whole]
    best = None
    for i in range(1, len(texts)):
        first, second = " ".join(texts[:i]), " ".join(texts[i:])
        if all(len(line) <= MAX_LINE_CHARS or " " not in line for line in (first, second)):
            key = abs(len(first) - len(second)) - (LINE_BREAK_PUNCTUATION_BONUS
                                                   if _ends(first, _SENTENCE_END + _CLAUSE_END) else 0)
            if best is None or key < best[0]:
                best = (key, [first, second])
    return None if best is None else best[1]


def _ends(text: str, endings: tuple[str, ...]) -> bool:
    return text.rstrip(_CLOSING).endswith(endings)


class _Builder:
    """Groups words into cues by the module's rules."""

    def __init__(self, transcript: Transcript, speaker_labels: bool) -> None:
        self.transcript = transcript
        self.speaker_labels = speaker_labels
        self.cues: list[Cue] = []

    def _label(self, words: Sequence[_Word]) -> str:
        speaker = words[0].speaker
        if not self.speaker_labels or speaker is None or (self.cues and self.cues[-1].speaker == speaker):
            return ""
        return f"{' '.join(self.transcript.speaker_name(speaker).split())}: "

    def _lines(self, words: Sequence[_Word]) -> list[str] | None:
        texts = [w.text for w in words]
        texts[0] = self._label(words) + texts[0]
        return _wrap(texts)

    def fits(self, words: Sequence[_Word]) -> bool:
        """Whether ``words`` make one cue within the length and duration rules."""
        if len(words) == 1:
            return True
        return words[-1].end - words[0].start <= MAX_CUE_SECONDS and self._lines(words) is not None

    def close(self, words: Sequence[_Word]) -> None:
        if not words:
            return
        label = self._label(words)
        lines = self._lines(words) or [" ".join(w.text for w in words)]
        self.cues.append(Cue(words[0].start, max(w.end for w in words), tuple(lines), words[0].speaker, bool(label)))

    def split_point(self, words: Sequence[_Word]) -> int:
        """Where a full cue ends: after its latest clause break (a sentence or clause end, or a pause) in its
        second half, else after all of it."""
        for k in range(len(words) - 1, max(len(words) // 2, 1) - 1, -1):
            if (_ends(words[k - 1].text, _SENTENCE_END + _CLAUSE_END)
                    or words[k].start - words[k - 1].end >= CLAUSE_PAUSE_SECONDS):
                return k
        return len(words)


def subtitle_cues(transcript: Transcript, speaker_labels: bool = False) -> list[Cue]:
    """The transcript's cues by the module's rules, with final times (seconds, millisecond steps, never
    overlapping). ``speaker_labels``: start the cue of a new speaker with ``"Alice: "`` (SRT)."""
    builder = _Builder(transcript, speaker_labels)
    current: list[_Word] = []
    for word in _words(transcript):
        if current:
            last = current[-1]
            sentence_done = _ends(last.text, _SENTENCE_END) and last.end - current[0].start >= MIN_CUE_SECONDS
            if word.speaker != last.speaker or sentence_done or word.start - last.end >= PAUSE_SECONDS:
                builder.close(current)
                current = []
        if current and not builder.fits(current + [word]):
            k = builder.split_point(current)
            builder.close(current[:k])
            current = current[k:]
            if current and not builder.fits(current + [word]):
                builder.close(current)
                current = []
        current.append(word)
    builder.close(current)
    return _timed(builder.cues)


def _timed(cues: list[Cue]) -> list[Cue]:
    """``cues`` with the timing rule applied, in whole milliseconds."""
    timed: list[Cue] = []
    previous_end = 0
    for i, cue in enumerate(cues):
        start = max(round(cue.start * 1000), previous_end)
        end = min(max(round(cue.end * 1000), start), start + round(MAX_CUE_SECONDS * 1000))
        following = round(cues[i + 1].start * 1000) if i + 1 < len(cues) else None
        if following is not None and following > start:
            end = min(end, following)
        shortest = round(MIN_CUE_SECONDS * 1000)
        if end - start < shortest:
            end = start + shortest if following is None or following <= start else max(end, min(start + shortest,
                                                                                                 following))
        timed.append(Cue(start / 1000, end / 1000, cue.lines, cue.speaker, cue.labelled))
        previous_end = end
    return timed


def _plain(text: str) -> str:
    """``text`` that pysubs2 writes as it is: a backslash before N, n or h (its break and space tags) is kept
    apart from the letter by a U+2060 word joiner."""
    for letter in "Nnh":
        text = text.replace("\\" + letter, "\\\u2060" + letter)
    return text


def _vtt_escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as WebVTT cue text writes them."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _subs(cues: list[Cue], cue_text) -> pysubs2.SSAFile:
    subs = pysubs2.SSAFile()
    for cue in cues:
        subs.append(pysubs2.SSAEvent(start=round(cue.start * 1000), end=round(cue.end * 1000), text=cue_text(cue)))
    return subs


def render_srt(analysis: Analysis) -> str:
    """The transcript as SubRip subtitles (see the module's rules; ``"Alice: "`` where the speaker changes).
    An empty transcript gives an empty file."""
    cues = subtitle_cues(analysis.transcript, speaker_labels=True)
    return _subs(cues, lambda cue: "\\N".join(_plain(line) for line in cue.lines)).to_string("srt", keep_ssa_tags=True)


def render_vtt(analysis: Analysis) -> str:
    """The transcript as WebVTT subtitles (see the module's rules; each cue of a speaker starts with
    ``<v Name>``). An empty transcript gives the ``WEBVTT`` header alone."""
    transcript = analysis.transcript

    def cue_text(cue: Cue) -> str:
        text = "\\N".join(_plain(_vtt_escape(line)) for line in cue.lines)
        if cue.speaker is None:
            return text
        name = " ".join(transcript.speaker_name(cue.speaker).split())  # a voice tag is one line
        return f"<v {_plain(_vtt_escape(name))}>{text}"

    return _subs(subtitle_cues(transcript), cue_text).to_string("vtt", keep_ssa_tags=True)
