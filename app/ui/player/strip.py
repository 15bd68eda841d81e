"""The player strip under the results: play/pause, position slider with ``mm:ss / mm:ss``, speed, ±5 s, follow.

It plays the selected file (audio, or the audio track of a video) through ``Playback``. A recording that is
not where the analysis found it gets one line ("recording.wav is not at /path any more") and a "Locate…"
button instead of the controls; a file Qt cannot play gets one line too, never a dialog.

Keys (window-wide actions, listed in Help → Keyboard shortcuts): Space plays / pauses unless a text field
(or a button, check box or list box that Space belongs to) has the focus; read-only text views such as the
transcript and the answers leave Space to the player. Ctrl+Left / Ctrl+Right jump 5 s back / forward.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QWidget,
)

from app.core.export.markdown import format_timestamp
from app.core.user_files import display_name, display_path
from app.ui.player.playback import SKIP_SECONDS, SPEEDS, Playback

FOLLOW_TIP = ("Keep the segment being played in view. Scrolling the transcript by hand turns it off; "
              "clicking a timestamp (or here) turns it on again.")
NOTICE_COLOR = "#b45309"
STRIP_STYLE = """
QToolButton#followButton:checked { background: #e0e7ff; border-color: #c7d2fe; color: #3730a3; }
QToolButton#followButton:checked:hover { background: #c7d2fe; }
"""
"""The strip's own look on top of the application's stylesheet: the Follow toggle shows when it is on."""


def clock_text(seconds: float) -> str:
    """``mm:ss`` (``h:mm:ss`` from one hour on) for ``seconds``, as the transcript's timestamps read."""
    return format_timestamp(seconds).strip("[]")


def speed_text(rate: float) -> str:
    """``1×``, ``1.25×``: a playback rate as the speed box shows it."""
    return f"{rate:g}×"


def missing_line(path: Path) -> str:
    """The one line shown when the recording at ``path`` is gone (moved, renamed, on an unplugged drive)."""
    return f"{display_name(path)} is not at {display_path(path.parent)} any more."


class PlayerStrip(QWidget):
    """Plays the selected file's recording; every time is in seconds.

    ``set_source(path)`` shows the recording at ``path`` (None: no recording, the strip hides), stopped at
    0 s; showing the same file again changes nothing. ``play_from(seconds)`` seeks and plays;
    ``position_s()`` is the position. Signals: ``position_changed(seconds)`` (about every 50 ms while
    playing, and after every seek), ``source_located(path)`` when the user found a missing recording with
    "Locate…" (the strip already plays from there). ``play_action``, ``back_action`` and ``forward_action``
    carry the keys (Space, Ctrl+Left, Ctrl+Right; ``play_menu_action`` is the menu's Play / Pause, which never
    yields to a focused button); ``follow_button`` is the follow-mode toggle that
    ``app.ui.player.follow.TranscriptFollower`` drives.

    Thread-safety: GUI thread only.
    """

    position_changed = Signal(float)
    source_located = Signal(object)
    """(Path) the recording the user located; the strip has loaded it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playerStrip")
        self.setStyleSheet(STRIP_STYLE)
        self.playback = Playback(self)
        self._path: Path | None = None
        self._missing = False
        self._failed: str | None = None
        self._duration = 0.0
        self._dragging = False
        style = self.style()
        self._play_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = style.standardIcon(QStyle.StandardPixmap.SP_MediaPause)

        self.play_action = self._action("Play / Pause", self._space_pressed, "Space", self._play_icon)
        # The menu's item toggles whatever has the focus (the key yields to a focused button); "\t" shows the key.
        self.play_menu_action = QAction(self._play_icon, "Play / Pause\tSpace", self)
        self.play_menu_action.triggered.connect(lambda checked=False: self.toggle())
        self.back_action = self._action(f"Back {SKIP_SECONDS:g} s", lambda: self.skip(-SKIP_SECONDS), "Ctrl+Left",
                                        style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward))
        self.forward_action = self._action(f"Forward {SKIP_SECONDS:g} s", lambda: self.skip(SKIP_SECONDS),
                                           "Ctrl+Right", style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward))
        self.play_button = QToolButton()  # not the action's button: a click toggles, only Space yields to the focus
        self.play_button.setObjectName("playButton")
        self.play_button.setIcon(self._play_icon)
        self.play_button.setToolTip(self.play_action.toolTip())
        self.play_button.clicked.connect(self.toggle)
        self.back_button = self._button(self.back_action, "backButton")
        self.forward_button = self._button(self.forward_action, "forwardButton")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("positionSlider")
        self.slider.setRange(0, 0)
        self.slider.setSingleStep(1000)
        self.slider.setPageStep(round(SKIP_SECONDS * 1000))
        self.slider.setToolTip("Position in the recording")
        self.slider.sliderPressed.connect(self._drag_started)
        self.slider.sliderMoved.connect(lambda ms: self._show_time(ms / 1000.0))
        self.slider.sliderReleased.connect(self._drag_ended)
        self.slider.actionTriggered.connect(self._slider_action)
        self.time_label = QLabel()
        self.time_label.setObjectName("playerTime")
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance("0:00:00 / 0:00:00") + 4)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.speed_box = QComboBox()
        self.speed_box.setObjectName("speedBox")
        self.speed_box.setToolTip("Playback speed")
        for rate in SPEEDS:
            self.speed_box.addItem(speed_text(rate), rate)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.currentIndexChanged.connect(lambda i: self.playback.set_speed(self.speed_box.itemData(i)))
        self.follow_button = QToolButton()
        self.follow_button.setObjectName("followButton")
        self.follow_button.setText("Follow")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip(FOLLOW_TIP)

        self.notice = QLabel()
        self.notice.setObjectName("playerNotice")
        self.notice.setStyleSheet(f"color: {NOTICE_COLOR};")
        self.notice.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.locate_button = QToolButton()
        self.locate_button.setObjectName("locateButton")
        self.locate_button.setText("Locate…")
        self.locate_button.setToolTip("Find the recording where it is now (for this session)")
        self.locate_button.clicked.connect(self.locate)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for widget in (self.back_button, self.play_button, self.forward_button):
            layout.addWidget(widget)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.time_label)
        layout.addSpacing(6)
        layout.addWidget(self.speed_box)
        layout.addWidget(self.follow_button)
        layout.addWidget(self.notice, 1)
        layout.addWidget(self.locate_button)
        self._controls = (self.back_button, self.play_button, self.forward_button, self.slider, self.time_label,
                          self.speed_box, self.follow_button)

        self.playback.position_changed.connect(self._on_position)
        self.playback.duration_changed.connect(self._on_duration)
        self.playback.playing_changed.connect(self._on_playing)
        self.playback.failed.connect(self._on_failed)
        self._show_state()

    def _action(self, text: str, slot, key: str, icon) -> QAction:
        action = QAction(icon, text, self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(f"{text} ({QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)})")
        action.triggered.connect(lambda checked=False: slot())
        self.addAction(action)
        return action

    def _button(self, action: QAction, name: str) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        return button

    # ---- what is played ------------------------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        """The recording shown (also when it is missing), or None."""
        return self._path

    def set_source(self, path: Path | None) -> None:
        """Show the recording at ``path`` (audio or video), stopped at 0 s; None hides the strip.

        The same file again changes nothing (unless it was missing and is back). A file that is not
        there shows the one line with "Locate…"; nothing is raised."""
        path = Path(path) if path is not None else None
        if path is not None and path == self._path and not (self._missing and path.is_file()):
            return
        self._path, self._failed, self._duration = path, None, 0.0
        self._missing = path is not None and not path.is_file()
        self.playback.load(path if path is not None and not self._missing else None)
        self.slider.setRange(0, 0)
        self._show_time(0.0)
        self._show_state()

    def shutdown(self) -> None:
        """Stop playing and close the file (the window closes)."""
        self.playback.close()

    def message(self) -> str:
        """The line shown instead of the controls ("" when the recording plays)."""
        return self.notice.text() if not self.notice.isHidden() else ""

    def playable(self) -> bool:
        """True when a recording is loaded (not missing, no player error)."""
        return self._path is not None and not self._missing and self._failed is None

    # ---- playing ---------------------------------------------------------------------------------------

    def position_s(self) -> float:
        """The position in the recording, in seconds."""
        return self.playback.position_s()

    def duration_s(self) -> float:
        """The recording's duration in seconds (0 until loaded)."""
        return self.playback.duration_s()

    def is_playing(self) -> bool:
        """True while playing."""
        return self.playback.is_playing()

    def play_from(self, seconds: float) -> None:
        """Seek to ``seconds`` and play (nothing when no recording is playable)."""
        if self.playable():
            self.playback.seek(seconds)
            self.playback.play()

    def seek(self, seconds: float) -> None:
        """Go to ``seconds`` without changing play / pause."""
        if self.playable():
            self.playback.seek(seconds)

    def toggle(self) -> None:
        """Play / pause."""
        if self.playable():
            self.playback.toggle()

    def pause(self) -> None:
        """Pause."""
        self.playback.pause()

    def skip(self, seconds: float) -> None:
        """Jump ``seconds`` forward (negative: back)."""
        if self.playable():
            self.playback.skip(seconds)

    def speed(self) -> float:
        """The playback rate (1.0 is normal speed)."""
        return self.playback.speed()

    def set_speed(self, rate: float) -> None:
        """Play at ``rate`` (one of ``SPEEDS``); the speed box follows."""
        index = self.speed_box.findData(rate)
        if index >= 0:
            self.speed_box.setCurrentIndex(index)
        else:
            self.playback.set_speed(rate)

    def _space_pressed(self) -> None:
        # Space belongs to a focused button, check box or list box (it presses / opens it); else it plays.
        # (A key event sent to it would come back here: a sent key press goes through the shortcuts again.)
        focus = QApplication.focusWidget()
        if isinstance(focus, QAbstractButton) and focus.isEnabled() and focus.isVisible():
            focus.click()
        elif isinstance(focus, QComboBox) and focus.isEnabled() and focus.isVisible():
            focus.showPopup()
        else:
            self.toggle()

    # ---- locating a missing recording -------------------------------------------------------------------

    def locate(self) -> Path | None:
        """Ask where the missing recording is now (a file dialog); load it and emit ``source_located``.
        Returns the path chosen, or None (cancelled)."""
        old = self._path
        start = next((str(p) for p in (old.parent, *old.parents) if p.is_dir()), "") if old is not None else ""
        name = old.name if old is not None else ""
        chosen, _ = QFileDialog.getOpenFileName(self, f"Locate {display_name(name)}", start,
                                                f"{name} ({name});;All files (*)" if name else "All files (*)")
        if not chosen:
            return None
        path = Path(chosen)
        self.set_source(path)
        if self.playable():
            self.source_located.emit(path)
        return path

    # ---- reactions ---------------------------------------------------------------------------------------

    def _show_state(self) -> None:
        self.setVisible(self._path is not None)
        line = missing_line(self._path) if self._missing else self._failed
        for widget in self._controls:
            widget.setVisible(line is None)
        self.notice.setText(line or "")
        self.notice.setToolTip(line or "")
        self.notice.setVisible(line is not None)
        self.locate_button.setVisible(self._missing or self._failed is not None)
        for action in (self.play_action, self.play_menu_action, self.back_action, self.forward_action):
            action.setEnabled(self.playable())
        self.play_button.setEnabled(self.playable())

    def _on_failed(self, sentence: str) -> None:
        self._failed = sentence
        self._show_state()

    def _on_playing(self, playing: bool) -> None:
        self.play_button.setIcon(self._pause_icon if playing else self._play_icon)
        self.play_button.setToolTip(f"{'Pause' if playing else 'Play'} (Space)")

    def _on_duration(self, seconds: float) -> None:
        self._duration = seconds
        self.slider.setRange(0, round(seconds * 1000))
        self._show_time(self.position_s())

    def _on_position(self, seconds: float) -> None:
        if not self._dragging:
            self.slider.blockSignals(True)
            self.slider.setValue(round(seconds * 1000))
            self.slider.blockSignals(False)
            self._show_time(seconds)
        self.position_changed.emit(seconds)

    def _show_time(self, seconds: float) -> None:
        self.time_label.setText(f"{clock_text(seconds)} / {clock_text(self._duration)}")

    def _drag_started(self) -> None:
        self._dragging = True

    def _drag_ended(self) -> None:
        self._dragging = False
        self.seek(self.slider.value() / 1000.0)

    def _slider_action(self, _action: int) -> None:
        # A click on the groove, the wheel or a key on the focused slider; a drag seeks when it ends.
        if not self.slider.isSliderDown():
            self.seek(self.slider.sliderPosition() / 1000.0)
