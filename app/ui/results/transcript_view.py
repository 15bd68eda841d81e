"""The Transcript tab: ``[mm:ss] text`` per segment, appended as segments are decoded.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

import html

from PySide6.QtWidgets import QPlainTextEdit

from app.core.analysis import AnalysisStatus, Segment
from app.core.export.markdown import format_timestamp
from app.core.pipeline.events import Stage
from app.ui.files.entry import FileEntry

TIMESTAMP_COLOR = "#8b95a7"
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

    def reset(self) -> None:
        """Show nothing."""
        self.clear()
        self._shown, self._last = 0, None

    def sync(self, segments: list[Segment]) -> None:
        """Show ``segments``: append what is new, redraw when the shown ones are not their start."""
        shown = self._shown
        if len(segments) < shown or (shown and segments[shown - 1] is not self._last):
            self.reset()
            shown = 0
        new = segments[shown:]
        if not new:
            return
        self._shown += len(new)
        self._last = new[-1]
        for segment in new:
            text = segment.text.strip()
            if text:
                stamp = f'<span style="color:{TIMESTAMP_COLOR}">{format_timestamp(segment.start)}</span>'
                self.appendHtml(f"{stamp} {html.escape(text)}")


def transcript_state(entry: FileEntry) -> tuple[str, str]:
    """(placeholder text, state icon name) for ``entry``'s Transcript tab."""
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
