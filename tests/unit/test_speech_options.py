"""Languages, translation and custom vocabulary: parsing, the CLI and Settings, the transcript cache key,
and how a translation shows in the JSON, Markdown and the history (scripted engines; the real models run in
tests/integration/test_languages_real_models.py)."""

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from app import cli
from app.core.analysis import Analysis, AnalysisStatus, Segment, Transcript
from app.core.errors import HearsayError
from app.core.export import json_result, markdown
from app.core.library.store import Library
from app.core.pipeline.batch import run_batch
from app.core.pipeline.engines import EngineSettings
from app.core.pipeline.recorder import LibraryRecorder, transcript_key
from app.core.speech import options, transcript_files
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


# ---- parsing ------------------------------------------------------------------------------------------


def test_languages_parse_to_lower_case_codes_in_order_each_once():
    assert options.parse_languages("FR, en,fr") == ("fr", "en")
    assert options.parse_languages("de") == ("de",)
    assert options.parse_languages(None) == options.parse_languages("  ") == ()
    assert options.languages_text(("fr", "en")) == "fr,en" and options.languages_text(()) is None


def test_a_code_whisper_does_not_know_is_named():
    with pytest.raises(HearsayError, match="“xx” is not a language code Whisper knows"):
        options.parse_languages("fr,xx")
    with pytest.raises(HearsayError, match="“english” is not a language code"):
        options.parse_languages("english please")


def test_vocabulary_terms_split_on_commas_semicolons_and_lines_each_once():
    terms = options.parse_vocabulary("Okonkwo, Kubernetes;\n  Nyquist  Hall \n\nokonkwo,,")
    assert terms == ("Okonkwo", "Kubernetes", "Nyquist Hall")
    assert options.vocabulary_text(terms) == "Okonkwo, Kubernetes, Nyquist Hall"
    assert options.parse_vocabulary("") == options.parse_vocabulary(None) == ()


def test_a_vocabulary_file_is_read_bounded_from_regular_files_only(tmp_path):
    good = tmp_path / "names.txt"
    good.write_text("\ufeffOkonkwo\nSiobhan, Ngozi\n", "utf-8")
    assert options.read_vocabulary_file(good) == ("Okonkwo", "Siobhan", "Ngozi")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(HearsayError, match="vocabulary file .*not a regular file"):
        options.read_vocabulary_file(pipe)  # refused without blocking on the pipe
    big = tmp_path / "big.txt"
    big.write_bytes(b"a, " * options.VOCABULARY_FILE_LIMIT_BYTES)
    with pytest.raises(HearsayError, match="larger than"):
        options.read_vocabulary_file(big)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Dvořák, Müller".encode("cp1250"))
    with pytest.raises(HearsayError, match="not UTF-8 text"):
        options.read_vocabulary_file(latin)
    blank = tmp_path / "blank.txt"
    blank.write_text(" ,\n", "utf-8")
    with pytest.raises(HearsayError, match="holds no term"):
        options.read_vocabulary_file(blank)


def test_an_english_only_model_refuses_translation_other_languages_and_switching_in_one_sentence():
    assert options.model_problem("base", False, ("fr", "en"), True, True) is None
    assert options.model_problem("tiny.en", True, ("en",), False, False) is None
    translate = options.model_problem("tiny.en", True, (), True, False)
    assert translate.startswith("the Whisper model tiny.en understands English only, so it cannot translate;")
    assert "not fr" in options.model_problem("tiny.en", True, ("en", "fr"), False, False)
    assert "change of language" in options.model_problem("tiny.en", True, (), False, True)


# ---- the command line -----------------------------------------------------------------------------------


def test_cli_language_options_reach_the_engines(engines, tmp_path, monkeypatch):
    folder = tmp_path / "base"  # a multilingual model folder (its vocabulary is that size)
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"")
    (folder / "vocabulary.txt").write_text("t\n" * 51865, "utf-8")
    terms = tmp_path / "terms.txt"
    terms.write_text("Nyquist\nKubernetes\n", "utf-8")
    assert cli.main(["analyze", str(SPEECH), "-q", "-p", "x", "--whisper-model", str(folder),
                     "--language", "FR, en", "--code-switching", "--translate",
                     "--vocabulary", "Okonkwo, Kubernetes", "--vocabulary-file", str(terms)]) == 0
    settings = engines["settings"]
    assert settings.language == "fr,en" and settings.code_switching and settings.translate
    assert settings.vocabulary == "Okonkwo, Kubernetes, Nyquist"


@pytest.mark.parametrize("args, said", [
    (["--translate"], "the Whisper model tiny.en understands English only, so it cannot translate; choose a "
                      "multilingual Whisper model such as base, small or large-v3-turbo"),
    (["--language", "fr,en"], "the Whisper model tiny.en understands English only, not fr;"),
    (["--language", "klingon"], "“klingon” is not a language code Whisper knows"),
    (["--vocabulary-file", "/no/such/terms.txt"], "/no/such/terms.txt: cannot read the vocabulary file: no such file"),
])
def test_cli_refuses_what_cannot_work_before_any_model_loads(engines, capsys, args, said):
    assert cli.main(["analyze", str(SPEECH), "-q", "-p", "x", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("hearsay: error: " + said), err
    assert "settings" not in engines  # no engine was made


# ---- the transcript cache -------------------------------------------------------------------------------


def test_default_transcript_key_is_unchanged_and_every_speech_option_changes_it():
    default, _ = transcript_key(EngineSettings())
    assert set(json.loads(default)) == {"model", "sha256", "language", "beam_size", "vad_filter", "batch_size"}
    keys = {transcript_key(EngineSettings(**change))[0] for change in (
        {}, {"language": "fr"}, {"language": "fr,en"}, {"code_switching": True}, {"translate": True},
        {"vocabulary": "Okonkwo"}, {"vocabulary": "Okonkwo, Nyquist"})}
    assert len(keys) == 7


def _run(library, analysis, settings, transcriber):
    recorder = LibraryRecorder(library, settings)
    events = list(run_batch([analysis], transcriber, ScriptedPromptRunner(), threading.Event(),
                            settings.language, recorder=recorder))
    assert recorder.problem is None and analysis.status is AnalysisStatus.DONE
    return events


def test_a_transcript_made_without_the_vocabulary_or_translation_is_not_reused_for_one_with_it(tmp_path):
    library = Library(tmp_path / "library.sqlite3")
    _run(library, Analysis(source=SPEECH, prompts=["x"]), EngineSettings(), ScriptedTranscriber())
    for settings in (EngineSettings(vocabulary="Okonkwo, Kubernetes"), EngineSettings(translate=True),
                     EngineSettings(language="fr,en", code_switching=True)):
        fresh = ScriptedTranscriber(make_segments(["Another transcript."]))
        _run(library, Analysis(source=SPEECH, prompts=["x"]), settings, fresh)
        assert fresh.calls == [SPEECH], settings  # transcribed, not reused
        again = ScriptedTranscriber()
        reused = Analysis(source=SPEECH, prompts=["x"])
        _run(library, reused, settings, again)
        assert again.calls == [] and reused.transcript.text == "Another transcript."  # the same options: reused


class TranslatingTranscriber(ScriptedTranscriber):
    """Scripted French speech written in English, as Whisper's translate task gives it."""

    translated_to = "en"


def test_a_translation_is_stored_and_read_back_as_english_with_the_language_spoken(tmp_path):
    library = Library(tmp_path / "library.sqlite3")
    segments = [Segment(0.0, 2.0, "Leave your message after the beep.", language="fr")]
    analysis = Analysis(source=SPEECH, prompts=["x"])
    _run(library, analysis, EngineSettings(translate=True), TranslatingTranscriber(segments))
    assert analysis.transcript.translated_to == "en"
    stored = library.load(analysis.id)
    assert stored.transcript.translated_to == "en" and stored.transcript.segments[0].language == "fr"
    reused = Analysis(source=SPEECH, prompts=["x"])
    _run(library, reused, EngineSettings(translate=True), ScriptedTranscriber())
    assert reused.transcript.translated_to == "en"  # reused from the library, still known as English


# ---- exports -------------------------------------------------------------------------------------------------


def translated_analysis() -> Analysis:
    segments = [Segment(0.0, 2.3, "Leave your message after the beep.", language="fr"),
                Segment(7.7, 10.0, "The passwords you entered do not match.", language="fr")]
    return Analysis(source=Path("/calls/message.ogg"), prompts=[], status=AnalysisStatus.DONE, duration=10.6,
                    transcript=Transcript(segments, "fr", 10.6, translated_to="en"), transcription_time=2.5,
                    whisper_model="base", created_at=datetime(2026, 12, 1, tzinfo=timezone.utc))


def test_json_keeps_the_language_spoken_per_utterance_and_says_the_text_is_english(tmp_path):
    data = json.loads(json_result.render_json(translated_analysis()))
    result = data["result"]
    assert [u["language"] for u in result["transcription"]["utterances"]] == ["fr", "fr"]
    assert result["transcription"]["languages"] == ["fr"]
    assert result["metadata"]["translated_to"] == "en"
    translation = result["translation"]
    assert translation["success"] is True and translation["error"] is None and translation["exec_time"] == 2.5
    (entry,) = translation["results"]
    assert entry["languages"] == ["en"] and entry["source_languages"] == ["fr"]
    assert entry["full_transcript"] == result["transcription"]["full_transcript"]
    out = tmp_path / "message.json"
    out.write_text(json_result.render_json(translated_analysis()), "utf-8")
    assert transcript_files.load_transcript(out).translated_to == "en"  # read back as a transcript input


def test_a_transcript_in_the_language_spoken_has_no_translation_block():
    analysis = translated_analysis()
    analysis.transcript.translated_to = None
    result = json_result.to_json_dict(analysis)["result"]
    assert "translation" not in result and result["metadata"]["translated_to"] is None
    assert "translated" not in markdown.render_markdown(analysis)


def test_markdown_says_translated_from():
    text = markdown.render_markdown(translated_analysis())
    assert "- **Language:** English, translated from fr\n" in text


# ---- the Settings dialog -------------------------------------------------------------------------------------


def test_settings_dialog_remembers_languages_switching_translation_and_vocabulary(qtbot, tmp_path):
    from app.ui.settings.dialog import SettingsDialog
    from app.ui.settings.store import Settings

    folder = tmp_path / "whisper-base"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"")
    (folder / "vocabulary.txt").write_text("t\n" * 51865, "utf-8")
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.translate.setChecked(True)  # with the English-only default model: said at once, and refused
    assert dialog.error.text().startswith("The Whisper model tiny.en understands English only, so it cannot translate;")
    assert not dialog.ok_button.isEnabled()
    dialog.whisper.setCurrentText(str(folder))
    dialog.language.setEditText("FR, en")
    dialog.code_switching.setChecked(True)
    dialog.vocabulary.setText("Okonkwo,  Kubernetes, okonkwo")
    assert dialog.ok_button.isEnabled(), dialog.error.text()
    dialog.accept()
    stored = Settings().engine_settings()
    assert (stored.language, stored.code_switching, stored.translate, stored.vocabulary) == (
        "fr,en", True, True, "Okonkwo, Kubernetes")
    reopened = SettingsDialog(Settings())
    qtbot.addWidget(reopened)
    assert reopened.engine_settings() == stored
    assert reopened.translate.isChecked() and reopened.vocabulary.text() == "Okonkwo, Kubernetes"


def test_the_language_codes_are_faster_whispers():
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert options.WHISPER_LANGUAGE_CODES == tuple(_LANGUAGE_CODES)
