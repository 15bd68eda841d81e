"""Probing gives one clear cause for bad input; transcripts can be read back from .txt and .json."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from app.core.errors import MediaError
from app.core.export import json_result
from app.core.speech import media
from app.core.speech.transcript_files import is_transcript_file, load_transcript
from tests.makers import video_without_audio
from tests.unit.test_core_export import sample_analysis

DATA = Path(__file__).parent.parent / "data"


@pytest.mark.parametrize("name, video", [("speech.wav", False), ("speech.mp3", False), ("speech.mp4", True)])
def test_probe_real_fixtures(name, video):
    info = media.probe(DATA / name)
    assert info.duration == pytest.approx(13.34, abs=0.1)
    assert info.has_video is video


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "notes.mp3").write_text("this is a text file, not audio\n")
    (tmp_path / "noise.wav").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "folder.wav").mkdir()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes((DATA / "speech.mp4").read_bytes()[:20000])
    return {
        "missing": (tmp_path / "missing.wav", "no such file"),
        "directory": (tmp_path / "folder.wav", "is a folder"),
        "empty": (tmp_path / "empty.wav", "the file is empty"),
        "text named mp3": (tmp_path / "notes.mp3", "not an audio or video file"),
        "random bytes": (tmp_path / "noise.wav", "not an audio or video file"),
        "truncated mp4": (truncated, "not an audio or video file, or it is damaged"),
    }


@pytest.mark.parametrize("case", ["missing", "directory", "empty", "text named mp3", "random bytes", "truncated mp4"])
def test_probe_bad_input_says_why(tmp_path, case):
    path, message = _bad_inputs(tmp_path)[case]
    with pytest.raises(MediaError) as caught:
        media.probe(path)
    assert message in caught.value.message
    assert "\n" not in caught.value.message


def test_video_without_audio_track(tmp_path):
    with pytest.raises(MediaError, match="has no audio track"):
        media.probe(video_without_audio(tmp_path / "silent-film.mp4"))


def test_decode_gives_16k_mono(tmp_path):
    spaced = tmp_path / "a recording ✨ é.wav"
    shutil.copy(DATA / "speech.wav", spaced)
    audio = media.decode(spaced)
    assert audio.ndim == 1 and audio.dtype.name == "float32"
    assert audio.shape[0] == pytest.approx(13.34 * media.SAMPLE_RATE, rel=0.01)


def _tone_bursts(path: Path, seconds: int, gap_every: float, rate: int = 16000) -> np.ndarray:
    """A 440 Hz tone of ``seconds`` with 0.3 s of silence every ``gap_every`` seconds (int16, written to ``path``)."""
    t = np.arange(seconds * rate) / rate
    tone = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
    for start in np.arange(gap_every, seconds, gap_every):
        tone[int(start * rate): int((start + 0.3) * rate)] = 0
    soundfile.write(path, tone, rate)
    return tone


@pytest.mark.parametrize("name", ["speech.wav", "speech.mp3", "speech.mp4"])
def test_a_short_recording_is_one_window_equal_to_faster_whispers_decode(name):
    from faster_whisper.audio import decode_audio

    windows = list(media.decode_windows(DATA / name))
    assert [(w.offset, w.last) for w in windows] == [(0.0, True)]
    assert np.array_equal(windows[0].samples, decode_audio(str(DATA / name), sampling_rate=media.SAMPLE_RATE))


def test_long_audio_comes_in_bounded_windows_cut_in_a_pause(tmp_path):
    tone = _tone_bursts(tmp_path / "tone.wav", 50, gap_every=7.0)
    windows = list(media.decode_windows(tmp_path / "tone.wav", window_seconds=12.0))
    rate = media.SAMPLE_RATE
    assert [w.last for w in windows] == [False] * (len(windows) - 1) + [True]
    assert all(w.samples.shape[0] <= 12 * rate for w in windows)
    position = 0
    for window in windows:  # contiguous: each starts where the one before ended
        assert window.offset == position / rate
        position += window.samples.shape[0]
    assert position == tone.shape[0]
    assert np.array_equal(np.concatenate([w.samples for w in windows]), tone.astype(np.float32) / 32768.0)
    for window in windows[:-1]:  # every cut falls inside one of the 0.3 s pauses, not in the tone
        cut = window.offset + window.samples.shape[0] / rate
        assert np.abs(tone[int(cut * rate) - 800: int(cut * rate) + 800]).max() == 0


@pytest.mark.parametrize("name", ["speech.wav", "speech.mp3"])
def test_decoding_from_a_start_time(name):
    whole = media.decode(DATA / name)
    (window,) = media.decode_windows(DATA / name, start=5.0)
    assert window.offset == 5.0 and window.last
    tail = whole[5 * media.SAMPLE_RATE:]
    assert abs(window.samples.shape[0] - tail.shape[0]) <= media.SAMPLE_RATE // 100  # within 10 ms
    n = min(window.samples.shape[0], tail.shape[0])
    assert np.corrcoef(window.samples[:n], tail[:n])[0, 1] > 0.9  # the same audio, not merely as long
    assert list(media.decode_windows(DATA / name, start=60.0)) == []  # past the end: nothing left to do


def test_silence_and_clips_shorter_than_a_syllable_hold_no_speech():
    assert not media.may_hold_speech(np.zeros(16000, np.float32))
    assert not media.may_hold_speech(np.full(16000, -0.0009, np.float32))
    assert not media.may_hold_speech(np.full(int(0.19 * 16000), 0.5, np.float32))
    assert media.may_hold_speech(np.concatenate([np.zeros(4000, np.float32), [-0.002]]))


def test_transcript_inputs_are_recognised():
    assert is_transcript_file(Path("x.TXT")) and is_transcript_file(Path("x.json"))
    assert not is_transcript_file(Path("x.wav"))


def test_load_text_transcript_with_and_without_stamps(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("[00:05] Hello there.\n\nNo stamp here.\n[1:00:02] Late line.\n", "utf-8")
    transcript = load_transcript(path)
    assert [s.text for s in transcript.segments] == ["Hello there.", "No stamp here.", "Late line."]
    assert [s.start for s in transcript.segments] == [5.0, 0.0, 3602.0]


def test_json_result_round_trips(tmp_path):
    original = sample_analysis()
    path = tmp_path / "standup.json"
    path.write_text(json_result.render_json(original), "utf-8")
    transcript = load_transcript(path)
    assert transcript.text == original.transcript.text
    assert transcript.segments == original.transcript.segments
    assert transcript.duration == 105.0 and transcript.language == "en"


@pytest.mark.parametrize("content, message", [
    ('{"result": {}}', "not a Hearsay result file"),
    ("not json at all", "not a Hearsay result file"),
])
def test_bad_json_transcripts(tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_text(content, "utf-8")
    with pytest.raises(MediaError, match=message):
        load_transcript(path)


def test_non_utf8_text_transcript(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(MediaError, match="not UTF-8"):
        load_transcript(path)


# ---- windowed transcription on the real tiny.en model ---------------------------------------------


@pytest.fixture(scope="module")
def whisper():
    from app.core.speech.transcription import WhisperTranscriber

    transcriber = WhisperTranscriber(device="cpu", cpu_threads=2)
    transcriber.load()  # `make test` installs the model: a failure here is a failure, not a skip
    return transcriber


def test_a_short_file_transcribes_exactly_as_one_whole_array(whisper):
    import threading

    from faster_whisper.audio import decode_audio

    duration, segments = whisper.transcribe(DATA / "speech.wav", threading.Event())
    ours = [(s.start, s.end, s.text, len(s.words)) for s in segments]
    theirs, _ = whisper._model.transcribe(decode_audio(str(DATA / "speech.wav")), word_timestamps=True, beam_size=1)
    assert ours == [(t.start, t.end, t.text.strip(), len(t.words)) for t in theirs]
    assert duration == pytest.approx(13.34, abs=0.01)


def test_start_gives_the_later_segments_with_absolute_times(whisper):
    import threading

    _, whole = whisper.transcribe(DATA / "speech.wav", threading.Event())
    whole = list(whole)
    middle = whole[len(whole) // 2].start
    duration, later = whisper.transcribe(DATA / "speech.wav", threading.Event(), start=middle)
    later = list(later)
    assert duration == pytest.approx(13.34, abs=0.01)  # the whole recording's, not what is left
    assert later and all(s.start >= middle - 0.05 for s in later)
    assert all(w.start >= middle - 0.05 for s in later for w in s.words)
    assert later[-1].end == pytest.approx(whole[-1].end, abs=1.0)
    assert "budget" in " ".join(s.text for s in later).lower()
    assert "good morning" not in " ".join(s.text for s in later).lower()


def test_windows_are_transcribed_in_turn_with_times_shifted(whisper, monkeypatch):
    import threading

    monkeypatch.setattr(whisper, "window_seconds", 8.0)
    windows = []
    real = media.decode_windows
    monkeypatch.setattr(media, "decode_windows", lambda *a: (windows.append(w) or w for w in real(*a)))
    duration, segments = whisper.transcribe(DATA / "speech.wav", threading.Event())
    segments = list(segments)
    assert len(windows) == 2 and windows[1].offset >= 4.0
    assert duration == pytest.approx(13.34, abs=0.1)
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    assert any(s.start >= windows[1].offset for s in segments) and segments[-1].end <= duration + 0.5
    text = " ".join(s.text for s in segments).lower()
    assert all(word in text for word in ("website", "friday", "budget"))


def test_cancel_stops_between_segments(whisper):
    import threading

    cancel = threading.Event()
    _, segments = whisper.transcribe(DATA / "speech.wav", cancel)
    first = next(segments)
    cancel.set()
    assert first.text and list(segments) == []
