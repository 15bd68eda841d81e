"""``hearsay history`` commands that correct a stored transcript, each edit a version (issue 14 §2)."""

from pathlib import Path

import pytest

from app import cli
from app.cli import analyze as cli_analyze
from app.core.library.store import Library
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"
TEXTS = ["We are riding the press release today.", "Marta owns the budget review."]


@pytest.fixture
def analysis_id(monkeypatch, capsys):
    monkeypatch.setattr(cli_analyze, "create_engines",
                        lambda settings: (ScriptedTranscriber(make_segments(TEXTS)), ScriptedPromptRunner()))
    assert cli.main(["analyze", str(SPEECH), "-q", "-p", "Summarize."]) == 0
    capsys.readouterr()
    (entry,) = Library().entries()
    return entry.id[:8]


def history(*args) -> int:
    return cli.main(["history", *args])


def test_edit_split_merge_versions_and_revert_from_the_command_line(analysis_id, capsys):
    assert history("segments", analysis_id) == 0
    assert capsys.readouterr().out.splitlines() == [f"1  [00:00]  {TEXTS[0]}", f"2  [00:02]  {TEXTS[1]}"]
    assert history("edit", analysis_id, "1", "We are writing the press release today.") == 0
    assert capsys.readouterr().out == (f'{analysis_id}: version 1: Segment 1: "riding" → "writing" '
                                       "(answers made from another version: prompt 1)\n")
    assert history("split", analysis_id, "2", "4") == 0
    assert history("segments", analysis_id) == 0
    out = capsys.readouterr().out
    assert 'version 2: Segment 2 split before "budget review."' in out
    assert out.splitlines()[-2:] == ["2  [00:02]  Marta owns the", "3  [00:03]  budget review."]
    assert history("merge", analysis_id, "2") == 0
    assert history("show", analysis_id) == 0
    shown = capsys.readouterr().out
    assert "We are writing the press release today." in shown and "riding" not in shown.split("## Transcript")[-1]
    assert history("versions", analysis_id) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["0", "1", "2", "3"]
    assert lines[0].endswith("The transcription") and lines[3].endswith("Segments 2 and 3 merged  ← current")
    assert history("use-version", analysis_id, "1") == 0 and "version 1 is current" in capsys.readouterr().out
    assert history("revert", analysis_id) == 0
    assert "back to the transcription as made (version 4)" in capsys.readouterr().out
    assert history("search", "riding") == 0


@pytest.mark.parametrize("args, said", [
    (("edit", "9", "x"), "there is no segment 9 (the transcript has 2)"),
    (("split", "1", "1"), "segment 1 has 7 words: split before word 2 to 7"),
    (("set-speaker", "1", "new"), "this analysis has no speakers"),
    (("revert",), "is the transcription as made already"),
])
def test_an_edit_that_cannot_be_made_says_why_in_one_line(analysis_id, capsys, args, said):
    assert history(args[0], analysis_id, *args[1:]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hearsay: history: ") and said in err and err.count("\n") == 1


def test_exports_say_which_transcript_version_they_hold_and_which_answers_are_stale(analysis_id, capsys):
    import json

    assert history("show", analysis_id, "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["result"]["metadata"]["transcript_version"] == {"number": 0, "edited": False}
    assert [(r["transcript_version"], r["stale"]) for r in data["result"]["audio_to_llm"]["results"]] == [(0, False)]
    assert history("edit", analysis_id, "1", "We are writing the press release today.") == 0
    capsys.readouterr()
    assert history("show", analysis_id, "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["result"]["metadata"]["transcript_version"] == {"number": 1, "edited": True}
    assert [(r["transcript_version"], r["stale"]) for r in data["result"]["audio_to_llm"]["results"]] == [(0, True)]
    assert data["result"]["transcription"]["utterances"][0]["text"] == "We are writing the press release today."
    assert history("show", analysis_id) == 0
    markdown = capsys.readouterr().out
    assert "- **Transcript:** version 1, corrected by hand\n" in markdown
    assert "_Made from transcript version 0; the transcript has changed since (version 1)._" in markdown
    assert history("revert", analysis_id) == 0
    capsys.readouterr()
    assert history("show", analysis_id) == 0
    assert "- **Transcript:** version 2, the transcription as made (reverted)\n" in capsys.readouterr().out
    assert history("show", analysis_id, "--format", "json") == 0  # reverted: the answer reads the same text again
    assert [r["stale"] for r in json.loads(capsys.readouterr().out)["result"]["audio_to_llm"]["results"]] == [False]
