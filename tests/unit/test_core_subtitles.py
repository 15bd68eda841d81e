"""SRT and WebVTT subtitles (app/core/export/subtitles.py): written by pysubs2 and parsed back by it; the
line-length, line-count and duration rules, breaks at sentence ends, a speaker change always splitting a cue,
"Alice: " labels in SRT and <v Alice> voice tags in VTT, and transcripts without speakers or word timings."""

import re
from pathlib import Path

import pysubs2
import pytest

from app.core.analysis import Analysis, AnalysisStatus, Segment, Transcript, Word
from app.core.export import subtitles
from app.core.export.subtitles import MAX_CUE_SECONDS, MAX_LINE_CHARS, MAX_LINES, MIN_CUE_SECONDS

MONOLOGUE = ("So the plan for this quarter is simple we finish the migration of the billing service first "
             "then we move the reporting jobs over and after that we switch off the old cluster for good "
             "which should save us a lot of money every single month")


def timed_segment(text: str, start: float, seconds_per_word: float = 0.3, speaker=None, gap: float = 0.05):
    """A segment with one Word per token: each ``seconds_per_word`` long, ``gap`` seconds apart."""
    words, at = [], start
    for token in text.split():
        words.append(Word(" " + token, at, at + seconds_per_word, 0.9))
        at += seconds_per_word + gap
    return Segment(start, words[-1].end, " " + text, tuple(words), "en", speaker)


def analysis_of(segments, names=None) -> Analysis:
    return Analysis(source=Path("/recordings/meeting.wav"), prompts=[], status=AnalysisStatus.DONE,
                    transcript=Transcript(list(segments), language="en", duration=120.0,
                                          speaker_names=dict(names or {})))


def two_speakers() -> Analysis:
    return analysis_of([
        timed_segment("Good morning everyone, thanks for joining.", 0.0, speaker=0),
        timed_segment(MONOLOGUE, 3.0, speaker=0),
        timed_segment("Sounds good to me", 25.0, speaker=1),   # no sentence end, no pause: only the speaker differs
        timed_segment("and the budget too?", 26.5, speaker=0),
        timed_segment("Yes. Marta & <Bob> {laughs} agree.", 28.0, speaker=1),
    ], names={0: "Alice"})


def parsed(text: str, fmt: str) -> pysubs2.SSAFile:
    return pysubs2.SSAFile.from_string(text, format_=fmt, keep_html_tags=True)


def visible_lines(event: pysubs2.SSAEvent) -> list[str]:
    """A cue's lines as a viewer sees them: voice tags removed, WebVTT's escapes read back."""
    text = re.sub(r"<v [^>]*>", "", event.text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.split("\\N")


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_the_written_file_parses_back_and_keeps_every_word_within_the_rules(fmt):
    analysis = two_speakers()
    text = subtitles.render_srt(analysis) if fmt == "srt" else subtitles.render_vtt(analysis)
    events = parsed(text, fmt).events
    assert len(events) >= 6
    spoken = []
    for n, event in enumerate(events):
        lines = visible_lines(event)
        assert 1 <= len(lines) <= MAX_LINES, lines
        assert all(len(line) <= MAX_LINE_CHARS for line in lines), lines
        duration = (event.end - event.start) / 1000
        assert duration <= MAX_CUE_SECONDS
        if n + 1 < len(events):
            following = events[n + 1]
            assert event.end <= following.start  # never overlapping
            assert duration >= MIN_CUE_SECONDS or event.end == following.start  # short only where the next cue starts
        spoken += " ".join(lines).split()
    labels = {"Alice:", "Speaker", "2:"} if fmt == "srt" else set()
    assert [w for w in spoken if w not in labels] == analysis.transcript.text.split()


def test_a_long_monologue_is_cut_at_the_limits_and_a_sentence_end_ends_a_cue():
    cues = subtitles.subtitle_cues(two_speakers().transcript)
    assert cues[0].lines == ("Good morning everyone, thanks for joining.",)  # its own cue: the sentence ends
    monologue = [c for c in cues if c.start >= 3.0 and c.end <= 25.0]
    assert len(monologue) >= 3
    assert " ".join(" ".join(c.lines) for c in monologue) == MONOLOGUE
    assert all(len(c.lines) == 2 or c is monologue[-1] for c in monologue)  # full cues use both lines
    yes = [c for c in cues if c.lines[0].startswith("Yes.")]  # "Yes." lasts 0.3 s: it shares its cue
    assert yes and yes[0].lines == ("Yes. Marta & <Bob> {laughs} agree.",)


def test_a_speaker_change_always_splits_a_cue_and_labels_show_where_the_speaker_changes():
    analysis = two_speakers()
    cues = subtitles.subtitle_cues(analysis.transcript, speaker_labels=True)
    turn = [c for c in cues if 25.0 <= c.start < 28.0]
    assert [(c.speaker, c.lines) for c in turn] == [(1, ("Speaker 2: Sounds good to me",)),
                                                    (0, ("Alice: and the budget too?",))]
    assert all(c.labelled == (i == 0 or cues[i - 1].speaker != c.speaker) for i, c in enumerate(cues))
    srt = subtitles.render_srt(analysis)
    assert srt.count("Alice: ") == 2 and srt.count("Speaker 2: ") == 2  # Alice starts, Speaker 2 cuts in, twice
    assert "1\n00:00:00,000 --> " in srt


def test_vtt_cues_carry_voice_tags_and_escape_what_webvtt_needs():
    text = subtitles.render_vtt(two_speakers())
    assert text.startswith("WEBVTT\n\n")
    cue_texts = [block.split("\n", 2)[2] for block in text.strip().split("\n\n")[1:]]
    assert all(t.startswith(("<v Alice>", "<v Speaker 2>")) for t in cue_texts), cue_texts
    assert "<v Speaker 2>Yes. Marta &amp; &lt;Bob&gt; {laughs} agree." in text  # braces kept: not SubStation tags
    events = parsed(text, "vtt").events
    assert events[0].text.startswith("<v Alice>Good morning")


def test_a_speaker_name_that_is_markup_is_escaped_in_the_voice_tag():
    analysis = two_speakers()
    analysis.transcript.speaker_names[1] = "Bob <the> & Co"
    assert "<v Bob &lt;the&gt; &amp; Co>Sounds good to me" in subtitles.render_vtt(analysis)
    assert "Bob <the> & Co: Sounds good to me" in subtitles.render_srt(analysis)


def test_without_speakers_there_are_no_labels_or_voice_tags():
    analysis = analysis_of([timed_segment("Hello team.", 0.0), timed_segment("We ship on Friday.", 2.0)])
    srt, vtt = subtitles.render_srt(analysis), subtitles.render_vtt(analysis)
    assert [e.text for e in parsed(srt, "srt").events] == ["Hello team.", "We ship on Friday."]
    assert [e.text for e in parsed(vtt, "vtt").events] == ["Hello team.", "We ship on Friday."]
    assert "<v" not in vtt and ":" not in srt.replace("-->", "").split("\n", 2)[2].split("\n")[0]
    first = parsed(srt, "srt").events[0]
    assert (first.start, first.end) == (0, 1000)  # "Hello team." is said in 0.65 s: shown 1 s, the next starts at 2 s


def test_segments_without_word_timings_are_spread_over_their_time():
    long_text = "And then " + MONOLOGUE + "."
    analysis = analysis_of([Segment(10.0, 30.0, long_text), Segment(30.0, 31.0, "Thanks.")])
    events = parsed(subtitles.render_srt(analysis), "srt").events
    assert events[0].start == 10_000 and events[-1].text.endswith("month. Thanks.")  # "month." alone: too short
    assert all(e.end - e.start <= MAX_CUE_SECONDS * 1000 for e in events)
    assert all(len(line) <= MAX_LINE_CHARS for e in events for line in e.text.split("\\N"))
    assert " ".join(e.text.replace("\\N", " ") for e in events) == long_text + " Thanks."


def test_a_transcript_read_from_text_has_no_durations_and_still_gets_readable_cues():
    analysis = analysis_of([Segment(0.0, 0.0, "Hello team."), Segment(5.0, 5.0, "We ship on Friday.")])
    events = parsed(subtitles.render_srt(analysis), "srt").events
    assert [(e.start, e.end, e.text) for e in events] == [(0, 5000, "Hello team."),
                                                          (5000, 6200, "We ship on Friday.")]  # 18 chars at 15/s


def test_an_empty_transcript_gives_an_empty_file():
    analysis = analysis_of([])
    assert subtitles.render_srt(analysis) == ""
    assert subtitles.render_vtt(analysis).strip() == "WEBVTT"


def test_a_word_longer_than_a_line_stays_whole_and_backslashes_stay_text():
    url = "https://example.com/a/very/long/path/that/does/not/fit/on/one/line"
    analysis = analysis_of([timed_segment(f"See {url} for C:\\new notes", 0.0)])
    events = parsed(subtitles.render_srt(analysis), "srt").events
    lines = [line for e in events for line in e.text.split("\\N")]
    assert url in lines
    assert any("C:\\\u2060new" in line for line in lines)  # not read as pysubs2's \n line break
