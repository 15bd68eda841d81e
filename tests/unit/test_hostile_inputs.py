"""Hostile inputs (issue 4, section 3) as a user meets them: ``hearsay analyze`` on a bad input next to a good one.

Each case makes its fixture in ``tmp_path`` (``tests/makers.py``), runs the CLI on the real default models and
checks that stderr holds exactly the expected one-line errors (``hearsay: <path>: <cause>``: no traceback, no
llama.cpp chatter), the exit code, and that the good file was still analysed and written. Only a full disk is
injected (``OSError(ENOSPC)`` from ``fsync``). ``docs/robustness.md`` lists the same cases and messages.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import soundfile

from app import cli
from app.core.export import files as export_files
from app.core.hub import catalog
from app.core.llm.prompts import short_title
from app.core.speech import media
from tests.makers import copy_of, half_of_default_gguf, put, read_only_folder, sparse_wav, video_without_audio

DATA = Path(__file__).parent.parent / "data"
GOOD = DATA / "speech.txt"
"""The good file of every batch: a transcript, so the LLM runs but Whisper need not."""
PROMPT = "Who writes the press release?"
NO_SPEECH = "no speech was found in the recording"
NOT_MEDIA = re.escape("not an audio or video file, or it is damaged")
OVERFLOW = (r"the transcript and prompt need [\d,]+ tokens but the context window holds {}; "
            r"choose a model with a longer context window")


@dataclass
class Case:
    """A run of ``hearsay analyze`` on ``inputs`` and what must come of it.

    ``errors``: stderr lines, regular expressions matched whole (after argparse's usage text when ``code`` is 2).
    ``options``, ``prompts``: more arguments (made strings). ``check``: assertions on the results,
    ``{file name under out/: parsed JSON}`` (default: ``good``).
    """

    inputs: list[Path]
    errors: list[str]
    code: int
    options: list = field(default_factory=list)
    check: Callable[[dict], None] | None = None
    prompts: list = field(default_factory=lambda: ["-p", PROMPT])


def NOTHING(results: dict) -> None:
    """No result file could be written: every file of the batch failed, each with its line."""
    assert results == {}


def transcript_kept(results: dict) -> None:
    """No usable LLM: each file's transcript was still written, its prompts marked not run."""
    assert results and all(r["status"] == "error" and r["result"]["transcription"]["full_transcript"] and not any(
        e["success"] for e in r["result"]["audio_to_llm"]["results"]) for r in results.values())


def line(path: Path, cause: str) -> str:
    """The expected stderr line for ``path`` (``cause`` is a regular expression)."""
    return re.escape(f"hearsay: {path}: ") + cause


def good(results: dict, name: str = "speech.json") -> None:
    """The good file was analysed: every prompt answered."""
    assert results[name]["status"] == "done"
    entries = results[name]["result"]["audio_to_llm"]["results"]
    assert entries and all(e["success"] and e["results"]["response"].strip() for e in entries)


def no_speech(name: str) -> Callable[[dict], None]:
    def check(results):  # no error: the prompts are skipped with a note, the good file is done
        data = results[name]
        llm = data["result"]["audio_to_llm"]
        assert data["status"] == "done" and llm["is_empty"] is True
        assert data["result"]["transcription"]["utterances"] == []
        assert [(e["status"], e["error"]["message"]) for e in llm["results"]] == [("skipped", NO_SPEECH)]
        good(results)
    return check


# ---- the cases: each takes tmp_path (and monkeypatch or request when named) and returns a Case --------


def bad_file(make: Callable[[Path], Path], cause: str) -> Callable[[Path], Case]:
    """The case of a file ``make(tmp)`` that fails alone, with ``cause``, while the good file is done."""
    return lambda tmp: Case([bad := make(tmp), GOOD], [line(bad, cause)], 1)


case_missing_path = bad_file(lambda tmp: tmp / "missing.wav", "no such file")
case_directory = bad_file(lambda tmp: put(tmp / "recordings.wav", None), "is a folder, not a file")
case_empty_file = bad_file(lambda tmp: put(tmp / "empty.mp3", b""), "the file is empty")
case_text_named_mp3 = bad_file(lambda tmp: put(tmp / "notes.mp3", b"Minutes of the meeting, typed.\n" * 20), NOT_MEDIA)
case_random_bytes = bad_file(lambda tmp: put(tmp / "noise.wav", np.random.default_rng(4).bytes(65536)), NOT_MEDIA)


def case_truncated_mp3(tmp):
    half = copy_of(DATA / "speech.mp3", tmp / "cut off.mp3", 0.5)

    def check(results):  # what is there is transcribed: the first half of 13.3 s
        data = results["cut off.json"]
        assert data["status"] == "done" and 5.0 < data["file"]["duration"] < 8.0
        assert "website" in data["result"]["transcription"]["full_transcript"].lower()
        good(results)
    return Case([half, GOOD], [], 0, check=check)


case_mp4_without_audio = bad_file(lambda tmp: video_without_audio(tmp / "screen capture.mp4"), "has no audio track")


def case_only_silence(tmp):
    soundfile.write(silence := tmp / "silence.wav", np.zeros(20 * 16000, np.int16), 16000)
    return Case([silence, GOOD], [], 0, check=no_speech("silence.json"))


def case_tenth_of_a_second(tmp):
    speech, rate = soundfile.read(DATA / "speech.wav", dtype="int16")
    soundfile.write(clip := tmp / "clip.wav", speech[2 * rate: int(2.1 * rate)], rate)  # inside a word

    def check(results):  # Whisper would answer "Thank you." for it: too short to transcribe
        no_speech("clip.json")(results)
        assert results["clip.json"]["file"]["duration"] == pytest.approx(0.1, abs=0.01)
    return Case([clip, GOOD], [], 0, check=check)


def case_eight_hours(tmp, monkeypatch, request):
    long = sparse_wav(tmp / "eight hours.wav", 8 * 3600)
    seconds, peaks, real = [], [], media.decode_windows

    def spy(*args):  # every window is counted; memory is traced over the first three
        tracemalloc.start()
        for window in real(*args):
            seconds.append(window.samples.shape[0] / media.SAMPLE_RATE)
            if len(seconds) == 3:
                peaks.append(tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
            yield window
    monkeypatch.setattr(media, "decode_windows", spy)
    request.addfinalizer(tracemalloc.stop)

    def check(results):
        no_speech("eight hours.json")(results)
        assert results["eight hours.json"]["file"]["duration"] == 8 * 3600
        assert len(seconds) >= 8 * 3600 / media.MAX_WINDOW_SECONDS and max(seconds) <= media.MAX_WINDOW_SECONDS
        assert sum(seconds) == pytest.approx(8 * 3600)
        whole = 8 * 3600 * media.SAMPLE_RATE * 4  # 1.8 GB: the recording as one float32 array
        assert peaks and peaks[0] < whole / 10, f"{peaks[0] / 1e6:.0f} MB traced while decoding"
    return Case([long, GOOD], [], 0, check=check)


def case_unicode_path(tmp):
    spaced = shutil.copy(DATA / "speech.wav", tmp / "réunion d'équipe 🎙️ lundi.wav")
    missing = tmp / "compte rendu 📝 manquant.mp3"

    def check(results):
        data = results["réunion d'équipe 🎙️ lundi.json"]
        assert data["status"] == "done" and data["file"]["filename"] == "réunion d'équipe 🎙️ lundi.wav"
        assert "website" in data["result"]["transcription"]["full_transcript"].lower()
        good(results)
    return Case([Path(spaced), missing, GOOD], [line(missing, "no such file")], 1, check=check)


def case_read_only_output_folder(tmp, request):
    other = shutil.copy(GOOD, tmp / "notes.txt")
    out = read_only_folder(tmp / "out", request)
    denied = "(Permission denied|Operation not permitted)"  # the latter: root and chattr +i
    return Case([GOOD, Path(other)], [line(GOOD, re.escape(f"cannot write {out / 'speech.json'}: ") + denied),
                                      line(other, re.escape(f"cannot write {out / 'notes.json'}: ") + denied)],
                1, check=NOTHING)


def case_disk_full_during_export(tmp, monkeypatch):
    other = shutil.copy(GOOD, tmp / "notes.txt")
    real_fsync, faults = os.fsync, iter([OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))])

    def fsync(fd):  # the first export's data does not fit on the disk
        if fault := next(faults, None):
            raise fault
        return real_fsync(fd)
    monkeypatch.setattr(export_files.os, "fsync", fsync)

    def check(results):
        assert sorted(p.name for p in (tmp / "out").iterdir()) == ["speech.json"]  # no temp file left
        good(results)
    cause = re.escape(f"cannot write {tmp / 'out' / 'notes.json'}: No space left on device")
    return Case([Path(other), GOOD], [line(other, cause)], 1, check=check)


def case_truncated_gguf(tmp):
    broken = half_of_default_gguf(tmp / "downloaded-model.gguf")
    cause = re.escape(f"cannot load {broken}: it is not a valid GGUF model or it is truncated")
    other = Path(shutil.copy(GOOD, tmp / "notes.txt"))
    return Case([GOOD, other], [line(GOOD, cause), line(other, cause)], 1, ["--llm-model", broken], transcript_kept)


def case_damaged_default_gguf(tmp):
    damaged = half_of_default_gguf(tmp / catalog.default_entry("llm").name)  # its sha256 is known
    cause = re.escape(f"the model file {damaged} is damaged (sha256 ") + r"\w+… instead of \w+…\); reinstall it"
    return Case([GOOD], [line(GOOD, cause)], 1, ["--llm-model", damaged], transcript_kept)


def case_not_a_gguf(tmp):
    chosen = shutil.copy(DATA / "speech.wav", tmp / "speech.wav")
    return Case([GOOD], [line(GOOD, re.escape(f"{chosen} is not a GGUF model file"))], 1, ["--llm-model", chosen],
                transcript_kept)


def case_missing_whisper_folder(tmp):
    audio, folder = Path(shutil.copy(DATA / "speech.wav", tmp / "standup.wav")), tmp / "models" / "whisper-small"
    cause = re.escape(f"the Whisper model folder {folder} does not exist")
    return Case([audio, GOOD], [line(audio, cause)], 1, ["--whisper-model", folder])


def case_context_smaller_than_prompt(tmp):
    long_prompt = "List every decision, every owner and every deadline mentioned in this meeting. " * 3

    def check(results):
        (entry,) = results["speech.json"]["result"]["audio_to_llm"]["results"]
        assert entry["status"] == "failed" and "context window holds 64" in entry["error"]["message"]
        assert entry["error"]["status_code"] == 413 and entry["error"]["exception"] == "ContextOverflowError"
    cause = re.escape(f"prompt “{short_title(long_prompt)}” failed: ") + OVERFLOW.format(64)
    return Case([GOOD], [line(GOOD, cause)], 1, ["--context-window", 64], check, ["-p", long_prompt])


def refused(option: str, data: bytes, cause: str) -> Callable[[Path], Case]:
    """Prompts refused before any work (exit 2, ``hearsay: error: <cause>``): ``data`` given with ``-p``, or
    with ``--prompts-file`` in a file (whose path the error then names first)."""

    def build(tmp):
        value = put(tmp / "prompts.txt", data) if option == "--prompts-file" else data.decode()
        named = f"{value}: " if option == "--prompts-file" else ""
        return Case([GOOD], [re.escape(f"hearsay: error: {named}{cause}")], 2, prompts=[option, value])
    return build


case_zero_prompts = refused("--prompts-file", b"[]\n", "prompts file holds no prompt")
case_empty_prompt = refused("-p", b"", "a prompt given with -p is empty")
case_prompts_file_latin1 = refused("--prompts-file", "Résumé de la réunion\n".encode("latin-1"),
                                   "prompts file is not UTF-8 text (byte 0xe9 at offset 1); save it as UTF-8")


def case_hundred_prompts(tmp):
    asked = [f"Question {n}: who is named in this meeting?" for n in range(1, 101)]
    (prompts := tmp / "prompts.txt").write_text("\n".join(asked), "utf-8")

    def check(results):
        entries = results["speech.json"]["result"]["audio_to_llm"]["results"]
        assert [e["results"]["prompt"] for e in entries] == asked and all(e["success"] for e in entries)
    return Case([GOOD], [], 0, ["--max-tokens", 2], check, ["--prompts-file", prompts])


def case_fifty_thousand_character_prompt(tmp):
    pasted = ("Here is the whole contract, please check it against the meeting. " * 800)[:50_000]
    (prompts := tmp / "pasted.txt").write_text(pasted + "\n", "utf-8")

    def check(results):
        first, second = results["speech.json"]["result"]["audio_to_llm"]["results"]
        assert first["status"] == "failed" and len(first["results"]["prompt"]) == 50_000
        assert second["success"] and second["results"]["response"].strip()
    cause = re.escape(f"prompt “{short_title(pasted)}” failed: ") + OVERFLOW.format(r"[\d,]+")
    return Case([GOOD], [line(GOOD, cause)], 1, check=check, prompts=["--prompts-file", prompts, "-p", PROMPT])


def case_prompts_file_utf16(tmp):
    (prompts := tmp / "prompts.txt").write_bytes(f"{PROMPT}\r\n".encode("utf-16"))  # with a BOM, as Notepad saves

    def check(results):
        good(results)
        assert [e["results"]["prompt"] for e in results["speech.json"]["result"]["audio_to_llm"]["results"]] == [PROMPT]
    return Case([GOOD], [], 0, check=check, prompts=["--prompts-file", prompts])


SLOW = {"eight_hours", "unicode_path", "hundred_prompts"}  # over 2 s: an 8-hour decode, Whisper on 13 s, 100 prompts
CASES = {name[len("case_"):]: build for name, build in globals().items() if name.startswith("case_")}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.integration if n in SLOW else ())
                                  for n in CASES])
def test_hostile_input(name, tmp_path, monkeypatch, request, capfd):
    build = CASES[name]
    fixtures = {"monkeypatch": monkeypatch, "request": request}
    case = build(tmp_path, *(fixtures[k] for k in build.__code__.co_varnames[1: build.__code__.co_argcount]))
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)  # results go to out/<stem>.json, for one input as for several
    argv = [*case.inputs, *case.prompts, "-q", "--max-tokens", 8, "--device", "cpu", "-o", out, "--format", "json"]
    code = cli.main(["analyze", *map(str, argv + case.options)])
    stderr = capfd.readouterr().err
    errors = stderr.splitlines()
    if code == 2:  # bad usage: argparse's usage text, then the error
        assert errors[0].startswith("usage: hearsay analyze")
        errors = [e for e in errors if not e.startswith(("usage:", " "))]
    assert "Traceback" not in stderr and len(errors) == len(case.errors), stderr
    for got, expected in zip(errors, case.errors):
        assert re.fullmatch(expected, got), f"{got!r} does not match {expected!r}"
    assert code == case.code, stderr
    results = {p.name: json.loads(p.read_text("utf-8")) for p in out.glob("*.json")}
    if code != 2:
        (case.check or good)(results)
