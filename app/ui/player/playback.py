"""``Playback``: one recording played with Qt Multimedia (``QMediaPlayer`` + ``QAudioOutput``), in seconds.

Qt decodes and plays in threads of its own (the FFmpeg backend, the only one in the PySide6 wheels), so the
GUI thread only receives position updates (about every 50 ms while playing).

Without a sound device (a headless test machine) no audio output is attached: Qt would only warn "No audio
device detected" from its audio thread on every play, and a warning from another thread reaching a Python
message handler (pytest-qt installs one per test) crashed the test process about one run in twenty. The
FFmpeg backend then plays on its own clock: positions advance, seeks land and the playback rate applies, so
tests observe it through the position signals, not sound; as it never reports the end of the file then,
``Playback`` stops there itself. A sound device plugged in later is used from then on.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QLoggingCategory, QObject, QUrl, Signal
from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer

from app.core.user_files import display_name

SPEEDS = (0.75, 1.0, 1.25, 1.5, 2.0)
"""The playback rates offered (1.0 is normal speed)."""
SKIP_SECONDS = 5.0
"""How far back / forward the ±5 s buttons and Ctrl+Left / Ctrl+Right jump, in seconds."""

QUIET_LOG_RULES = "qt.multimedia.ffmpeg*.info=false\nqt.multimedia.symbolsresolver.warning=false"
"""Qt logging rules that keep FFmpeg's description of every file opened ("Input #0, wav, ...") and the
optional libraries Qt looks for (PipeWire, VA-API) out of the terminal; errors still reach ``failed``."""

_LOADING = (QMediaPlayer.MediaStatus.NoMedia, QMediaPlayer.MediaStatus.LoadingMedia)


def settle_cross_thread_virtuals(*objects: QObject) -> None:
    """Make Qt's calls of ``connectNotify`` / ``disconnectNotify`` on ``objects`` (created from Python) skip Python.

    Qt Multimedia's threads connect to and disconnect from the player's and the audio output's signals (a
    renderer destroyed in its own thread, for one), and Qt then calls these virtuals on them in that thread.
    For an object created from Python, PySide first looks for a Python override, which takes the GIL; if the
    GUI thread holds the GIL meanwhile while it waits in ``stop()`` or ``setSource()`` for the same object's
    connection lock, the two wait for each other for ever (seen here: a hang about one run in ten of the player
    tests). PySide remembers per object that there is no override once it has looked, and then never takes
    the GIL for that virtual again, so one connect and disconnect here, in the GUI thread, settles both."""

    def nothing(*_args) -> None:
        return None

    for qobject in objects:
        qobject.objectNameChanged.connect(nothing)
        qobject.objectNameChanged.disconnect(nothing)


def quiet_multimedia_logs() -> None:
    """Apply ``QUIET_LOG_RULES`` (the window's start does; ``QT_LOGGING_RULES`` in the environment still wins)."""
    QLoggingCategory.setFilterRules(QUIET_LOG_RULES)


class Playback(QObject):
    """Plays one file at a time; every time is in seconds (Qt's milliseconds stay inside).

    ``load(path)`` opens a recording (audio, or the audio of a video file) without playing it; loading is
    asynchronous, so a seek or ``play()`` asked for meanwhile is kept and applied once the file is loaded.
    Signals: ``position_changed(seconds)``, ``duration_changed(seconds)``, ``playing_changed(bool)`` and
    ``failed(sentence)``: one sentence naming the file and Qt's reason (``QMediaPlayer.errorOccurred``).

    Thread-safety: GUI thread only.
    """

    position_changed = Signal(float)
    duration_changed = Signal(float)
    playing_changed = Signal(bool)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        settle_cross_thread_virtuals(self.player, self.audio)  # before Qt's threads ever see them
        self.devices = QMediaDevices(self)
        self.devices.audioOutputsChanged.connect(self._route_sound)
        self._route_sound()
        if hasattr(self.player, "setPitchCompensation"):  # Qt 6.10+: 1.5x speech keeps its pitch
            self.player.setPitchCompensation(True)
        self._path: Path | None = None
        self._pending_ms: int | None = None  # a seek asked for while the file loads
        self._play_when_loaded = False
        self.player.positionChanged.connect(self._on_position)
        self.player.durationChanged.connect(lambda ms: self.duration_changed.emit(ms / 1000.0))
        self.player.playbackStateChanged.connect(
            lambda state: self.playing_changed.emit(state == QMediaPlayer.PlaybackState.PlayingState))
        self.player.mediaStatusChanged.connect(self._on_status)
        self.player.errorOccurred.connect(self._on_error)

    @property
    def path(self) -> Path | None:
        """The file loaded (or loading), or None."""
        return self._path

    def load(self, path: Path | None) -> None:
        """Open ``path`` (None: nothing), stopped at 0 s; problems arrive later on ``failed``."""
        self.player.stop()
        self._path = Path(path) if path is not None else None
        self._pending_ms, self._play_when_loaded = None, False
        self.player.setSource(QUrl.fromLocalFile(str(self._path)) if self._path is not None else QUrl())

    def audible(self) -> bool:
        """True when the sound goes to a device (False on a computer without one: it plays silently)."""
        return self.player.audioOutput() is not None

    def _route_sound(self) -> None:
        # The audio output only while there is a device to play on (see the module's notes).
        if QMediaDevices.audioOutputs():
            self.audio.setDevice(QMediaDevices.defaultAudioOutput())
            self.player.setAudioOutput(self.audio)
        else:
            self.player.setAudioOutput(None)

    def close(self) -> None:
        """Stop and let go of the file (Qt's decoding threads end)."""
        self.load(None)

    def is_playing(self) -> bool:
        """True while playing (not paused, stopped or loading)."""
        return self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState or self._play_when_loaded

    def position_s(self) -> float:
        """The playing position in seconds (a seek still waiting for the file to load counts as done)."""
        if self._pending_ms is not None:
            return self._pending_ms / 1000.0
        return self.player.position() / 1000.0

    def duration_s(self) -> float:
        """The recording's duration in seconds (0 until it is loaded)."""
        return self.player.duration() / 1000.0

    def seek(self, seconds: float) -> None:
        """Go to ``seconds`` (clamped to the recording; not finite: ignored), playing on if it played."""
        if self._path is None or not math.isfinite(seconds):
            return
        ms = max(0, round(seconds * 1000))
        if self.player.duration() > 0:
            ms = min(ms, self.player.duration())
        if self.player.mediaStatus() in _LOADING:
            self._pending_ms = ms
            self.position_changed.emit(ms / 1000.0)
            return
        self.player.setPosition(ms)

    def skip(self, seconds: float) -> None:
        """Jump ``seconds`` forward (negative: back) from the position, within the recording."""
        self.seek(self.position_s() + seconds)

    def play(self) -> None:
        """Play from the position (from the start again once the end was reached)."""
        if self._path is None:
            return
        if self.player.mediaStatus() in _LOADING:
            self._play_when_loaded = True
            self.playing_changed.emit(True)
            return
        duration = self.player.duration()
        if self.player.mediaStatus() == QMediaPlayer.MediaStatus.EndOfMedia or 0 < duration <= self.player.position():
            self.player.setPosition(0)
        self.player.play()

    def pause(self) -> None:
        """Pause at the position."""
        if self._play_when_loaded:
            self._play_when_loaded = False
            self.playing_changed.emit(False)
        self.player.pause()

    def toggle(self) -> None:
        """Pause when playing, else play."""
        if self.is_playing():
            self.pause()
        else:
            self.play()

    def speed(self) -> float:
        """The playback rate (1.0 is normal speed)."""
        return self.player.playbackRate()

    def set_speed(self, rate: float) -> None:
        """Play at ``rate`` times normal speed (one of ``SPEEDS``; other values are allowed)."""
        self.player.setPlaybackRate(float(rate))

    def _on_position(self, ms: int) -> None:
        if self._pending_ms is None:
            self.position_changed.emit(ms / 1000.0)
        if not self.audible() and 0 < self.player.duration() <= ms and self.is_playing():
            self.player.pause()  # (silent: Qt's clock would run on past the end without a word)

    def _on_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status in _LOADING or status == QMediaPlayer.MediaStatus.InvalidMedia:
            if status == QMediaPlayer.MediaStatus.InvalidMedia and self._play_when_loaded:
                self._play_when_loaded = False
                self.playing_changed.emit(False)
            return
        pending, self._pending_ms = self._pending_ms, None
        if pending is not None:
            self.player.setPosition(min(pending, self.player.duration()) if self.player.duration() > 0 else pending)
        if self._play_when_loaded:
            self._play_when_loaded = False
            self.player.play()

    def _on_error(self, _error: QMediaPlayer.Error, reason: str) -> None:
        if self._path is None:
            return
        reason = (reason or "the file cannot be played").rstrip(".")
        self.failed.emit(f"Cannot play {display_name(self._path)}: {reason[:1].lower()}{reason[1:]}.")
