"""Hostile inputs, round two (issue 10): special files, names that are not UTF-8, malformed ``.json``
transcripts, a file changed while it is transcribed, and causes that used to mislead.

As in ``test_hostile_inputs.py`` every case runs the real ``hearsay analyze`` on the real default models
(Whisper tiny.en, SmolLM2-135M) with the bad input next to a good file that must still be written, and
checks stderr line by line (``hearsay: <path>: <cause>``, nothing else), the exit code and the results.
Cases where a hang or the real process matters (named pipes, devices, the file truncated under a
running ``hearsay``) run the real command in a subprocess with a timeout, so a regression fails instead of
hanging. Faults are injected only where the fault is the point (a file rewritten mid-transcription in
process, a history row written by an earlier Hearsay). ``docs/robustness-round2-inputs.md`` lists the
same cases and messages. As in the first catalogue, cases over 2 s here are marked ``integration``.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from app import cli
from app.core.analysis import AnalysisStatus
from app.core.library.store import Library
from app.core.speech import media
from tests.makers import copy_of, put
from tests.unit.test_hostile_inputs import GOOD, PROMPT, good, transcript_kept

DATA = Path(__file__).parent.parent / "data"
RUN_TIMEOUT = 120
"""Seconds a subprocess ``hearsay analyze`` may take (they take 2 to 10 here); a hang fails the test."""
COMMON = ["-q", "--max-tokens", "8", "--device", "cpu"]


# ---- running hearsay --------------------------------------------------------------------------------


def results_in(out: Path) -> dict:
    """``{file name: parsed JSON}`` of the ``.json`` results in ``out`` (strict JSON: no NaN or Infinity)."""
    def refuse(name):
        raise AssertionError(f"non-standard JSON constant {name}")
    return {p.name: json.loads(p.read_text("utf-8"), parse_constant=refuse) for p in out.glob("*.json")}


def analyze_in_process(capfd, *args) -> tuple[int, list[str], str]:
    """(exit code, stderr lines, stdout) of ``hearsay analyze args`` run through ``app.cli.main``."""
    capfd.readouterr()
    code = cli.main(["analyze", *map(str, args)])
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "unexpected error" not in captured.err, captured.err
    return code, captured.err.splitlines(), captured.out


def analyze_process(*args, timeout: float = RUN_TIMEOUT, on_line=None) -> tuple[int, list[str], bytes]:
    """(exit code, stderr lines, stdout bytes) of the real ``hearsay analyze`` in a subprocess.

    ``args`` may hold bytes (a name that is not UTF-8 reaches the process as the file system holds it).
    Stderr must be UTF-8 (what Hearsay prints is). ``on_line(line)`` sees each stderr line as it comes.
    A run longer than ``timeout`` seconds is killed and fails the test.
    """
    argv = [sys.executable, "-m", "app", "analyze", *(a if isinstance(a, bytes) else str(a) for a in args)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines, stdout = [], []
    reader = threading.Thread(target=lambda: stdout.append(process.stdout.read()), daemon=True)
    reader.start()
    killer = threading.Timer(timeout, process.kill)
    killer.start()
    try:
        for raw in process.stderr:
            line = raw.decode("utf-8").rstrip("\n")
            lines.append(line)
            if on_line is not None:
                on_line(line)
        code = process.wait()
    finally:
        killer.cancel()
    reader.join(timeout)
    assert code != -9, f"hearsay analyze {args} hung (killed after {timeout} s); stderr: {lines}"
    text = "\n".join(lines)
    assert "Traceback" not in text and "unexpected error" not in text, text
    return code, lines, stdout[0] if stdout else b""


def make_fifo(path: Path, request=None) -> Path:
    """A named pipe at ``path``. With ``request``: when the test ends, a reader still blocked on it
    (a regression) is let go by opening the other end, so a failure never leaves a thread hanging."""
    os.mkfifo(path)
    if request is not None:
        def release():
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass  # nobody is reading: nothing to release
        request.addfinalizer(release)
    return path


def line(path, cause: str) -> str:
    return f"hearsay: {path}: {cause}"


# ---- 2. special files: only regular files are inputs, prompt files and models ------------------------

NAMED_PIPE = "is not a regular file (a named pipe)"
CHARACTER_DEVICE = "is not a regular file (a character device)"


def test_named_pipe_as_input_does_not_hang_the_batch(tmp_path, request):
    fifo = make_fifo(tmp_path / "p.wav", request)
    out = tmp_path / "out"
    started = time.monotonic()
    code, errors, _ = analyze_process(fifo, GOOD, "-p", PROMPT, *COMMON, "-o", out, "--format", "json")
    assert errors == [line(fifo, NAMED_PIPE)]
    assert code == 1 and time.monotonic() - started < 60
    good(results_in(out))


def test_named_pipe_with_a_writer_is_not_called_empty(tmp_path, request):
    fifo = make_fifo(tmp_path / "live.wav", request)
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # holds the pipe open with bytes waiting, as a recorder would
    request.addfinalizer(lambda: os.close(writer))
    os.write(writer, b"RIFF" + bytes(1000))
    out = tmp_path / "out"
    code, errors, _ = analyze_process(fifo, GOOD, "-p", PROMPT, *COMMON, "-o", out, "--format", "json")
    assert errors == [line(fifo, NAMED_PIPE)] and code == 1
    good(results_in(out))


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_endless_device_as_input(tmp_path, device):
    out = tmp_path / "out"
    code, errors, _ = analyze_process(device, GOOD, "-p", PROMPT, *COMMON, "-o", out, "--format", "json")
    assert errors == [line(device, CHARACTER_DEVICE)] and code == 1
    good(results_in(out))


def test_socket_as_input(tmp_path, capfd):
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock := tmp_path / "meeting.wav"))
    try:
        code, errors, _ = analyze_in_process(capfd, sock, GOOD, "-p", PROMPT, *COMMON, "-o", tmp_path,
                                             "--format", "json")
    finally:
        server.close()
    assert errors == [line(sock, "is not a regular file (a socket)")] and code == 1
    good(results_in(tmp_path))


@pytest.mark.parametrize("kind", ["named pipe", "/dev/zero"])
def test_special_prompts_file_is_refused_at_once(tmp_path, request, kind):
    prompts = make_fifo(tmp_path / "prompts.txt", request) if kind == "named pipe" else Path("/dev/zero")
    what = NAMED_PIPE if kind == "named pipe" else CHARACTER_DEVICE
    started = time.monotonic()
    code, errors, _ = analyze_process(GOOD, "--prompts-file", prompts, *COMMON, "-o", tmp_path / "out")
    assert errors[0].startswith("usage: hearsay analyze")
    assert [e for e in errors if not e.startswith(("usage:", " "))] == [f"hearsay: error: {prompts}: prompts file {what}"]
    assert code == 2 and time.monotonic() - started < 30  # /dev/zero used to be read for 5 GB


def test_prompts_file_over_the_limit(tmp_path, capfd):
    big = tmp_path / "prompts.txt"
    big.write_bytes(b"Summarize this. " * (96 * 1024) + b"\n")  # one prompt of 1.5 MiB
    code, errors, _ = analyze_in_process(capfd, GOOD, "--prompts-file", big, *COMMON)
    assert errors[-1] == f"hearsay: error: {big}: prompts file is larger than 1 MiB, the most Hearsay reads"
    assert code == 2


def test_named_pipe_as_llm_model(tmp_path, request):
    fifo = make_fifo(tmp_path / "model.gguf", request)
    (out := tmp_path / "out").mkdir()  # one input: an existing folder takes <stem>.json
    code, errors, _ = analyze_process(GOOD, "-p", PROMPT, *COMMON, "--llm-model", fifo, "-o", out, "--format", "json")
    assert errors == [line(GOOD, f"the model file {fifo} {NAMED_PIPE}")] and code == 1
    transcript_kept(results_in(out))


def test_named_pipe_as_whisper_model(tmp_path, request, capfd):
    fifo = make_fifo(tmp_path / "whisper-small", request)
    audio = Path(shutil.copy(DATA / "speech.wav", tmp_path / "standup.wav"))
    code, errors, _ = analyze_in_process(capfd, audio, GOOD, "-p", PROMPT, *COMMON, "--whisper-model", fifo,
                                         "-o", tmp_path, "--format", "json")
    assert errors == [line(audio, f"the Whisper model folder {fifo} is a named pipe, not a folder")] and code == 1
    good(results_in(tmp_path))


def test_transcript_over_the_limit(tmp_path, capfd):
    huge = tmp_path / "minutes.txt"
    huge.write_bytes(b"[00:00] hello\n")
    os.truncate(huge, 65 * 1024 * 1024)  # sparse: 65 MiB announced, nothing to read
    code, errors, _ = analyze_in_process(capfd, huge, GOOD, "-p", PROMPT, *COMMON, "-o", tmp_path / "out",
                                         "--format", "json")
    assert errors == [line(huge, "the transcript file is larger than 64 MiB, the most Hearsay reads")] and code == 1
    good(results_in(tmp_path / "out"))


def test_window_with_a_named_pipe_queued_finishes_the_rest_and_closes(make_window, qtbot, tmp_path, request):
    from app.core.pipeline.engines import EngineSettings, create_engines
    from app.ui import messages

    fifo = make_fifo(tmp_path / "p.wav", request)
    transcriber, runner = create_engines(EngineSettings(device="cpu", max_tokens=8))
    window = make_window(transcriber=transcriber, runner=runner)
    with qtbot.waitSignal(window.idle, timeout=120_000):
        window.add_files([fifo, GOOD])
    pipe, other = window.entries()
    assert pipe.status is AnalysisStatus.FAILED and pipe.error == NAMED_PIPE
    assert messages.file_finished(pipe)[0] == f"Could not analyse p.wav: {NAMED_PIPE}."
    assert other.status is AnalysisStatus.DONE and other.responses[0].strip()
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 10


# ---- 3. names that are not UTF-8, hold a newline, or are 255 bytes long ------------------------------

BAD_NAME = os.fsdecode(b"bad\xffname")
"""``bad<0xff>name``: the byte 0xff is not UTF-8; Python holds it as the lone surrogate U+DCFF."""


@pytest.mark.integration
def test_name_not_utf8_alone_prints_its_result(tmp_path):
    bad = Path(shutil.copy(DATA / "speech.wav", tmp_path / f"{BAD_NAME}.wav"))
    code, errors, stdout = analyze_process(os.fsencode(bad), "-p", PROMPT, *COMMON)
    assert errors == [] and code == 0
    text = stdout.decode("utf-8")  # what is printed is UTF-8, the name escaped
    assert text.startswith("# bad\\xffname.wav\n") and "website" in text.lower()


def test_name_not_utf8_next_to_a_good_file_both_written_and_stored(tmp_path, capfd):
    bad = Path(shutil.copy(GOOD, tmp_path / f"{BAD_NAME}.txt"))
    out = tmp_path / "out"
    out.mkdir()
    code, errors, _ = analyze_in_process(capfd, bad, GOOD, "-p", PROMPT, *COMMON, "-o", out, "--format", "json")
    assert errors == [] and code == 0
    assert sorted(os.listdir(os.fsencode(out))) == [b"bad\xffname.json", b"speech.json"]  # the name kept, byte for byte
    results = results_in(out)
    good(results)
    mine = results[f"{BAD_NAME}.json"]
    assert mine["status"] == "done" and mine["file"]["filename"] == "bad\\xffname.txt"
    assert mine["file"]["path"] == f"{tmp_path}/bad\\xffname.txt"
    library = Library()
    stored = {e.source_name: e for e in library.entries()}
    assert set(stored) == {"bad\\xffname.txt", "speech.txt"}
    assert os.fsencode(library.load(stored["bad\\xffname.txt"].id).source) == os.fsencode(bad)  # lossless
    code = cli.main(["history", "show", stored["bad\\xffname.txt"].id])
    shown = capfd.readouterr()
    assert code == 0 and shown.out.startswith("# bad\\xffname.txt\n"), shown.err


def test_missing_name_not_utf8_is_escaped_in_its_line(tmp_path, capfd):
    missing = tmp_path / f"{BAD_NAME}.wav"
    code, errors, _ = analyze_in_process(capfd, missing, GOOD, "-p", PROMPT, *COMMON, "-o", tmp_path, "--format",
                                         "json")
    assert errors == [f"hearsay: {tmp_path}/bad\\xffname.wav: no such file"] and code == 1
    good(results_in(tmp_path))


def test_newline_in_a_name_keeps_each_error_on_one_line(tmp_path, capfd):
    split = Path(shutil.copy(GOOD, tmp_path / "minutes\nmonday.txt"))
    missing = tmp_path / "notes\ntuesday.wav"
    out = tmp_path / "out"
    out.mkdir()
    code, errors, _ = analyze_in_process(capfd, split, missing, GOOD, "-p", PROMPT, *COMMON, "-o", out,
                                         "--format", "json")
    assert errors == [f"hearsay: {tmp_path}/notes\\ntuesday.wav: no such file"] and code == 1
    results = results_in(out)
    assert results["minutes\nmonday.json"]["file"]["filename"] == "minutes\\nmonday.txt"
    good(results)


@pytest.mark.parametrize("name", ["n" * 251 + ".txt", "é" * 125 + "x.txt"])
def test_a_255_byte_name_still_exports(tmp_path, capfd, name):
    assert len(os.fsencode(name)) == 255
    long = Path(shutil.copy(GOOD, tmp_path / name))
    out = tmp_path / "out"
    out.mkdir()
    code, errors, _ = analyze_in_process(capfd, long, GOOD, "-p", PROMPT, *COMMON, "-o", out, "--format", "md")
    assert errors == [] and code == 0
    target = out / (name[:-4] + ".md")  # 254 bytes: a legal name; its temp file's name must be too
    assert sorted(p.name for p in out.iterdir()) == sorted([target.name, "speech.md"])
    assert target.read_text("utf-8").startswith(f"# {name}\n")


def test_truncated_mp3_named_not_utf8_is_logged_without_a_word_on_stderr(tmp_path, capfd):
    half = copy_of(DATA / "speech.mp3", tmp_path / f"{BAD_NAME}.mp3", 0.5)  # the transcriber logs its name
    code, errors, _ = analyze_in_process(capfd, half, GOOD, "-p", PROMPT, *COMMON, "-o", tmp_path, "--format", "json")
    assert errors == [] and code == 0  # a logging traceback ("--- Logging error ---") used to land here
    good(results_in(tmp_path))
    assert 5.0 < results_in(tmp_path)[f"{BAD_NAME}.json"]["file"]["duration"] < 8.0


def test_library_of_schema_1_is_migrated_and_keeps_its_rows(tmp_path):
    from app.core.library import schema

    path = tmp_path / "library.sqlite3"
    with sqlite3.connect(path) as conn:  # a library as the previous Hearsay left it
        conn.executescript(f"BEGIN; {schema.MIGRATIONS[0]} PRAGMA user_version = 1; COMMIT;")
        conn.execute("INSERT INTO analyses (id, source_path, source_name, duration, status, created_at, updated_at) "
                     "VALUES ('a1', '/recordings/réunion.wav', 'réunion.wav', 12.5, 'done', "
                     "'2024-06-01T10:00:00+00:00', '2024-06-01T10:00:00+00:00')")
    library = Library(path)
    assert library.connection().execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION >= 2
    (entry,) = library.entries()
    assert (entry.source_name, entry.source_path) == ("réunion.wav", "/recordings/réunion.wav")
    stored = library.load("a1")
    assert stored.source == Path("/recordings/réunion.wav") and stored.transcribed_duration is None
    library.close()


def test_llm_model_whose_path_is_not_utf8(tmp_path, capfd):
    from app.core.hub import catalog

    model = tmp_path / f"{BAD_NAME}.gguf"
    os.symlink(catalog.default_entry("llm").installed_path(), model)  # a valid GGUF under a name that is not UTF-8
    (out := tmp_path / "out").mkdir()
    code, errors, _ = analyze_in_process(capfd, GOOD, "-p", PROMPT, *COMMON, "--llm-model", model, "-o", out,
                                         "--format", "json")
    cause = (f"cannot load {tmp_path}/bad\\xffname.gguf: llama.cpp opens only paths that are UTF-8 text; "
             "rename the file or the folder it is in")  # was: "it is not a valid GGUF model or it is truncated"
    assert errors == [line(GOOD, cause)] and code == 1
    transcript_kept(results_in(out))


def test_prompt_not_utf8_on_the_command_line(tmp_path, capfd):
    code, errors, _ = analyze_in_process(capfd, GOOD, "-p", os.fsdecode(b"Wer schreibt \xe4?"), *COMMON)
    assert errors[-1] == "hearsay: error: a prompt given with -p is not UTF-8 text (byte 0xe4 at offset 13)"
    assert code == 2


# ---- 4. malformed .json transcripts: validated, one sentence each; never non-standard JSON out -------


def hearsay_json(utterances, **file) -> str:
    """A Hearsay-looking result with ``utterances`` (text, so a test may write ``1e999`` or ``NaN`` in it)."""
    return json.dumps({"file": file, "result": {"transcription": {"utterances": "@"}}}).replace('"@"', utterances)


def utterance(start="0.0", end="1.0", text='"Hello team."', words="[]") -> str:
    return f'{{"text": {text}, "start": {start}, "end": {end}, "words": {words}}}'


ENDLESS_WORD = '[{"word": "Hello", "start": 0, "end": 1e999}]'
BROKEN_ESCAPE = '"\\ud800 is half of an emoji"'
"""A JSON string holding ``\ud800``: half of a surrogate pair, alone (not Unicode)."""

MALFORMED = {
    "deep": ("[" * 200_000 + "]" * 200_000, "the JSON is nested too deeply to be a Hearsay result"),
    "infinite start": (f"[{utterance(start='1e999')}]", "utterance 1's start is not a finite number"),
    "NaN end": (f"[{utterance(end='NaN')}]", "the file holds NaN, which is not valid JSON"),
    "negative start": (f"[{utterance(start='-3')}]", "utterance 1's start is negative (-3 s)"),
    "ends before it starts": (f"[{utterance(start='9', end='2')}]", "utterance 1 ends at 2 s, before it starts at 9 s"),
    "out of order": (f"[{utterance(start='5', end='6')}, {utterance(start='1', end='2')}]",
                     "utterance 2 starts before utterance 1; the times are out of order"),
    "400-digit time": (f"[{utterance(end='1' + '0' * 400)}]", "utterance 1's end is not a finite number"),
    "infinite word time": (f"[{utterance(words=ENDLESS_WORD)}]", "word 1 of utterance 1's end is not a finite number"),
    "lone surrogate": (f"[{utterance(text=BROKEN_ESCAPE)}]",
                       "utterance 1's text is not valid Unicode (it holds a lone surrogate escape)"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_json_transcript_fails_alone(tmp_path, capfd, case):
    utterances, cause = MALFORMED[case]
    bad = put(tmp_path / "meeting.json", hearsay_json(utterances).encode())
    out = tmp_path / "out"
    out.mkdir()
    code, errors, _ = analyze_in_process(capfd, bad, GOOD, "-p", PROMPT, *COMMON, "-o", out, "--format", "json")
    assert errors == [line(bad, cause)] and code == 1
    good(results_in(out))  # the file after it still ran
    for entry in Library().entries():  # and the history shows every stored analysis, in standard JSON
        assert cli.main(["history", "show", entry.id, "--format", "json"]) == 0
        json.loads(capfd.readouterr().out, parse_constant=lambda name: pytest.fail(f"{name} in history show"))


def test_txt_transcript_with_stamps_out_of_order(tmp_path, capfd):
    bad = put(tmp_path / "minutes.txt", b"[00:05] We start.\n[00:03] Earlier?\n")
    code, errors, _ = analyze_in_process(capfd, bad, GOOD, "-p", PROMPT, *COMMON, "-o", tmp_path / "out",
                                         "--format", "json")
    cause = "line 2's time [00:03] is earlier than the time of a line before it; the times are out of order"
    assert errors == [line(bad, cause)] and code == 1
    good(results_in(tmp_path / "out"))


def test_history_written_by_an_earlier_hearsay_with_infinity_shows_standard_json(tmp_path, capfd):
    code, errors, _ = analyze_in_process(capfd, GOOD, "-p", PROMPT, *COMMON, "-o", tmp_path, "--format", "json")
    assert code == 0 and errors == []
    library = Library()
    (entry,) = library.entries()
    with sqlite3.connect(library.path) as conn:  # what the unvalidated 1e999 of an earlier Hearsay left stored
        conn.execute("UPDATE segments SET start = ?, end = ? WHERE analysis_id = ?", (math.inf, math.inf, entry.id))
    library.close()
    assert cli.main(["history", "show", entry.id, "--format", "json"]) == 0
    shown = json.loads(capfd.readouterr().out, parse_constant=lambda name: pytest.fail(f"{name} in the output"))
    assert shown["result"]["transcription"]["utterances"][0]["start"] is None
    assert cli.main(["history", "show", entry.id]) == 0
    assert "[--:--] Good morning team." in capfd.readouterr().out


# ---- 5. a file changed while it is transcribed ------------------------------------------------------


def twenty_minutes(path: Path) -> Path:
    """A 16 kHz 16-bit wav of 20 min: the speech fixture at 0 s and at 10 min, silence between (38.4 MB)."""
    speech, rate = soundfile.read(DATA / "speech.wav", dtype="int16")
    audio = np.zeros(20 * 60 * rate, np.int16)
    audio[: speech.size] = speech
    audio[600 * rate: 600 * rate + speech.size] = speech
    soundfile.write(path, audio, rate, subtype="PCM_16")
    return path


@pytest.mark.integration
def test_recording_truncated_in_place_while_transcribed(tmp_path):
    long = twenty_minutes(tmp_path / "all hands.wav")
    size, out = long.stat().st_size, tmp_path / "out"

    truncated = []

    def truncate_once_transcribing(text):  # the first window (5 min) is decoded when this line is printed
        if text.startswith("all hands.wav (1/2): transcribing") and not truncated:
            os.truncate(long, 44 + 312 * 16000 * 2)  # 5 min 12 s are left
            truncated.append(text)

    code, errors, _ = analyze_process(long, GOOD, "-p", PROMPT, "--max-tokens", "8", "--device", "cpu", "-o", out,
                                      "--format", "json", on_line=truncate_once_transcribing)
    assert truncated, errors
    errors = [e for e in errors if e.startswith("hearsay:")]  # without -q: the progress lines come too
    cause = (re.escape(f"the file changed while it was being transcribed (it shrank from {size:,} to 9,984,044 "
                       "bytes); only ") + r"5 min 1\d s of 20 min 00 s were transcribed")
    assert len(errors) == 1 and re.fullmatch(re.escape(f"hearsay: {long}: ") + cause, errors[0]), errors
    assert code == 1
    results = results_in(out)
    changed = results["all hands.json"]
    assert changed["status"] == "error" and re.fullmatch(cause, changed["error"]["message"])
    assert changed["error"]["status_code"] == changed["error_code"] == 422
    assert changed["result"]["metadata"]["audio_duration"] == 1200.0
    assert 312 <= changed["result"]["metadata"]["transcribed_duration"] < 340
    assert "website" in changed["result"]["transcription"]["full_transcript"].lower()
    assert [e["status"] for e in changed["result"]["audio_to_llm"]["results"]] == ["skipped"]
    good(results)


def test_recording_rewritten_while_transcribed(tmp_path, capfd, monkeypatch):
    audio = Path(shutil.copy(DATA / "speech.wav", tmp_path / "standup.wav"))
    size, real = audio.stat().st_size, media.decode_windows

    def appended_after_decoding(*args):  # the recorder app appends while Hearsay transcribes what it read
        yield from real(*args)
        with open(audio, "ab") as handle:
            handle.write(bytes(32000))
    monkeypatch.setattr(media, "decode_windows", appended_after_decoding)
    code, errors, _ = analyze_in_process(capfd, audio, GOOD, "-p", PROMPT, *COMMON, "-o", tmp_path, "--format", "json")
    cause = (f"the file changed while it was being transcribed (it grew from {size:,} to {size + 32000:,} bytes); "
             "the transcript is of the file as it was before")
    assert errors == [line(audio, cause)] and code == 1
    results = results_in(tmp_path)
    assert results["standup.json"]["status"] == "error" and results["standup.json"]["error"]["message"] == cause
    assert "website" in results["standup.json"]["result"]["transcription"]["full_transcript"].lower()
    good(results)


# ---- 10. causes that used to mislead ----------------------------------------------------------------


def wav_with_zero_bits(path: Path) -> Path:
    """A PCM wav header announcing 0 bits per sample (and 0 bytes per second), then 1,000 bytes."""
    data = bytes(1000)
    return put(path, struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, 1, 1, 16000,
                                 0, 0, 0, b"data", len(data)) + data)


def symlink(path: Path, target: str) -> Path:
    os.symlink(target, path)
    return path


MISLEADING = {
    "symlink loop": (lambda tmp: symlink(tmp / "loop.wav", "loop.wav"),
                     "is a symbolic link that loops (too many levels of symbolic links)"),
    "dangling symlink": (lambda tmp: symlink(tmp / "latest.wav", "recordings/2024-06-01.wav"),
                         "is a symbolic link to recordings/2024-06-01.wav, which does not exist"),
    "0 bits per sample": (lambda tmp: wav_with_zero_bits(tmp / "header.wav"),
                          "its audio track cannot be decoded (an unknown codec or a damaged header)"),
    "a file as a folder": (lambda tmp: tmp / "speech.txt" / "take 2.wav",
                           "no such file (a part of its path is a file, not a folder)"),
    "name too long": (lambda tmp: tmp / ("take " * 60 + ".wav"), "the name is too long for the file system"),
}


@pytest.mark.parametrize("case", MISLEADING)
def test_cause_names_what_is_really_wrong(tmp_path, capfd, case):
    make, cause = MISLEADING[case]
    shutil.copy(GOOD, tmp_path / "speech.txt")
    bad = make(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    code, errors, _ = analyze_in_process(capfd, bad, GOOD, "-p", PROMPT, *COMMON, "-o", out, "--format", "json")
    assert errors == [line(bad, cause)] and code == 1
    good(results_in(out))
