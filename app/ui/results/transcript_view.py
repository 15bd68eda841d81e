"""The Transcript tab: ``[mm:ss] text`` per segment, appended as segments are decoded, in speaker turns once
speakers are found (a label in the speaker's colour over each turn; clicking it renames the speaker).
A segment's timestamp is a link: clicking it (or double-clicking the segment's text) asks to play the
recording from there; the segment being played is highlighted in place (an extra selection, no redraw).

Thread-safety: GUI thread only.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QContextMenuEvent, QMouseEvent, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit

from app.core.analysis import AnalysisStatus, Segment
from app.core.export.markdown import format_timestamp
from app.core.library.store import INTERRUPTED
from app.core.pipeline.events import Stage
from app.ui.files.entry import FileEntry
from app.ui.results.speakers import speaker_heading_html, speaker_of_anchor

TIMESTAMP_COLOR = "#8b95a7"
PLAYING_COLOR = "#e0e7ff"
"""The background of the segment being played."""
PLAYING_LAYER = "playing"
"""The highlight layer of the segment being played (``set_highlights``)."""
FOLLOW_MARGIN = 0.2
"""Follow mode scrolls when the segment played is not within the view, less this fraction at the bottom;
it then puts it this fraction of the view's height from the top (seen with what comes before it)."""
END_NOTE_COLOR = "#b45309"
TRANSCRIPT_PLACEHOLDER = "The transcript appears here, segment by segment, as the recording is decoded."
TURN_GAP_POINTS = 6
"""The height of the empty line between two speakers' turns, in points: turns read as paragraphs."""


class TranscriptView(QPlainTextEdit):
    """Read-only transcript text that grows segment by segment.

    ``sync(segments)`` appends the segments not shown yet, or redraws when the
    list is not the one shown (a finished analysis may differ from the live
    picture). Segments with speakers are shown in turns: consecutive segments
    of one speaker under one label (``set_speakers`` names them; a new name
    rewrites that speaker's labels in place). A label is a link: clicking it emits ``speaker_clicked(index)``;
    the right-click menu on a turn offers ``speaker_menu_requested(index, menu)``
    a place for its speaker's actions.

    Thread-safety: GUI thread only.
    """

    speaker_clicked = Signal(int)
    segment_activated = Signal(int, float)
    """(segment index, its start in seconds): the user clicked the segment's timestamp or double-clicked its text."""
    speaker_menu_requested = Signal(int, object)
    """(speaker index, QMenu about to be shown): add the speaker's actions to the menu."""
    segment_menu_requested = Signal(int, int, object)
    """(segment index, character offset in its text where the menu was asked for, QMenu about to be shown): add
    the segment's actions (edit, split, merge, speaker) to the menu."""
    segment_edit_requested = Signal(int)
    """(segment index): F2 on a segment's line, to correct its text."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setObjectName("transcriptView")
        self.setPlaceholderText(TRANSCRIPT_PLACEHOLDER)
        self.viewport().setMouseTracking(True)
        self._shown = 0
        self._last: Segment | None = None
        self._end_note: str | None = None
        self._segments: list[Segment] = []
        self._turn: int | None = None  # the speaker of the last turn shown
        self._blocks: list[int] = []  # the block of each segment shown (-1: an empty segment, not shown)
        self._block_speakers: dict[int, int] = {}  # block number -> speaker of its turn
        self._headings: dict[int, list[int]] = {}  # speaker -> the block numbers of its turns' labels
        self._names: dict[int, str] = {}
        self._recognised: set[int] = set()
        self._pressed_anchor = ""
        self._block_segments: dict[int, int] = {}  # block number -> the segment it shows
        self._playing: int | None = None  # the segment highlighted as being played
        self._layers: dict[str, list[QTextEdit.ExtraSelection]] = {}  # highlights by layer, drawn in this order

    def reset(self) -> None:
        """Show nothing."""
        self.clear()
        self._shown, self._last, self._end_note, self._turn = 0, None, None, None
        self._blocks, self._block_speakers, self._headings = [], {}, {}
        self._block_segments, self._playing, self._layers = {}, None, {}
        self.setExtraSelections([])

    # ---- playing: timestamps as links, the segment played -------------------------------------------------

    def segments(self) -> list[Segment]:
        """The segments shown (the list last given to ``sync``; the view keeps it, it does not copy it)."""
        return self._segments

    def segment_at_block(self, block: int) -> int | None:
        """The segment (0-based) that text block ``block`` shows; None for a speaker label, a gap or a note."""
        return self._block_segments.get(block)

    def highlighted_segment(self) -> int | None:
        """The segment highlighted as being played, or None."""
        return self._playing

    def highlight_segment(self, index: int | None) -> None:
        """Highlight segment ``index`` as the one being played (None: no highlight). Only the view's extra
        selections change, in constant time: no text is redrawn, the user's selection stays."""
        block = self.block_of(index) if index is not None else -1
        self._playing = index if block >= 0 else None
        selections = []
        if block >= 0:
            selection = QTextEdit.ExtraSelection()
            selection.cursor = QTextCursor(self.document().findBlockByNumber(block))
            selection.format.setBackground(QColor(PLAYING_COLOR))
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            selections.append(selection)
        self.set_highlights(PLAYING_LAYER, selections)

    def set_highlights(self, layer: str, selections: list[QTextEdit.ExtraSelection]) -> None:
        """Show ``selections`` as the highlights of ``layer`` (``PLAYING_LAYER``; "find" for search matches,
        say), replacing that layer's; [] removes them. Layers are drawn in the order they first came, the segment
        being played first, so other highlights show on top of its background. ``reset`` removes them all."""
        if layer == PLAYING_LAYER and PLAYING_LAYER not in self._layers:
            self._layers = {PLAYING_LAYER: [], **self._layers}
        self._layers[layer] = list(selections)
        self.setExtraSelections([selection for chosen in self._layers.values() for selection in chosen])

    def keep_in_view(self, index: int) -> bool:
        """Scroll so that segment ``index`` is seen (a programmatic scroll, not the user's); nothing when it
        already is (within the view less ``FOLLOW_MARGIN`` at the bottom). True when the view scrolled."""
        number = self.block_of(index)
        if number < 0:
            return False
        block = self.document().findBlockByNumber(number)
        height = self.viewport().height()
        rect = self.blockBoundingGeometry(block).translated(self.contentOffset())
        if rect.top() >= 0 and rect.bottom() <= height * (1 - FOLLOW_MARGIN):
            return False
        lines_above = int(height * FOLLOW_MARGIN / max(self.fontMetrics().lineSpacing(), 1))
        bar = self.verticalScrollBar()  # QPlainTextEdit scrolls by lines: a block's value is its first line
        before = bar.value()
        bar.setValue(max(block.firstLineNumber() - lines_above, 0))
        return bar.value() != before

    # ---- speakers ---------------------------------------------------------------------------------------------

    def set_speakers(self, names: dict[int, str], recognised: set[int] | frozenset[int] = frozenset()) -> None:
        """Name the speakers (index -> name; "Speaker N" for the others); ``recognised``: speakers named by a
        matching voiceprint (marked). The turns shown are redrawn at once when anything changed."""
        names, recognised = dict(names), set(recognised)
        changed = {speaker for speaker in set(names) | set(self._names) if names.get(speaker) != self._names.get(speaker)}
        changed |= recognised ^ self._recognised
        self._names, self._recognised = names, recognised
        self._relabel(changed)

    def _relabel(self, speakers: set[int]) -> None:
        """Write the labels of ``speakers``' turns again, in place (a rename in a long transcript redraws
        nothing else: milliseconds, where a redraw of thousands of lines takes a second)."""
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        for speaker in speakers:
            heading = speaker_heading_html(speaker, self.speaker_name(speaker), speaker in self._recognised)
            for number in self._headings.get(speaker, ()):
                block = self.document().findBlockByNumber(number)
                cursor.setPosition(block.position())
                cursor.setPosition(block.position() + block.length() - 1, QTextCursor.MoveMode.KeepAnchor)
                cursor.insertHtml(heading)
        cursor.endEditBlock()

    def speaker_name(self, speaker: int) -> str:
        """The name shown for ``speaker``."""
        return self._names.get(speaker) or f"Speaker {speaker + 1}"

    def block_of(self, segment: int) -> int:
        """The text block (line) showing segment ``segment`` (0-based, of the list shown); -1 when it shows
        none (an empty segment, or not shown yet)."""
        return self._blocks[segment] if 0 <= segment < len(self._blocks) else -1

    def speaker_at(self, block: int) -> int | None:
        """The speaker whose turn block ``block`` belongs to (its label or one of its lines), or None."""
        return self._block_speakers.get(block)

    def _append_heading(self, speaker: int) -> None:
        if not self.document().isEmpty():  # a short empty line between turns (the plain-text layout has no margins)
            self.appendPlainText("")
            spacer = QTextCharFormat()
            spacer.setFontPointSize(TURN_GAP_POINTS)
            QTextCursor(self.document().lastBlock()).setBlockCharFormat(spacer)
        self.appendHtml(speaker_heading_html(speaker, self.speaker_name(speaker), speaker in self._recognised))
        number = self.document().lastBlock().blockNumber()
        self._block_speakers[number] = speaker
        self._headings.setdefault(speaker, []).append(number)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802 (a hand over a label or timestamp)
        super().mouseMoveEvent(event)
        anchor = self.anchorAt(event.position().toPoint())
        over = speaker_of_anchor(anchor) is not None or segment_of_anchor(anchor) is not None
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.IBeamCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802
        self._pressed_anchor = self.anchorAt(event.position().toPoint())
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802
        super().mouseReleaseEvent(event)
        anchor = self.anchorAt(event.position().toPoint())
        speaker, segment = speaker_of_anchor(anchor), segment_of_anchor(anchor)
        clicked = (event.button() == Qt.MouseButton.LeftButton and anchor == self._pressed_anchor
                   and not self.textCursor().hasSelection())
        if clicked and speaker is not None:
            self.speaker_clicked.emit(speaker)
        elif clicked and segment is not None and segment < len(self._segments):
            self.segment_activated.emit(segment, self._segments[segment].start)
        self._pressed_anchor = ""

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802 (play from the segment)
        super().mouseDoubleClickEvent(event)
        if event.button() != Qt.MouseButton.LeftButton or not self.isReadOnly():  # (editable: a word to edit)
            return
        segment = self.segment_at_block(self.cursorForPosition(event.position().toPoint()).blockNumber())
        if segment is not None and segment < len(self._segments):
            self.segment_activated.emit(segment, self._segments[segment].start)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: D102, N802
        menu = self.createStandardContextMenu(event.pos())
        cursor = self.cursorForPosition(event.pos())
        speaker = self.speaker_at(cursor.blockNumber())
        place = self.segment_position(cursor)
        if place is not None:
            self.segment_menu_requested.emit(place[0], place[1], menu)
        if speaker is not None:
            self.speaker_menu_requested.emit(speaker, menu)
        menu.exec(event.globalPos())
        menu.deleteLater()

    def keyPressEvent(self, event) -> None:  # noqa: D102, N802 (F2: correct the segment at the text cursor)
        if event.key() == Qt.Key.Key_F2 and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            segment = self.segment_at_block(self.textCursor().blockNumber())
            if segment is not None:
                self.segment_edit_requested.emit(segment)
                return
        super().keyPressEvent(event)

    def segment_position(self, cursor: QTextCursor) -> tuple[int, int] | None:
        """(segment index, character offset into that segment's ``text``) where ``cursor`` stands; None off a
        segment's line. On the timestamp the offset is that of the text's first character."""
        segment = self.segment_at_block(cursor.blockNumber())
        if segment is None or segment >= len(self._segments):
            return None
        text = self._segments[segment].text
        shown_from = len(format_timestamp(self._segments[segment].start)) + 1  # "mm:ss " before the text
        lead = len(text) - len(text.lstrip())
        offset = max(0, cursor.positionInBlock() - shown_from)
        return segment, min(lead + offset, len(text))

    def line_of(self, segment: int) -> tuple[int, int]:
        """(block number, character where the segment's text starts in it) of ``segment``; (-1, 0) when not shown."""
        block = self.block_of(segment)
        if block < 0 or segment >= len(self._segments):
            return -1, 0
        return block, len(format_timestamp(self._segments[segment].start)) + 1

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
        self._segments = segments
        new = segments[shown:]
        if not new:
            return
        note, _ = self._end_note, self._remove_end_note()
        self._shown += len(new)
        self._last = new[-1]
        for number, segment in enumerate(new, start=shown):
            text = segment.text.strip()
            if not text:
                self._blocks.append(-1)
                continue
            if segment.speaker is not None and segment.speaker != self._turn:
                self._append_heading(segment.speaker)
            self._turn = segment.speaker
            stamp = (f'<a href="segment:{number}" style="color:{TIMESTAMP_COLOR}; text-decoration:none">'
                     f'{format_timestamp(segment.start)}</a>')
            self.appendHtml(f"{stamp} {html.escape(text)}")
            block = self.document().lastBlock().blockNumber()
            self._blocks.append(block)
            self._block_segments[block] = number
            if segment.speaker is not None:
                self._block_speakers[block] = segment.speaker
        if note:
            self.set_end_note(note)


def segment_of_anchor(anchor: str) -> int | None:
    """The segment index of a timestamp link ("segment:12" -> 12); None for any other link."""
    if anchor.startswith("segment:") and anchor[8:].isdigit():
        return int(anchor[8:])
    return None


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
