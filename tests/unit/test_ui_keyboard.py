"""The whole job without a mouse: keys from adding a file to exporting, the prompt dialog, a visible focus."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QPlainTextEdit, QTextBrowser

from app.ui import theme
from app.ui.window import main_window, prompt_dialog
from app.ui.window.help_pages import shortcut_rows
from tests.conftest import DATA_DIR

SPEECH = DATA_DIR / "speech.wav"
CTRL = Qt.KeyboardModifier.ControlModifier


def press(qtbot, widget, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(widget, key, modifier)
    if modifier != Qt.KeyboardModifier.NoModifier:
        qtbot.keyRelease(widget, Qt.Key.Key_Control)  # leave no modifier "held" for later keys


def focused():
    return QApplication.focusWidget()


def active_window(window, qtbot):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    return window


def test_keyboard_only_from_adding_a_file_to_exporting(make_window, qtbot, monkeypatch, tmp_path):
    monkeypatch.setattr(main_window, "choose_files", lambda parent, settings: [str(SPEECH)])  # the Open dialog
    out = tmp_path / "speech.md"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "Markdown (*.md)"))
    window = active_window(make_window(auto_start=False), qtbot)

    press(qtbot, focused(), Qt.Key.Key_O, CTRL)  # Ctrl+O: open
    assert [e.path for e in window.entries()] == [SPEECH]
    with qtbot.waitSignal(window.idle, timeout=5000):
        press(qtbot, focused(), Qt.Key.Key_Return, CTRL)  # Ctrl+Enter: analyze
    tabs = window.results.tabs
    assert tabs.currentIndex() == 3  # the view followed the prompts as they ran: the last one is shown
    press(qtbot, focused(), Qt.Key.Key_PageUp, CTRL)  # Ctrl+PgUp: the tab before
    assert tabs.currentIndex() == 2

    press(qtbot, focused(), Qt.Key.Key_L, CTRL)  # Ctrl+L: to the Ask line
    assert focused() is window.results.ask_bar.line
    qtbot.keyClicks(focused(), "Who ships on Friday?")
    with qtbot.waitSignal(window.idle, timeout=5000):
        press(qtbot, focused(), Qt.Key.Key_Return)
    assert window.entries()[0].prompts[-1] == "Who ships on Friday?"

    press(qtbot, focused(), Qt.Key.Key_E, CTRL)  # Ctrl+E: export Markdown
    assert out.read_text("utf-8").startswith("# speech.wav")


def test_ctrl_l_says_why_when_there_is_nothing_to_ask_about(make_window, qtbot):
    window = active_window(make_window(auto_start=False), qtbot)
    press(qtbot, focused(), Qt.Key.Key_L, CTRL)
    assert focused() is not window.results.ask_bar.line
    assert window.statusBar().currentMessage().startswith("Add a file")


def test_the_prompt_dialog_wraps_tab_moves_on_enter_is_a_new_line_and_ctrl_enter_saves(qtbot):
    for accept_key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):  # the main Enter key and the keypad's
        dialog = prompt_dialog.PromptDialog(None, "Add prompt")
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
        editor = dialog.findChild(QPlainTextEdit)
        assert editor.lineWrapMode() is QPlainTextEdit.LineWrapMode.WidgetWidth and editor.tabChangesFocus()
        editor.setFocus()
        qtbot.keyClicks(editor, "First line")
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.keyClicks(editor, "second line")
        assert editor.toPlainText() == "First line\nsecond line" and dialog.isVisible()
        qtbot.keyClick(editor, Qt.Key.Key_Tab)
        assert QApplication.focusWidget() not in (editor, None) and "\t" not in editor.toPlainText()
        editor.setFocus()
        with qtbot.waitSignal(dialog.accepted, timeout=1000):
            qtbot.keyClick(editor, accept_key, CTRL)
        assert dialog.result() == QDialog.DialogCode.Accepted and dialog.text() == "First line\nsecond line"


def test_every_tab_press_moves_a_visible_focus_ring(make_window, qtbot):
    window = active_window(make_window(auto_start=False), qtbot)
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH], start=True)
    theme.apply(QApplication.instance())  # the stylesheet draws the rings
    window.file_view.setFocus()
    frames: list[QImage] = [window.grab().toImage()]
    owners = [focused()]
    for _ in range(6):
        press(qtbot, focused(), Qt.Key.Key_Tab)
        qtbot.wait(30)
        owners.append(focused())
        frames.append(window.grab().toImage())
    assert len({id(owner) for owner in owners}) >= 4  # the focus travels through the window
    changed = [frames[i] != frames[i + 1] for i in range(6)]
    assert all(changed), changed  # and every step shows on screen


def test_help_lists_every_shortcut_the_window_has(make_window, qtbot):
    window = make_window(auto_start=False)
    rows = dict((what, keys) for keys, what in shortcut_rows(window))
    for what, keys in (("Open", "Ctrl+O"), ("Analyze", "Ctrl+Return"), ("Ask about this recording", "Ctrl+L"),
                       ("Export Markdown", "Ctrl+E"), ("History", "Ctrl+H"), ("Keyboard shortcuts", "F1"),
                       ("Add prompt", "Ctrl+Shift+N"), ("Edit prompt", "F2")):
        assert keys in rows.get(what, ""), (what, rows)
    [shortcuts] = [a for a in window.menuBar().actions() if a.text() == "&Help"][0].menu().actions()[:1]
    shortcuts.trigger()
    page = [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()][-1]
    assert "Ctrl+L" in page.findChild(QTextBrowser).toPlainText()
    page.close()


def test_del_removes_a_prompt_says_so_and_ctrl_z_brings_it_back(make_window, qtbot):
    window = active_window(make_window(auto_start=False), qtbot)
    editor = window.prompt_editor
    before = editor.prompts()
    editor.list.setFocus()
    editor.list.setCurrentRow(1)
    press(qtbot, editor.list, Qt.Key.Key_Delete)
    assert editor.prompts() == before[:1] + before[2:]
    assert window.statusBar().currentMessage() == (
        "Removed the prompt “Paragraph”. Ctrl+Z in the prompt list brings it back.")
    assert window.settings.prompts() == editor.prompts()
    assert editor.undo_action.text() == "&Undo prompt change Remove “Paragraph”"
    press(qtbot, editor.list, Qt.Key.Key_Z, CTRL)
    assert editor.prompts() == before and window.settings.prompts() == before  # back, and remembered
    qtbot.keyClick(editor.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyRelease(editor.list, Qt.Key.Key_Control)
    assert editor.prompts() == before[:1] + before[2:]  # and redo removes it again


def test_copy_says_what_it_copied(make_window, qtbot):
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    window.results.tabs.setCurrentIndex(0)
    window.results.copy_button.click()
    assert QApplication.clipboard().text() == "[00:00] Hello team.\n[00:02] We ship on Friday."
    assert window.statusBar().currentMessage() == "Copied the transcript (46 characters) to the clipboard."
    assert window.results.copy_button.text() == "Copied"
    qtbot.waitUntil(lambda: window.results.copy_button.text() == "Copy", timeout=3000)
