"""The real Whisper (tiny.en) in its child process (``ProcessTranscriber``): the same segments as in process,
the model kept loaded across calls, a cancel that returns at once and leaves the child ready, errors that keep
their class and sentence, the child's log lines in this process, a child that dies said in one sentence, and
faster-whisper kept out of the asking process."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.core.errors import HearsayError, MediaError, ModelError
from app.core.speech.process import ProcessTranscriber
from app.core.speech.transcription import WhisperTranscriber
from tests.makers import repeated_speech, sparse_wav

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent.parent / "data"
ROOT = Path(__file__).parent.parent.parent


@pytest.fixture
def transcriber():
    engine = ProcessTranscriber(cpu_threads=2)
    yield engine
    engine.close()


def test_the_child_gives_the_segments_the_engine_gives_in_process(transcriber):
    duration, segments = transcriber.transcribe(DATA / "speech.wav", threading.Event())
    in_child = list(segments)
    local = WhisperTranscriber(cpu_threads=2)
    expected_duration, expected = local.transcribe(DATA / "speech.wav", threading.Event())
    assert in_child == list(expected) and len(in_child) >= 3
    assert duration == pytest.approx(expected_duration) and transcriber.decoded_until == pytest.approx(duration)
    assert (transcriber.model_name, transcriber.device) == (local.model_name, local.device)
    assert transcriber.english_only and "website" in " ".join(s.text for s in in_child).lower()
    assert all(s.words for s in in_child)  # word timestamps cross the pipe too


def test_the_model_stays_loaded_across_calls_and_a_resumed_call_starts_where_asked(transcriber):
    assert transcriber.load() > 0 and transcriber.load() == 0.0
    child = transcriber._process
    _, first = transcriber.transcribe(DATA / "speech.wav", threading.Event())
    whole = list(first)
    _, resumed = transcriber.transcribe(DATA / "speech.wav", threading.Event(), start=whole[1].end)
    later = list(resumed)
    assert transcriber._process is child  # one child, one model load, for both files
    assert later and all(s.end > whole[1].end for s in later)


def test_a_cancel_returns_at_once_and_the_child_is_ready_for_the_next_file(transcriber, tmp_path):
    long = repeated_speech(tmp_path / "long.wav", 12)  # 2.8 minutes: several windows of work
    transcriber.load()
    child = transcriber._process
    cancel = threading.Event()
    _, segments = transcriber.transcribe(long, cancel)
    next(segments)
    asked = time.monotonic()
    cancel.set()
    rest = list(segments)
    assert time.monotonic() - asked < 0.2 and len(rest) <= 1  # at most a segment already on its way
    _, again = transcriber.transcribe(DATA / "speech.wav", threading.Event())
    assert "website" in " ".join(s.text for s in again).lower()
    assert transcriber._process is child and transcriber.load() == 0.0


def test_errors_keep_their_class_and_their_sentence(transcriber, tmp_path):
    text = tmp_path / "notes.mp3"
    text.write_text("not audio at all", "utf-8")
    with pytest.raises(MediaError) as in_child:
        transcriber.transcribe(text, threading.Event())
    with pytest.raises(MediaError) as local:
        WhisperTranscriber(cpu_threads=2).transcribe(text, threading.Event())
    assert in_child.value.message == local.value.message
    with pytest.raises(ModelError, match="understands English only, not fr"):
        transcriber.transcribe(DATA / "french.ogg", threading.Event(), language="fr")
    assert transcriber.load() == 0.0  # an error in a call leaves the child and its model as they were


def test_a_model_that_cannot_load_is_a_model_error_and_no_child_is_left(tmp_path):
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    engine = ProcessTranscriber(str(folder), cpu_threads=2)
    with pytest.raises(ModelError, match=r"is not a faster-whisper model folder \(it has no model.bin\)$") as in_child:
        engine.load()
    with pytest.raises(ModelError) as local:
        WhisperTranscriber(str(folder), cpu_threads=2).load()
    assert in_child.value.message == local.value.message
    assert engine._process is None and not engine.loaded


def test_the_childs_log_lines_reach_this_process(transcriber, tmp_path, caplog):
    silence = sparse_wav(tmp_path / "silence.wav", 5)
    with caplog.at_level(logging.INFO, logger="app.core.speech.transcription"):
        _, segments = transcriber.transcribe(silence, threading.Event())
        assert list(segments) == []
        deadline = time.monotonic() + 5
        while "silent or too short" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)  # the reader thread logs what the child said
    assert "5.0 s of audio from 0.0 s on is silent or too short; not transcribed" in caplog.text


def test_a_child_that_dies_mid_run_is_said_in_one_sentence_and_the_next_call_starts_a_new_one(transcriber, tmp_path):
    long = repeated_speech(tmp_path / "long.wav", 12)
    _, segments = transcriber.transcribe(long, threading.Event())
    next(segments)
    os.kill(transcriber._process.pid, signal.SIGKILL)
    with pytest.raises(HearsayError, match=r"^the speech engine's process ended unexpectedly \(exit code -9\)$"):
        list(segments)
    assert not transcriber.loaded
    _, again = transcriber.transcribe(DATA / "speech.wav", threading.Event())  # loads again in a new child
    assert "website" in " ".join(s.text for s in again).lower()


def test_faster_whisper_never_enters_the_asking_process_and_the_child_ends_with_it():
    script = (
        "import sys, threading\n"
        "from app.core.speech.process import ProcessTranscriber\n"
        "t = ProcessTranscriber(cpu_threads=2)\n"
        f"_, segments = t.transcribe({str(DATA / 'speech.wav')!r}, threading.Event())\n"
        "print(len(list(segments)), t._process.pid, 'faster_whisper' in sys.modules, 'ctranslate2' in sys.modules)\n"
        "sys.stdout.flush()\n"
        "import os; os._exit(0)\n")  # no close(): the child must see the pipe close and end by itself
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    count, pid, whisper, ct2 = done.stdout.split()
    assert int(count) >= 3 and (whisper, ct2) == ("False", "False")
    assert "leaked semaphore" not in done.stderr  # tqdm's lock in the child is a thread lock
    deadline = time.monotonic() + 5
    while _alive(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(int(pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # a zombie is dead but not yet reaped
        return stat.read().split(") ")[-1][0] != "Z"
