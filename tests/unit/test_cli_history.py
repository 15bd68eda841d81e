"""`hearsay history` and the history side of `hearsay analyze` (scripted engines; real ones in integration)."""

import json
from pathlib import Path

import pytest

from app import cli
from app.cli import analyze as cli_analyze
from app.cli import history as cli_history
from app.core.library.store import Library
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"
TEXTS = ["We ship the release on Friday.", "Marta owns the budget review."]


@pytest.fixture
def engines(monkeypatch):
    made = []

    def create(settings):
        made.append((ScriptedTranscriber(make_segments(TEXTS)), ScriptedPromptRunner()))
        return made[-1]

    monkeypatch.setattr(cli_analyze, "create_engines", create)
    monkeypatch.setattr(cli_history, "create_engines", create)
    return made


def analyze(*args):
    return cli.main(["analyze", str(SPEECH), "-q", "-p", "Summarize.", *args])


def test_every_analysis_lands_in_the_history_and_lists_newest_first(engines, capsys):
    assert analyze() == 0
    assert analyze("-p", "Who owns the budget?") == 0
    capsys.readouterr()
    assert cli.main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all("speech.wav" in line and "done" in line for line in lines)
    assert "2/2 prompts" in lines[0] and "1/1 prompts" in lines[1]


def test_a_second_run_of_the_same_file_reuses_the_transcript_and_says_so(engines, capsys):
    analyze()
    capsys.readouterr()
    assert cli.main(["analyze", str(SPEECH), "-p", "Summarize."]) == 0
    err = capsys.readouterr().err
    assert "its transcript is reused (--retranscribe to transcribe again)" in err
    assert engines[1][0].calls == []
    assert analyze("--retranscribe") == 0
    assert engines[2][0].calls == [SPEECH]


def test_no_history_keeps_the_run_out_of_the_library(engines, capsys):
    assert analyze("--no-history") == 0
    assert Library().entries() == []


def test_show_export_search_and_delete(engines, tmp_path, capsys):
    analyze()
    capsys.readouterr()
    (entry,) = Library().entries()
    assert cli.main(["history", "show", entry.id[:8]]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# speech.wav") and "Marta owns the budget review." in out
    target = tmp_path / "meeting.json"
    assert cli.main(["history", "export", entry.id[:8], "-o", str(target)]) == 0
    assert json.loads(target.read_text("utf-8"))["result"]["audio_to_llm"]["results"][0]["results"]["prompt"] \
        == "Summarize."
    assert cli.main(["history", "export", entry.id[:8], "-o", str(target)]) == 1
    assert "already exists; use --force to replace it" in capsys.readouterr().err
    assert cli.main(["history", "export", entry.id[:8], "-o", str(target), "--force"]) == 0
    subtitles = tmp_path / "meeting.srt"  # the format from the suffix
    assert cli.main(["history", "export", entry.id[:8], "-o", str(subtitles)]) == 0
    assert subtitles.read_text("utf-8").startswith("1\n00:00:00,000 --> ") and TEXTS[1] in subtitles.read_text("utf-8")
    assert cli.main(["history", "show", entry.id[:8], "--format", "vtt"]) == 0
    assert capsys.readouterr().out.startswith("WEBVTT\n")
    assert cli.main(["history", "search", "budget"]) == 0
    assert "segment 2: Marta owns the [budget] review." in capsys.readouterr().out
    assert cli.main(["history", "delete", entry.id]) == 0
    assert cli.main(["history", "search", "budget"]) == 1
    assert cli.main(["history", "show", entry.id[:8]]) == 1
    assert "no analysis" in capsys.readouterr().err


def test_resume_finishes_a_cancelled_analysis_with_its_own_settings(engines, capsys):
    analyze("-p", "Second?", "--beam-size", "3")
    library = Library()
    (entry,) = library.entries()
    with library.transaction() as conn:
        conn.execute("UPDATE analyses SET status = 'cancelled'")
        conn.execute("UPDATE prompt_results SET status = 'cancelled', response = '' WHERE idx = 1")
    capsys.readouterr()
    assert cli.main(["history", "resume", entry.id[:8]]) == 0
    transcriber, runner = engines[-1]
    assert transcriber.calls == [] and [p for _, p in runner.calls] == ["Second?"]
    assert library.entry(entry.id).status == "done"
    assert json.loads(library.connection().execute("SELECT settings_json FROM analyses").fetchone()[0])[
        "beam_size"] == 3
    assert cli.main(["history", "resume", entry.id[:8]]) == 0
    assert "nothing left to do" in capsys.readouterr().err
