"""Tabs and prompts: short editable names, one Questions tab per file, tabs that close, answers that repeat
their question."""

from PySide6.QtWidgets import QApplication, QTabBar

from app.core.export.markdown import render_markdown
from app.core.llm.prompts import NamedPrompt
from app.ui.settings.store import Settings
from app.ui.window import prompt_dialog, prompt_editor
from tests.conftest import DATA_DIR

SPEECH = DATA_DIR / "speech.wav"


def finished(make_window, qtbot):
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    return window, window.entries()[0]


def test_questions_share_one_tab_in_order_and_each_answer_repeats_its_question(make_window, qtbot):
    window, entry = finished(make_window, qtbot)
    for question in ("Who ships?", "When?"):
        with qtbot.waitSignal(window.idle, timeout=5000):
            assert window.ask(question)
    results = window.results
    assert results.tab_titles() == ["Transcript", "Summary", "Paragraph", "Action items", "Questions"]
    pages = results.conversation.pages
    assert [p.heading() for p in pages] == ["Who ships?", "When?"]
    assert [p.plain_text() for p in pages] == ["Answer to prompt 4.", "Answer to prompt 5."]
    assert results.prompt_page(0).heading() == entry.prompts[0]  # a prompt's tab shows the prompt too
    results.tabs.setCurrentIndex(4)
    results.copy_current()
    assert QApplication.clipboard().text() == "**Who ships?**\n\nAnswer to prompt 4.\n\n**When?**\n\nAnswer to prompt 5."
    text = render_markdown(entry.analysis)
    assert "## Questions\n\n### Who ships?\n\nAnswer to prompt 4." in text and text.index("## Questions") < text.index(
        "## Transcript")


def test_an_answer_tab_closes_and_comes_back_and_its_answer_stays(make_window, qtbot):
    window, entry = finished(make_window, qtbot)
    results = window.results
    bar = results.tabs.tabBar()
    assert bar.tabButton(0, QTabBar.ButtonPosition.RightSide) is None  # the Transcript tab does not close
    results.tabs.tabCloseRequested.emit(2)  # close "Paragraph"
    assert results.tab_titles() == ["Transcript", "Summary", "Action items"] and results.closed_tabs() == 1
    assert entry.responses[1] == "Answer to prompt 2."  # the answer is still the file's (exports, History)
    assert "Answer to prompt 2." in render_markdown(entry.analysis)
    results.reopen_tabs()
    assert results.tab_titles() == ["Transcript", "Summary", "Paragraph", "Action items"]
    assert results.prompt_page(1).plain_text() == "Answer to prompt 2."


def test_prompts_have_short_names_the_user_can_change_and_they_are_remembered(make_window, qtbot, monkeypatch):
    window = make_window(auto_start=False)
    editor = window.prompt_editor
    assert [p.name for p in editor.named_prompts()] == ["Summary", "Paragraph", "Action items"]
    editor.list.setCurrentRow(1)
    renamed = NamedPrompt(editor.prompts()[1], "One paragraph")
    monkeypatch.setattr(prompt_editor, "ask_prompt", lambda parent, title, current=None: renamed)
    editor.edit_action.trigger()
    assert Settings().named_prompts()[1] == renamed  # remembered with its name
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH], start=True)
    assert window.results.tab_titles() == ["Transcript", "Summary", "One paragraph", "Action items"]
    assert window.entries()[0].analysis.prompt_results[1].name == "One paragraph"


def test_the_prompt_dialog_edits_the_name_too(qtbot):
    dialog = prompt_dialog.PromptDialog(None, "Edit prompt", "Summarize.", "Summary")
    qtbot.addWidget(dialog)
    assert dialog.name() == "Summary" and dialog.text() == "Summarize."
    dialog.name_edit.setText("  Short   summary ")
    assert dialog.name() == "Short summary"


def test_prompts_stored_as_plain_texts_by_an_earlier_hearsay_get_their_default_names():
    settings = Settings()
    settings.set_value(Settings.Key.PROMPTS, '["Summarize this recording in one paragraph.", "Who talks?"]')
    assert settings.named_prompts() == [NamedPrompt("Summarize this recording in one paragraph.", "Paragraph"),
                                        NamedPrompt("Who talks?", "")]
