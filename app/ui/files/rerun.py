"""Running a finished file again without starting over: Transcribe again, Run a prompt again, Run the
failed prompts again, Resume; in the file list's menu and on the result tabs' right-click menu.

Analyze on a finished file runs only what has no answer yet (``complete``):
prompts of the list the file has not run, and its failed, cancelled or
skipped prompts; every answer shown stays. "Run again" puts the chosen
prompts back to waiting and hands the finished analysis to the worker as a
batch: its transcript is complete, so nothing is transcribed and only those
prompts run, on the current settings; the answers replace the old ones in
the same History entry (the menu item says so). "Transcribe again" analyses
the file afresh without reusing a stored transcript, after saying what it
replaces.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu, QMessageBox

from app.core.analysis import Analysis, AnalysisStatus, PromptResult, PromptStatus
from app.core.llm.prompts import NamedPrompt
from app.core.speech.transcript_files import is_transcript_file
from app.ui.files.entry import FileEntry
from app.ui.widgets import make_action

UNFINISHED = (PromptStatus.FAILED, PromptStatus.CANCELLED, PromptStatus.SKIPPED)


def prepare_rerun(analysis: Analysis, indices: list[int]) -> Analysis:
    """Make prompts ``indices`` of a finished ``analysis`` wait again (their answers are cleared); the
    other prompts and the transcript stay. Returns ``analysis``, queued."""
    analysis.status, analysis.error = AnalysisStatus.QUEUED, None
    for index in indices:
        result = analysis.prompt_results[index]
        result.status, result.error, result.response = PromptStatus.WAITING, None, ""
        result.exec_time, result.ttft, result.completion_tokens = 0.0, None, 0
    return analysis


def failed_prompts(entry: FileEntry) -> list[int]:
    """Indices of ``entry``'s prompts that failed, were cancelled or skipped."""
    return [i for i, status in enumerate(entry.prompt_statuses) if status in UNFINISHED]


def pending_prompts(entry: FileEntry, prompts: list[NamedPrompt]) -> tuple[list[NamedPrompt], list[int]]:
    """What Analyze would run on the finished ``entry`` with the list ``prompts``: (prompts of the list the
    file has not run yet, indices of its prompts without an answer: failed, cancelled or skipped)."""
    return [p for p in prompts if p.text not in entry.prompts], failed_prompts(entry)


def confirm_replace(parent, title: str, question: str, verb: str) -> bool:
    """Ask ``question`` before replacing results; True when the user chose ``verb``. Tests replace this."""
    box = QMessageBox(QMessageBox.Icon.Question, title, question, parent=parent)
    go = box.addButton(verb, QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is go


def can_resume(entry: FileEntry) -> bool:
    """True when ``entry`` stopped before the end (cancelled, interrupted or failed) and is not busy."""
    return not entry.active and entry.status in (AnalysisStatus.CANCELLED, AnalysisStatus.FAILED)


class RerunActions:
    """The window's Transcribe again / Resume / Run failed prompts again actions and the tabs' menu.

    ``resume(entry)`` is the History's resume (it needs the stored settings).
    """

    def __init__(self, window, resume: Callable[[FileEntry], bool]) -> None:
        self.window = window
        self._resume = resume
        self.transcribe_again_action = make_action(
            window, "&Transcribe again…", self.ask_transcribe_again, icon="reset",
            tip="Transcribe the selected files again and run every prompt anew (says first what it replaces)")
        self.resume_action = make_action(window, "Res&ume", self.resume_selected, icon="analyze",
                                         tip="Finish the selected files: the rest of the transcript, unfinished prompts")
        self.rerun_failed_action = make_action(window, "Run &failed prompts again", self.rerun_failed, icon="analyze",
                                               tip="Run the prompts that failed or were cancelled, on the same transcript")
        tab_bar = window.results.tabs.tabBar()
        tab_bar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        tab_bar.customContextMenuRequested.connect(self._tab_menu)

    def _selected(self) -> list[FileEntry]:
        return [e for e in self.window.file_view.selected_entries() if not e.active]

    def update_actions(self, selected: list[FileEntry]) -> None:
        """Enable the actions for the ``selected`` files."""
        idle = [e for e in selected if not e.active]
        self.transcribe_again_action.setEnabled(any(not is_transcript_file(e.path) for e in idle))
        self.resume_action.setEnabled(any(can_resume(e) for e in idle))
        self.rerun_failed_action.setEnabled(
            any(e.status is AnalysisStatus.DONE and e.segments and failed_prompts(e) for e in idle))

    def complete(self, entry: FileEntry, prompts: list[NamedPrompt]) -> bool:
        """Analyze on the finished ``entry``: run only the prompts of ``prompts`` it has not run and its
        prompts without an answer; every answer shown stays. False (nothing runs) when all have answers."""
        if entry.active or entry.status is not AnalysisStatus.DONE or not entry.segments:
            return False
        new, unanswered = pending_prompts(entry, prompts)
        if not new and not unanswered:
            return False
        analysis = entry.analysis
        first_new = len(analysis.prompts)
        for prompt in new:
            analysis.prompts.append(prompt.text)
            analysis.prompt_results.append(PromptResult(prompt=prompt.text, name=prompt.name))
        entry.take(prepare_rerun(analysis, unanswered + list(range(first_new, len(analysis.prompts)))), entry.note)
        self._refresh(entry)
        self.window.submit([entry])
        return True

    def ask_transcribe_again(self) -> list[FileEntry]:
        """Transcribe again (the menu item): say what it replaces, then ``transcribe_again`` the selected files."""
        entries = [e for e in self._selected() if not is_transcript_file(e.path)]
        if not entries:
            return []
        answered = sum(1 for e in entries for s in e.prompt_statuses if s is PromptStatus.DONE)
        what = entries[0].path.name if len(entries) == 1 else f"{len(entries)} files"
        question = (f"Transcribe {what} again?\n\nThe transcript and {answered} answer{'s' if answered != 1 else ''} "
                    "shown are replaced by new ones made with the current settings. The earlier run stays in History.")
        if (entries[0].segments or answered) and not confirm_replace(self.window, "Transcribe again", question,
                                                                     "Transcribe again"):
            return []
        return self.transcribe_again(entries)

    def transcribe_again(self, entries: list[FileEntry] | None = None) -> list[FileEntry]:
        """Analyse ``entries`` (default: the selected files) afresh with the current prompts, transcribing
        even when History holds a transcript of the same file and settings."""
        entries = [e for e in (entries if entries is not None else self._selected())
                   if not e.active and not is_transcript_file(e.path)]
        prompts = self.window.prompt_editor.named_prompts()
        for entry in entries:
            entry.renew(prompts)
            self._refresh(entry)
        if entries:
            self.window.submit(entries, reuse_transcripts=False)
        return entries

    def rerun(self, entry: FileEntry, indices: list[int], max_tokens: int | None = None) -> bool:
        """Run prompts ``indices`` of the finished ``entry`` again on its transcript (current settings, with
        answers of up to ``max_tokens`` when given: a cut-off answer asked again with a higher limit)."""
        if entry.active or not entry.finished or not entry.segments or not indices:
            return False
        settings = self.window.settings.engine_settings()
        if max_tokens:
            settings = replace(settings, max_tokens=max_tokens)
        entry.take(prepare_rerun(entry.analysis, indices), entry.note)
        self._refresh(entry)
        self.window.submit([entry], settings)
        return True

    def rerun_failed(self, entries: list[FileEntry] | None = None) -> int:
        """Run the failed or cancelled prompts of ``entries`` (default: the selected files) again."""
        entries = entries if entries is not None else self._selected()
        return sum(self.rerun(e, failed_prompts(e)) for e in entries if e.status is AnalysisStatus.DONE)

    def resume_selected(self) -> int:
        """Resume the selected files that stopped before the end."""
        return sum(self._resume(e) for e in self._selected() if can_resume(e))

    def _refresh(self, entry: FileEntry) -> None:
        self.window.files.refresh(entry)
        if self.window.results.entry is entry:
            self.window.results.refresh()

    def _transcribe_tab_entry(self, entry: FileEntry) -> None:
        self.window.file_view.select_entry(entry)
        self.ask_transcribe_again()

    def _tab_menu(self, point: QPoint) -> None:
        results = self.window.results
        tab_bar = results.tabs.tabBar()
        entry, tab = results.entry, tab_bar.tabAt(point)
        if entry is None or tab < 0:
            return
        menu = QMenu(self.window)
        index = results.prompt_of_tab(tab)
        if tab == 0:
            again = menu.addAction("Transcribe again…", lambda: self._transcribe_tab_entry(entry))
            again.setEnabled(not entry.active and not is_transcript_file(entry.path))
        elif index is not None:
            title = results.tabs.tabText(tab)
            replaces = " (replaces its answer)" if entry.prompt_statuses[index] is PromptStatus.DONE else ""
            again = menu.addAction(f"Run “{title}” again{replaces}", lambda: self.rerun(entry, [index]))
            again.setEnabled(entry.finished and not entry.active and bool(entry.segments))
            menu.addAction("Close this tab (the answer stays in History)", lambda: results.close_tab(tab))
        failed = failed_prompts(entry)
        if failed and entry.finished and entry.segments:
            menu.addAction(f"Run {len(failed)} failed prompt{'s' if len(failed) > 1 else ''} again",
                           lambda: self.rerun(entry, failed))
        if can_resume(entry):
            menu.addAction("Resume", lambda: self._resume(entry))
        if results.closed_tabs():
            menu.addAction(f"Show closed tabs ({results.closed_tabs()})", results.reopen_tabs)
        menu.exec(tab_bar.mapToGlobal(point))
