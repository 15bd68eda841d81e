"""Hearsay's main window: wires the drop zone, file list, prompt list, progress and results to the worker.

The widgets live in their own modules and the chrome (layout, toolbar,
menus) in ``chrome.py``; this one holds what the actions do and the
reactions to the worker's signals.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import QCheckBox, QMainWindow, QMessageBox, QWidget

from app.core.analysis import Analysis, AnalysisStatus, PromptStatus
from app.core.pipeline.events import AnalysisFinished, ModelReady, PromptFinished, ResponseDelta
from app.ui import messages as status_messages
from app.ui import theme
from app.ui.files.drop_zone import DropZone, choose_files
from app.ui.files.entry import FileEntry
from app.ui.files.exporting import export_entries
from app.ui.files.list_view import FileListModel, FileListView
from app.ui.files.rerun import can_resume
from app.ui.history import actions as history_actions
from app.ui.history.edits import TranscriptEdits
from app.ui.history.speakers import SpeakerActions
from app.ui.models.first_run import FirstRunBar
from app.ui.models.listing import demo_in_use, list_models
from app.ui.models.tasks import ProfileProbe
from app.ui.models.window import ModelsWindow
from app.ui.results.view import ResultsView
from app.ui.settings.dialog import SettingsDialog
from app.ui.settings.store import Settings
from app.ui.window import chrome
from app.ui.window.eta import Rates, StageClock, about
from app.ui.window.progress_panel import ProgressPanel
from app.ui.window.prompt_editor import PromptEditor
from app.ui.workers import EngineFactory, SpeakerFactory, WorkerHost

CONFIRM_AFTER_SECONDS = 5.0
"""A run shorter than this stops without a question: little would be lost."""
PROFILE_DELAY_MS = 1500
"""The look at this computer for the recommendation starts this long after the window is built: it counts CUDA
devices through CTranslate2, an engine library the window must not wait for (or compete with) at start-up."""


def confirm_stop(parent: QWidget, title: str, verb: str, question: str, settings: Settings) -> bool:
    """Ask ``question`` with ``verb`` (Stop, Quit) and "Keep running" (the default, also Esc) and a
    "Don't ask again" box; True when the user chose ``verb``. Tests replace this function."""
    box = QMessageBox(QMessageBox.Icon.Question, title, question, parent=parent)
    stop = box.addButton(verb, QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("Keep running", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    never = QCheckBox("Don't ask again")
    box.setCheckBox(never)
    box.exec()
    chosen = box.clickedButton() is stop
    if chosen and never.isChecked():
        settings.set_confirm_stop(False)
    return chosen


class MainWindow(QMainWindow):
    """The Hearsay window.

    ``settings``: remembered settings (default: ``Settings()``, an INI file in
    the config folder). ``engine_factory``: builds (transcriber, runner) from
    ``EngineSettings`` in the worker thread (default ``create_window_engines``; tests
    pass scripted fakes); ``speaker_factory`` the speaker stage (default
    ``create_speaker_stage``; tests pass a scripted diarizer's, or none).

    Signals: ``file_finished(FileEntry)`` after a file's analysis (or a
    follow-up question about it) ended (done, failed or cancelled); ``idle()``
    when no job is left.

    Thread-safety: a GUI-thread object. All engine work runs in ``self.host``'s
    one worker thread; ``cancel()`` only sets a flag, and ``closeEvent`` waits
    for the thread to stop.
    """

    file_finished = Signal(object)
    idle = Signal()

    def __init__(self, settings: Settings | None = None, engine_factory: EngineFactory | None = None,
                 parent: QWidget | None = None, speaker_factory: SpeakerFactory | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or Settings()
        self.setWindowTitle("Hearsay")
        self.setWindowIcon(theme.app_icon())
        self.setAcceptDrops(True)
        self.host = WorkerHost(engine_factory, speaker_factory)
        self._busy_since: float | None = None
        self.clock = StageClock(Rates.from_dict(self.settings.measured_rates()))
        self._tick = QTimer(self)  # refreshes the time left once a second while something runs
        self._tick.setInterval(1000)
        self._tick.timeout.connect(lambda: self.is_busy() and self.progress.follow(self.entries(), self.time_left()))
        self._quit_confirmed = False
        self.models_window: ModelsWindow | None = None
        self.machine_profile = None  # this computer's MachineProfile, once ProfileProbe has read it
        self.recommendations: dict = {}  # role -> the Recommendation for this computer (app.core.hub.advice)
        self._use_after_download: str | None = None  # the model the first-run bar asked for: used once it is in
        self.host.worker.analysis_started.connect(self._on_analysis_started)
        self.host.worker.event.connect(self._on_event)
        self.host.worker.batch_finished.connect(self._on_batch_finished)

        self.files = FileListModel(self)
        self.file_view = FileListView(self.files)
        self.drop_zone = DropZone()
        self.prompt_editor = PromptEditor(self.settings.named_prompts())
        self.progress = ProgressPanel()
        self.results = ResultsView()
        self._build_layout()
        chrome.build_actions(self)
        self.history = history_actions.History(self)  # the History panel, its actions and the library's notices
        self.speakers = SpeakerActions(self, self.history.library)  # renaming speakers, recognised voices, undo
        self.edits = TranscriptEdits(self, self.history.library, self.speakers.undo_stack)  # one undo history
        self.addToolBar(chrome.build_toolbar(self))
        chrome.build_menus(self)
        self._connect()
        chrome.restore_window_state(self, self.settings)
        self.history.show_recent()  # a returning user sees their recent analyses first
        self._models_changed()
        self._update_actions()
        self._probe = ProfileProbe(self)  # the recommendation needs RAM, cores, GPU memory: read off the GUI thread
        self._probe.ready.connect(self._on_profile)
        self._probe_timer = QTimer(self)  # after start-up: until then the bar offers the Models window
        self._probe_timer.setSingleShot(True)
        self._probe_timer.setInterval(PROFILE_DELAY_MS)
        self._probe_timer.timeout.connect(self._probe.start)
        self._probe_timer.start()

    # ---- construction ------------------------------------------------------------

    def _build_layout(self) -> None:
        self.main_splitter, self.side_splitter = chrome.build_layout(
            self, self.drop_zone, self.file_view, self.prompt_editor, self.progress, self.results)
        self.models_label = chrome.build_status_bar(self)
        self.first_run_bar = FirstRunBar()
        self.centralWidget().layout().insertWidget(0, self.first_run_bar)

    def _connect(self) -> None:
        self.drop_zone.files_dropped.connect(self.add_files)
        self.drop_zone.files_rejected.connect(
            lambda paths: self.statusBar().showMessage(status_messages.rejected_files(paths), status_messages.LONG_MS))
        self.drop_zone.clicked.connect(self.open_files)
        self.prompt_editor.prompts_changed.connect(
            lambda _texts: self.settings.set_named_prompts(self.prompt_editor.named_prompts()))
        self.prompt_editor.notice.connect(lambda text: self.statusBar().showMessage(text, status_messages.LONG_MS))
        self.results.ask_bar.asked.connect(self.ask)
        self.results.more_tokens_requested.connect(
            lambda entry, index, limit: self.history.reruns.rerun(entry, [index], max_tokens=limit))
        self.results.copied.connect(lambda text: self.statusBar().showMessage(text, status_messages.SHORT_MS))
        self.results.source_located.connect(self.files.refresh)  # a moved recording found: its row's path
        self.file_view.selectionModel().currentChanged.connect(lambda *_: self._show_current())
        self.file_view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.file_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.file_view.customContextMenuRequested.connect(
            lambda point: chrome.file_context_menu(self, self.file_view.viewport().mapToGlobal(point)))
        self.first_run_bar.get_model.connect(self.get_recommended_model)
        self.first_run_bar.choose_model.connect(self.open_models)
        self.first_run_bar.dismissed.connect(self.dismiss_first_run_bar)
        self.edits.changed.connect(self._transcript_edited)
        self.results.transcript_edit.connect(self._edit_transcript)
        self.results.stale_rerun_requested.connect(lambda entry, indices: self.history.reruns.rerun(entry, indices))
        self.results.citation_clicked.connect(self.results.play_at)  # an answer's [mm:ss]: play the recording there

    def _edit_transcript(self, entry: FileEntry, kind: str, args: tuple) -> None:
        """The results view asked for a transcript edit (``ResultsView.transcript_edit``)."""
        edits = self.edits
        action = {"text": edits.edit_text, "split": edits.split, "merge": edits.merge,
                  "speaker": edits.set_speaker, "revert": edits.revert}.get(kind)
        if kind == "versions":
            edits.open_versions(entry)
        elif action is not None:
            action(entry, *args)

    def _transcript_edited(self, entry: FileEntry) -> None:
        self.files.refresh(entry)
        if self.results.entry is entry:
            self.results.redraw_transcript()

    # ---- files ------------------------------------------------------------------

    def entries(self) -> list[FileEntry]:
        """All files in the list, in order."""
        return self.files.entries()

    def add_files(self, paths: Iterable[str | Path], start: bool | None = None) -> list[FileEntry]:
        """Queue ``paths`` with the current prompts; start them at once when ``start`` (default: the
        auto-start setting). A file already queued or running is not added twice; a finished one is queued again."""
        prompts = self.prompt_editor.named_prompts()
        added: list[FileEntry] = []
        for path in paths:
            path = Path(path).expanduser().absolute()
            entry = self.files.find_path(path)
            if entry is not None and entry.active:
                continue
            if entry is None:
                entry = FileEntry.create(path, prompts)
                self.files.add(entry)
            else:
                entry.renew(prompts)
                self.files.refresh(entry)
            added.append(entry)
        if added:
            self.file_view.scrollTo(self.files.index(self.files.row_of(added[-1])))
        if added and self.file_view.current_entry() is None:
            self.file_view.select_entry(added[0])
        elif self.results.entry in added:
            self.results.refresh()
        if added and (self.settings.auto_start() if start is None else start):
            self.submit(added)
        self._update_actions()
        return added

    def open_files(self) -> None:
        """File → Open: choose recordings (or transcripts) to add."""
        paths = choose_files(self, self.settings)
        if paths:
            self.add_files(paths)

    def remove_selected(self) -> None:
        """Remove the selected files that are not queued or running."""
        for entry in self.file_view.selected_entries():
            if not entry.active:
                self.files.remove(self.files.row_of(entry))
        self._show_current()
        self._update_actions()

    # The whole window takes drops as the drop zone does (and lights it up meanwhile).
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.drop_zone.dragEnterEvent(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_zone.dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_zone.dropEvent(event)

    # ---- running ------------------------------------------------------------------

    def is_busy(self) -> bool:
        """True while files are queued in the worker or running."""
        return self.host.is_busy()

    def analyze(self) -> None:
        """Analyze (Ctrl+Enter): run the queued files; with none waiting, complete the selected files.

        A finished file runs only what has no answer yet: the list's prompts it has not run and its
        failed or cancelled prompts (every answer shown stays); a file that stopped early resumes; a
        file that failed before it had a transcript starts again. Re-running answered prompts and
        transcribing again are separate, explicit choices (the tabs' menu, Analysis → Transcribe again).
        """
        waiting = [e for e in self.entries() if e.status is AnalysisStatus.QUEUED and not e.submitted]
        if waiting:
            self.submit(waiting)
            return
        again = [e for e in self.file_view.selected_entries() if not e.active]
        if not again:
            hint = "Select a file to analyse it again." if self.entries() else "Add a file first: drop it here or press Ctrl+O."
            self.statusBar().showMessage(hint, 5000)
            return
        prompts, reruns = self.prompt_editor.named_prompts(), self.history.reruns
        complete = []
        for entry in again:
            if entry.status is AnalysisStatus.DONE and entry.segments:
                if reruns.complete(entry, prompts):
                    continue
                complete.append(entry)
            elif can_resume(entry) and entry.segments:
                self.history.resume(entry)
            else:  # nothing worth keeping (it failed before it had a transcript, or never ran)
                entry.renew(prompts)
                self.files.refresh(entry)
                if self.results.entry is entry:
                    self.results.refresh()
                self.submit([entry])
        if complete:
            self.statusBar().showMessage(status_messages.all_answered(complete), status_messages.LONG_MS)

    def submit(self, entries: list[FileEntry], settings=None, reuse_transcripts: bool = True) -> None:
        """Hand ``entries`` to the worker with ``settings`` (default: the current ones); see ``Batch``."""
        if not self.is_busy():
            self._start_run()
        for entry in entries:
            entry.submitted = True
        self.host.submit([e.analysis for e in entries], settings or self.settings.engine_settings(), reuse_transcripts)
        self._update_actions()

    def ask(self, question: str, entry: FileEntry | None = None) -> bool:
        """Ask ``question`` about ``entry`` (default: the file shown) as a follow-up on the loaded models.

        Its answer streams into a new tab of that file. Returns False (and
        says why in the status bar) when the file has no transcript or is busy.
        """
        entry = entry or self.results.entry
        if entry is None or not question.strip():
            return False
        if entry.active or not entry.can_ask:
            self.statusBar().showMessage(status_messages.cannot_ask(entry), status_messages.SHORT_MS)
            return False
        entry.begin_follow_up()
        if not self.is_busy():
            self._start_run()
        self._refresh(entry)
        self.host.ask(entry.analysis, question.strip(), self.settings.engine_settings())
        self._update_actions()
        return True

    def focus_ask(self) -> bool:
        """Put the keyboard focus in the Ask line (Ctrl+L); when asking is not possible now, say why. True when focused."""
        line = self.results.ask_bar.line
        if self.results.entry is None or not line.isEnabled():
            reason = line.toolTip() or "Add a file and analyse it first; then ask about it here."
            self.statusBar().showMessage(reason, status_messages.SHORT_MS)
            return False
        line.setFocus(Qt.FocusReason.ShortcutFocusReason)
        line.selectAll()
        return True

    def request_cancel(self) -> bool:
        """Cancel (Esc, the Cancel button), asking first when a run has gone on for more than
        ``CONFIRM_AFTER_SECONDS``; True when the run was cancelled."""
        if not self.is_busy():
            return False
        if not self._confirm_stop("Stop the analysis?", "Stop", "Stop analysing"):
            return False
        self.cancel()
        return True

    def request_quit(self) -> bool:
        """Quit (Ctrl+Q), asking first while a run of more than ``CONFIRM_AFTER_SECONDS`` goes on; True when closing."""
        if self.is_busy() and not self._confirm_stop("Quit Hearsay?", "Quit", "Quit while analysing"):
            return False
        self._quit_confirmed = True
        return self.close()

    def _start_run(self) -> None:
        self._busy_since = time.monotonic()
        self.clock.max_tokens = self.settings.engine_settings().max_tokens
        self.progress.start_batch()
        self._tick.start()

    def time_left(self) -> dict[str, str]:
        """For each running file (by analysis id), the time left in its stage as text ("about 40 s left")."""
        return {e.id: about(self.clock.seconds_left(e.id, e.stage)) for e in self.entries()
                if e.status is AnalysisStatus.RUNNING}

    def run_seconds(self) -> float:
        """Seconds since the work now running began (0 when idle)."""
        return time.monotonic() - self._busy_since if self.is_busy() and self._busy_since is not None else 0.0

    def _confirm_stop(self, title: str, verb: str, doing: str) -> bool:
        """Ask before stopping a run that has gone on for a while (unless the user said not to ask again)."""
        if self.run_seconds() < CONFIRM_AFTER_SECONDS or not self.settings.confirm_stop():
            return True
        return confirm_stop(self, title, verb, status_messages.stop_question(doing, self.entries()),
                            self.settings)

    def cancel(self) -> None:
        """Stop the current file within about a second; queued files are marked cancelled. Finished files stay."""
        if self.is_busy():
            self.host.cancel()
            self.statusBar().showMessage("Cancelling…")

    @Slot(object)
    def _on_analysis_started(self, analysis: Analysis) -> None:
        entry = self.files.find(analysis.id)
        if entry is None:
            return
        entry.mark_started()
        if entry is self.results.entry:
            self.results.follow_running()
        self._refresh(entry)
        self.progress.follow(self.entries(), self.time_left())
        self.file_view.scrollTo(self.files.index(self.files.row_of(entry)))

    @Slot(str, object)
    def _on_event(self, analysis_id: str, event) -> None:
        entry = self.files.find(analysis_id)
        if entry is None:
            return
        entry.apply(event)
        self.clock.observe(analysis_id, event, len(entry.prompts))
        self.results.on_event(entry, event)
        if isinstance(event, ResponseDelta):
            return  # the results view buffers these; nothing else changes per token
        self.files.refresh(entry)
        if isinstance(event, AnalysisFinished):
            self.clock.forget(analysis_id)
            self.statusBar().showMessage(*status_messages.file_finished(entry))
            self.file_finished.emit(entry)
            self._update_actions()
            return
        self.progress.follow(self.entries(), self.time_left())
        if isinstance(event, ModelReady) and event.load_time > 0:
            self.statusBar().showMessage(status_messages.model_loaded(event), status_messages.SHORT_MS)
        elif isinstance(event, PromptFinished) and event.result.status is PromptStatus.FAILED:
            self.statusBar().showMessage(status_messages.prompt_failed(entry, event.result))

    @Slot(object)
    def _on_batch_finished(self, batch) -> None:
        entries = [e for e in (self.files.find(a.id) for a in batch.analyses) if e is not None]
        summary = status_messages.batch_finished(entries, follow_up=batch.follow_up is not None)
        if summary:
            self.statusBar().showMessage(summary)
        if not self.is_busy():
            self._tick.stop()
            took = time.monotonic() - (self._busy_since or time.monotonic())
            self.progress.finish(status_messages.run_summary(entries, took) if entries else None)
            self.settings.set_measured_rates(self.clock.rates.to_dict())
            self._update_actions()
            self.idle.emit()

    # ---- results, export, settings ---------------------------------------------------

    def _refresh(self, entry: FileEntry) -> None:
        self.files.refresh(entry)
        if entry is self.results.entry:
            self.results.refresh()

    def _show_current(self) -> None:
        self.results.show_entry(self.file_view.current_entry())
        self._update_actions()

    def export(self, fmt: str) -> list[Path]:
        """Export the selected finished files (or, with none selected, all finished files) as ``fmt``: "md",
        "json", "srt" or "vtt" (subtitles), "docx", "pdf", "txt" or "txt-plain" (``exporting.FORMATS``)."""
        written, message = export_entries(self, self.file_view.selected_entries(), self.entries(), fmt,
                                          self.settings)
        if message:
            self.statusBar().showMessage(message, status_messages.LONG_MS)
        return written

    def open_settings(self) -> None:
        """Open the Settings dialog; the choice applies to the next file analysed."""
        accepted = SettingsDialog(self.settings, self, profile=self.machine_profile).exec()
        self._models_changed()  # also after Cancel: Use in its Models window acts at once
        if accepted:
            self.statusBar().showMessage("Settings saved; they apply to the next file analysed.", 5000)

    def _models_changed(self) -> None:
        """The models in use may have changed: the status bar's label and the first-run bar follow."""
        self.models_label.setText(status_messages.models_summary(self.settings.engine_settings()))
        self._update_first_run_bar()

    # ---- models: the Models window and the first-run bar ---------------------------------------------------

    def open_models(self, download: str | None = None) -> ModelsWindow:
        """Open the Models window (File → Models…, Ctrl+Shift+M), or bring it forward; with ``download``, start
        downloading that model there. Returns the window."""
        window = self.models_window
        if window is None:
            window = self.models_window = ModelsWindow(self.settings, self, profile=self.machine_profile)
            window.model_chosen.connect(self._on_model_chosen)
            window.models_changed.connect(self._models_changed)
            window.download_ended.connect(self._on_download_ended)
        window.show()
        window.raise_()
        window.activateWindow()
        if download:
            window.download(download)
        return window

    def get_recommended_model(self, model_id: str) -> None:
        """The first-run bar's button: use ``model_id`` when it is installed, else open the Models window, start
        its download, and use it once it is in."""
        window = self.open_models()
        item = window.items.get(model_id)
        if item is not None and item.state in ("installed", "bundled"):
            window.use(model_id)
            return
        if window.download(model_id) or model_id in window.tasks:
            self._use_after_download = model_id

    def dismiss_first_run_bar(self) -> None:
        """Close the first-run bar for good (remembered in the settings)."""
        self.settings.set_demo_bar_dismissed(True)
        self._update_first_run_bar()

    def _on_profile(self, profile) -> None:
        from app.core.hub import advice
        from app.core.hub import catalog as catalog_module

        self.machine_profile = profile
        try:
            self.recommendations = advice.recommend_all(profile, catalog_module.catalog())
        except Exception:  # a catalog without sizes: the bar still opens the Models window
            self.recommendations = {}
        if self.models_window is not None and self.models_window.profile is None:
            self.models_window.set_profile(profile)
        self._update_first_run_bar()

    def _update_first_run_bar(self) -> None:
        demo = demo_in_use(self.settings.engine_settings().llm_model)
        if demo is None or self.settings.demo_bar_dismissed():
            self.first_run_bar.hide()
            return
        recommendation = self.recommendations.get("llm")
        item = None
        if recommendation is not None and not recommendation.entry.demo:
            item = next((i for i in list_models("llm") if i.id == recommendation.entry.id), None)
        self.first_run_bar.offer(demo, item, recommendation)
        self.first_run_bar.show()

    def _on_model_chosen(self, role: str, model_id: str) -> None:
        self._models_changed()
        item = self.models_window.items.get(model_id) if self.models_window is not None else None
        name = item.title if item is not None else model_id
        what = "speech-to-text" if role == "whisper" else "language"
        self.statusBar().showMessage(f"{name} is now the {what} model; it applies to the next file analysed.",
                                     status_messages.LONG_MS)

    def _on_download_ended(self, model_id: str, outcome: str, detail: str) -> None:
        window = self.models_window
        item = window.items.get(model_id) if window is not None else None
        name = item.title if item is not None else model_id
        wanted, self._use_after_download = self._use_after_download == model_id, \
            None if self._use_after_download == model_id else self._use_after_download
        if outcome == "done" and wanted and window is not None:
            window.use(model_id)
        elif outcome == "done":
            self.statusBar().showMessage(f"{name} is downloaded; Use in the Models window chooses it.",
                                         status_messages.LONG_MS)
        elif outcome == "cancelled":
            self.statusBar().showMessage(f"The download of {name} stopped; Download in the Models window resumes it "
                                         f"from where it stopped.", status_messages.LONG_MS)
        else:
            self.statusBar().showMessage(detail, status_messages.STAY)
        self._update_first_run_bar()

    def _update_actions(self) -> None:
        chrome.update_actions(self, self.entries(), self.file_view.selected_entries(), self.is_busy())

    # ---- closing ----------------------------------------------------------------------

    def shutdown(self) -> None:
        """Cancel any work, stop the worker thread and wait for it (idempotent)."""
        running = self.host.thread.isRunning()
        if running:
            self.statusBar().showMessage("Stopping…")
        self.results.player.shutdown()  # stop playing: Qt's decoding threads end with the file
        with chrome.wait_cursor(running):
            self.host.shutdown()
            if self.models_window is not None:
                self.models_window.shutdown()  # cancels its downloads (the partial files stay) and waits
        self.results.flush()

    def closeEvent(self, event: QCloseEvent) -> None:
        # The title bar's close button (a spontaneous event) asks as Ctrl+Q does; a programmatic close never does.
        if event.spontaneous() and not self._quit_confirmed and self.is_busy() \
                and not self._confirm_stop("Quit Hearsay?", "Quit", "Quit while analysing"):
            event.ignore()
            return
        self._quit_confirmed = False
        chrome.save_window_state(self, self.settings)
        self.shutdown()
        event.accept()
