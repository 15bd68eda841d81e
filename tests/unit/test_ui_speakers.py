"""Speakers in the window, on scripted events: turns under coloured labels, renaming through a label (shown at
once, saved in the library, Ctrl+Z), a recognised voice confirmed or undone, the diarization stage's progress,
the line that says why speakers were not found, and the Speakers settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from app.core.analysis import Analysis, AnalysisStatus, Diarization, PromptStatus
from app.core.pipeline.events import (
    AnalysisFinished,
    DiarizationProgress,
    SegmentDecoded,
    SpeakersFound,
    Stage,
    StageChanged,
    TranscriptionProgress,
    TranscriptReady,
)
from app.core.speakers.diarizer import MAX_SPEAKERS
from app.ui.files.entry import FileEntry
from app.ui.results.speakers import SPEAKER_COLORS, contrast_ratio, speaker_color
from tests.fakes import make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"
TEXTS = ["Hello team, let's start.", "Thanks. I have the budget.", "It is in the shared folder.",
         "Great, and the launch?", "Friday, as planned."]
TURNS = [0, 1, 1, 0, 1]
"""The speaker of each of TEXTS: Speaker 1, Speaker 2 twice, Speaker 1, Speaker 2."""


def speaker_segments(speakers=TURNS):
    return [dataclasses.replace(s, speaker=k) for s, k in zip(make_segments(TEXTS), speakers)]


def diarization(**fields) -> Diarization:
    return Diarization(engine="scripted", model="scripted turns", speaker_count=2, time=0.1, **fields)


def finished_analysis(names=None, recognised=None, error=None, speakers=TURNS) -> Analysis:
    """A finished analysis of speech.wav whose transcript has speakers (as the pipeline leaves it)."""
    analysis = Analysis(source=SPEECH, prompts=["Who owns what?"])
    analysis.transcript.segments = speaker_segments(speakers) if speakers else make_segments(TEXTS)
    analysis.transcript.duration = analysis.transcript.segments[-1].end
    analysis.transcript.speaker_names = dict(names or {})
    analysis.transcript.diarization = diarization(recognised=dict(recognised or {}), error=error)
    analysis.transcript_complete = True
    analysis.status = AnalysisStatus.DONE
    result = analysis.prompt_results[0]
    result.status, result.response = PromptStatus.DONE, "Speaker 2 owns the budget."
    return analysis


def show(window, analysis: Analysis) -> FileEntry:
    """Put ``analysis`` in the file list and select it, as opening it from the History does."""
    entry = FileEntry.restored(analysis)
    window.files.add(entry)
    window.file_view.select_entry(entry)
    assert window.results.entry is entry
    return entry


def play(window, entry: FileEntry, events) -> None:
    """Deliver ``events`` for ``entry`` as the worker does (its ``event`` signal, in order)."""
    for event in events:
        window.host.worker.event.emit(entry.id, event)


def lines(window) -> list[str]:
    return window.results.transcript.toPlainText().splitlines()


def test_each_turn_gets_one_label_in_its_speakers_colour_and_the_colours_are_readable(make_window):
    window = make_window(auto_start=False)
    show(window, finished_analysis())
    assert lines(window) == [
        "Speaker 1", "[00:00] Hello team, let's start.", "",
        "Speaker 2", "[00:02] Thanks. I have the budget.", "[00:04] It is in the shared folder.", "",
        "Speaker 1", "[00:06] Great, and the launch?", "",
        "Speaker 2", "[00:08] Friday, as planned.",
    ]
    view = window.results.transcript
    heading = view.document().findBlockByNumber(3)
    fragment = heading.begin().fragment()
    assert fragment.charFormat().anchorHref() == "speaker:1"
    assert fragment.charFormat().foreground().color().name() == speaker_color(1) != speaker_color(0)
    assert [view.speaker_at(b) for b in range(12)] == [0, 0, None, 1, 1, 1, None, 0, 0, None, 1, 1]
    assert view.block_of(2) == 5 and view.block_of(4) == 11
    bar = window.results.speaker_bar
    assert bar.isVisible() and bar.names() == {0: "Speaker 1", 1: "Speaker 2"}
    assert all(contrast_ratio(color) >= 4.5 for color in SPEAKER_COLORS)  # WCAG AA on the white transcript
    assert len(set(SPEAKER_COLORS)) == len(SPEAKER_COLORS)


def heading_point(view, block_number: int) -> QPoint:
    """A point on the speaker label in block ``block_number`` of the transcript view (viewport coordinates)."""
    block = view.document().findBlockByNumber(block_number)
    rect = view.blockBoundingGeometry(block).translated(view.contentOffset())
    return QPoint(int(rect.left()) + 12, int(rect.center().y()))


def focus(window, qtbot):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)


def rename_through_the_label(window, qtbot, block: int, speaker: int, name: str) -> None:
    view = window.results.transcript
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=heading_point(view, block))
    chip = window.results.speaker_bar.chips[speaker]
    qtbot.waitUntil(lambda: chip.editing() and chip.editor.hasFocus(), timeout=2000)
    assert chip.editor.selectedText() == chip.name  # typing replaces the old name
    qtbot.keyClicks(chip.editor, name)
    qtbot.keyClick(chip.editor, Qt.Key.Key_Return)


def test_clicking_a_label_renames_the_speaker_everywhere_at_once_and_ctrl_z_puts_the_old_name_back(make_window,
                                                                                                     qtbot):
    window = make_window(auto_start=False)
    entry = show(window, finished_analysis())
    focus(window, qtbot)
    rename_through_the_label(window, qtbot, block=3, speaker=1, name="Alice")
    assert lines(window)[3] == "Alice" and lines(window)[10] == "Alice" and lines(window)[0] == "Speaker 1"
    relabelled = window.results.transcript.document().findBlockByNumber(10).begin().fragment().charFormat()
    assert relabelled.anchorHref() == "speaker:1" and relabelled.foreground().color().name() == speaker_color(1)
    assert window.results.speaker_bar.names() == {0: "Speaker 1", 1: "Alice"}
    assert entry.speaker_names == {1: "Alice"}
    assert entry.analysis.transcript.speaker_names == {1: "Alice"}  # exports and follow-ups read this
    assert entry.analysis.transcript.speaker_name(1) == "Alice"
    assert "Speaker 2 is now Alice" in window.statusBar().currentMessage()
    assert "Ctrl+Z" in window.statusBar().currentMessage()
    assert window.speakers.undo_action.text() == "&Undo renaming Speaker 2 to Alice"
    assert window.speakers.undo_action in window.menuBar().actions()[1].menu().actions()  # Analysis menu
    chip = window.results.speaker_bar.chips[1]
    assert not chip.editing() and chip.button.hasFocus()  # the focus stays in the results, where Ctrl+Z works
    qtbot.keyClick(chip.button, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert entry.speaker_names == {} and entry.analysis.transcript.speaker_names == {}
    assert lines(window)[3] == "Speaker 2" and window.results.speaker_bar.names()[1] == "Speaker 2"
    assert "Speaker 2 again" in window.statusBar().currentMessage()
    assert not window.speakers.undo_action.isEnabled() and window.speakers.redo_action.isEnabled()
    qtbot.keyClick(chip.button, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert entry.speaker_names == {1: "Alice"} and lines(window)[3] == "Alice"  # and redo
    view = window.results.transcript
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=2000)
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # from the transcript as well
    assert entry.speaker_names == {} and lines(window)[3] == "Speaker 2"


def test_esc_in_the_editor_keeps_the_old_name_and_does_not_reach_the_window(make_window, qtbot):
    window = make_window(auto_start=False)
    entry = show(window, finished_analysis(names={0: "Bob"}))
    focus(window, qtbot)
    bar = window.results.speaker_bar
    bar.chips[0].button.click()
    chip = bar.chips[0]
    qtbot.waitUntil(lambda: chip.editor.hasFocus(), timeout=2000)
    triggered = []
    window.cancel_action.triggered.connect(lambda: triggered.append(True))
    window.cancel_action.setEnabled(True)  # Esc is the window's Cancel: the editor must take it first
    qtbot.keyClicks(chip.editor, "Robert")
    qtbot.keyClick(chip.editor, Qt.Key.Key_Escape)
    assert not chip.editing() and chip.name == "Bob" and entry.speaker_names == {0: "Bob"} and not triggered
    assert lines(window)[0] == "Bob"
    assert not window.speakers.undo_stack.canUndo()


def test_an_empty_name_or_the_default_name_goes_back_to_speaker_n(make_window, qtbot):
    window = make_window(auto_start=False)
    entry = show(window, finished_analysis(names={0: "Bob", 1: "Alice"}))
    assert window.speakers.rename(entry, 0, "   ")
    assert window.speakers.rename(entry, 1, "Speaker 2")
    assert entry.speaker_names == {} and entry.analysis.transcript.speaker_names == {}
    assert window.results.speaker_bar.names() == {0: "Speaker 1", 1: "Speaker 2"}
    assert not window.speakers.rename(entry, 1, "")  # nothing changed: no undo step
    assert window.speakers.rename(entry, 0, "  Dr.   Ada\nLovelace " + "x" * 80)
    assert entry.speaker_names[0] == ("Dr. Ada Lovelace " + "x" * 80)[:60]  # one line, at most 60 characters


def test_the_transcript_menu_offers_to_rename_the_speaker_of_the_turn_under_the_pointer(make_window, qtbot):
    from PySide6.QtWidgets import QMenu

    window = make_window(auto_start=False)
    show(window, finished_analysis(names={1: "Alice"}))
    focus(window, qtbot)
    view = window.results.transcript
    asked = []
    view.speaker_menu_requested.connect(lambda speaker, menu: asked.append((speaker, menu)))
    menu = QMenu(window)
    view.speaker_menu_requested.emit(view.speaker_at(5), menu)  # a line of Alice's first turn
    [(speaker, _)] = asked
    rename = [a for a in menu.actions() if a.text() == "Rename Alice…"]
    assert speaker == 1 and rename and rename[0].isEnabled()
    rename[0].trigger()
    chip = window.results.speaker_bar.chips[1]
    qtbot.waitUntil(lambda: chip.editing() and chip.editor.hasFocus(), timeout=2000)
    qtbot.keyClicks(chip.editor, "Alicia")
    qtbot.keyClick(chip.editor, Qt.Key.Key_Enter)
    assert lines(window)[3] == "Alicia"


def test_a_recognised_voice_is_marked_and_can_be_confirmed(make_window, qtbot):
    window = make_window(auto_start=False)
    entry = show(window, finished_analysis(names={1: "Alice"}, recognised={1: "Alice"}))
    assert lines(window)[3] == "Alice · recognised"
    chip = window.results.speaker_bar.chips[1]
    assert chip.mark.isVisible() and chip.confirm_button.isVisible() and chip.reject_button.text() == "Not Alice"
    assert not window.results.speaker_bar.chips[0].mark.isVisible()
    chip.confirm_button.click()
    assert lines(window)[3] == "Alice" and not chip.mark.isVisible() and not chip.reject_button.isVisible()
    assert entry.speaker_names == {1: "Alice"} and entry.recognised == {}
    assert entry.analysis.transcript.diarization.recognised == {}
    assert "Confirmed: Speaker 2 is Alice" in window.statusBar().currentMessage()


def test_not_name_on_a_recognised_voice_goes_back_to_speaker_n(make_window, qtbot):
    window = make_window(auto_start=False)
    entry = show(window, finished_analysis(names={1: "Alice"}, recognised={1: "Alice"}))
    window.results.speaker_bar.chips[1].reject_button.click()
    assert lines(window)[3] == "Speaker 2" and window.results.speaker_bar.names()[1] == "Speaker 2"
    assert entry.speaker_names == {} and entry.analysis.transcript.speaker_names == {}
    assert entry.analysis.transcript.diarization.recognised == {}
    assert not window.results.speaker_bar.chips[1].mark.isVisible()


def test_when_diarization_failed_one_line_over_the_transcript_says_why(make_window, qtbot):
    window = make_window(auto_start=False)
    show(window, finished_analysis(error="the speaker model ran out of memory on speech.wav", speakers=None))
    note = window.results.speakers_note
    assert note.isVisible()
    assert note.text() == "Speakers were not found: the speaker model ran out of memory on speech.wav."
    show(window, finished_analysis(error="speakers were not found: the speaker engine heard no speech.",
                                   speakers=None))
    assert note.text() == "Speakers were not found: the speaker engine heard no speech."  # said once
    assert not window.results.speaker_bar.isVisible()
    assert lines(window)[0] == "[00:00] Hello team, let's start."  # the transcript stands, without labels
    show(window, finished_analysis())
    assert not note.isVisible() and window.results.speaker_bar.isVisible()


def test_the_diarization_stage_has_its_own_progress_bar_and_its_result_replaces_the_transcript(make_window, qtbot):
    window = make_window(auto_start=False)
    [entry] = window.add_files([SPEECH])
    window.file_view.select_entry(entry)
    plain = make_segments(TEXTS[:3] + [" ".join(TEXTS[3:])])  # the last segment spans a change of speaker
    play(window, entry, [StageChanged(Stage.TRANSCRIBING), *[SegmentDecoded(s) for s in plain],
                         TranscriptionProgress(8.0, 10.0), StageChanged(Stage.DIARIZING)])
    progress = window.progress
    assert progress.label.text() == "Finding speakers in speech.wav"
    assert progress.is_busy_indicator() and progress.detail.text() == "loading the speaker model"
    assert lines(window)[0] == "[00:00] Hello team, let's start." and not window.results.speaker_bar.isVisible()
    play(window, entry, [DiarizationProgress(0.4)])
    assert progress.bar.maximum() == 1000 and progress.bar.value() == 400 and progress.detail.text() == "40%"
    assert not progress.is_busy_indicator()
    assert entry.state_text() == "Finding speakers 40%"
    play(window, entry, [DiarizationProgress(1.0), SpeakersFound(tuple(speaker_segments()), diarization(), {}),
                         TranscriptReady()])
    assert lines(window)[:2] == ["Speaker 1", "[00:00] Hello team, let's start."]
    assert lines(window)[-2:] == ["Speaker 2", "[00:08] Friday, as planned."]  # split where the speaker changed
    assert window.results.speaker_bar.isVisible()
    assert not window.results.speaker_bar.chips[0].button.isEnabled()  # renaming waits for the end of the run
    assert window.results.speaker_bar.chips[0].button.toolTip() == "Speakers can be renamed once the analysis " \
                                                                   "has finished."
    assert not window.results.edit_speaker(0)
    assert window.statusBar().currentMessage() == "Speakers can be renamed once the analysis has finished."
    analysis = finished_analysis()
    analysis.id = entry.id
    play(window, entry, [AnalysisFinished(analysis)])
    assert window.results.speaker_bar.chips[0].button.isEnabled()


# ---- through the worker: the real pipeline's speaker stage on a scripted diarizer, and the real library ----


def scripted_run(make_window, qtbot, diarizer, settings=None, runner=None, copies=None, texts=TEXTS):
    """A window that analyses speech.wav (or ``copies``) on scripted engines with ``diarizer``; returns
    (window, entries) once the run ended."""
    from tests.fakes import ScriptedTranscriber

    window = make_window(transcriber=ScriptedTranscriber(make_segments(texts)), runner=runner, diarizer=diarizer,
                         settings=settings)
    entries = window.add_files(copies or [SPEECH])
    qtbot.waitUntil(lambda: not window.is_busy() and all(e.finished for e in entries), timeout=10000)
    window.results.tabs.setCurrentIndex(0)  # the Transcript tab (the view followed the prompts)
    return window, entries


def turns(*speakers, seconds=2.0):
    """Scripted diarizer turns: one per segment of TEXTS, labelled ``speakers`` (ints or names)."""
    return [(i * seconds, (i + 1) * seconds, label) for i, label in enumerate(speakers)]


def test_a_run_finds_speakers_shows_its_stage_and_a_rename_is_saved_and_used_by_the_next_question(
        make_window, qtbot):
    from app.core.library.store import Library
    from tests.fakes import ScriptedDiarizer, ScriptedPromptRunner, ScriptedTranscriber

    runner = ScriptedPromptRunner()
    diarizer = ScriptedDiarizer(turns=turns(0, 1, 1, 0, 1), delay=0.1)
    window = make_window(transcriber=ScriptedTranscriber(make_segments(TEXTS)), runner=runner, diarizer=diarizer)
    [entry] = window.add_files([SPEECH])
    progress = window.progress
    qtbot.waitUntil(lambda: progress.label.text() == "Finding speakers in speech.wav"
                    and 0 < progress.bar.value() < progress.bar.maximum() == 1000, timeout=5000)
    assert not progress.is_busy_indicator() and progress.detail.text().endswith("%")
    assert entry.state_text().startswith("Finding speakers ")
    qtbot.waitUntil(lambda: not window.is_busy() and entry.finished, timeout=10000)
    window.results.tabs.setCurrentIndex(0)
    assert lines(window)[0] == "Speaker 1" and lines(window)[3] == "Speaker 2"
    assert window.results.speaker_bar.names() == {0: "Speaker 1", 1: "Speaker 2"}
    assert "Speaker 2:" in runner.calls[0][0]  # the prompts read speaker turns

    focus(window, qtbot)
    window.file_view.select_entry(entry)
    rename_through_the_label(window, qtbot, block=3, speaker=1, name="Alice")
    qtbot.waitUntil(lambda: not window.speakers.calls.busy(), timeout=5000)
    library = Library()
    try:
        stored = library.load(entry.id)
        assert stored.transcript.speaker_names == {1: "Alice"}
        assert any(hit.analysis_id == entry.id for hit in library.search("Alice"))  # the History's search
    finally:
        library.close()
    assert window.ask("Who owns the budget?")
    qtbot.waitUntil(lambda: not window.is_busy() and entry.finished, timeout=10000)
    transcript_read = runner.calls[-1][0]
    assert "Alice: Thanks. I have the budget." in transcript_read and "Speaker 2" not in transcript_read


def test_copy_gives_the_transcript_in_named_turns_and_a_history_search_by_name_opens_the_transcript(
        make_window, qtbot):
    from PySide6.QtGui import QGuiApplication

    from tests.fakes import ScriptedDiarizer

    window, [entry] = scripted_run(make_window, qtbot, ScriptedDiarizer(turns=turns(0, 1, 1, 0, 1)))
    window.file_view.select_entry(entry)
    assert window.speakers.rename(entry, 1, "Alice")
    window.results.copy_current()
    assert QGuiApplication.clipboard().text().splitlines() == [
        "[00:00] Speaker 1: Hello team, let's start.",
        "[00:02] Alice: Thanks. I have the budget. It is in the shared folder.",
        "[00:06] Speaker 1: Great, and the launch?",
        "[00:08] Alice: Friday, as planned.",
    ]
    qtbot.waitUntil(lambda: not window.speakers.calls.busy(), timeout=5000)
    panel = window.history.panel
    window.history.show_panel()
    panel.search.setText("Alice")
    qtbot.waitUntil(lambda: any(row.hit is not None and row.hit.kind == "speaker" for row in panel.rows()),
                    timeout=3000)
    [row] = [row for row in panel.rows() if row.hit is not None and row.hit.kind == "speaker"]
    assert row.entry.id == entry.id and "Alice" in row.hit.marked()
    window.results.tabs.setCurrentIndex(1)
    window.history.open_stored(row.entry, row.hit)
    assert window.results.tabs.currentIndex() == window.results.TRANSCRIPT_TAB


def test_a_reused_transcript_comes_with_its_speakers_and_their_names(make_window, qtbot, tmp_path):
    import shutil

    from tests.fakes import ScriptedDiarizer

    diarizer = ScriptedDiarizer(turns=turns(0, 1, 1, 0, 1))
    window, [first] = scripted_run(make_window, qtbot, diarizer)
    window.file_view.select_entry(first)
    assert window.speakers.rename(first, 1, "Alice")
    qtbot.waitUntil(lambda: not window.speakers.calls.busy(), timeout=5000)
    [again] = window.add_files([shutil.copy(SPEECH, tmp_path / "same-meeting.wav")])  # the same content
    qtbot.waitUntil(lambda: not window.is_busy() and again.finished, timeout=10000)
    assert again.reused_from == first.id and len(diarizer.calls) == 1  # neither transcribed nor diarized again
    window.file_view.select_entry(again)
    window.results.tabs.setCurrentIndex(0)
    assert again.speaker_names == {1: "Alice"} and lines(window)[3] == "Alice"
    assert window.results.speaker_bar.names() == {0: "Speaker 1", 1: "Alice"}


def test_undo_is_saved_too(make_window, qtbot):
    from app.core.library.store import Library
    from tests.fakes import ScriptedDiarizer

    window, [entry] = scripted_run(make_window, qtbot, ScriptedDiarizer(turns=turns(0, 1, 1, 0, 1)))
    window.file_view.select_entry(entry)
    assert window.speakers.rename(entry, 1, "Alice")
    window.speakers.undo_action.trigger()
    qtbot.waitUntil(lambda: not window.speakers.calls.busy(), timeout=5000)
    library = Library()
    try:
        assert library.load(entry.id).transcript.speaker_names == {}
    finally:
        library.close()


def test_renaming_an_analysis_the_library_does_not_hold_says_so_and_keeps_the_name_shown(make_window, qtbot):
    window = make_window(auto_start=False)
    entry = show(window, finished_analysis())  # never stored
    assert window.speakers.rename(entry, 1, "Alice")
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Could not save"), timeout=5000)
    assert "no analysis" in window.statusBar().currentMessage()
    assert lines(window)[3] == "Alice"


def test_a_speaker_stage_that_fails_leaves_the_transcript_and_prompts_and_says_why(make_window, qtbot):
    from app.core.errors import HearsayError
    from tests.fakes import ScriptedDiarizer

    diarizer = ScriptedDiarizer(error=HearsayError("the speaker model could not read speech.wav"))
    window, [entry] = scripted_run(make_window, qtbot, diarizer)
    window.file_view.select_entry(entry)
    assert entry.status is AnalysisStatus.DONE and entry.prompt_statuses[0] is PromptStatus.DONE
    assert window.results.speakers_note.isVisible()
    assert window.results.speakers_note.text() == ("Speakers were not found: the speaker model could not read "
                                                   "speech.wav.")
    assert lines(window)[0] == "[00:00] Hello team, let's start." and not window.results.speaker_bar.isVisible()


def test_cancel_while_finding_speakers_stops_within_a_second(make_window, qtbot, monkeypatch):
    import time

    from app.ui.window import main_window
    from tests.fakes import ScriptedDiarizer, ScriptedTranscriber

    monkeypatch.setattr(main_window, "confirm_stop", lambda *args: True)
    window = make_window(transcriber=ScriptedTranscriber(make_segments(TEXTS)),
                         diarizer=ScriptedDiarizer(turns=turns(0, 1, 1, 0, 1), delay=2.0))
    [entry] = window.add_files([SPEECH])
    qtbot.waitUntil(lambda: entry.stage is Stage.DIARIZING, timeout=5000)
    started = time.monotonic()
    window.request_cancel()
    qtbot.waitUntil(lambda: not window.is_busy(), timeout=3000)
    assert time.monotonic() - started < 1.5
    assert entry.status is AnalysisStatus.CANCELLED
    assert len(lines(window)) == 5 or lines(window)[0] == "[00:00] Hello team, let's start."


def test_a_named_voice_is_recognised_in_the_next_recording_and_can_be_confirmed(make_window, qtbot,
                                                                                 speech_copies):
    from app.core.library.store import Library
    from app.core.pipeline.engines import EngineSettings
    from app.ui.settings.store import Settings
    from app.ui.settings.voices import VoicesDialog
    from tests.fakes import ScriptedDiarizer

    settings = Settings()
    settings.set_engine_settings(EngineSettings(voiceprints=True))
    voices = {0: [1.0, 0.0, 0.0, 0.0], 1: [0.0, 1.0, 0.0, 0.0]}
    diarizer = ScriptedDiarizer(turns=turns(0, 1, 1, 0, 1), centroids=voices)
    first, second = speech_copies("monday.wav", "tuesday.wav")
    window, [monday] = scripted_run(make_window, qtbot, diarizer, settings=settings, copies=[first])
    window.file_view.select_entry(monday)
    assert window.speakers.rename(monday, 1, "Alice")
    qtbot.waitUntil(lambda: not window.speakers.calls.busy(), timeout=5000)

    [tuesday] = window.add_files([second])
    qtbot.waitUntil(lambda: not window.is_busy() and tuesday.finished, timeout=10000)
    window.file_view.select_entry(tuesday)
    window.results.tabs.setCurrentIndex(0)
    assert tuesday.recognised == {1: "Alice"} and tuesday.speaker_names == {1: "Alice"}
    assert lines(window)[3] == "Alice · recognised"
    chip = window.results.speaker_bar.chips[1]
    assert chip.mark.isVisible() and chip.reject_button.text() == "Not Alice"
    chip.confirm_button.click()
    qtbot.waitUntil(lambda: not window.speakers.calls.busy(), timeout=5000)
    library = Library()
    try:
        stored = library.load(tuesday.id)
        assert stored.transcript.speaker_names == {1: "Alice"} and stored.transcript.diarization.recognised == {}
    finally:
        library.close()

    dialog = VoicesDialog(window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.names() == ["Alice"], timeout=5000)
    assert dialog.list.topLevelItem(0).text(1) == "tuesday.wav"  # confirming renews it (Library.confirm_voice)
    assert dialog.select("Alice")
    dialog.confirm_delete = lambda name: True
    assert dialog.delete_selected()
    qtbot.waitUntil(lambda: dialog.names() == [] and "No voiceprints" in dialog.summary.text(), timeout=5000)
    library = Library()
    try:
        assert library.voiceprints() == []
    finally:
        library.close()


def test_not_name_undoes_a_recognised_voice_in_the_library_too(make_window, qtbot, speech_copies):
    from app.core.library.store import Library
    from app.core.pipeline.engines import EngineSettings
    from app.ui.settings.store import Settings
    from tests.fakes import ScriptedDiarizer

    settings = Settings()
    settings.set_engine_settings(EngineSettings(voiceprints=True))
    diarizer = ScriptedDiarizer(turns=turns(0, 1, 1, 0, 1), centroids={0: [1.0, 0.0, 0.0], 1: [0.0, 1.0, 0.0]})
    first, second = speech_copies("a.wav", "b.wav")
    window, [a] = scripted_run(make_window, qtbot, diarizer, settings=settings, copies=[first])
    window.file_view.select_entry(a)
    window.speakers.rename(a, 0, "Bob")
    qtbot.waitUntil(lambda: not window.speakers.calls.busy(), timeout=5000)
    [b] = window.add_files([second])
    qtbot.waitUntil(lambda: not window.is_busy() and b.finished, timeout=10000)
    window.file_view.select_entry(b)
    window.results.tabs.setCurrentIndex(0)
    assert b.recognised == {0: "Bob"}
    window.results.speaker_bar.chips[0].reject_button.click()
    assert lines(window)[0] == "Speaker 1"
    qtbot.waitUntil(lambda: not window.speakers.calls.busy(), timeout=5000)
    library = Library()
    try:
        stored = library.load(b.id)
        assert stored.transcript.speaker_names == {} and stored.transcript.diarization.recognised == {}
        assert [v.name for v in library.voiceprints()] == ["Bob"]  # the voiceprint stays for other recordings
    finally:
        library.close()


def test_the_speakers_settings_are_remembered_and_shown_in_the_settings_dialog(qtbot):
    from app.core.pipeline.engines import EngineSettings
    from app.ui.settings.dialog import SettingsDialog
    from app.ui.settings.store import Settings

    settings = Settings()
    defaults = settings.engine_settings()
    assert defaults.diarize and not defaults.voiceprints
    assert (defaults.num_speakers, defaults.min_speakers, defaults.max_speakers) == (None, None, None)
    settings.set_engine_settings(EngineSettings(diarize=False, num_speakers=3, voiceprints=True))
    again = Settings().engine_settings()  # another Settings on the same file
    assert (again.diarize, again.num_speakers, again.min_speakers, again.voiceprints) == (False, 3, None, True)

    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert not dialog.diarize.isChecked() and dialog.speaker_count.currentData() == "exactly"
    assert dialog.num_speakers.value() == 3 and dialog.voiceprints.isChecked()
    assert not dialog.voiceprints.isEnabled()  # off with speakers off
    assert dialog.voices_button.isEnabled()  # voiceprints can always be listed and deleted
    dialog.diarize.setChecked(True)
    assert dialog.voiceprints.isEnabled()
    dialog.speaker_count.setCurrentIndex(dialog.speaker_count.findData("between"))
    assert dialog.min_speakers.isVisibleTo(dialog) and not dialog.num_speakers.isVisibleTo(dialog)
    dialog.min_speakers.setValue(2)
    dialog.max_speakers.setValue(5)
    dialog.min_speakers.setValue(7)  # the bounds stay in order
    assert dialog.max_speakers.value() == 7
    assert (dialog.min_speakers.minimum(), dialog.max_speakers.maximum()) == (1, MAX_SPEAKERS)  # the engine's
    dialog.accept()
    stored = Settings().engine_settings()
    assert (stored.diarize, stored.num_speakers, stored.min_speakers, stored.max_speakers) == (True, None, 7, 7)

    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.speaker_count.setCurrentIndex(dialog.speaker_count.findData("auto"))
    dialog.accept()
    stored = Settings().engine_settings()
    assert (stored.num_speakers, stored.min_speakers, stored.max_speakers) == (None, None, None)


def test_stored_speaker_counts_out_of_range_are_clamped_and_put_in_order():
    from app.ui.settings.store import Settings

    settings = Settings()
    for key, value in ((Settings.Key.MIN_SPEAKERS, 30), (Settings.Key.MAX_SPEAKERS, 3)):
        settings.set_value(key, value)
    stored = settings.engine_settings()
    assert (stored.min_speakers, stored.max_speakers) == (3, MAX_SPEAKERS)
    settings.set_value(Settings.Key.NUM_SPEAKERS, "many")
    settings.set_value(Settings.Key.DIARIZE, "false")
    stored = settings.engine_settings()
    assert stored.num_speakers is None and not stored.diarize
