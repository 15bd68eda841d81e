"""The player strip and follow mode, on the real speech.wav through Qt Multimedia's FFmpeg backend.

Tests run with Qt's offscreen platform and no audio device: the FFmpeg backend still plays on its own clock,
so seeks, position updates, the playback rate and the end of the file are observed through the player's
position signals (not sound). Window-level tests show a finished analysis as opening it from the History does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QTextCursor, QWheelEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QSlider, QTextEdit

from app.core.analysis import Analysis, AnalysisStatus, PromptStatus
from app.ui.player.follow import TranscriptFollower, segment_index_at
from app.ui.player.playback import SKIP_SECONDS, SPEEDS
from app.ui.player.strip import PlayerStrip, clock_text, missing_line
from app.ui.results.transcript_view import TranscriptView
from app.ui.window.help_pages import shortcut_rows, shortcuts_html
from tests.conftest import DATA_DIR
from tests.fakes import make_segments
from tests.unit.test_ui_speakers import show

SPEECH = DATA_DIR / "speech.wav"
SPEECH_SECONDS = 13.34
TEXTS = ["Hello team, let's start.", "Thanks. I have the budget.", "It is in the shared folder.",
         "Great, and the launch?", "Friday, as planned.", "Good, see you then."]
CTRL = Qt.KeyboardModifier.ControlModifier


def finished_analysis(source: Path = SPEECH, segments=None) -> Analysis:
    """A finished analysis of ``source`` (as the pipeline leaves it): TEXTS, 2 s each, and one answer."""
    analysis = Analysis(source=source, prompts=["Who owns what?"])
    analysis.transcript.segments = segments if segments is not None else make_segments(TEXTS)
    analysis.transcript.duration = analysis.transcript.segments[-1].end
    analysis.transcript_complete = True
    analysis.status = AnalysisStatus.DONE
    result = analysis.prompt_results[0]
    result.status, result.response = PromptStatus.DONE, "Speaker 2 owns the budget."
    return analysis


def loaded(qtbot, strip: PlayerStrip) -> PlayerStrip:
    qtbot.waitUntil(lambda: strip.duration_s() > 0, timeout=5000)
    return strip


def timestamp_point(view: TranscriptView, segment: int) -> QPoint:
    """Where segment ``segment``'s ``[mm:ss]`` link is drawn, in viewport coordinates."""
    block = view.document().findBlockByNumber(view.block_of(segment))
    cursor = QTextCursor(block)
    cursor.setPosition(block.position() + 2)  # inside "[00:04]"
    return view.cursorRect(cursor).center()


def text_point(view: TranscriptView, segment: int) -> QPoint:
    block = view.document().findBlockByNumber(view.block_of(segment))
    cursor = QTextCursor(block)
    cursor.setPosition(block.position() + 12)  # inside the segment's words
    return view.cursorRect(cursor).center()


def block_visible(view: TranscriptView, segment: int) -> bool:
    block = view.document().findBlockByNumber(view.block_of(segment))
    rect = view.blockBoundingGeometry(block).translated(view.contentOffset())
    return rect.top() >= 0 and rect.bottom() <= view.viewport().height()


def active(window, qtbot):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    return window


# ---- the player on its own ------------------------------------------------------------------------------------


def test_without_an_audio_device_the_player_loads_seeks_plays_at_speed_and_pauses(qtbot):
    strip = PlayerStrip()
    qtbot.addWidget(strip)
    strip.set_source(SPEECH)
    loaded(qtbot, strip)
    assert strip.duration_s() == pytest.approx(SPEECH_SECONDS, abs=0.05)
    assert strip.time_label.text() == "00:00 / 00:13"

    with qtbot.waitSignal(strip.position_changed, timeout=3000) as seen:
        strip.seek(5.0)
    assert seen.args[0] == pytest.approx(5.0, abs=0.05) and not strip.is_playing()
    assert strip.time_label.text() == "00:05 / 00:13" and strip.slider.value() == 5000

    strip.set_speed(2.0)
    assert strip.speed() == 2.0 and strip.speed_box.currentText() == "2×"
    strip.play_from(5.0)
    qtbot.waitUntil(lambda: strip.position_s() > 5.6, timeout=3000)  # the position advances with no sound card
    strip.pause()
    qtbot.waitUntil(lambda: not strip.is_playing(), timeout=2000)
    paused_at = strip.position_s()
    qtbot.wait(200)
    assert strip.position_s() == pytest.approx(paused_at, abs=0.01)


def test_a_video_file_plays_its_sound(qtbot):
    strip = PlayerStrip()
    qtbot.addWidget(strip)
    strip.set_source(DATA_DIR / "speech.mp4")
    loaded(qtbot, strip)
    assert strip.message() == "" and strip.duration_s() == pytest.approx(28.2, abs=0.1)
    strip.play_from(20.0)
    qtbot.waitUntil(lambda: strip.position_s() > 20.3, timeout=3000)


def test_speed_box_offers_075_to_2x_and_sets_the_rate(qtbot):
    strip = PlayerStrip()
    qtbot.addWidget(strip)
    assert [strip.speed_box.itemText(i) for i in range(strip.speed_box.count())] == ["0.75×", "1×", "1.25×",
                                                                                     "1.5×", "2×"]
    assert strip.speed() == 1.0
    for index, rate in enumerate(SPEEDS):
        strip.speed_box.setCurrentIndex(index)
        assert strip.speed() == rate


def test_back_and_forward_jump_5_s_within_the_recording(qtbot):
    strip = PlayerStrip()
    qtbot.addWidget(strip)
    strip.set_source(SPEECH)
    loaded(qtbot, strip)
    strip.seek(6.0)
    qtbot.waitUntil(lambda: strip.playback.player.position() == 6000, timeout=2000)
    with qtbot.waitSignal(strip.position_changed, timeout=2000):
        strip.forward_button.click()
    assert strip.position_s() == pytest.approx(6.0 + SKIP_SECONDS, abs=0.05)
    with qtbot.waitSignal(strip.position_changed, timeout=2000):
        strip.forward_button.click()  # past the end: the end
    assert strip.position_s() == pytest.approx(SPEECH_SECONDS, abs=0.05)
    strip.seek(3.0)
    qtbot.waitUntil(lambda: strip.playback.player.position() == 3000, timeout=2000)
    with qtbot.waitSignal(strip.position_changed, timeout=2000):
        strip.back_button.click()  # before the start: the start
    assert strip.position_s() == 0.0


def test_at_the_end_it_stops_and_play_starts_again_from_the_beginning(qtbot):
    strip = PlayerStrip()
    qtbot.addWidget(strip)
    strip.set_source(SPEECH)
    loaded(qtbot, strip)
    strip.set_speed(2.0)
    strip.play_from(SPEECH_SECONDS - 0.4)
    qtbot.waitUntil(strip.is_playing, timeout=2000)
    qtbot.waitUntil(lambda: not strip.is_playing(), timeout=3000)  # the end of the file
    strip.play_button.click()
    qtbot.waitUntil(lambda: strip.is_playing() and strip.position_s() < 2.0, timeout=3000)


def test_the_slider_seeks_where_it_is_clicked_or_dragged_to(qtbot):
    strip = PlayerStrip()
    qtbot.addWidget(strip)
    strip.set_source(SPEECH)
    loaded(qtbot, strip)
    with qtbot.waitSignal(strip.position_changed, timeout=2000):
        strip.slider.triggerAction(QSlider.SliderAction.SliderPageStepAdd)  # a click on the groove: 5 s on
    assert strip.position_s() == pytest.approx(SKIP_SECONDS, abs=0.05)
    strip.slider.setSliderDown(True)  # a drag: the time follows, the seek waits for the release
    strip.slider.setSliderPosition(9000)
    assert strip.time_label.text() == "00:09 / 00:13" and strip.position_s() == pytest.approx(SKIP_SECONDS, abs=0.05)
    with qtbot.waitSignal(strip.position_changed, timeout=2000):
        strip.slider.setSliderDown(False)
    assert strip.position_s() == pytest.approx(9.0, abs=0.05)


def test_a_seek_asked_for_while_the_file_loads_is_kept(qtbot):
    strip = PlayerStrip()
    qtbot.addWidget(strip)
    strip.set_source(SPEECH)
    strip.seek(7.5)  # at once, before Qt has opened the file
    assert strip.position_s() == 7.5
    loaded(qtbot, strip)
    qtbot.waitUntil(lambda: strip.playback.player.position() == 7500, timeout=3000)


def test_a_file_qt_cannot_play_becomes_one_line_not_a_dialog(qtbot, tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" + b"\x00" * 64)
    strip = PlayerStrip()
    qtbot.addWidget(strip)
    strip.show()
    strip.set_source(broken)
    qtbot.waitUntil(lambda: strip.message() != "", timeout=5000)
    assert strip.message().startswith("Cannot play broken.wav: ") and strip.message().endswith(".")
    assert "\n" not in strip.message() and not strip.playable() and not strip.play_action.isEnabled()
    assert strip.slider.isHidden() and QApplication.activeModalWidget() is None


def test_segment_index_at_bisects_on_the_starts():
    starts, ends = [0.0, 2.0, 5.0], [1.5, 4.0, 6.0]
    assert [segment_index_at(starts, ends, t) for t in (-1.0, 0.0, 1.9, 2.0, 4.5, 5.0, 6.0, 6.1)] == \
        [None, 0, 0, 1, 1, 2, 2, None]  # a pause belongs to the segment before it; after the last one: none


def test_clock_text_reads_as_the_transcript_timestamps():
    assert [clock_text(s) for s in (0, 5.9, 65, 3725)] == ["00:00", "00:05", "01:05", "1:02:05"]


# ---- follow mode on a long transcript -------------------------------------------------------------------------


@pytest.fixture
def follow_setup(qtbot):
    """A 200-segment transcript (0.06 s each, so all of it lies within speech.wav) in a short view, its player
    and follower."""
    view, strip = TranscriptView(), PlayerStrip()
    follower = TranscriptFollower(view, strip)
    for widget in (view, strip):
        qtbot.addWidget(widget)
    view.resize(500, 240)
    view.show()
    segments = make_segments([f"Line number {i} of a long meeting." for i in range(200)], seconds_each=0.06)
    view.sync(segments)
    view.verticalScrollBar().setValue(0)  # (appending kept the end in view)
    strip.set_source(SPEECH)
    loaded(qtbot, strip)
    return view, strip, follower


def seek_and_wait(qtbot, strip: PlayerStrip, seconds: float) -> None:
    with qtbot.waitSignal(strip.position_changed, timeout=3000):
        strip.seek(seconds)


def test_follow_mode_highlights_the_segment_played_and_scrolls_to_it(qtbot, follow_setup):
    view, strip, follower = follow_setup
    assert follower.following() and view.verticalScrollBar().value() == 0
    seek_and_wait(qtbot, strip, 150 * 0.06 + 0.03)
    assert view.highlighted_segment() == 150
    selection = view.extraSelections()[0]
    assert selection.cursor.blockNumber() == view.block_of(150)
    assert block_visible(view, 150) and view.verticalScrollBar().value() > 100

    strip.play_from(30 * 0.06 + 0.01)  # playing: the highlight moves on with the position
    qtbot.waitUntil(lambda: (view.highlighted_segment() or 0) > 32, timeout=3000)
    strip.pause()
    qtbot.waitUntil(lambda: not strip.is_playing(), timeout=2000)
    assert block_visible(view, view.highlighted_segment())
    assert view.highlighted_segment() == follower.segment_at(strip.position_s())


def test_scrolling_by_hand_turns_follow_off_and_the_button_or_a_timestamp_turns_it_on(qtbot, follow_setup):
    view, strip, follower = follow_setup
    seek_and_wait(qtbot, strip, 150 * 0.06 + 0.03)
    assert block_visible(view, 150)
    wheel = QWheelEvent(QPointF(50, 50), QPointF(view.viewport().mapToGlobal(QPoint(50, 50))), QPoint(0, 0),
                        QPoint(0, 360), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), wheel)  # the user scrolls up
    assert not follower.following() and not strip.follow_button.isChecked()
    scrolled_to = view.verticalScrollBar().value()

    seek_and_wait(qtbot, strip, 190 * 0.06 + 0.03)  # still highlighted, but the view stays where the user put it
    assert view.highlighted_segment() == 190 and view.verticalScrollBar().value() == scrolled_to
    assert not block_visible(view, 190)

    strip.follow_button.click()  # back on: to the segment at once
    assert follower.following() and block_visible(view, 190)

    QApplication.sendEvent(view.viewport(), wheel)
    assert not follower.following()
    follower.set_following(True)
    assert strip.follow_button.isChecked()


def test_a_transcript_growing_while_it_plays_is_followed_with_its_new_segments(qtbot):
    view, strip = TranscriptView(), PlayerStrip()
    follower = TranscriptFollower(view, strip)
    qtbot.addWidget(view)
    qtbot.addWidget(strip)
    segments = make_segments([f"Segment {i}." for i in range(10)], seconds_each=1.0)
    shown = segments[:4]
    view.sync(shown)
    assert follower.segment_at(3.5) == 3 and follower.segment_at(6.5) is None  # past the last one so far
    shown.extend(segments[4:])  # decoded meanwhile (the same list grows, as a FileEntry's does)
    view.sync(shown)
    assert follower.segment_at(6.5) == 6 and follower.segment_at(10.5) is None


def test_other_highlights_such_as_find_matches_are_drawn_over_the_segment_played_and_kept(qtbot):
    view = TranscriptView()
    qtbot.addWidget(view)
    view.sync(make_segments(TEXTS))
    match = QTextEdit.ExtraSelection()
    match.cursor = view.document().find("budget")
    match.format.setBackground(QColor("#fde68a"))
    view.set_highlights("find", [match])
    view.highlight_segment(1)
    view.highlight_segment(2)  # the segment played moves on; the find match stays, on top
    drawn = view.extraSelections()
    assert [s.cursor.blockNumber() for s in drawn] == [view.block_of(2), view.block_of(1)]
    assert drawn[1].cursor.selectedText() == "budget"
    view.highlight_segment(None)
    assert [s.cursor.selectedText() for s in view.extraSelections()] == ["budget"]
    view.reset()
    assert view.extraSelections() == [] and view.highlighted_segment() is None


# ---- in the window ------------------------------------------------------------------------------------------


def test_a_redrawn_transcript_highlights_the_segment_played_again(make_window, qtbot):
    window = make_window(auto_start=False)
    show(window, finished_analysis())
    results = window.results
    loaded(qtbot, results.player)
    seek_and_wait(qtbot, results.player, 4.5)
    assert results.transcript.highlighted_segment() == 2
    results.redraw_transcript()  # as after an edit
    assert results.transcript.highlighted_segment() == 2


def test_clicking_a_timestamp_plays_from_that_segment_and_highlights_it(make_window, qtbot):
    window = make_window(auto_start=False)
    show(window, finished_analysis())
    view, strip = window.results.transcript, window.results.player
    assert strip.isVisible() and strip.path == SPEECH
    loaded(qtbot, strip)
    positions = []
    strip.position_changed.connect(positions.append)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=timestamp_point(view, 3))
    qtbot.waitUntil(lambda: strip.is_playing() and bool(positions), timeout=3000)
    start = 3 * 2.0
    assert abs(positions[0] - start) <= 0.3 and abs(strip.position_s() - start) <= 0.3
    qtbot.waitUntil(lambda: view.highlighted_segment() == 3, timeout=2000)
    assert window.results.tabs.currentIndex() == window.results.TRANSCRIPT_TAB


def test_double_clicking_a_segments_text_plays_from_its_start(make_window, qtbot):
    window = make_window(auto_start=False)
    show(window, finished_analysis())
    view, strip = window.results.transcript, window.results.player
    loaded(qtbot, strip)
    with qtbot.waitSignal(view.segment_activated, timeout=2000) as activated:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=text_point(view, 4))
    assert activated.args == [4, 8.0]
    qtbot.waitUntil(lambda: strip.is_playing(), timeout=3000)
    assert abs(strip.position_s() - 8.0) <= 0.3


def test_play_at_keeps_the_current_tab_scrolls_the_transcript_and_plays_from_there(make_window, qtbot):
    window = make_window(auto_start=False)
    show(window, finished_analysis())
    results = window.results
    results.tabs.setCurrentIndex(1)  # the answer's tab, where a citation link is clicked
    results.follower.set_following(False)
    results.play_at(4.5)
    assert results.tabs.currentIndex() == 1 and results.follower.following()
    assert results.transcript.highlighted_segment() == 2
    qtbot.waitUntil(lambda: results.player.is_playing(), timeout=3000)
    assert abs(results.player.position_s() - 4.5) <= 0.3
    results.play_at(2.0, show_transcript=True)
    assert results.tabs.currentIndex() == results.TRANSCRIPT_TAB


def test_space_and_ctrl_arrows_play_pause_and_jump_unless_a_text_field_has_the_focus(make_window, qtbot):
    window = active(make_window(auto_start=False), qtbot)
    show(window, finished_analysis())
    view, strip = window.results.transcript, window.results.player
    loaded(qtbot, strip)

    view.setFocus()  # the read-only transcript: Space is the player's
    qtbot.keyClick(view, Qt.Key.Key_Space)
    qtbot.waitUntil(strip.is_playing, timeout=2000)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not strip.is_playing(), timeout=2000)

    strip.seek(6.0)
    qtbot.waitUntil(lambda: strip.playback.player.position() == 6000, timeout=2000)
    qtbot.keyClick(view, Qt.Key.Key_Right, CTRL)
    qtbot.waitUntil(lambda: strip.position_s() == pytest.approx(11.0, abs=0.05), timeout=2000)
    qtbot.keyClick(view, Qt.Key.Key_Left, CTRL)
    qtbot.keyClick(view, Qt.Key.Key_Left, CTRL)
    qtbot.waitUntil(lambda: strip.position_s() == pytest.approx(1.0, abs=0.05), timeout=2000)
    qtbot.keyRelease(view, Qt.Key.Key_Control)

    line = window.results.ask_bar.line  # a text field: Space types a space
    line.setFocus()
    qtbot.keyClicks(line, "who ")
    qtbot.wait(100)
    assert line.text() == "who " and not strip.is_playing()

    strip.follow_button.setFocus()  # a focused button: Space presses it
    qtbot.keyClick(strip.follow_button, Qt.Key.Key_Space)
    assert not strip.follow_button.isChecked() and not strip.is_playing()
    strip.play_menu_action.trigger()  # View → Play / Pause plays, whatever has the focus
    qtbot.waitUntil(strip.is_playing, timeout=2000)
    assert not strip.follow_button.isChecked()


def test_the_player_keys_are_in_the_shortcuts_table(make_window):
    window = make_window(auto_start=False)
    rows = dict((what, keys) for keys, what in shortcut_rows(window))
    assert rows["Play / Pause"] == "Space"
    assert rows["Back 5 s"] == "Ctrl+Left" and rows["Forward 5 s"] == "Ctrl+Right"
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert [a.text() for a in view_menu.actions() if not a.isSeparator()][-3:] == \
        ["Play / Pause\tSpace", "Back 5 s", "Forward 5 s"]
    assert "double-click a line (in the transcript)</b></td><td>Play the recording from there" in shortcuts_html(window)


def test_a_moved_recording_says_so_in_one_line_and_locate_points_the_file_there(make_window, qtbot, tmp_path,
                                                                               monkeypatch):
    gone = tmp_path / "before" / "meeting.wav"
    moved = tmp_path / "after" / "meeting.wav"
    moved.parent.mkdir()
    shutil.copy(SPEECH, moved)
    window = make_window(auto_start=False)
    entry = show(window, finished_analysis(source=gone))
    strip = window.results.player
    assert strip.message() == missing_line(gone) == f"meeting.wav is not at {gone.parent} any more."
    assert strip.locate_button.isVisible() and not strip.slider.isVisible() and not strip.play_action.isEnabled()
    assert "Hello team" in window.results.transcript.toPlainText()  # the transcript and answers stay usable
    assert window.results.ask_bar.line.isEnabled()

    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda parent, title, folder, filters: asked.append((title, folder)) or (str(moved), ""))
    strip.locate_button.click()
    assert asked == [("Locate meeting.wav", str(tmp_path))]  # starts in the nearest folder still there
    assert entry.path == moved and strip.path == moved and strip.message() == ""
    assert window.results.title.hint == str(moved)
    loaded(qtbot, strip)
    strip.play_from(2.0)
    qtbot.waitUntil(strip.is_playing, timeout=3000)


def test_a_transcript_read_from_a_text_file_has_no_player(make_window):
    window = make_window(auto_start=False)
    show(window, finished_analysis(source=DATA_DIR / "speech.txt"))
    assert window.results.player.isHidden() and not window.results.player.play_action.isEnabled()


def test_closing_the_window_while_it_plays_stops_and_closes_the_file(make_window, qtbot):
    window = make_window(auto_start=False)
    show(window, finished_analysis())
    strip = window.results.player
    loaded(qtbot, strip)
    strip.play_from(1.0)
    qtbot.waitUntil(lambda: strip.position_s() > 1.1, timeout=3000)
    window.close()
    assert not strip.is_playing() and strip.playback.path is None
    assert strip.playback.player.source().isEmpty()
