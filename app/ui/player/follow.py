"""Follow mode: the transcript highlights the segment being played and keeps it in view.

``TranscriptFollower`` listens to the player's position (about every 50 ms while playing) and finds the
segment there by bisection on the segments' start times: O(log n) per position, and the view's highlight
changes only when the segment does (an extra selection, never a redraw). The start times are collected
once per change of the transcript shown (a decoded segment, a redraw), not per position.

Follow mode turns off when the user scrolls the transcript by hand (the scroll bar's user actions: wheel,
drag, page keys) and on again with the strip's Follow button or a click on a timestamp.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from bisect import bisect_right

from PySide6.QtCore import QObject, Signal

from app.core.analysis import Segment
from app.ui.player.strip import PlayerStrip
from app.ui.results.transcript_view import TranscriptView


def segment_index_at(starts: list[float], ends: list[float], seconds: float) -> int | None:
    """The segment playing at ``seconds``: the last one starting at or before it (through the pause after
    it), None before the first one and after the end of the last one. ``starts`` ascending, in seconds."""
    index = bisect_right(starts, seconds) - 1
    if index < 0 or (index == len(starts) - 1 and seconds > ends[index]):
        return None
    return index


class TranscriptFollower(QObject):
    """Ties a ``PlayerStrip``'s position to a ``TranscriptView``: highlight, follow, user scrolls.

    ``following()`` says whether follow mode is on (the strip's ``follow_button`` shows it and switches it);
    ``follow_changed(bool)`` tells a change. ``segment_at(seconds)`` is the segment the recording is in then.

    Thread-safety: GUI thread only.
    """

    follow_changed = Signal(bool)

    def __init__(self, view: TranscriptView, strip: PlayerStrip, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view, self.strip = view, strip
        self._following = strip.follow_button.isChecked()
        self._seen: tuple[int, int, int] | None = None  # (id of the list, its length, id of its last segment)
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._played = False  # a position was shown since the file was (a redraw shows it again)
        strip.position_changed.connect(self.on_position)
        strip.follow_button.toggled.connect(self.set_following)
        view.verticalScrollBar().actionTriggered.connect(self._user_scrolled)

    def following(self) -> bool:
        """True while follow mode is on."""
        return self._following

    def set_following(self, on: bool) -> None:
        """Switch follow mode; turned on, it brings the segment being played into view at once."""
        on = bool(on)
        if self.strip.follow_button.isChecked() != on:
            self.strip.follow_button.setChecked(on)  # (comes back here through toggled)
            return
        if on == self._following:
            return
        self._following = on
        playing = self.view.highlighted_segment()
        if on and playing is not None:
            self.view.keep_in_view(playing)
        self.follow_changed.emit(on)

    def segment_at(self, seconds: float) -> int | None:
        """The segment (0-based, of the view's segments) the recording is in at ``seconds``; None when none."""
        self._update_times()
        if not self._starts:
            return None
        return segment_index_at(self._starts, self._ends, seconds)

    def on_position(self, seconds: float) -> None:
        """The player is at ``seconds``: highlight that segment; in follow mode, keep it in view."""
        self._played = True
        index = self.segment_at(seconds)
        if index == self.view.highlighted_segment():
            return
        self.view.highlight_segment(index)
        if index is not None and self._following:
            self.view.keep_in_view(index)

    def clear(self) -> None:
        """Another file is shown: no highlight until it plays."""
        self.view.highlight_segment(None)
        self._seen, self._played = None, False

    def refresh(self) -> None:
        """The transcript was drawn again (an edit, speakers found): highlight the segment at the player's
        position again, if one was highlighted since the file was shown."""
        if self._played:
            self.on_position(self.strip.position_s())

    def _update_times(self) -> None:
        segments: list[Segment] = self.view.segments()
        seen = (id(segments), len(segments), id(segments[-1]) if segments else 0)
        if seen == self._seen:
            return
        previous, self._seen = self._seen, seen
        grown = (previous is not None and previous[0] == seen[0] and 0 < previous[1] < seen[1]
                 and id(segments[previous[1] - 1]) == previous[2])
        if grown:
            new = segments[previous[1]:]  # segments appended while decoding: add theirs
        else:
            self._starts, self._ends, new = [], [], segments
        self._starts.extend(s.start for s in new)
        self._ends.extend(s.end for s in new)

    def _user_scrolled(self, _action: int) -> None:
        self.set_following(False)
