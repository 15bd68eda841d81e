"""A finished answer in the window is grounded: supported sentences get a [mm:ss] link (a click plays from
there: ``citation_clicked(seconds)``), the others a dotted underline and a tooltip; the model's text stays."""

import re
import threading
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCharFormat, QTextCursor

from app.ui.results.prompt_page import CITED_ELSEWHERE_TIP, NOT_FOUND_TIP, QUOTE_NOT_FOUND_TIP
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"
ANSWER = ('We will launch the new website on Friday. The board approved a hiring freeze. '
          'Maria said "I will write the press release by Monday". Maria writes the press release [00:01].')


def _position_of(page, text: str) -> QPoint:
    """The viewport point in the middle of the first character of ``text`` in the answer shown."""
    cursor = page.text.document().find(text)
    assert not cursor.isNull(), text
    probe = QTextCursor(page.text.document())
    probe.setPosition(cursor.selectionStart() + 1)
    return page.text.cursorRect(probe).center()


def test_a_finished_answer_gets_links_and_marks_and_a_click_emits_the_seconds(make_window, drop_files, qtbot):
    segments = make_segments(["Good morning team.", "We decided to launch the new website on Friday.",
                              "Maria will write the press release by Thursday."], 7.0)
    window = make_window(ScriptedTranscriber(segments), ScriptedPromptRunner(tokens=re.findall(r"\S+\s*", ANSWER),
                                                                             max_tokens=200))
    with qtbot.waitSignal(window.idle, timeout=5000):
        drop_files(window.drop_zone, [SPEECH])
    results = window.results
    page = results.prompt_page(0)
    qtbot.waitUntil(lambda: len(page.citations()) == 4, timeout=5000)
    launch, freeze, quote, cited = page.citations()
    assert launch.supported and launch.start == 7.0
    assert not freeze.supported and quote.quote_ok is False and cited.cited_ok is False
    assert page.grounding_note() == ("2 of 4 sentences found in the recording: click a [mm:ss] to play from "
                                     "there; a dotted underline marks what it does not say (hover for why).")
    assert page.plain_text() == results.entry.responses[0] == ANSWER  # the model's text, unaltered
    shown = page.text.toPlainText()
    assert shown.startswith("We will launch the new website on Friday. [00:07] The board approved")
    assert "the press release [00:01]. [00:14]" in shown  # its own (wrong) time stays, the right one follows

    assert page.text.tooltip_at(_position_of(page, "board approved")) == NOT_FOUND_TIP
    assert page.text.tooltip_at(_position_of(page, "will write the press")) == QUOTE_NOT_FOUND_TIP
    assert page.text.tooltip_at(_position_of(page, "writes the press")) == CITED_ELSEWHERE_TIP
    flagged = page.text.document().find("board approved").charFormat()
    assert flagged.underlineStyle() == QTextCharFormat.UnderlineStyle.DotLine
    assert page.text.tooltip_at(_position_of(page, "We will launch")) == ""

    results.tabs.setCurrentWidget(page)
    with qtbot.waitSignal(results.citation_clicked, timeout=2000) as clicked:
        qtbot.mouseClick(page.text.viewport(), Qt.MouseButton.LeftButton, pos=_position_of(page, "[00:07]"))
    assert clicked.args == [7.0]


def test_a_streaming_answer_is_not_marked_until_it_is_done(make_window, drop_files, qtbot):
    gate = threading.Event()

    class Slow(ScriptedPromptRunner):
        def stream(self, *args, **kwargs):
            for index, token in enumerate(super().stream(*args, **kwargs)):
                if index == 3:
                    gate.wait(5)
                yield token

    tokens = re.findall(r"\S+\s*", "Hello team, we ship on Friday as planned")
    window = make_window(ScriptedTranscriber(), Slow(tokens=tokens, max_tokens=50))
    drop_files(window.drop_zone, [SPEECH])
    page = window.results.prompt_page(0)
    qtbot.waitUntil(lambda: page.response_text().startswith("Hello team"), timeout=5000)
    qtbot.wait(300)
    assert page.citations() == [] and "[00:" not in page.text.toPlainText()
    with qtbot.waitSignal(window.idle, timeout=5000):
        gate.set()
    qtbot.waitUntil(lambda: bool(page.citations()), timeout=5000)
    assert page.citations()[0].supported and "[00:00]" in page.text.toPlainText()


def test_markdown_emphasis_is_marked_and_a_changed_answer_drops_a_late_result(qtbot):
    from app.core.analysis import PromptStatus
    from app.ui.results.prompt_page import PromptPage

    page = PromptPage()
    qtbot.addWidget(page)
    page.resize(600, 400)
    page.show()
    segments = make_segments(["Maria will write the press release by Thursday."], 4.0)
    page.show_result(PromptStatus.DONE, None, "## Plan\n\n- **Maria** will write\n  the *press release*.\n- Bob sings.")
    with qtbot.waitSignal(page.grounded, timeout=5000):
        page.show_grounding(segments)
    assert page.text.toPlainText().splitlines()[1:] == ["Maria will write the press release. [00:00]", "Bob sings."]
    assert page.text.tooltip_at(_position_of(page, "Bob")) == NOT_FOUND_TIP
    assert page.grounding_note().startswith("1 of 2 sentences found in the recording")
    page.show_grounding(segments)  # the same answer and transcript again: marked at once, not twice
    assert page.text.toPlainText().count("[00:00]") == 1

    page.show_result(PromptStatus.DONE, None, "Maria writes the press release.")
    page.show_grounding(segments)
    page.show_result(PromptStatus.RUNNING, None, "Maria")  # asked again before the grounding came back
    page.show_grounding(segments)
    qtbot.wait(300)
    assert page.citations() == [] and page.text.toPlainText() == "Maria" and page.grounding_note() == ""
