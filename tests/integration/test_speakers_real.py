"""Speakers with the real engines on real voices (tests/data/speakers: Asterisk prompts spliced with known
turns, and the pyannote.audio sample; see tests/data/ATTRIBUTION.md): labels and counts, a known count,
the whole CLI with the real diarizer, real voiceprints recognised and refused, and cancel within a second."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app import cli
from app.core.analysis import Segment, Voiceprint
from app.core.errors import Cancelled
from app.core.speakers.diarizer import SenkoDiarizer, SpeakerCount
from app.core.speakers.scoring import read_rttm, word_speaker_accuracy
from app.core.speakers.turns import TurnIndex
from app.core.speakers.voiceprints import THRESHOLD, recognise

pytestmark = [pytest.mark.integration, pytest.mark.real_speakers]

DATA = Path(__file__).parent.parent / "data" / "speakers"


@pytest.fixture(scope="module")
def diarizer():
    engine = SenkoDiarizer(threads=2)
    engine.load()
    return engine


def audio_of(name: str) -> np.ndarray:
    samples, rate = sf.read(DATA / f"{name}.ogg", dtype="float32")
    assert rate == 16_000
    return samples


def voices_by_label(turns, reference_path: Path) -> dict[int, str]:
    """Each found label -> the reference voice it overlaps most (names from the RTTM)."""
    names = [line.split()[7] for line in reference_path.read_text().splitlines() if line.startswith("SPEAKER")]
    order = list(dict.fromkeys(names))
    reference = TurnIndex(read_rttm(reference_path))
    overlap: dict[int, dict[int, float]] = {}
    for turn in turns:
        voice = reference.speaker_over(turn.start, turn.end)
        overlap.setdefault(turn.speaker, {}).setdefault(voice, 0.0)
        overlap[turn.speaker][voice] += turn.end - turn.start
    return {label: order[max(found, key=found.get)] for label, found in overlap.items()}


@pytest.mark.parametrize("name, speakers", [("one_voice", 1), ("two_voices", 2), ("three_voices", 3),
                                            ("four_voices", 4), ("pyannote_sample", 2)])
def test_the_speaker_count_is_found(diarizer, name, speakers):
    result = diarizer.diarize(audio_of(name), threading.Event())
    assert result.speaker_count == speakers
    assert sorted(result.centroids) == list(range(speakers)) and result.centroids[0].shape == (192,)


def test_a_known_count_is_honoured(diarizer):
    audio = audio_of("three_voices")
    assert diarizer.diarize(audio, threading.Event(), count=SpeakerCount(exactly=2)).speaker_count == 2
    assert diarizer.diarize(audio, threading.Event(), count=SpeakerCount(exactly=4)).speaker_count == 4
    assert diarizer.diarize(audio_of("one_voice"), threading.Event(), count=SpeakerCount(minimum=1, maximum=2)
                            ).speaker_count in (1, 2)


def test_words_go_to_the_right_speaker_through_the_real_cli(tmp_path, capsys):
    out = tmp_path / "two.json"
    code = cli.main(["analyze", str(DATA / "two_voices.ogg"), "-q", "-p", "Who speaks?", "--max-tokens", "8",
                     "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    result = json.loads(out.read_text())["result"]
    utterances = result["transcription"]["utterances"]
    assert {u["speaker"] for u in utterances} == {0, 1} and utterances[0]["speaker"] == 0
    assert result["diarization"]["number_of_speakers"] == 2
    segments = [Segment(u["start"], u["end"], u["text"], speaker=u["speaker"]) for u in utterances]
    assert word_speaker_accuracy(segments, read_rttm(DATA / "two_voices.rttm")) >= 0.9


def test_a_named_voice_is_recognised_in_another_recording_and_other_voices_are_not(diarizer):
    first = diarizer.diarize(audio_of("two_voices"), threading.Event())
    voice_of = voices_by_label(first.turns, DATA / "two_voices.rttm")
    carlo = next(label for label, voice in voice_of.items() if voice == "carlo")
    prints = [Voiceprint("Carlo", tuple(map(float, first.centroids[carlo])), diarizer.model_name)]
    later = diarizer.diarize(audio_of("four_voices"), threading.Event())
    later_voices = voices_by_label(later.turns, DATA / "four_voices.rttm")
    found = recognise(later.centroids, prints, diarizer.model_name)
    assert {later_voices[label] for label in found} == {"carlo"}
    assert all(similarity >= THRESHOLD for _, similarity in found.values())
    # a recording without Carlo: nobody is given his name
    alone = diarizer.diarize(audio_of("one_voice"), threading.Event())
    assert recognise(alone.centroids, prints, diarizer.model_name) == {}


def test_a_cancel_stops_the_real_diarizer_within_a_second(diarizer):
    audio = np.concatenate([audio_of(name) for name in ("two_voices", "three_voices", "four_voices")] * 3)
    cancel = threading.Event()
    set_at = []

    def progress(fraction):
        if fraction > 0.3 and not cancel.is_set():
            set_at.append(time.monotonic())
            cancel.set()

    with pytest.raises(Cancelled):
        diarizer.diarize(audio, cancel, progress)
    assert time.monotonic() - set_at[0] < 1.0
