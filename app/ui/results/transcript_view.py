"""The Transcript tab: ``[mm:ss] text`` per segment, appended as segments are decoded.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

import html

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPlainTextEdit

from app.core.analysis import AnalysisStatus, Segment
from app.core.export.markdown import format_timestamp
from app.core.library.store import INTERRUPTED
from app.core.pipeline.events import Stage
from app.ui.files.entry import FileEntry

TIMESTAMP_COLOR = "#8b95a7"
END_NOTE_COLOR = "#b45309"
TRANSCRIPT_PLACEHOLDER = "The transcript appears here, segment by segment, as the recording is decoded."


class TranscriptView(QPlainTextEdit):
    """Read-only transcript text that grows segment by segment.

    ``sync(segments)`` appends the segments not shown yet, or redraws when the
    list is not the one shown (a finished analysis may differ from the live
    picture).

    Thread-safety: GUI thread only.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setObjectName("transcriptView")
        self.setPlaceholderText(TRANSCRIPT_PLACEHOLDER)
        self._shown = 0
        self._last: Segment | None = None
        self._end_note: str | None = None

    def reset(self) -> None:
        """Show nothing."""
        self.clear()
        self._shown, self._last, self._end_note = 0, None, None

    def end_note(self) -> str | None:
        """The line shown under the last segment, if any."""
        return self._end_note

    def set_end_note(self, text: str | None) -> None:
        """Show ``text`` in italics under the last segment (where a partial transcript stops); None removes it."""
        if text == self._end_note:
            return
        self._remove_end_note()
        if text:
            self.appendHtml(f'<i style="color:{END_NOTE_COLOR}">{html.escape(text)}</i>')
            self._end_note = text

    def _remove_end_note(self) -> None:
        if self._end_note is None:
            return
        cursor = QTextCursor(self.document().lastBlock())
        cursor.select(QTextCursor.SelectionType.BlockUnderCursor)  # with the line break before it
        cursor.removeSelectedText()
        self._end_note = None

    def sync(self, segments: list[Segment]) -> None:
        """Show ``segments``: append what is new, redraw when the shown ones are not their start."""
        shown = self._shown
        if len(segments) < shown or (shown and segments[shown - 1] is not self._last):
            self.reset()
            shown = 0
        new = segments[shown:]
        if not new:
            return
        note, _ = self._end_note, self._remove_end_note()
        self._shown += len(new)
        self._last = new[-1]
        for segment in new:
            text = segment.text.strip()
            if text:
                stamp = f'<span style="color:{TIMESTAMP_COLOR}">{format_timestamp(segment.start)}</span>'
                self.appendHtml(f"{stamp} {html.escape(text)}")
        if note:
            self.set_end_note(note)


def transcript_is_partial(entry: FileEntry) -> bool:
    """True when ``entry`` ended with some transcript but not all of it (cancelled, interrupted, failed)."""
    return (entry.finished and bool(entry.segments) and entry.status is not AnalysisStatus.DONE
            and not entry.analysis.transcript_complete)


def transcript_end_note(entry: FileEntry) -> str | None:
    """Where a partial transcript stops and why, for the line under its last segment; None when it is whole."""
    if not transcript_is_partial(entry):
        return None
    reached = format_timestamp(entry.segments[-1].end).strip("[]")
    total = f" of {format_timestamp(entry.seconds_total).strip('[]')}" if entry.seconds_total else ""
    if entry.status is AnalysisStatus.FAILED:
        why = f"the analysis failed: {entry.error}" if entry.error else "the analysis failed"
    else:
        why = "the analysis was interrupted" if entry.error == INTERRUPTED else "the analysis was cancelled"
    return (f"— The transcript stops here, at {reached}{total}: {why}. "
            "Analysis → Resume transcribes the rest. —")


def transcript_state(entry: FileEntry) -> tuple[str, str]:
    """(placeholder text, state icon name) for ``entry``'s Transcript tab; a partial transcript gets the
    warning icon, never the green check."""
    if transcript_is_partial(entry):
        return TRANSCRIPT_PLACEHOLDER, "state-warning"
    empty = entry.finished and not entry.segments
    if empty and entry.status is AnalysisStatus.FAILED:
        return f"No transcript: {entry.error or 'the analysis failed'}.", "state-failed"
    if empty and entry.status is AnalysisStatus.CANCELLED:
        return "No transcript: the analysis was cancelled.", "state-cancelled"
    if empty:
        return "No speech was found in the recording.", "state-done"
    if entry.status is AnalysisStatus.QUEUED and not entry.segments:
        return TRANSCRIPT_PLACEHOLDER, "state-waiting"
    transcribing = entry.stage in (Stage.LOADING_WHISPER, Stage.TRANSCRIBING) and not entry.transcribed
    starting = entry.stage is None and not entry.segments  # (a follow-up starts with its transcript done)
    if entry.status is AnalysisStatus.RUNNING and entry.prompt_index < 0 and (transcribing or starting):
        return TRANSCRIPT_PLACEHOLDER, "state-running"
    return TRANSCRIPT_PLACEHOLDER, "state-done"
