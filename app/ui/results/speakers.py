"""Speakers in the Transcript tab: one colour per speaker, the speaker bar (rename in place, confirm or undo a
recognised voice) and the line that says why speakers were not found.

The bar shows a chip per speaker: a dot in the speaker's colour and its name. Clicking a chip (or a speaker's
label in the transcript, or "Rename speaker…" in the transcript's right-click menu) turns it into a line
editor: Enter keeps the new name, Esc the old one (an empty name goes back to "Speaker N"). A speaker labelled
by a matching voiceprint shows "recognised" and two buttons: confirm, or "Not <name>".

Thread-safety: GUI thread only.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QWidget,
)

SPEAKER_COLORS = (
    "#1d4ed8",  # blue
    "#be123c",  # rose
    "#047857",  # emerald
    "#7e22ce",  # purple
    "#c2410c",  # orange
    "#0e7490",  # cyan
    "#a21caf",  # fuchsia
    "#3f6212",  # olive
    "#4338ca",  # indigo
    "#9f1239",  # crimson
)
"""Speaker colours in order of first appearance (then again from the first): distinct hues, each with a
contrast of at least 4.5:1 on the white transcript (WCAG AA for text); the name is always written too, so
colour is never the only cue."""

NAME_LIMIT = 60
"""The longest speaker name kept, in characters."""
RECOGNISED_MARK = "recognised"
NOT_FOUND = "Speakers were not found"
BAR_STYLE = """
QScrollArea#speakerBar, QWidget#speakerBarBody { background: transparent; }
QToolButton#speakerChip { border: 1px solid #e2e8f0; border-radius: 12px; padding: 3px 10px 3px 6px;
                          background: #f8fafc; font-weight: 600; }
QToolButton#speakerChip:hover { border-color: #a5b4fc; background: #eef2ff; }
QToolButton#speakerChip:focus { border-color: #6366f1; }
QToolButton#speakerChip:disabled { color: #475569; }
QToolButton#voiceButton { border: 1px solid #e2e8f0; border-radius: 10px; padding: 2px 8px; background: #ffffff; }
QToolButton#voiceButton:hover { border-color: #a5b4fc; background: #eef2ff; }
QLabel#recognisedMark { color: #64748b; font-style: italic; }
QLineEdit#speakerEditor { border: 1px solid #6366f1; border-radius: 12px; padding: 2px 8px; }
"""


def speakers_not_found(error: str) -> str:
    """The line over a transcript whose speakers were not found, from ``Diarization.error`` (one sentence,
    which may already begin "speakers were not found: ")."""
    error = error.strip().rstrip(".")
    if not error.lower().startswith(NOT_FOUND.lower()):
        error = f"{NOT_FOUND}: {error}"
    return f"{error[:1].upper()}{error[1:]}."


def speaker_color(speaker: int) -> str:
    """The colour of 0-based ``speaker`` (``SPEAKER_COLORS``, repeating after ten speakers), as "#rrggbb"."""
    return SPEAKER_COLORS[speaker % len(SPEAKER_COLORS)]


def contrast_ratio(foreground: str, background: str = "#ffffff") -> float:
    """WCAG 2.x contrast ratio of two "#rrggbb" colours (1 to 21; 4.5 is the AA bar for body text)."""

    def luminance(color: str) -> float:
        channels = []
        for value in QColor(color).getRgbF()[:3]:
            channels.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
        red, green, blue = channels
        return 0.2126 * red + 0.7152 * green + 0.0722 * blue

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def clean_name(text: str) -> str:
    """A typed speaker name as kept: one line, spaces collapsed, at most ``NAME_LIMIT`` characters."""
    return " ".join(text.split())[:NAME_LIMIT]


def speaker_heading_html(speaker: int, name: str, recognised: bool) -> str:
    """The label over a speaker's turn in the transcript: the name as a link ("speaker:<index>") in the
    speaker's colour, and the "recognised" mark when a voiceprint named it."""
    mark = f' <span style="color:#64748b; font-style:italic">· {RECOGNISED_MARK}</span>' if recognised else ""
    return (f'<a href="speaker:{speaker}" style="color:{speaker_color(speaker)}; font-weight:600; '
            f'text-decoration:none">{html.escape(name)}</a>{mark}')


def speaker_of_anchor(anchor: str) -> int | None:
    """The speaker index of a heading link ("speaker:2" -> 2); None for any other link."""
    if anchor.startswith("speaker:") and anchor[8:].isdigit():
        return int(anchor[8:])
    return None


def _dot(color: str, size: int = 10) -> QIcon:
    pixmap = QPixmap(size * 2, size * 2)  # drawn at twice the size: sharp on high-density screens
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


class SpeakerEditor(QLineEdit):
    """The line editor a chip turns into: Enter accepts (``accepted(text)``), Esc or leaving it cancels
    (``cancelled()``). It takes Enter and Esc before the window's shortcuts (Esc cancels the analysis there)."""

    accepted = Signal(str)
    cancelled = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("speakerEditor")
        self.setMaxLength(NAME_LIMIT)
        self.setAccessibleName("Speaker name")
        self.setToolTip("Enter keeps the new name, Esc the old one; an empty name goes back to Speaker N")
        self._done = True

    def begin(self, name: str, placeholder: str) -> None:
        """Start editing ``name`` (all of it selected); ``placeholder`` shows when it is emptied."""
        self._done = False
        self.setText(name)
        self.setPlaceholderText(placeholder)
        self.selectAll()

    def _finish(self, accept: bool) -> None:
        if self._done:
            return
        self._done = True
        if accept:
            self.accepted.emit(self.text())
        else:
            self.cancelled.emit()

    def event(self, event: QEvent) -> bool:  # noqa: D102 (Qt's name)
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and event.key() in (
                Qt.Key.Key_Escape, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()  # ours, not the window's Esc (cancel) or Ctrl+Enter (analyze)
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._finish(True)
        elif event.key() == Qt.Key.Key_Escape:
            self._finish(False)
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self._finish(False)  # clicking elsewhere keeps the old name, as Esc does


class SpeakerChip(QWidget):
    """One speaker in the bar: its chip (click: rename), the in-place editor, and for a recognised voice the
    mark and its two buttons. Signals carry the speaker index."""

    rename_requested = Signal(int, str)
    confirm_requested = Signal(int)
    reject_requested = Signal(int)

    def __init__(self, speaker: int, parent=None) -> None:
        super().__init__(parent)
        self.speaker = speaker
        self.name = ""
        self.button = QToolButton()
        self.button.setObjectName("speakerChip")
        self.button.setIcon(_dot(speaker_color(speaker)))
        self.button.setIconSize(QSize(10, 10))
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.setStyleSheet(f"QToolButton#speakerChip {{ color: {speaker_color(speaker)}; }}")
        self.button.clicked.connect(self.edit)
        self.editor = SpeakerEditor()
        self.editor.hide()
        self.editor.accepted.connect(self._accepted)
        self.editor.cancelled.connect(self._close_editor)
        self.mark = QLabel(RECOGNISED_MARK)
        self.mark.setObjectName("recognisedMark")
        self.confirm_button = QToolButton()
        self.confirm_button.setObjectName("voiceButton")
        self.confirm_button.clicked.connect(lambda: self.confirm_requested.emit(self.speaker))
        self.reject_button = QToolButton()
        self.reject_button.setObjectName("voiceButton")
        self.reject_button.clicked.connect(lambda: self.reject_requested.emit(self.speaker))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for widget in (self.button, self.editor, self.mark, self.confirm_button, self.reject_button):
            layout.addWidget(widget)

    def show_speaker(self, name: str, recognised: bool, editable: bool, why_not: str = "") -> None:
        """Show ``name``; ``recognised``: a voiceprint gave it (mark and buttons shown); ``editable``: the
        user may rename it now (``why_not`` says why not, in the tooltip)."""
        self.name = name
        self.button.setText(name)
        self.button.setAccessibleName(f"{name}, speaker {self.speaker + 1}" + (", recognised" if recognised else ""))
        self.button.setEnabled(editable)
        self.button.setToolTip(f"Rename {name} (click, then Enter)" if editable else why_not)
        for widget in (self.mark, self.confirm_button, self.reject_button):
            widget.setVisible(recognised and self.editor.isHidden())
            widget.setEnabled(editable)
        self.mark.setToolTip(f"Named {name} because the voice matches the voiceprint {name} in your History.")
        self.confirm_button.setText("✓ Confirm")
        self.confirm_button.setToolTip(f"Yes, this is {name}: keep the name and drop the mark")
        self.reject_button.setText(f"Not {name}")
        self.reject_button.setToolTip(f"This is not {name}: back to Speaker {self.speaker + 1}")
        self._recognised = recognised

    def edit(self) -> None:
        """Turn the chip into the line editor, with the focus in it."""
        if not self.button.isEnabled():
            return
        self.editor.begin(self.name, f"Speaker {self.speaker + 1}")
        self.editor.setMinimumWidth(max(self.button.width(), self.editor.fontMetrics().averageCharWidth() * 18))
        for widget in (self.button, self.mark, self.confirm_button, self.reject_button):
            widget.hide()
        self.editor.show()
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    def editing(self) -> bool:
        """True while the editor is open."""
        return not self.editor.isHidden()

    def _accepted(self, text: str) -> None:
        self._close_editor()
        name = clean_name(text)
        if name == f"Speaker {self.speaker + 1}":
            name = ""  # typing the default name is going back to it
        self.rename_requested.emit(self.speaker, name)

    def _close_editor(self) -> None:
        had_focus = self.editor.hasFocus()
        self.editor.hide()
        self.button.show()
        for widget in (self.mark, self.confirm_button, self.reject_button):
            widget.setVisible(getattr(self, "_recognised", False))
        if had_focus:
            self.button.setFocus(Qt.FocusReason.OtherFocusReason)  # Ctrl+Z (undo) still reaches the results


class SpeakerBar(QScrollArea):
    """The speakers of the shown transcript, in order, one ``SpeakerChip`` each; hidden without speakers.

    Signals: ``rename_requested(speaker, name)`` ("" = back to "Speaker N"), ``confirm_requested(speaker)``,
    ``reject_requested(speaker)``.
    """

    rename_requested = Signal(int, str)
    confirm_requested = Signal(int)
    reject_requested = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("speakerBar")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # never widens the window
        self.setStyleSheet(BAR_STYLE)
        body = QWidget()
        body.setObjectName("speakerBarBody")
        self._row = QHBoxLayout(body)
        self._row.setContentsMargins(2, 2, 2, 2)
        self._row.setSpacing(8)
        title = QLabel("Speakers:")
        title.setObjectName("resultMeta")
        self._row.addWidget(title)
        self._row.addStretch(1)
        self.setWidget(body)
        self.viewport().setAutoFillBackground(False)
        self.chips: dict[int, SpeakerChip] = {}
        self.hide()

    def sizeHint(self) -> QSize:  # noqa: D102, N802 (one row of chips, and room for the scroll bar)
        height = self.widget().sizeHint().height() + self.horizontalScrollBar().sizeHint().height() // 2
        return QSize(super().sizeHint().width(), height)

    def minimumSizeHint(self) -> QSize:  # noqa: D102, N802
        return QSize(0, self.sizeHint().height())

    def show_speakers(self, speakers: list[int], names: dict[int, str], recognised: dict[int, str],
                      editable: bool, why_not: str = "") -> None:
        """Show a chip per index in ``speakers`` named by ``names`` ("Speaker N" when absent); ``recognised``
        speakers get the mark; ``editable`` False disables renaming (``why_not`` says why, in tooltips)."""
        for speaker in [s for s in self.chips if s not in speakers]:
            self.chips.pop(speaker).deleteLater()
        for position, speaker in enumerate(speakers):
            chip = self.chips.get(speaker)
            if chip is None:
                chip = self.chips[speaker] = SpeakerChip(speaker)
                chip.rename_requested.connect(self.rename_requested)
                chip.confirm_requested.connect(self.confirm_requested)
                chip.reject_requested.connect(self.reject_requested)
            self._row.insertWidget(position + 1, chip)  # after the title, in speaker order
            if not chip.editing():
                chip.show_speaker(names.get(speaker) or f"Speaker {speaker + 1}", speaker in recognised,
                                  editable, why_not)
        self.setVisible(bool(speakers))
        self.updateGeometry()

    def edit(self, speaker: int) -> bool:
        """Open ``speaker``'s editor (scrolled into view); False when it is not shown or cannot be renamed."""
        chip = self.chips.get(speaker)
        if chip is None or not chip.button.isEnabled():
            return False
        self.ensureWidgetVisible(chip)
        chip.edit()
        return True

    def names(self) -> dict[int, str]:
        """The name each chip shows, by speaker index."""
        return {speaker: chip.name for speaker, chip in self.chips.items()}
