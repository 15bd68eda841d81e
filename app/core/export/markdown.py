"""The Markdown export of an Analysis, and the time formats shared by every text view.

Layout: ``# <file name>`` (``app.core.user_files.display_name``), a metadata list (with
``Transcribed: only ...`` when less than the whole recording was, ``Language: English, translated
from fr`` for a translation), a quoted note when the answers come from the bundled demo model
(``Analysis.llm_demo``), ``## <prompt>`` + response per
prompt (with a coverage line), then ``## Transcript`` with one ``[mm:ss] text`` line per
paragraph (segments joined at pauses and sentence ends). Times are seconds (floats).

With speakers (``Transcript.has_speakers``) the transcript is in speaker turns: consecutive segments of
one speaker make one turn, headed ``**Alice** [00:12]`` (``Transcript.speaker_name``: the user's name or
"Speaker N") with the turn's text on the next line; a long turn goes on in further ``[mm:ss] text``
paragraphs (the same paragraph rule). The metadata list then says who was found
(``- **Speakers:** Alice, Speaker 2``, with how), or why speakers were not found. Without speakers the
output is as before.

Grounding (``app.core.grounding``): each supported sentence of an answer is followed by `` [mm:ss]`` (plain
text, where the recording says it) unless it cites a time itself; the sentences the recording does not say are
listed under the answer (``_Not found in the recording: "…"; "…"_``), and those whose own citation points
elsewhere (``_Cited time does not say it: …_``). The model's text is not otherwise changed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from app.core.analysis import DEMO_NOTE, Analysis, AnalysisStatus, PromptResult, PromptStatus, Segment, Transcript
from app.core.export.commonmark import plain_inline
from app.core.grounding import Citation, ground_responses
from app.core.user_files import display_name


def format_timestamp(seconds: float) -> str:
    """``[mm:ss]`` for ``seconds`` (``[h:mm:ss]`` from one hour on); ``[--:--]`` for a time that is not finite."""
    if not math.isfinite(seconds):
        return "[--:--]"
    total = int(max(seconds, 0.0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"[{hours}:{minutes:02d}:{secs:02d}]" if hours else f"[{minutes:02d}:{secs:02d}]"


def format_duration(seconds: float) -> str:
    """Human duration: ``1 h 02 min 05 s``, ``3 min 07 s``, ``4.2 s`` (``unknown`` when not finite)."""
    if not math.isfinite(seconds):
        return "unknown"
    if seconds < 60:
        return f"{seconds:.1f} s"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min {secs:02d} s" if hours else f"{minutes} min {secs:02d} s"


PARAGRAPH_PAUSE_SECONDS = 1.5
"""A pause at least this long between two segments starts a new paragraph."""
PARAGRAPH_SECONDS = 45.0
"""A paragraph this long ends at the next segment that ends a sentence."""
PARAGRAPH_MAX_SECONDS = 120.0
"""A paragraph never runs longer than this, sentence end or not."""
_SENTENCE_END = (".", "?", "!", "…", "。", "？", "！")


def transcript_paragraphs(segments: Iterable[Segment]) -> list[tuple[float, str]]:
    """Segments joined into paragraphs, as (start seconds, text): Whisper's segments split sentences
    ("We decided to launch the new website" / "on Friday."), so a paragraph runs on until a pause of
    ``PARAGRAPH_PAUSE_SECONDS``, or until a sentence ends once it is ``PARAGRAPH_SECONDS`` long, and
    at most ``PARAGRAPH_MAX_SECONDS``."""
    paragraphs: list[tuple[float, str]] = []
    start, texts, last_end = 0.0, [], None
    for segment in segments:
        text = segment.text.strip()
        if not text:
            continue
        if texts:
            length = segment.start - start
            sentence_ended = texts[-1].endswith(_SENTENCE_END)
            if (segment.start - last_end >= PARAGRAPH_PAUSE_SECONDS or length >= PARAGRAPH_MAX_SECONDS
                    or (length >= PARAGRAPH_SECONDS and sentence_ended)):
                paragraphs.append((start, " ".join(texts)))
                texts = []
        if not texts:
            start = segment.start
        texts.append(text)
        last_end = max(segment.end, segment.start)
    if texts:
        paragraphs.append((start, " ".join(texts)))
    return paragraphs


def speaker_turns(segments: Iterable[Segment]) -> list[tuple[int | None, list[Segment]]]:
    """Consecutive segments of one speaker as (speaker, segments) turns, in order; segments without text are
    left out (a turn of None: segments no speaker was given to)."""
    turns: list[tuple[int | None, list[Segment]]] = []
    for segment in segments:
        if not segment.text.strip():
            continue
        if turns and turns[-1][0] == segment.speaker:
            turns[-1][1].append(segment)
        else:
            turns.append((segment.speaker, [segment]))
    return turns


def transcript_blocks(transcript: Transcript) -> list[str]:
    """The ``## Transcript`` section's blocks (paragraphs): ``[mm:ss] text`` per paragraph, or with speakers
    one block per turn, ``**Name** [mm:ss]`` then its first paragraph on the next line, its further
    paragraphs as ``[mm:ss] text`` blocks."""
    if not transcript.has_speakers:
        return [f"{format_timestamp(start)} {text}" for start, text in transcript_paragraphs(transcript.segments)]
    blocks: list[str] = []
    for speaker, turn in speaker_turns(transcript.segments):
        paragraphs = transcript_paragraphs(turn)
        if speaker is None:
            blocks += [f"{format_timestamp(start)} {text}" for start, text in paragraphs]
            continue
        (start, text), rest = paragraphs[0], paragraphs[1:]
        blocks.append(f"**{_inline(transcript.speaker_name(speaker))}** {format_timestamp(start)}\n{text}")
        blocks += [f"{format_timestamp(start)} {text}" for start, text in rest]
    return blocks


def _inline(text: str) -> str:
    """``text`` on one line with Markdown's emphasis characters escaped, so a name cannot end the bold."""
    return "".join("\\" + c if c in "\\*_`[]<>" else c for c in " ".join(text.split()))


def speakers_note(transcript: Transcript) -> str | None:
    """The ``Speakers`` metadata line's text: the speakers (in order of first appearance), how they were
    found (engine, seconds), or why they were not found; None when they were not looked for."""
    found = transcript.diarization
    if found is None and not transcript.has_speakers:
        return None
    if found is not None and found.error:  # the pipeline's sentence says "speakers were not found: <cause>"
        return found.error if "not found" in found.error else f"not found ({found.error})"
    names = ", ".join(_inline(transcript.speaker_name(i)) for i in transcript.speakers) or "none found"
    how = f" (found by {found.engine} in {format_duration(found.time)})" if found is not None and found.engine else ""
    return names + how


def segment_lines(segments: Iterable[Segment]) -> list[str]:
    """One ``[mm:ss] text`` line per segment with text."""
    return [f"{format_timestamp(s.start)} {s.text.strip()}" for s in segments if s.text.strip()]


def cited_response(response: str, citations: list[Citation]) -> str:
    """``response`` with `` [mm:ss]`` (the start of its supporting segments, as plain text) after each
    supported sentence that does not cite a time itself; the model's text is otherwise unchanged."""
    out, position = [], 0
    for citation in citations:
        if citation.supported and not citation.cited and citation.start is not None:
            out += [response[position:citation.span[1]], " ", format_timestamp(citation.start)]
            position = citation.span[1]
    return "".join(out) + response[position:]


def grounding_notes(citations: list[Citation]) -> list[str]:
    """Italic lines under an answer: the sentences the recording does not say
    (``_Not found in the recording: "…"; "…"_``), and those whose own ``[mm:ss]`` points where the recording
    does not say them; none when every sentence is found where it says."""
    def quoted(items: list[Citation]) -> str:
        return "; ".join(f'"{_inline(plain_inline(c.sentence))}"' for c in items)  # the words, not the markup
    missing = [c for c in citations if not c.supported]
    misplaced = [c for c in citations if c.supported and c.cited_ok is False]
    lines = [f"_Not found in the recording: {quoted(missing)}_"] if missing else []
    if misplaced:
        lines.append(f"_Cited time does not say it: {quoted(misplaced)}_")
    return lines


def _response_markdown(result: PromptResult, citations: list[Citation]) -> str:
    if result.status is PromptStatus.DONE:
        return cited_response(result.response, citations) or "_(empty response)_"
    note = {
        PromptStatus.FAILED: f"Failed: {result.error}",
        PromptStatus.CANCELLED: "Cancelled before it finished.",
        PromptStatus.SKIPPED: f"Not run: {result.error or 'skipped'}.",
    }.get(result.status, "Not run.")
    partial = f"\n\n{cited_response(result.response, citations)}" if result.response else ""
    return f"> {note}{partial}"


def coverage_note(result: PromptResult) -> str:
    """One italic line on what the response read: ``_Coverage: 100% of the transcript, in one pass._``
    or ``..., map-reduce over 3 parts._``."""
    how = "in one pass" if result.strategy == "whole" else f"map-reduce over {result.parts} parts"
    return f"_Coverage: {result.coverage:.0%} of the transcript, {how}._"


def translation_note(analysis: Analysis) -> str:
    """``English, translated from fr`` (the languages spoken, in order of appearance) for a transcript that
    Whisper translated."""
    spoken = list(dict.fromkeys(s.language for s in analysis.transcript.segments if s.language))
    if not spoken and analysis.transcript.language:
        spoken = [analysis.transcript.language]
    target = {"en": "English"}.get(analysis.transcript.translated_to or "", analysis.transcript.translated_to)
    return f"{target}, translated from {', '.join(spoken) or 'the language spoken'}"


def is_partial(analysis: Analysis) -> bool:
    """True when less of the recording was transcribed than its duration (by more than 1 s and 2 %):
    the file ended early or changed while it was transcribed."""
    done = analysis.transcribed_duration
    return done is not None and analysis.duration - done > max(1.0, 0.02 * analysis.duration)


def cut_off_note(result: PromptResult) -> str:
    """One italic line saying the answer stopped at the answer limit, not where the model ended it."""
    return (f"_Cut off: the answer reached the limit of {result.completion_tokens:,} tokens and may stop mid-sentence; "
            "run it again with a higher limit._")


def transcript_version_note(analysis: Analysis) -> str | None:
    """The ``Transcript`` metadata line's text: which version of the transcript this export uses ("version 3,
    corrected by hand"); None for the transcription as made, never edited (version 0)."""
    if analysis.transcript_version <= 0:
        return None
    how = "corrected by hand" if analysis.transcript_edited else "the transcription as made (reverted)"
    return f"version {analysis.transcript_version}, {how}"


def stale_note(analysis: Analysis, result: PromptResult) -> str:
    """The line under an answer made from another transcript version than the one exported."""
    return (f"_Made from transcript version {result.transcript_version}; the transcript has changed since "
            f"(version {analysis.transcript_version})._")


def _result_lines(result: PromptResult, level: str, citations: list[Citation], stale: str | None = None
                  ) -> list[str]:
    """One prompt's section: its name (then the prompt in italics) or the prompt as the heading, the
    answer (each supported sentence followed by its ``[mm:ss]``), the sentences not found in the recording,
    and the notes on how it ended, what it read and (``stale``) which transcript version it was made from."""
    prompt = " ".join(result.prompt.split())
    lines = [f"{level} {result.name}", "", f"_{prompt}_", ""] if result.name else [f"{level} {prompt}", ""]
    if stale:
        lines += [stale, ""]
    lines += [_response_markdown(result, citations), ""]
    for note in grounding_notes(citations):
        lines += [note, ""]
    if result.status is PromptStatus.DONE and result.cut_off:
        lines += [cut_off_note(result), ""]
    if result.coverage > 0:
        lines += [coverage_note(result), ""]
    return lines


def render_markdown(analysis: Analysis) -> str:
    """The Markdown export: title, metadata, ``## <name or prompt>`` + response per prompt, the questions
    asked afterwards under ``## Questions``, then ``## Transcript`` in paragraphs with one ``[mm:ss]`` stamp
    each (``transcript_paragraphs``)."""
    lines = [f"# {display_name(analysis.source)}", ""]
    lines += [
        f"- **Duration:** {format_duration(analysis.duration)}",
        *([f"- **Transcribed:** only {format_duration(analysis.transcribed_duration)}"]
          if is_partial(analysis) else []),
        f"- **Whisper model:** {analysis.whisper_model or '—'}",
        *([f"- **Language:** {translation_note(analysis)}"] if analysis.transcript.translated_to else []),
        *([f"- **Speakers:** {speakers_note(analysis.transcript)}"] if speakers_note(analysis.transcript) else []),
        *([f"- **Transcript:** {transcript_version_note(analysis)}"] if transcript_version_note(analysis) else []),
        f"- **LLM model:** {analysis.llm_model or '—'}",
        f"- **Device:** {analysis.device or '—'}",
        f"- **Date:** {analysis.created_at.strftime('%Y-%m-%d %H:%M %Z').strip()}",
    ]
    if analysis.status is not AnalysisStatus.DONE:
        lines.append(f"- **Status:** {analysis.status.value}" + (f" ({analysis.error})" if analysis.error else ""))
    lines.append("")
    if analysis.llm_demo:
        lines += [f"> **Demo model.** {DEMO_NOTE}", ""]
    grounded = dict(zip(map(id, analysis.prompt_results),
                        ground_responses([r.response for r in analysis.prompt_results], analysis.transcript)))
    questions = [r for r in analysis.prompt_results if r.kind == "question"]
    for result in analysis.prompt_results:
        if result.kind != "question":
            lines += _result_lines(result, "##", grounded[id(result)],
                                   stale_note(analysis, result) if analysis.is_stale(result) else None)
    if questions:
        lines += ["## Questions", ""]
        for result in questions:
            lines += _result_lines(result, "###", grounded[id(result)],
                                   stale_note(analysis, result) if analysis.is_stale(result) else None)
    lines += ["## Transcript", ""]
    for line in transcript_blocks(analysis.transcript) or ["_(no speech found)_"]:
        lines += [line, ""]
    return "\n".join(lines).rstrip() + "\n"
