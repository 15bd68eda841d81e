"""Scoring a diarization: RTTM reading, diarization error rate (NIST md-eval definition) and words given to the
right speaker, on hand-computed cases; and the speaker fixtures' references agree with their recordings."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf

from app.core.analysis import Segment, Word
from app.core.speakers.scoring import diarization_error_rate, read_rttm, word_speaker_accuracy
from app.core.speakers.turns import SpeakerTurn

SPEAKERS = Path(__file__).resolve().parent.parent / "data" / "speakers"

A, B, C = 0, 1, 2


def turns(*rows: tuple[float, float, int]) -> list[SpeakerTurn]:
    return [SpeakerTurn(start, end, speaker) for start, end, speaker in rows]


def words(*rows: tuple[float, float]) -> tuple[Word, ...]:
    return tuple(Word(f" w{k}", start, end, 0.9) for k, (start, end) in enumerate(rows))


# --- read_rttm -------------------------------------------------------------------------------------------


def test_read_rttm_numbers_speakers_by_first_appearance_in_time_and_skips_other_lines(tmp_path):
    path = tmp_path / "meeting.rttm"
    path.write_text(
        ";; a comment\n"
        "SPKR-INFO meeting 1 <NA> <NA> <NA> unknown alice <NA> <NA>\n"
        "SPEAKER meeting 1 12.5 2.25 <NA> <NA> alice <NA> <NA>\n"
        "\n"
        "SPEAKER meeting 1 3.0 4.5 <NA> <NA> bob <NA> <NA>\n"
        "SPEAKER meeting 1 8.0 1.0 <NA> <NA> alice <NA> <NA>\n")
    assert read_rttm(path) == [SpeakerTurn(3.0, 7.5, 0), SpeakerTurn(8.0, 9.0, 1), SpeakerTurn(12.5, 14.75, 1)]


@pytest.mark.parametrize("line, problem", [
    ("SPEAKER x 1 1.0 2.0 <NA> <NA>", "at least 8 fields"),
    ("SPEAKER x 1 one 2.0 <NA> <NA> bob <NA> <NA>", "must be numbers"),
    ("SPEAKER x 1 1.0 -2.0 <NA> <NA> bob <NA> <NA>", "not negative"),
])
def test_read_rttm_names_the_file_and_line_of_a_bad_speaker_line(tmp_path, line, problem):
    path = tmp_path / "bad.rttm"
    path.write_text("SPEAKER x 1 0.0 1.0 <NA> <NA> ann <NA> <NA>\n" + line + "\n")
    with pytest.raises(ValueError, match=rf"bad\.rttm line 2: .*{problem}"):
        read_rttm(path)


# --- diarization_error_rate ------------------------------------------------------------------------------


def test_perfect_hypothesis_scores_zero():
    reference = turns((0, 10, A), (10, 20, B), (21, 25, A))
    report = diarization_error_rate(reference, reference, collar=0.0)
    assert (report.missed_speech, report.false_alarm, report.confusion, report.total) == (0, 0, 0, 0)
    assert report.reference_seconds == pytest.approx(24.0)


def test_swapped_labels_score_zero_through_the_optimal_mapping():
    reference = turns((0, 10, A), (10, 20, B))
    report = diarization_error_rate(reference, turns((0, 10, 7), (10, 20, 3)), collar=0.0)
    assert report.total == 0
    assert report.mapping == {7: A, 3: B}


def test_confusion_share():
    # B's 10-15 s goes to the label mapped to B, its 15-20 s to the label mapped to A: 5 s of 20 confused.
    reference = turns((0, 10, A), (10, 20, B))
    report = diarization_error_rate(reference, turns((0, 10, 0), (10, 15, 1), (15, 20, 0)), collar=0.0)
    assert report.confusion == pytest.approx(0.25)
    assert report.missed_speech == report.false_alarm == 0
    assert report.total == pytest.approx(0.25)


def test_an_extra_hypothesis_speaker_is_confusion():
    # a third label on 16-20 s of B: no reference speaker is left to map it to.
    reference = turns((0, 10, A), (10, 20, B))
    report = diarization_error_rate(reference, turns((0, 10, 0), (10, 16, 1), (16, 20, 2)), collar=0.0)
    assert report.confusion == pytest.approx(4 / 20)
    assert 2 not in report.mapping


def test_missed_speech_and_false_alarm():
    # reference speech 0-10 s; the hypothesis hears 2-12 s: 2 s missed, 2 s false alarm, of 10 s.
    report = diarization_error_rate(turns((0, 10, A)), turns((2, 12, 0)), collar=0.0)
    assert report.missed_speech == pytest.approx(0.2)
    assert report.false_alarm == pytest.approx(0.2)
    assert report.confusion == 0
    assert report.total == pytest.approx(0.4)


def test_overlap_is_scored_per_speaker():
    # A 0-10 s and B 5-10 s: 15 s of reference speech; one hypothesis speaker misses B's 5 s.
    report = diarization_error_rate(turns((0, 10, A), (5, 10, B)), turns((0, 10, 0)), collar=0.0)
    assert report.reference_seconds == pytest.approx(15.0)
    assert report.missed_speech == pytest.approx(1 / 3)
    assert report.total == pytest.approx(1 / 3)


def test_collar_leaves_boundary_errors_unscored():
    reference, late = turns((0, 10, A)), turns((0.2, 10.2, 0))
    without = diarization_error_rate(reference, late, collar=0.0)
    assert (without.missed_speech, without.false_alarm) == (pytest.approx(0.02), pytest.approx(0.02))
    within = diarization_error_rate(reference, late, collar=0.25)  # the md-eval default
    assert within.total == 0
    assert within.reference_seconds == pytest.approx(9.5)  # 0.25 s cut at the start, 0.25 s before the end
    beyond = diarization_error_rate(reference, turns((0.5, 10, 0)), collar=0.25)
    assert beyond.missed_speech == pytest.approx(0.25 / 9.5)


def test_an_empty_reference_is_refused():
    with pytest.raises(ValueError, match="no speech"):
        diarization_error_rate([], turns((0, 1, 0)))


# --- word_speaker_accuracy -------------------------------------------------------------------------------


def test_every_word_right_under_any_labelling():
    reference = turns((0, 5, A), (5, 10, B))
    segments = [Segment(0, 4, "w0 w1", words((0.5, 1), (2, 3)), speaker=1),
                Segment(5.5, 9, "w0 w1", words((5.5, 6), (7, 8)), speaker=0)]
    assert word_speaker_accuracy(segments, reference) == 1.0


def test_share_of_words_right_with_words_outside_the_reference_unscored():
    reference = turns((0, 5, A), (5, 10, B))
    segments = [
        Segment(0, 5.4, "w0 w1 w2", words((0.5, 1), (2, 3), (4.8, 5.4)), speaker=0),  # w2 is mostly B's
        Segment(6, 9, "w0 w1", words((6, 7), (8, 9)), speaker=1),
        Segment(11, 12, "w0", words((11, 12)), speaker=1),  # after the reference: not scored
    ]
    assert word_speaker_accuracy(segments, reference) == pytest.approx(4 / 5)


def test_words_without_a_speaker_are_wrong_and_untimed_segments_count_their_tokens():
    reference = turns((0, 5, A), (5, 10, B))
    segments = [Segment(0, 4, "one two three", (), speaker=0),  # no word timestamps: 3 words, all A's
                Segment(6, 9, "w0", words((6, 7)), speaker=None)]
    assert word_speaker_accuracy(segments, reference) == pytest.approx(3 / 4)


def test_one_label_for_two_reference_speakers_gets_the_larger_share():
    reference = turns((0, 5, A), (5, 10, B))
    segments = [Segment(0, 10, "w0 w1 w2", words((1, 2), (3, 4), (6, 7)), speaker=0)]
    assert word_speaker_accuracy(segments, reference) == pytest.approx(2 / 3)


def test_no_word_within_the_reference_is_refused():
    with pytest.raises(ValueError, match="no transcribed word"):
        word_speaker_accuracy([Segment(20, 21, "w0", words((20, 21)), speaker=0)], turns((0, 5, A)))


# --- the fixtures ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, speakers, seconds", [
    ("two_voices", 2, 60), ("three_voices", 3, 60), ("four_voices", 4, 75), ("short_turns", 2, 45),
    ("one_voice", 1, 30), ("pyannote_sample", 2, 30),
])
def test_speaker_fixtures_match_their_reference(name, speakers, seconds):
    info = sf.info(SPEAKERS / f"{name}.ogg")
    reference = read_rttm(SPEAKERS / f"{name}.rttm")
    assert (info.samplerate, info.channels) == (16_000, 1)
    assert abs(info.duration - seconds) < 0.1 * seconds
    assert len({t.speaker for t in reference}) == speakers
    assert 0 <= reference[0].start and reference[-1].end <= info.duration
    assert (SPEAKERS / f"{name}.ogg").stat().st_size < 400_000
