"""What follow mode costs the GUI thread per player position, on a long transcript (run by hand, not by `make bench`).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/bench_player.py [SEGMENTS]

Draws SEGMENTS (default 10,000: about 8 hours of speech) scripted segments in a TranscriptView, then times
``TranscriptFollower.on_position`` (the work done for each position the player reports, about every 50 ms
while playing): a position inside the segment already highlighted, a seek to a random segment (highlight and
scroll), and playing on segment after segment with a repaint after each. Prints the median and the longest,
in milliseconds.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.ui.player.follow import TranscriptFollower  # noqa: E402
from app.ui.player.strip import PlayerStrip  # noqa: E402
from app.ui.results.transcript_view import TranscriptView  # noqa: E402
from tests.fakes import make_segments  # noqa: E402

SECONDS_EACH = 3.0


def spread(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1e3:.3f} ms, longest {max(samples) * 1e3:.2f} ms"


def timed(call, *args) -> float:
    started = time.perf_counter()
    call(*args)
    return time.perf_counter() - started


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    app = QApplication.instance() or QApplication(sys.argv[:1])
    view, strip = TranscriptView(), PlayerStrip()
    view.resize(900, 500)
    view.show()
    follower = TranscriptFollower(view, strip)
    texts = [f"Segment {i} says something about the plan and the budget for the quarter." for i in range(count)]
    started = time.perf_counter()
    view.sync(make_segments(texts, SECONDS_EACH))
    app.processEvents()
    print(f"segments={count} drawn_s={time.perf_counter() - started:.2f}")
    follower.segment_at(0.0)  # the start times are collected once per transcript shown
    same, seeks, playing = [], [], []
    for k in range(2000):
        at = (k * 7919 % count) * SECONDS_EACH + 1.0
        seeks.append(timed(follower.on_position, at))
        same.append(timed(follower.on_position, at + 0.05))
        if k % 50 == 0:
            app.processEvents()
    view.verticalScrollBar().setValue(0)
    for k in range(min(2000, count)):
        playing.append(timed(follower.on_position, k * SECONDS_EACH + 1.0))
        app.processEvents()
    print(f"same_segment: {spread(same)}")
    print(f"seek_to_random_segment: {spread(seeks)}")
    print(f"playing_on_segment_after_segment: {spread(playing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
