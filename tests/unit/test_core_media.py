"""Probing gives one clear cause for bad input; transcripts can be read back from .txt and .json."""

import json
import shutil
from pathlib import Path

import pytest

from app.core import export, media
from app.core.errors import MediaError
from app.core.transcript_files import is_transcript_file, load_transcript
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
    av = pytest.importorskip("av")
    import numpy as np

    path = tmp_path / "silent-film.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=5)
        stream.width, stream.height = 32, 32
        for _ in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(MediaError, match="has no audio track"):
        media.probe(path)


def test_decode_gives_16k_mono(tmp_path):
    spaced = tmp_path / "a recording ✨ é.wav"
    shutil.copy(DATA / "speech.wav", spaced)
    audio = media.decode(spaced)
    assert audio.ndim == 1 and audio.dtype.name == "float32"
    assert audio.shape[0] == pytest.approx(13.34 * media.SAMPLE_RATE, rel=0.01)


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
    path.write_text(export.render_json(original), "utf-8")
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
