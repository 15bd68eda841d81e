"""CLI argument handling, outputs and exit codes (scripted engines; the real ones run in integration tests)."""

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import cli
from app.cli import analyze as cli_analyze
from app.core.errors import ModelError
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


def test_markdown_to_stdout_with_default_prompts(engines, capsys):
    assert cli.main(["analyze", str(SPEECH), "-q"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# speech.wav\n")
    assert out.count("\n## ") == 4  # three default prompts + Transcript
    assert len(engines["runner"].calls) == 3


def test_prompts_from_flags_and_file(engines, tmp_path, capsys):
    prompts_file = tmp_path / "p.txt"
    prompts_file.write_text("From file\n", "utf-8")
    assert cli.main(["analyze", str(SPEECH), "-q", "--prompts-file", str(prompts_file), "-p", "From flag"]) == 0
    assert [p for _, p in engines["runner"].calls] == ["From file", "From flag"]


def test_options_reach_the_engines(engines):
    cli.main(["analyze", str(SPEECH), "-q", "--device", "cpu", "--max-tokens", "7", "--language", "en",
              "--whisper-model", "tiny.en", "--llm-model", "x.gguf"])
    settings = engines["settings"]
    assert (settings.device, settings.max_tokens, settings.language) == ("cpu", 7, "en")
    assert (settings.whisper_model, settings.llm_model) == ("tiny.en", "x.gguf")


def test_json_output_file_from_suffix(engines, tmp_path):
    out = tmp_path / "result.json"
    assert cli.main(["analyze", str(SPEECH), "-q", "-o", str(out)]) == 0
    data = json.loads(out.read_text("utf-8"))
    assert data["status"] == "done" and len(data["result"]["audio_to_llm"]["results"]) == 3


def test_several_inputs_fill_a_folder_and_a_bad_one_gives_exit_1(engines, tmp_path, capsys):
    missing = tmp_path / "missing.wav"
    folder = tmp_path / "out"
    code = cli.main(["analyze", str(SPEECH), str(missing), str(SPEECH.with_suffix(".mp3")), "-q", "-o", str(folder),
                     "--format", "json"])
    assert code == 1
    assert sorted(p.name for p in folder.iterdir()) == ["speech.mp3.json", "speech.wav.json"]
    err = capsys.readouterr().err
    assert err.strip() == f"hearsay: {missing}: no such file"


def test_several_inputs_need_a_folder(engines, tmp_path, capsys):
    existing = tmp_path / "a.md"
    existing.write_text("x")
    assert cli.main(["analyze", str(SPEECH), str(SPEECH), "-o", str(existing)]) == 2
    assert "-o must be a folder" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["analyze"], "required"),
    (["analyze", "x.wav", "--max-tokens", "0"], "positive"),
    (["analyze", "x.wav", "--format", "odt"], "invalid choice"),  # pdf is a format now
    (["analyze", "x.wav", "-p", "  "], "empty"),
    (["analyze", "x.wav", "--prompts-file", "/nonexistent/p.txt"], "cannot read prompts file"),
    (["analyze", "x.wav", "-o", "/nonexistent/dir/out.md"], "output folder does not exist"),
])
def test_bad_usage_exits_2(engines, capsys, argv, message):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_failing_prompt_exits_1_but_writes_the_file(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli_analyze, "create_engines", lambda s: (ScriptedTranscriber(), ScriptedPromptRunner(fail_on={1})))
    out = tmp_path / "r.md"
    assert cli.main(["analyze", str(SPEECH), "-q", "-o", str(out)]) == 1
    assert "Failed: the scripted model refused this prompt" in out.read_text("utf-8")
    assert "failed: the scripted model refused this prompt" in capsys.readouterr().err


def test_model_error_is_one_line_without_traceback(monkeypatch, capsys):
    broken = ScriptedTranscriber(load_error=ModelError("the model file /m/model.bin is damaged"))
    monkeypatch.setattr(cli_analyze, "create_engines", lambda s: (broken, ScriptedPromptRunner()))
    assert cli.main(["analyze", str(SPEECH), "-q"]) == 1
    err = capsys.readouterr().err
    assert err == f"hearsay: {SPEECH}: the model file /m/model.bin is damaged\n"


def test_progress_lines_when_not_a_tty(engines, capsys):
    cli.main(["analyze", str(SPEECH)])
    err = capsys.readouterr().err.splitlines()
    assert "speech.wav: transcribing 4.0 s of audio" in err
    assert any(line.startswith("speech.wav: prompt 3/3 done") for line in err)


def test_analyze_never_imports_qt():
    code = (
        "import sys; from app import cli; cli.main(['analyze', '/nonexistent.wav', '-q']);"
        "print('PySide6' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False"
    assert "no such file" in done.stderr


def test_core_never_imports_qt():
    import app.core

    modules = [m.name for m in pkgutil.walk_packages(app.core.__path__, "app.core.")]  # every module of the core
    assert len(modules) > 30
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print(sorted(m for m in sys.modules if 'PySide6' in m or m.startswith('app.ui')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_follow_up_on_a_json_result_keeps_earlier_answers_and_runs_only_new_prompts(monkeypatch, tmp_path):
    runners = []

    def create(settings):
        runners.append(ScriptedPromptRunner())
        return ScriptedTranscriber(), runners[-1]

    monkeypatch.setattr(cli_analyze, "create_engines", create)
    first = tmp_path / "first.json"
    assert cli.main(["analyze", str(SPEECH), "-q", "-p", "Summarize.", "-o", str(first)]) == 0
    second = tmp_path / "second.json"
    assert cli.main(["analyze", str(first), "-q", "-p", "Summarize.", "-p", "Who pays?", "-o", str(second)]) == 0
    assert [prompt for _, prompt in runners[1].calls] == ["Who pays?"]
    results = json.loads(second.read_text("utf-8"))["result"]["audio_to_llm"]["results"]
    assert [r["results"]["prompt"] for r in results] == ["Summarize.", "Who pays?"]
    assert all(r["success"] for r in results)
    first_results = json.loads(first.read_text("utf-8"))["result"]["audio_to_llm"]["results"]
    assert results[0] == first_results[0]


def test_when_the_llm_cannot_load_the_transcript_is_still_written(monkeypatch, tmp_path, capsys):
    class BrokenRunner(ScriptedPromptRunner):
        def load(self):
            raise ModelError("cannot load /m/x.gguf: it is not a valid GGUF model or it is truncated")

    monkeypatch.setattr(cli_analyze, "create_engines", lambda settings: (ScriptedTranscriber(), BrokenRunner()))
    out = tmp_path / "speech.md"
    assert cli.main(["analyze", str(SPEECH), "-q", "-p", "Summarize.", "-o", str(out)]) == 1
    assert "not a valid GGUF model" in capsys.readouterr().err
    text = out.read_text("utf-8")
    assert "We ship on Friday." in text and "Not run" in text  # the transcript, and the prompt marked as not run


def test_subtitles_from_the_format_flag_and_from_the_output_suffix(engines, tmp_path, capsys):
    import pysubs2

    folder = tmp_path / "subs"
    assert cli.main(["analyze", str(SPEECH), str(SPEECH.with_suffix(".mp3")), "-q", "-o", str(folder),
                     "--format", "srt"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["speech.mp3.srt", "speech.wav.srt"]
    srt = pysubs2.load(str(folder / "speech.wav.srt"))
    assert [e.text for e in srt.events] == ["Hello team.", "We ship on Friday."]  # the scripted transcript
    vtt_path = tmp_path / "speech.vtt"
    assert cli.main(["analyze", str(SPEECH), "-q", "-o", str(vtt_path)]) == 0
    text = vtt_path.read_text("utf-8")
    assert text.startswith("WEBVTT\n") and "00:00:02.000 --> 00:00:04.000\nWe ship on Friday." in text
    assert cli.main(["analyze", str(SPEECH), "-q", "--format", "vtt"]) == 0
    assert capsys.readouterr().out.startswith("WEBVTT\n")
