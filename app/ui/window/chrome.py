"""The window's chrome: layout, actions, toolbar, menus and the About box (keeps main_window.py small).

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMenu,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui import theme
from app.ui.settings.store import Settings
from app.ui.widgets import ElidedLabel, make_action, section_title
from app.ui.window import help_pages


def build_layout(window: QMainWindow, drop_zone: QWidget, file_view: QWidget, prompt_editor: QWidget,
                 progress: QWidget, results: QWidget) -> tuple[QSplitter, QSplitter]:
    """Files and prompts on the left, progress and results on the right; returns (main, side) splitters."""
    files = QWidget()
    files_layout = QVBoxLayout(files)
    files_layout.setContentsMargins(0, 0, 0, 0)
    files_layout.setSpacing(8)
    files_layout.addWidget(section_title("FILES"))
    files_layout.addWidget(drop_zone)
    files_layout.addWidget(file_view, 1)
    prompts = QWidget()
    prompts_layout = QVBoxLayout(prompts)
    prompts_layout.setContentsMargins(0, 8, 0, 0)
    prompts_layout.setSpacing(8)
    prompts_layout.addWidget(section_title("PROMPTS"))
    prompts_layout.addWidget(prompt_editor, 1)
    side = QSplitter(Qt.Orientation.Vertical)
    side.addWidget(files)
    side.addWidget(prompts)
    side.setChildrenCollapsible(False)
    side.setSizes([380, 300])

    right = QWidget()
    right_layout = QVBoxLayout(right)
    right_layout.setContentsMargins(6, 0, 0, 0)
    right_layout.setSpacing(10)
    right_layout.addWidget(progress)
    right_layout.addWidget(results, 1)

    main = QSplitter(Qt.Orientation.Horizontal)
    main.addWidget(side)
    main.addWidget(right)
    main.setChildrenCollapsible(False)
    main.setStretchFactor(1, 1)
    main.setSizes([300, 900])
    central = QWidget()
    layout = QVBoxLayout(central)
    layout.setContentsMargins(12, 12, 12, 8)
    layout.addWidget(main)
    window.setCentralWidget(central)
    return main, side


def build_status_bar(window: QMainWindow) -> QLabel:
    """The status bar with a size grip; returns its permanent label for the models in use."""
    label = ElidedLabel(mode=Qt.TextElideMode.ElideRight, hint="The models the next file uses (Settings, Ctrl+,)")
    label.setMinimumWidth(label.fontMetrics().averageCharWidth() * 24)
    window.statusBar().addPermanentWidget(label)
    window.statusBar().setSizeGripEnabled(True)
    return label


@contextmanager
def wait_cursor(busy: bool = True) -> Iterator[None]:
    """Show the wait cursor over the application while the block runs (when ``busy``)."""
    if busy:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        if busy:
            QApplication.restoreOverrideCursor()


def build_actions(window) -> None:
    """The window's actions and their shortcuts, as attributes of ``window`` (``window.open_action``, ...)."""
    w, act = window, make_action
    w.open_action = act(w, "&Open…", w.open_files, ["Ctrl+O"], "open", "Open audio or video files")
    w.analyze_action = act(w, "&Analyze", w.analyze, ["Ctrl+Return", "Ctrl+Enter"], "analyze",
                           "Analyze the queued files, or the selected file again")
    w.cancel_action = act(w, "&Cancel", w.request_cancel, ["Esc"], "cancel", "Stop the current file and the queued ones")
    w.export_md_action = act(w, "Export &Markdown…", lambda: w.export("md"), ["Ctrl+E"], "export")
    w.export_json_action = act(w, "Export &JSON…", lambda: w.export("json"), ["Ctrl+Shift+E"], "export-json")
    w.export_srt_action = act(w, "Export Subtitles (&SRT)…", lambda: w.export("srt"), [], None,
                              "The transcript as SubRip subtitles, with speaker names where the speaker changes")
    w.export_vtt_action = act(w, "Export Subtitles (&WebVTT)…", lambda: w.export("vtt"), [], None,
                              "The transcript as WebVTT subtitles, with a voice tag for each speaker")
    w.export_docx_action = act(w, "Export Word &document (DOCX)…", lambda: w.export("docx"), [], None,
                               "The Markdown export's content as a Word document, in Word's own styles")
    w.export_pdf_action = act(w, "Export &PDF…", lambda: w.export("pdf"), [], None,
                              "The Markdown export's content as a PDF, ready to print or send")
    w.export_txt_action = act(w, "Export &Text (with timestamps)…", lambda: w.export("txt"), [], None,
                              "Plain text: the answers, and the transcript with speaker names and [mm:ss] times")
    w.export_txt_plain_action = act(w, "Export Text (p&lain)…", lambda: w.export("txt-plain"), [], None,
                                    "Plain text: the answers, and the transcript with speaker names, without times")
    w.settings_action = act(w, "&Settings…", w.open_settings, ["Ctrl+,"], "settings",
                            "Models, device, language and answer length")
    w.models_action = act(w, "&Models…", w.open_models, ["Ctrl+Shift+M"], None,
                          "Download, add and choose the speech and language models")
    w.remove_action = act(w, "&Remove from list", w.remove_selected, ["Delete"], "remove")
    w.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    w.removeAction(w.remove_action)  # Delete removes files only from the file list, not from the History or prompts
    w.file_view.addAction(w.remove_action)
    w.quit_action = act(w, "&Quit", w.request_quit, ["Ctrl+Q"])
    w.ask_focus_action = act(w, "Ask about this &recording", w.focus_ask, ["Ctrl+L"])
    w.next_tab_action = act(w, "Next tab", lambda: w.results.step_tab(1), ["Ctrl+PgDown"])
    w.prev_tab_action = act(w, "Previous tab", lambda: w.results.step_tab(-1), ["Ctrl+PgUp"])
    window.progress.cancel_button.setDefaultAction(window.cancel_action)


def update_actions(window, entries, selected, busy: bool) -> None:
    """Enable the window's actions for its files (``entries``), the ``selected`` ones and whether work runs."""
    window.cancel_action.setEnabled(busy)
    window.analyze_action.setEnabled(bool(entries))
    exportable = any(e.exportable for e in entries)
    window.export_md_action.setEnabled(exportable)
    window.export_json_action.setEnabled(exportable)
    window.export_srt_action.setEnabled(exportable)
    window.export_vtt_action.setEnabled(exportable)
    for action in export_document_actions(window):
        action.setEnabled(exportable)
    window.remove_action.setEnabled(any(not e.active for e in selected))
    window.history.update_actions(selected)


def export_document_actions(window) -> tuple[QAction, ...]:
    """The exports to documents (Word, PDF, the two kinds of text), in menu order."""
    return (window.export_docx_action, window.export_pdf_action, window.export_txt_action,
            window.export_txt_plain_action)


def restore_window_state(window, settings: Settings) -> None:
    """Geometry and splitter positions as the user left them (a default size the first time)."""
    geometry = settings.get_bytes(Settings.Key.WINDOW_GEOMETRY)
    if geometry is None or not window.restoreGeometry(geometry):
        window.resize(1240, 780)
    for key, splitter in ((Settings.Key.MAIN_SPLITTER, window.main_splitter),
                          (Settings.Key.SIDE_SPLITTER, window.side_splitter)):
        state = settings.get_bytes(key)
        if state is not None:
            splitter.restoreState(state)


def save_window_state(window, settings: Settings) -> None:
    """Remember geometry and splitter positions (on close)."""
    settings.set_value(Settings.Key.WINDOW_GEOMETRY, window.saveGeometry())
    settings.set_value(Settings.Key.MAIN_SPLITTER, window.main_splitter.saveState())
    settings.set_value(Settings.Key.SIDE_SPLITTER, window.side_splitter.saveState())


def build_toolbar(window) -> QToolBar:
    """Open, Analyze, Cancel | Export Markdown, Export JSON ... Settings."""
    toolbar = QToolBar("Main")
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    toolbar.addAction(window.open_action)
    toolbar.addWidget(_primary_button(window.analyze_action, "analyze-light"))
    toolbar.addAction(window.cancel_action)
    toolbar.addSeparator()
    toolbar.addAction(window.export_md_action)
    toolbar.addAction(window.export_json_action)
    spacer = QWidget()
    spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    toolbar.addWidget(spacer)
    toolbar.addAction(window.settings_action)
    return toolbar


def _primary_button(action: QAction, icon: str) -> QToolButton:
    # The accent button gets a white icon; the action keeps its coloured one for the menus.
    button = QToolButton()
    button.setObjectName("analyzeButton")
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setIcon(theme.icon(icon))
    button.setText(action.text().replace("&", ""))
    button.setToolTip(action.toolTip())
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.clicked.connect(action.trigger)
    action.changed.connect(lambda: button.setEnabled(action.isEnabled()))
    button.setEnabled(action.isEnabled())
    return button


def _fill(menu: QMenu, actions) -> None:
    for action in actions:
        if action is None:
            menu.addSeparator()
        else:
            menu.addAction(action)


def build_menus(window) -> None:
    """File, Analysis, Prompts, View and Help menus."""
    menus, reruns = window.menuBar(), window.history.reruns
    _fill(menus.addMenu("&File"), (window.open_action, None, window.export_md_action,
                                   *export_document_actions(window), window.export_json_action,
                                   window.export_srt_action, window.export_vtt_action,
                                   None, window.settings_action, window.models_action, None,
                                   window.quit_action))
    _fill(menus.addMenu("&Analysis"), (window.analyze_action, window.cancel_action, None,
                                       reruns.transcribe_again_action, reruns.resume_action,
                                       reruns.rerun_failed_action, None, window.remove_action,
                                       None, window.ask_focus_action, window.next_tab_action,
                                       window.prev_tab_action, None, window.speakers.undo_action,
                                       window.speakers.redo_action, window.edits.versions_action,
                                       window.edits.revert_action))
    editor = window.prompt_editor
    _fill(menus.addMenu("&Prompts"), (editor.add_action, editor.edit_action, editor.remove_action, None,
                                      editor.up_action, editor.down_action, None, editor.undo_action,
                                      editor.redo_action, None, editor.reset_action))
    player = window.results.player
    _fill(menus.addMenu("&View"), (window.history.toggle_action, None, player.play_menu_action, player.back_action,
                                   player.forward_action))
    help_menu = menus.addMenu("&Help")
    _fill(help_menu, (make_action(window, "&Keyboard shortcuts", lambda: help_pages.show_shortcuts(window), ["F1"]),
                      make_action(window, "&How Hearsay works", lambda: help_pages.show_how_it_works(window)), None,
                      make_action(window, "&About Hearsay",
                                  lambda: help_pages.show_about(window, window.settings.file_name()))))


def file_context_menu(window, at: QPoint) -> None:
    """The file list's right-click menu."""
    menu, reruns = QMenu(window), window.history.reruns
    _fill(menu, (window.analyze_action, reruns.transcribe_again_action, reruns.resume_action,
                 reruns.rerun_failed_action, None, window.export_md_action, *export_document_actions(window),
                 window.export_json_action, window.export_srt_action, window.export_vtt_action, None,
                 window.remove_action))
    menu.exec(at)
