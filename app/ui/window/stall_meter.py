"""How responsive the GUI stays: the longest gap between ticks of a fast timer on the event loop.

A ``QTimer`` firing every ``interval_ms`` (10 ms) runs on the thread's event
loop; whenever that loop is busy (a long slot, a layout storm, a thread that
holds the GIL) the next tick comes late. The longest gap between two ticks is
the longest stall a user could have felt. Used by the GUI integration test and
the benchmark script.

Thread-safety: create, start and stop it in the thread whose event loop it
measures (the GUI thread).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer


class StallMeter(QObject):
    """Records the gaps between ticks of a ``interval_ms`` timer from ``start()`` to ``stop()``.

    ``max_gap_ms``: the longest gap in milliseconds (about the interval when
    the loop never stalled); ``ticks``: how many gaps were recorded (one per
    tick, and the last one at ``stop()``); ``gaps_over(ms)`` counts the gaps
    longer than ``ms``.
    """

    def __init__(self, interval_ms: int = 10, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self._gaps: list[float] = []

    @property
    def max_gap_ms(self) -> float:
        """The longest gap between two ticks (or from the last tick to ``stop()``), in milliseconds."""
        return max(self._gaps, default=0.0)

    @property
    def ticks(self) -> int:
        """Gaps recorded since ``start()``."""
        return len(self._gaps)

    def gaps_over(self, ms: float) -> int:
        """How many gaps were longer than ``ms`` milliseconds."""
        return sum(1 for gap in self._gaps if gap > ms)

    def is_running(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._timer.isActive()

    def start(self) -> None:
        """Forget earlier gaps and start ticking."""
        self._gaps = []
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> float:
        """Stop ticking (the time since the last tick counts as a gap too); return ``max_gap_ms``."""
        if self._timer.isActive():
            self._timer.stop()
            self._record(time.perf_counter())
        return self.max_gap_ms

    def _tick(self) -> None:
        self._record(time.perf_counter())

    def _record(self, now: float) -> None:
        self._gaps.append((now - self._last) * 1000.0)
        self._last = now
