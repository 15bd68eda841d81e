"""Exports never replace an existing file silently: the core refuses, the CLI needs --force, the window asks."""

import errno
import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app import cli
from app.cli import analyze as cli_analyze
from app.core.errors import ExportError
from app.core.export import files as export_files
from app.ui.files import exporting
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


# ---- core ---------------------------------------------------------------------------------------

def test_an_existing_file_is_refused_and_left_alone(tmp_path):
    target = tmp_path / "out.md"
    target.write_text("mine", "utf-8")
    with pytest.raises(export_files.ExportExistsError) as caught:
        export_files.write_export(target, "new")
    assert isinstance(caught.value, ExportError)
    assert caught.value.message == f"{target} already exists" and caught.value.path == target
    assert target.read_text("utf-8") == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["out.md"]  # no temp file left


def test_overwrite_replaces_and_a_new_name_is_written(tmp_path):
    target = tmp_path / "out.md"
    target.write_text("old", "utf-8")
    export_files.write_export(target, "new", overwrite=True)
    export_files.write_export(tmp_path / "fresh.md", "fresh")
    assert target.read_text("utf-8") == "new" and (tmp_path / "fresh.md").read_text("utf-8") == "fresh"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.md", "out.md"]


def test_a_dangling_symlink_counts_as_existing(tmp_path):
    link = tmp_path / "out.md"
    link.symlink_to(tmp_path / "nowhere.md")
    with pytest.raises(export_files.ExportExistsError):
        export_files.write_export(link, "new")
    assert not (tmp_path / "nowhere.md").exists()


def test_a_file_that_appears_during_the_write_is_not_replaced(tmp_path, monkeypatch):
    target = tmp_path / "out.md"
    real_link = os.link

    def racing_link(source, destination):
        Path(destination).write_text("theirs", "utf-8")  # another program wins the name meanwhile
        return real_link(source, destination)

    monkeypatch.setattr(export_files.os, "link", racing_link)
    with pytest.raises(export_files.ExportExistsError):
        export_files.write_export(target, "mine")
    assert target.read_text("utf-8") == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["out.md"]


def test_without_hard_links_the_check_still_refuses(tmp_path, monkeypatch):
    def no_links(source, destination):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(export_files.os, "link", no_links)
    export_files.write_export(tmp_path / "a.md", "a")
    assert (tmp_path / "a.md").read_text("utf-8") == "a"
    with pytest.raises(export_files.ExportExistsError):
        export_files.write_export(tmp_path / "a.md", "b")
    assert (tmp_path / "a.md").read_text("utf-8") == "a"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_existing_targets_skips_stdout(tmp_path):
    (tmp_path / "b.md").write_text("x", "utf-8")
    assert export_files.existing_targets([None, tmp_path / "a.md", tmp_path / "b.md"]) == [tmp_path / "b.md"]


# ---- CLI ----------------------------------------------------------------------------------------

@pytest.fixture
def engines(monkeypatch):
    made = []

    def create(settings):
        made.append((ScriptedTranscriber(), ScriptedPromptRunner()))
        return made[-1]

    monkeypatch.setattr(cli_analyze, "create_engines", create)
    return made


def test_cli_refuses_an_existing_output_before_any_model_loads(engines, tmp_path, capsys):
    out = tmp_path / "out.md"
    out.write_text("keep me", "utf-8")
    assert cli.main(["analyze", str(SPEECH), "-q", "-o", str(out)]) == 1
    assert capsys.readouterr().err == f"hearsay: {out}: already exists; use --force to replace it\n"
    assert out.read_text("utf-8") == "keep me"
    assert engines == []  # refused up front, not after the analysis


def test_cli_force_replaces(engines, tmp_path, capsys):
    out = tmp_path / "out.md"
    out.write_text("old", "utf-8")
    assert cli.main(["analyze", str(SPEECH), "-q", "-o", str(out), "--force"]) == 0
    assert out.read_text("utf-8").startswith("# speech.wav\n")
    assert capsys.readouterr().err == ""


def test_cli_folder_output_writes_the_others_and_analyses_only_them(engines, tmp_path, speech_copies, capsys):
    a, b = speech_copies("a.wav", "b.wav")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "a.md").write_text("earlier a", "utf-8")
    assert cli.main(["analyze", str(a), str(b), "-q", "-o", str(folder)]) == 1
    assert capsys.readouterr().err == f"hearsay: {folder / 'a.md'}: already exists; use --force to replace it\n"
    assert (folder / "a.md").read_text("utf-8") == "earlier a"
    assert (folder / "b.md").read_text("utf-8").startswith("# b.wav\n")
    [(transcriber, _)] = engines
    assert [p.name for p in transcriber.calls] == ["b.wav"]


def test_cli_output_created_during_the_analysis_is_not_replaced(engines, monkeypatch, tmp_path, capsys):
    out = tmp_path / "out.md"
    real_render = export_files.render

    def render_then_someone_writes(analysis, fmt):
        out.write_text("theirs", "utf-8")
        return real_render(analysis, fmt)

    monkeypatch.setattr(cli_analyze.export_files, "render", render_then_someone_writes)
    assert cli.main(["analyze", str(SPEECH), "-q", "-o", str(out)]) == 1
    assert capsys.readouterr().err == f"hearsay: {out}: already exists; use --force to replace it\n"
    assert out.read_text("utf-8") == "theirs"


# ---- window -------------------------------------------------------------------------------------

@pytest.fixture
def answer(monkeypatch):
    """``answer(text)``: the next replace question is answered by clicking the button labelled ``text``
    on the real QMessageBox (built by ``ask_overwrite``) instead of showing it; returns what it was asked."""
    asked = []

    def install(text):
        def fake_exec(box):
            asked.append((box.text(), [b.text() for b in box.buttons()]))
            [button] = [b for b in box.buttons() if b.text().replace("&", "") == text]
            button.click()
            return 0

        monkeypatch.setattr(QMessageBox, "exec", fake_exec)
        return asked

    return install


def finished_window(make_window, qtbot, files):
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files(files)
    window.file_view.clearSelection()
    return window


def folder_with_existing(monkeypatch, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.md").write_text("earlier a", "utf-8")
    (out / "c.md").write_text("earlier c", "utf-8")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(out))
    return out


@pytest.mark.parametrize("choice, expected", [
    ("Replace", {"a.md": "new", "b.md": "new", "c.md": "new"}),
    ("Skip existing", {"a.md": "earlier a", "b.md": "new", "c.md": "earlier c"}),
    ("Cancel", {"a.md": "earlier a", "c.md": "earlier c"}),
])
def test_folder_export_asks_once_listing_the_existing_files(make_window, qtbot, monkeypatch, tmp_path,
                                                             speech_copies, answer, choice, expected):
    window = finished_window(make_window, qtbot, speech_copies("a.wav", "b.wav", "c.wav"))
    out = folder_with_existing(monkeypatch, tmp_path)
    asked = answer(choice)
    written = window.export("md")
    [(text, buttons)] = asked
    assert text == f"2 of these files already exist in {out}:\n\na.md\nc.md"
    assert sorted(b.replace("&", "") for b in buttons) == ["Cancel", "Replace", "Skip existing"]
    contents = {p.name: p.read_text("utf-8") for p in out.iterdir()}
    assert {name: ("new" if text.startswith("# ") else text) for name, text in contents.items()} == expected
    assert sorted(p.name for p in written) == sorted(n for n, v in expected.items() if v == "new")


def test_folder_export_where_all_exist_offers_replace_or_cancel(make_window, qtbot, monkeypatch, tmp_path,
                                                                 speech_copies, answer):
    window = finished_window(make_window, qtbot, speech_copies("a.wav", "c.wav"))
    out = folder_with_existing(monkeypatch, tmp_path)
    asked = answer("Cancel")
    assert window.export("md") == []
    assert sorted(b.replace("&", "") for b in asked[0][1]) == ["Cancel", "Replace"]
    assert (out / "a.md").read_text("utf-8") == "earlier a"


def test_folder_export_without_existing_files_does_not_ask(make_window, qtbot, monkeypatch, tmp_path,
                                                           speech_copies, answer):
    window = finished_window(make_window, qtbot, speech_copies("a.wav", "b.wav"))
    out = tmp_path / "empty"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(out))
    asked = answer("Cancel")
    assert len(window.export("json")) == 2 and asked == []


def test_single_file_save_dialog_does_the_asking(make_window, qtbot, monkeypatch, tmp_path, answer):
    window = finished_window(make_window, qtbot, [SPEECH])
    target = tmp_path / "notes.md"
    target.write_text("old", "utf-8")
    options_passed = []

    def save_dialog(parent, caption, suggested, file_filter, *args, **kwargs):
        options_passed.append(kwargs.get("options", args[1] if len(args) > 1 else QFileDialog.Option(0)))
        return str(target), file_filter  # the user confirmed replacing it in the dialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    asked = answer("Cancel")
    assert window.export("md") == [target]
    assert target.read_text("utf-8").startswith("# speech.wav\n") and asked == []
    # The dialog's own overwrite confirmation is on: Hearsay never passes DontConfirmOverwrite.
    assert not options_passed[0] & QFileDialog.Option.DontConfirmOverwrite


def test_single_file_name_completed_with_a_suffix_asks_before_replacing(make_window, qtbot, monkeypatch, tmp_path,
                                                                         answer):
    window = finished_window(make_window, qtbot, [SPEECH])
    (tmp_path / "notes.md").write_text("old", "utf-8")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "notes"), "Markdown (*.md)"))
    asked = answer("Cancel")
    assert window.export("md") == []
    assert (tmp_path / "notes.md").read_text("utf-8") == "old"
    assert asked[0][0] == f"notes.md already exists in {tmp_path}."
    asked = answer("Replace")
    assert window.export("md") == [tmp_path / "notes.md"]
    assert (tmp_path / "notes.md").read_text("utf-8").startswith("# speech.wav\n")


def test_ask_overwrite_lists_at_most_ten_names(qtbot, tmp_path, answer):
    existing = [tmp_path / f"f{i:02d}.md" for i in range(13)]
    asked = answer("Skip existing")
    assert exporting.ask_overwrite(None, existing, can_skip=True) is exporting.Overwrite.SKIP
    assert asked[0][0].endswith("f09.md\n… and 3 more")


@pytest.mark.parametrize("replace", [False, True])
def test_the_real_save_dialog_asks_before_replacing(qtbot, tmp_path, replace):
    """Drive Qt's own save dialog as Hearsay opens it: accepting an existing name brings Qt's
    "already exists. Do you want to replace it?" question; No keeps the file (the dialog is then cancelled)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.core.analysis import Analysis
    from app.ui.settings.store import Settings

    (tmp_path / "speech.md").write_text("old", "utf-8")
    settings = Settings()
    settings.set_value(Settings.Key.LAST_EXPORT_DIR, str(tmp_path))
    asked, finished = [], []

    def drive():
        if finished:
            return
        dialog = QApplication.activeModalWidget()
        QTimer.singleShot(20, drive)  # first: accept() below runs the question's own event loop
        if isinstance(dialog, QMessageBox):
            asked.append(dialog.text())
            dialog.button(QMessageBox.StandardButton.Yes if replace else QMessageBox.StandardButton.No).click()
        elif isinstance(dialog, QFileDialog):
            if asked:  # told not to replace: the user gives up
                dialog.reject()
            else:
                dialog.accept()  # the suggested name, which exists

    QTimer.singleShot(20, drive)
    chosen = exporting.choose_targets(None, [Analysis(source=SPEECH, prompts=[])], "md", settings)
    finished.append(True)
    assert asked == ["speech.md already exists.\nDo you want to replace it?"]
    assert chosen == (([tmp_path / "speech.md"], True) if replace else None)
