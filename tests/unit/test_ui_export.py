"""Export from the window: Markdown/JSON for the selected or all finished files; errors in a message box."""

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.core.errors import ExportError
from app.core.llm.prompts import default_named_prompts
from app.ui.files import exporting
from app.ui.settings.store import Settings

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


@pytest.fixture
def message_boxes(monkeypatch):
    """Every QMessageBox.critical call, as (title, text), instead of a modal box."""
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: shown.append((title, text)))
    return shown


def save_dialog(monkeypatch, path):
    asked = []

    def fake(parent, caption, suggested, file_filter, *args, **kwargs):
        asked.append((caption, suggested, file_filter))
        return (str(path) if path else "", file_filter)

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake)
    return asked


def finished_window(make_window, qtbot, files):
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files(files)
    return window


def test_export_markdown_of_the_selected_file(make_window, qtbot, monkeypatch, tmp_path, message_boxes):
    window = finished_window(make_window, qtbot, [SPEECH])
    out = tmp_path / "notes"
    asked = save_dialog(monkeypatch, out)  # no suffix typed: .md is added
    window.export_md_action.trigger()
    assert asked[0][0] == "Export Markdown" and asked[0][1].endswith("speech.md")
    text = (tmp_path / "notes.md").read_text("utf-8")
    assert text.startswith("# speech.wav\n")
    for prompt in default_named_prompts():
        assert f"## {prompt.name}\n\n_{prompt.text}_\n" in text  # the name heads the section, the prompt follows
    assert "Answer to prompt 2." in text and "[00:00] Hello team. We ship on Friday." in text  # one paragraph: no pause between
    assert message_boxes == []
    assert window.statusBar().currentMessage() == f"Exported {tmp_path / 'notes.md'}."
    assert Settings().get_str(Settings.Key.LAST_EXPORT_DIR) == str(tmp_path)


def test_export_json_of_all_finished_files_into_a_folder(make_window, qtbot, monkeypatch, tmp_path, speech_copies):
    a, b, b_mp3 = speech_copies("a.wav", "b.wav", "b.mp3")
    window = finished_window(make_window, qtbot, [a, b, b_mp3])
    window.file_view.clearSelection()
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(out))
    written = window.export("json")
    assert sorted(p.name for p in written) == ["a.json", "b.mp3.json", "b.wav.json"]
    data = json.loads((out / "a.json").read_text("utf-8"))
    assert data["status"] == "done" and len(data["result"]["audio_to_llm"]["results"]) == 3
    assert data["result"]["transcription"]["full_transcript"] == "Hello team. We ship on Friday."
    assert window.statusBar().currentMessage() == f"Exported 3 files to {out}."


def test_export_shortcut_uses_the_selection(make_window, qtbot, monkeypatch, tmp_path, speech_copies):
    a, b = speech_copies("a.wav", "b.wav")
    window = finished_window(make_window, qtbot, [a, b])
    window.file_view.select_entry(window.entries()[1])
    save_dialog(monkeypatch, tmp_path / "only-b.json")
    window.export_json_action.trigger()
    assert json.loads((tmp_path / "only-b.json").read_text("utf-8"))["file"]["filename"] == "b.wav"


def test_export_write_error_shows_a_message_and_the_window_lives_on(make_window, qtbot, monkeypatch, tmp_path,
                                                                    message_boxes):
    window = finished_window(make_window, qtbot, [SPEECH])
    save_dialog(monkeypatch, tmp_path / "missing-folder" / "speech.md")
    assert window.export("md") == []
    [(title, text)] = message_boxes
    assert title == "Export failed"
    assert text.startswith(f"Could not export speech.wav: cannot write {tmp_path / 'missing-folder' / 'speech.md'}")
    assert window.isVisible() and window.export_md_action.isEnabled()


def test_injected_errors_are_reported_not_raised(make_window, qtbot, monkeypatch, tmp_path, message_boxes):
    window = finished_window(make_window, qtbot, [SPEECH])
    save_dialog(monkeypatch, tmp_path / "speech.md")

    def disk_full(path, text, **kwargs):
        raise ExportError(f"cannot write {path}: No space left on device")

    monkeypatch.setattr(exporting, "write_export", disk_full)
    window.export_md_action.trigger()
    monkeypatch.setattr(exporting, "write_export", lambda path, text, **kw: (_ for _ in ()).throw(OSError("I/O error")))
    window.export_md_action.trigger()
    assert message_boxes == [
        ("Export failed", f"Could not export speech.wav: cannot write {tmp_path / 'speech.md'}: No space left on device."),
        ("Export failed", "Could not export speech.wav: I/O error."),
    ]
    assert not (tmp_path / "speech.md").exists()


def test_cancelled_dialog_writes_nothing(make_window, qtbot, monkeypatch, tmp_path, message_boxes):
    window = finished_window(make_window, qtbot, [SPEECH])
    save_dialog(monkeypatch, None)
    assert window.export("md") == [] and message_boxes == []


def test_nothing_to_export_before_a_file_finished(make_window):
    window = make_window()
    assert not window.export_md_action.isEnabled() and not window.export_json_action.isEnabled()
    assert window.export("md") == []
    assert window.statusBar().currentMessage() == "Nothing to export yet: analyse a file first."


def test_export_subtitles_srt_and_webvtt_from_the_file_menu(make_window, qtbot, monkeypatch, tmp_path, message_boxes):
    import pysubs2

    window = finished_window(make_window, qtbot, [SPEECH])
    file_menu = [a for a in window.menuBar().actions() if a.text() == "&File"][0].menu()
    texts = [a.text() for a in file_menu.actions()]
    assert "Export Subtitles (&SRT)…" in texts and "Export Subtitles (&WebVTT)…" in texts
    assert window.export_srt_action.isEnabled() and window.export_vtt_action.isEnabled()
    asked = save_dialog(monkeypatch, tmp_path / "captions")  # no suffix typed: .srt is added
    window.export_srt_action.trigger()
    assert asked[-1][0] == "Export Subtitles (SRT)" and asked[-1][1].endswith("speech.srt")
    assert asked[-1][2] == "SubRip subtitles (*.srt)"
    srt = pysubs2.load(str(tmp_path / "captions.srt"))
    assert [e.text for e in srt.events] == ["Hello team.", "We ship on Friday."]
    asked = save_dialog(monkeypatch, tmp_path / "captions.vtt")
    window.export_vtt_action.trigger()
    assert asked[-1][0] == "Export Subtitles (WebVTT)" and asked[-1][2] == "WebVTT subtitles (*.vtt)"
    vtt = (tmp_path / "captions.vtt").read_text("utf-8")
    assert vtt.startswith("WEBVTT\n") and [e.text for e in pysubs2.SSAFile.from_string(vtt).events] == [
        "Hello team.", "We ship on Friday."]
    assert message_boxes == [] and window.statusBar().currentMessage() == f"Exported {tmp_path / 'captions.vtt'}."


def test_an_export_is_written_in_the_background_and_a_second_one_waits_its_turn(make_window, qtbot, monkeypatch,
                                                                                tmp_path, message_boxes):
    import threading
    import time

    from PySide6.QtCore import QTimer

    window = finished_window(make_window, qtbot, [SPEECH])
    release, real_write, writers = threading.Event(), exporting.write_export, []

    def slow_write(path, text, **kwargs):  # a slow disk: the write waits until the test lets it go
        writers.append(threading.current_thread().name)
        assert release.wait(5)
        real_write(path, text, **kwargs)

    monkeypatch.setattr(exporting, "write_export", slow_write)
    save_dialog(monkeypatch, tmp_path / "captions.srt")
    seen = {}

    def meanwhile():  # runs on the GUI thread while the export is being written
        seen["second"] = window.export("vtt")
        seen["message"] = window.statusBar().currentMessage()
        seen["at"] = time.monotonic()
        release.set()

    QTimer.singleShot(50, meanwhile)
    started = time.monotonic()
    assert window.export("srt") == [tmp_path / "captions.srt"]
    assert writers == ["hearsay-export"] and seen["at"] - started < 2.0  # the window's events ran meanwhile
    assert seen["second"] == [] and seen["message"] == "An export is still being written; try again when it ends."
    assert (tmp_path / "captions.srt").read_text("utf-8").startswith("1\n00:00:00,000 --> ")
    assert message_boxes == []
