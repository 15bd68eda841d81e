"""The transcript as the language model reads it: plain text, or speaker turns when speakers are known.

Without speakers the text is the segments joined by spaces (``Transcript.text``). With speakers, each turn
(consecutive segments of one speaker) is one line, ``[mm:ss] Name: text`` (``[h:mm:ss]`` from an hour on),
so an answer can say who said what and when (the default "action items with owners" prompt needs it).
The same text goes into the shared prefix and into ``{{ transcript }}`` (AssemblyAI's tag carries no
speakers; Hearsay's does). What the labels cost in tokens is measured in docs/benchmarks.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.core.analysis import Segment, Transcript


def clock(seconds: float) -> str:
    """``seconds`` as ``mm:ss``, or ``h:mm:ss`` from an hour on (rounded down to the second)."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def turn_lines(segments: Sequence[Segment], name_of: Callable[[int | None], str]) -> list[str]:
    """One ``[mm:ss] Name: text`` line per speaker turn of ``segments`` (a segment without a speaker joins
    the turn before it, or starts an unnamed line)."""
    lines: list[tuple[float, int | None, list[str]]] = []
    for segment in segments:
        text = segment.text.strip()
        if not text:
            continue
        speaker = segment.speaker if segment.speaker is not None or not lines else lines[-1][1]
        if lines and lines[-1][1] == speaker:
            lines[-1][2].append(text)
        else:
            lines.append((segment.start, speaker, [text]))
    out = []
    for start, speaker, texts in lines:
        name = name_of(speaker)
        out.append(f"[{clock(start)}] {name}: {' '.join(texts)}" if name else f"[{clock(start)}] {' '.join(texts)}")
    return out


def segments_text(segments: Sequence[Segment], name_of: Callable[[int | None], str]) -> str:
    """``segments`` as the model reads them: turn lines when any has a speaker, else texts joined by spaces."""
    if any(s.speaker is not None for s in segments):
        return "\n".join(turn_lines(segments, name_of))
    return " ".join(s.text.strip() for s in segments if s.text.strip())


def transcript_text(transcript: Transcript) -> str:
    """The whole transcript as the model reads it (module docstring), with the user's speaker names."""
    return segments_text(transcript.segments, transcript.speaker_name)
