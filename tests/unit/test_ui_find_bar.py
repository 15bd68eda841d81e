"""The transcript's find bar (Ctrl+F, issue 14 §2): matches ignoring case, "n of m", next/previous wrapping,
every match highlighted and the current one scrolled to, matches that follow an edited transcript."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from app.ui.results.find_bar import CURRENT_COLOR, MATCH_COLOR, FindBar

LINES = [f"[00:{i:02d}] Line {i} about the budget." if i % 10 == 3 else f"[00:{i:02d}] Line {i} of small talk."
         for i in range(60)]


def make(qtbot):
    holder = QWidget()
    view = QPlainTextEdit("\n".join(LINES))
    view.setReadOnly(True)
    seen: list[list] = []
    bar = FindBar(view, seen.append)
    layout = QVBoxLayout(holder)
    layout.addWidget(bar)
    layout.addWidget(view)
    qtbot.addWidget(holder)
    holder.resize(500, 200)
    holder.show()
    bar.holder = holder  # kept alive with the bar
    return view, bar, seen


def colours(selections) -> list[str]:
    return [s.format.background().color().name() for s in selections]


def test_matches_are_counted_highlighted_and_stepped_through_with_wrapping(qtbot):
    view, bar, seen = make(qtbot)
    bar.open_bar()
    assert bar.isVisible()
    assert bar.find("BUDGET") == 6 and bar.count.text() == "1 of 6"
    assert colours(seen[-1]) == [CURRENT_COLOR] + [MATCH_COLOR] * 5
    bar.next()
    assert bar.count.text() == "2 of 6" and view.textCursor().blockNumber() == 13
    bar.previous()
    bar.previous()  # before the first: the last
    assert bar.count.text() == "6 of 6" and view.textCursor().blockNumber() == 53
    assert view.textCursor().selectedText() == ""  # scrolled there, nothing selected
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)
    assert bar.count.text() == "1 of 6"
    assert bar.find("no such words") == 0 and bar.count.text() == "No match"


def test_the_matches_follow_an_edited_transcript_and_escape_closes(qtbot):
    view, bar, seen = make(qtbot)
    bar.open_bar()
    bar.find("budget")
    bar.next()
    view.setPlainText("\n".join(line.replace("budget", "plan") if "13" in line else line for line in LINES))
    qtbot.waitUntil(lambda: bar.matches == 5, timeout=2000)
    assert bar.count.text().endswith("of 5")
    qtbot.keyClick(bar.field, Qt.Key.Key_Escape)
    assert not bar.isVisible() and seen[-1] == []
