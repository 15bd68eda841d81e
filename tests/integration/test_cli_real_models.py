"""`hearsay analyze` end to end on the real default models (tiny.en + SmolLM2-135M) and real media."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent.parent / "data"
KEY_WORDS = ("website", "friday", "maria", "budget", "marketing")


def hearsay(*args, env_home):
    import os

    env = dict(os.environ, HEARSAY_HOME=str(env_home))
    return subprocess.run([sys.executable, "-m", "app", "analyze", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def assert_real_result(data, source_name):
    assert data["status"] == "done"
    assert data["file"]["filename"] == source_name
    transcript = data["result"]["transcription"]["full_transcript"].lower()
    assert all(word in transcript for word in KEY_WORDS), transcript
    utterances = data["result"]["transcription"]["utterances"]
    assert utterances and all(u["words"] for u in utterances)
    assert utterances[-1]["end"] == pytest.approx(13.0, abs=1.5)
    llm = data["result"]["audio_to_llm"]
    assert llm["success"] is True and len(llm["results"]) == 3
    for entry in llm["results"]:
        assert entry["success"] and entry["results"]["response"].strip()
    meta = data["result"]["metadata"]
    assert meta["whisper_model"] == "tiny.en" and meta["llm_model"].startswith("SmolLM2")


@pytest.mark.parametrize("name", ["speech.wav", "speech.mp4"])
def test_cli_on_audio_and_video(tmp_path, name):
    out = tmp_path / "result.json"
    done = hearsay(str(DATA / name), "-o", str(out), "--max-tokens", "48", env_home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert_real_result(json.loads(out.read_text("utf-8")), name)
    assert "Traceback" not in done.stderr


def test_cli_batch_with_bad_files_goes_on_and_rerun_on_json(tmp_path):
    (tmp_path / "empty.mp3").write_bytes(b"")
    (tmp_path / "notes.mp3").write_text("not audio")
    spaced = tmp_path / "weekly meeting ✨.mp3"
    shutil.copy(DATA / "speech.mp3", spaced)
    out = tmp_path / "out"
    done = hearsay(str(tmp_path / "missing.wav"), str(tmp_path / "empty.mp3"), str(tmp_path / "notes.mp3"),
                   str(tmp_path), str(spaced), "-o", str(out), "--format", "json", "--max-tokens", "32",
                   env_home=tmp_path)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("hearsay: ")]
    assert errors == [
        f"hearsay: {tmp_path / 'missing.wav'}: no such file",
        f"hearsay: {tmp_path / 'empty.mp3'}: the file is empty",
        f"hearsay: {tmp_path / 'notes.mp3'}: not an audio or video file, or it is damaged",
        f"hearsay: {tmp_path}: is a folder, not a file",
    ]
    assert "Traceback" not in done.stderr
    result_file = out / "weekly meeting ✨.json"
    assert_real_result(json.loads(result_file.read_text("utf-8")), spaced.name)

    # Re-running prompts on an earlier result skips transcription and keeps the transcript.
    again = hearsay(str(result_file), "-p", "Who writes the press release?", "--max-tokens", "32", env_home=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "## Who writes the press release?" in again.stdout
    assert "transcribing" not in again.stderr
    assert "website" in again.stdout.split("## Transcript")[1].lower()


def test_cli_transcript_tag_and_text_input(tmp_path):
    transcript = tmp_path / "notes.txt"
    transcript.write_text((DATA / "speech.txt").read_text("utf-8"), "utf-8")
    done = hearsay(str(transcript), "-p", "Here is a meeting transcript:\n{{ transcript }}\nWhen is the launch?",
                   "--max-tokens", "32", "-q", env_home=tmp_path)
    assert done.returncode == 0, done.stderr
    response = done.stdout.split("When is the launch?", 1)[1].split("## Transcript")[0]
    assert response.strip()


def meeting_text(sentences):
    """A long, varied meeting transcript: one line per sentence."""
    topics = ["the website launch", "the marketing budget", "the press release", "hiring", "the data migration"]
    people = ["Maria", "Tom", "Aisha", "Ken"]
    return "\n".join(
        f"{people[i % 4]} said that {topics[i % 5]} needs {i % 9 + 2} more days and about {100 + 7 * i} euros."
        for i in range(sentences)
    )


def test_transcript_three_times_the_context_runs_map_reduce_with_full_coverage(tmp_path):
    long_text = tmp_path / "long.txt"
    long_text.write_text(meeting_text(165), "utf-8")  # about 3,150 tokens against a 1,024-token context
    out = tmp_path / "long.json"
    done = hearsay(str(long_text), "-p", "Summarize.", "-p", "Who spoke?", "--max-tokens", "24",
                   "--context-window", "1024", "-o", str(out), env_home=tmp_path)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stderr.splitlines() if "tokens / context 1,024" in line)
    parts = int(line.split("map-reduce over ")[1].split()[0])
    tokens = int(line.split("transcript ")[1].split(" tokens")[0].replace(",", ""))
    assert tokens >= 3 * 1024 and parts >= 3
    for entry in json.loads(out.read_text("utf-8"))["result"]["audio_to_llm"]["results"]:
        assert entry["success"] and entry["results"]["response"].strip()
        assert (entry["strategy"], entry["parts"], entry["coverage"]) == ("map-reduce", parts, 1.0)


def test_follow_up_after_a_restart_reuses_the_stored_transcript_state(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text(meeting_text(40), "utf-8")
    first = tmp_path / "first.json"
    done = hearsay(str(notes), "-p", "Summarize.", "--max-tokens", "16", "-q", "-o", str(first), env_home=tmp_path)
    assert done.returncode == 0, done.stderr
    cold = json.loads(first.read_text("utf-8"))["result"]["audio_to_llm"]["results"][0]
    assert cold["reused_tokens"] == 0 and cold["prompt_tokens"] > 500
    other = tmp_path / "other.txt"
    other.write_text(meeting_text(10), "utf-8")
    # A new process (an app restart) on the earlier result, after another transcript was prefilled.
    done = hearsay(str(other), str(first), "-p", "What does Ken need?", "--max-tokens", "16", "-q",
                   "--format", "json", "-o", str(tmp_path / "out"), env_home=tmp_path)
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "out" / "first.json").read_text("utf-8"))["result"]["audio_to_llm"]["results"]
    assert [r["results"]["prompt"] for r in results] == ["Summarize.", "What does Ken need?"]
    follow_up = results[1]
    assert follow_up["success"] and follow_up["results"]["response"].strip()
    assert follow_up["reused_tokens"] >= cold["prompt_tokens"] - 20  # only its own tokens were evaluated
    assert list((tmp_path / "cache" / "kv-states").glob("*.session"))
