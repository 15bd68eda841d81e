"""``hearsay analyze --system-prompt/--temperature``: they reach the engines, are checked, and a result made with
other ones is not reused as a follow-up's earlier answers."""

import json
from pathlib import Path

import pytest

from app import cli
from app.cli import analyze as cli_analyze
from app.core.llm.assembly import DEFAULT_TEMPERATURE
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


@pytest.fixture
def runs(monkeypatch):
    """Every run's (settings, runner); the scripted runner carries the settings' generation values, as the real one."""
    made = []

    def create(settings):
        runner = ScriptedPromptRunner()
        runner.temperature, runner.system_prompt = settings.temperature, settings.system_prompt
        made.append((settings, runner))
        return ScriptedTranscriber(), runner

    monkeypatch.setattr(cli_analyze, "create_engines", create)
    return made


def test_system_prompt_and_temperature_reach_the_engines_and_the_json(runs, tmp_path):
    out = tmp_path / "r.json"
    assert cli.main(["analyze", str(SPEECH), "-q", "--no-history", "-p", "Summarize.", "--system-prompt", "Answer in German.",
                     "--temperature", "0.7", "-o", str(out)]) == 0
    settings, _ = runs[0]
    assert (settings.system_prompt, settings.temperature) == ("Answer in German.", 0.7)
    meta = json.loads(out.read_text("utf-8"))["result"]["metadata"]
    assert (meta["system_prompt"], meta["temperature"]) == ("Answer in German.", 0.7)


def test_the_default_temperature_is_the_measured_one(runs):
    assert cli.main(["analyze", str(SPEECH), "-q", "--no-history", "-p", "Summarize."]) == 0
    assert runs[0][0].temperature == DEFAULT_TEMPERATURE and runs[0][0].system_prompt is None


@pytest.mark.parametrize("value", ["-0.1", "2.5", "nan", "warm"])
def test_a_temperature_out_of_range_is_a_usage_error(runs, capsys, value):
    assert cli.main(["analyze", str(SPEECH), "--temperature", value]) == 2
    assert "--temperature" in capsys.readouterr().err
    assert not runs


def test_a_system_prompt_that_is_not_utf8_is_a_usage_error(runs, capsys):
    assert cli.main(["analyze", str(SPEECH), "--system-prompt", "bad \udcff byte"]) == 2
    assert "--system-prompt is not UTF-8 text (byte 0xff at offset 4)" in capsys.readouterr().err


@pytest.mark.parametrize("second_args, rerun", [
    ([], False),                                       # same settings: the earlier answer is reused
    (["--temperature", "0.7"], True),                  # another temperature
    (["--system-prompt", "Answer in German."], True),  # another system prompt
])
def test_a_follow_up_reuses_earlier_answers_only_when_made_with_the_same_settings(runs, tmp_path, second_args, rerun):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    assert cli.main(["analyze", str(SPEECH), "-q", "--no-history", "-p", "Summarize.", "-o", str(first)]) == 0
    assert cli.main(["analyze", str(first), "-q", "--no-history", "-p", "Who pays?", "-o", str(second), *second_args]) == 0
    asked = [prompt for _, prompt in runs[1][1].calls]
    assert asked == (["Summarize.", "Who pays?"] if rerun else ["Who pays?"])
    results = json.loads(second.read_text("utf-8"))["result"]["audio_to_llm"]["results"]
    assert [r["results"]["prompt"] for r in results] == ["Summarize.", "Who pays?"] and all(r["success"] for r in results)
