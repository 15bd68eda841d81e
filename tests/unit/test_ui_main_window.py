"""The window on scripted engines: drops, tabs, streaming, failures, several files, re-runs."""

import threading
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QKeySequence

from app.core.analysis import AnalysisStatus, PromptStatus
from app.core.llm.prompts import default_prompts
from app.core.pipeline.events import (
    AnalysisFinished,
    ContextMeasured,
    ModelReady,
    PromptFinished,
    PromptStarted,
    ResponseDelta,
    SegmentDecoded,
    Stage,
    StageChanged,
    TranscriptionProgress,
    TranscriptReady,
)
from app.ui.files.drop_zone import PLACEHOLDER
from app.ui.results.prompt_page import PromptPage
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


def test_window_basics(make_window):
    window = make_window()
    assert window.windowTitle() == "Hearsay"
    assert window.drop_zone.hint.text() == PLACEHOLDER == "Drop audio or video files here — or press Ctrl+O"
    assert window.prompt_editor.prompts() == default_prompts()
    assert not window.windowIcon().isNull()
    shortcuts = {
        window.open_action: ["Ctrl+O"],
        window.analyze_action: ["Ctrl+Return", "Ctrl+Enter"],
        window.cancel_action: ["Esc"],
        window.export_md_action: ["Ctrl+E"],
        window.export_json_action: ["Ctrl+Shift+E"],
    }
    for action, keys in shortcuts.items():
        assert action.shortcuts() == [QKeySequence(k) for k in keys]
    assert not window.cancel_action.isEnabled() and not window.export_md_action.isEnabled()
    assert window.results.stack.currentIndex() == 0  # the empty page


def test_drop_runs_and_fills_tabs_in_prompt_order(make_window, drop_files, qtbot):
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        assert drop_files(window.drop_zone, [SPEECH]) == (True, True)
    [entry] = window.entries()
    assert entry.status is AnalysisStatus.DONE and entry.state_text() == "Done"
    results = window.results
    assert results.entry is entry
    assert results.tab_titles() == ["Transcript", "Summary", "Paragraph", "Action items"]  # the prompts' names
    assert results.transcript.toPlainText() == "[00:00] Hello team.\n[00:02] We ship on Friday."
    for index in range(3):
        assert results.prompt_page(index).plain_text() == f"Answer to prompt {index + 1}."
        assert results.tabs.tabToolTip(index + 1) == default_prompts()[index]
    assert [prompt for _, prompt in window.engines.runner.calls] == default_prompts()
    assert "Finished speech.wav." in window.statusBar().currentMessage()
    assert window.export_md_action.isEnabled() and not window.cancel_action.isEnabled()
    assert not window.progress.is_running()  # the panel stays (nothing below it moves); idle


def test_events_arrive_in_the_documented_order(make_window, qtbot):
    window = make_window(runner=ScriptedPromptRunner(tokens=["a", "b"]))
    window.prompt_editor.set_prompts(["One", "Two"])
    seen = []
    window.host.worker.event.connect(lambda _id, event: seen.append(event))
    worker = window.host.worker
    with qtbot.waitSignals([worker.analysis_started, window.file_finished, window.idle], order="strict",
                           timeout=5000):
        window.add_files([SPEECH])
    kinds = [type(e).__name__ for e in seen]
    prompt_part = ["PromptStarted", "ResponseDelta", "ResponseDelta", "PromptFinished"] * 2
    assert kinds == (["StageChanged", "ModelReady", "StageChanged", "TranscriptionProgress"]
                     + ["SegmentDecoded", "TranscriptionProgress"] * 2 + ["TranscriptionProgress", "TranscriptReady"]
                     + ["StageChanged", "ModelReady", "StageChanged", "ContextMeasured"] + prompt_part
                     + ["AnalysisFinished"])
    stages = [e.stage for e in seen if isinstance(e, StageChanged)]
    assert stages == [Stage.LOADING_WHISPER, Stage.TRANSCRIBING, Stage.LOADING_LLM, Stage.PROMPTING]
    assert isinstance(seen[-1], AnalysisFinished) and isinstance(seen[1], ModelReady)
    assert all(isinstance(e, (SegmentDecoded, TranscriptionProgress, PromptStarted, ResponseDelta, PromptFinished,
                              StageChanged, ModelReady, ContextMeasured, AnalysisFinished, TranscriptReady))
               for e in seen)


def test_transcript_and_progress_appear_segment_by_segment(make_window, qtbot):
    gate = threading.Event()
    transcriber = ScriptedTranscriber(segments=make_segments(["One.", "Two.", "Three."], 10.0), gate=gate)
    window = make_window(transcriber=transcriber)
    window.add_files([SPEECH])
    entry = window.entries()[0]
    qtbot.waitUntil(lambda: entry.stage is Stage.TRANSCRIBING, timeout=3000)
    assert window.progress.isVisible() and window.results.transcript.toPlainText() == ""
    for count, percent in ((1, 33), (2, 66)):
        gate.set()
        qtbot.waitUntil(lambda: len(window.results.transcript.toPlainText().splitlines()) == count, timeout=3000)
        qtbot.waitUntil(lambda: entry.state_text() == f"Transcribing {percent}%", timeout=3000)
        assert window.progress.bar.value() == int(1000 * count * 10 / 30)
        assert window.progress.detail.text().split("  ·  ")[0] == f"00:{count * 10} / 00:30"  # then the time left
        assert window.progress.label.text() == "Transcribing speech.wav"
    assert window.results.transcript.toPlainText() == "[00:00] One.\n[00:10] Two."
    with qtbot.waitSignal(window.idle, timeout=5000):
        gate.set()
    assert window.results.transcript.toPlainText() == "[00:00] One.\n[00:10] Two.\n[00:20] Three."


class SlowLoadingTranscriber(ScriptedTranscriber):
    """Blocks in load() until ``release`` is set (a model that takes a while to load)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.release = threading.Event()

    def load(self):
        self.release.wait(5)
        return super().load()


def test_busy_indicator_while_a_model_loads(make_window, qtbot):
    transcriber = SlowLoadingTranscriber()
    window = make_window(transcriber=transcriber)
    window.add_files([SPEECH])
    qtbot.waitUntil(lambda: window.entries()[0].stage is Stage.LOADING_WHISPER, timeout=3000)
    assert window.progress.is_busy_indicator()
    assert window.progress.label.text() == "Loading speech model for speech.wav…"
    assert window.entries()[0].state_text() == "Loading model…"
    with qtbot.waitSignal(window.idle, timeout=5000):
        transcriber.release.set()
    assert not window.progress.is_busy_indicator()


def test_responses_stream_in_batches_not_per_token(make_window, qtbot, monkeypatch):
    tokens = [f"w{i} " for i in range(40)]
    window = make_window(runner=ScriptedPromptRunner(tokens=tokens, delay=0.01))
    window.prompt_editor.set_prompts(["Only prompt"])
    appends = []
    real_append = PromptPage.append
    monkeypatch.setattr(PromptPage, "append", lambda self, text: (appends.append(text), real_append(self, text)))
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
        page = window.results.prompt_page(0)
        qtbot.waitUntil(lambda: page.plain_text().startswith("w0"), timeout=3000)
        assert window.entries()[0].prompt_statuses[0] is PromptStatus.RUNNING  # visible while still streaming
    assert page.plain_text() == "".join(tokens).strip()
    assert 0 < len(appends) < len(tokens) / 2, appends
    assert "".join(appends) == "".join(tokens)[: len("".join(appends))]


def test_failing_prompt_shows_its_error_and_the_others_fill(make_window, qtbot):
    window = make_window(runner=ScriptedPromptRunner(fail_on={1}, crash_on={2}))
    window.prompt_editor.set_prompts(["First?", "Second?", "Third?", "Fourth?"])
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    results, entry = window.results, window.entries()[0]
    assert entry.prompt_statuses == [PromptStatus.DONE, PromptStatus.FAILED, PromptStatus.FAILED, PromptStatus.DONE]
    assert results.prompt_page(0).plain_text() == "Answer to prompt 1."
    assert results.prompt_page(1).banner_text() == "This prompt failed: the scripted model refused this prompt."
    assert "the language model failed: scripted crash" in results.prompt_page(2).plain_text()
    assert results.prompt_page(3).plain_text() == "Answer to prompt 4."
    assert entry.state_text() == "Done, 2 prompts failed"
    assert "2 of 4 prompts failed" in window.statusBar().currentMessage()
    tooltip = window.files.data(window.files.index(0), Qt.ItemDataRole.ToolTipRole)
    assert "Prompt 2 failed: the scripted model refused this prompt" in tooltip


def test_a_bad_file_fails_with_its_reason_and_the_next_one_runs(make_window, qtbot, tmp_path):
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([empty, SPEECH])
    bad, good = window.entries()
    assert bad.status is AnalysisStatus.FAILED and bad.state_text() == "Failed: the file is empty"
    assert good.status is AnalysisStatus.DONE
    tooltip = window.files.data(window.files.index(0), Qt.ItemDataRole.ToolTipRole)
    assert tooltip == f"{empty}\nFailed: the file is empty"
    window.file_view.select_entry(bad)
    assert window.results.meta.text().endswith("failed: the file is empty")
    assert [window.results.prompt_page(i).banner_text().startswith("Not run") for i in range(3)] == [True] * 3


def test_engine_setup_error_is_reported_per_file(qtbot):
    from app.core.errors import ModelError
    from app.ui.window.main_window import MainWindow

    def broken(settings):
        raise ModelError("the model file /nowhere/x.gguf does not exist")

    window = MainWindow(engine_factory=broken)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    entry = window.entries()[0]
    assert entry.status is AnalysisStatus.FAILED
    assert window.statusBar().currentMessage() == (
        "Could not analyse speech.wav: the model file /nowhere/x.gguf does not exist.")


def test_drop_zone_refuses_non_file_drops_and_skips_unknown_files(make_window, drop_files, tmp_path):
    window = make_window()
    text = QMimeData()
    text.setText("just some text")
    assert drop_files(window.drop_zone, mime=text) == (False, False)
    web = QMimeData()
    web.setUrls([QUrl("https://example.com/talk.mp3")])
    assert drop_files(window.drop_zone, mime=web) == (False, False)
    doc = tmp_path / "notes.docx"
    doc.write_text("x")
    assert drop_files(window.drop_zone, [doc]) == (True, True)
    assert window.entries() == []
    assert window.statusBar().currentMessage() == "Skipped notes.docx: it is not audio, video or transcript files."


def test_transcripts_and_folders_can_be_dropped(make_window, drop_files, qtbot, tmp_path):
    (tmp_path / "notes.txt").write_text("[00:05] We decided to launch on Friday.\n", "utf-8")
    (tmp_path / "ignore.docx").write_text("x")
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        drop_files(window, [tmp_path])  # the whole window accepts drops, and a folder adds its files
    [entry] = window.entries()
    assert entry.path.name == "notes.txt" and entry.status is AnalysisStatus.DONE
    assert window.results.transcript.toPlainText() == "[00:05] We decided to launch on Friday."
    assert window.engines.transcriber.calls == []  # no transcription for a transcript


class NamingTranscriber(ScriptedTranscriber):
    """Says which file it transcribes, so each file's results differ."""

    def transcribe(self, path, cancel, language=None, start=0.0):
        self.segments = make_segments([f"This is {Path(path).stem}."])
        return super().transcribe(path, cancel, language, start)


def test_several_files_run_in_order_and_selection_shows_each(make_window, drop_files, qtbot, speech_copies):
    files = speech_copies("a.wav", "b.mp3", "c.mp4")
    window = make_window(transcriber=NamingTranscriber())
    started = []
    window.host.worker.analysis_started.connect(lambda analysis: started.append(analysis.source.name))
    with qtbot.waitSignal(window.idle, timeout=10000):
        drop_files(window.drop_zone, files)
    assert started == ["a.wav", "b.mp3", "c.mp4"]
    assert [p.name for p in window.engines.transcriber.calls] == ["a.wav", "b.mp3", "c.mp4"]
    assert len(window.engines.runner.calls) == 9
    assert [e.state_text() for e in window.entries()] == ["Done"] * 3
    assert window.results.entry is window.entries()[0]  # the first file stays selected
    for entry in window.entries():
        window.file_view.select_entry(entry)
        assert window.results.title.text() == entry.path.name
        assert window.results.transcript.toPlainText() == f"[00:00] This is {entry.path.stem}."
        assert window.results.tabs.count() == 4
    assert len(window.engines.calls) == 1  # one set of engines for the batch


def test_files_added_while_running_queue_behind(make_window, qtbot, speech_copies):
    a, b = speech_copies("a.wav", "b.wav")
    window = make_window(runner=ScriptedPromptRunner(delay=0.02))
    window.add_files([a])
    window.add_files([a])  # already running: not added twice
    window.add_files([b])
    assert len(window.entries()) == 2
    qtbot.waitUntil(lambda: all(e.status is AnalysisStatus.DONE for e in window.entries()), timeout=5000)
    assert [p.name for p in window.engines.transcriber.calls] == ["a.wav", "b.wav"]


def test_without_auto_start_analyze_runs_the_queue_and_reruns_with_new_prompts(make_window, qtbot):
    window = make_window(auto_start=False)
    window.add_files([SPEECH])
    entry = window.entries()[0]
    assert entry.state_text() == "Queued" and not window.is_busy()
    assert window.results.tab_titles()[0] == "Transcript"
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.analyze_action.trigger()
    assert entry.status is AnalysisStatus.DONE
    answers = list(entry.responses)
    window.prompt_editor.set_prompts(["Who talks?"])
    window.file_view.select_entry(entry)
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.analyze_action.trigger()  # nothing queued: the selected file runs only the new prompt
    assert window.results.tab_titles()[1:] == ["Summary", "Paragraph", "Action items", "Who talks?"]
    assert entry.responses == answers + ["Answer to prompt 4."]  # the earlier answers stay
    assert window.results.prompt_page(3).plain_text() == "Answer to prompt 4."
    # Nothing is transcribed again: only the new prompt ran, on the transcript the file has.
    assert len(window.engines.calls) == 1 and len(window.engines.transcriber.calls) == 1
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    window.analyze_action.trigger()  # every prompt has an answer now: nothing runs, and it says what would
    assert not window.is_busy() and messages == [
        "Every prompt of speech.wav has an answer. To replace one, right-click its tab → Run again; "
        "to start over, Analysis → Transcribe again."]


def test_engines_live_in_one_worker_thread_and_are_rebuilt_only_for_new_models(make_window, qtbot, speech_copies):
    from app.core.pipeline.engines import EngineSettings

    a, b, c, d = speech_copies("a.wav", "b.wav", "c.wav", "d.wav")
    window = make_window()
    threads = set()
    runner = window.engines.runner
    real_stream = runner.stream
    runner.stream = lambda *args: (threads.add(threading.current_thread()), real_stream(*args))[1]
    for path in (a, b):
        with qtbot.waitSignal(window.idle, timeout=5000):
            window.add_files([path])
    assert len(window.engines.calls) == 1
    window.settings.set_engine_settings(EngineSettings(language="de"))  # the language is no engine setting
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([c])
    assert len(window.engines.calls) == 1
    window.settings.set_engine_settings(EngineSettings(max_tokens=100))
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([d])
    assert len(window.engines.calls) == 1 and runner.max_tokens == 100  # a new answer limit reloads no model
    window.settings.set_engine_settings(EngineSettings(device="cpu"))
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([a])
    assert [s.device for s in window.engines.calls] == ["auto", "cpu"]  # a new device does
    # Engines are built in the one worker thread; each batch drives the runner from its prompt thread.
    assert len(window.engines.threads) == 1 and threading.get_ident() not in window.engines.threads
    assert {t.name for t in threads} == {"hearsay-prompts"} and threading.current_thread() not in threads


def test_keyboard_shortcut_starts_analysis(make_window, qtbot):
    window = make_window(auto_start=False)
    window.add_files([SPEECH])
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    with qtbot.waitSignal(window.idle, timeout=5000):
        qtbot.keyClick(window.file_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyRelease(window.file_view, Qt.Key.Key_Control)  # leave no modifier "held" for later tests
    assert window.entries()[0].status is AnalysisStatus.DONE


def test_remove_finished_file(make_window, qtbot):
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    window.file_view.select_entry(window.entries()[0])
    window.remove_action.trigger()
    assert window.entries() == [] and window.results.entry is None


def test_open_dialog_adds_files_and_remembers_the_folder(make_window, qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QTreeView

    from app.ui.settings.store import Settings

    asked = []

    def answer_the_dialog():  # Qt's own file dialog, as a user on Linux sees it
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QFileDialog), dialog
        details = dialog.findChild(QTreeView)
        asked.append((dialog.windowTitle(), ";;".join(dialog.nameFilters()), dialog.width(),
                      details.header().sectionSize(0) if details else 0))
        dialog.findChild(QLineEdit, "fileNameEdit").setText(str(SPEECH))  # typed, as a keyboard user would
        dialog.accept()

    window = make_window()
    QTimer.singleShot(100, answer_the_dialog)
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.open_action.trigger()
    title, filters, width, name_column = asked[0]
    assert title == "Open recordings" and width >= 900 and name_column >= 300  # the columns are not cut
    assert filters.startswith("Audio and video (") and "*.mp4" in filters and "*.wav" in filters
    assert [e.path for e in window.entries()] == [SPEECH]
    assert Settings().get_str(Settings.Key.LAST_OPEN_DIR) == str(SPEECH.parent)
    QTimer.singleShot(100, answer_the_dialog)
    with qtbot.waitSignal(window.idle, timeout=5000):
        qtbot.mouseClick(window.drop_zone, Qt.MouseButton.LeftButton)  # a click on the drop zone opens it too
    assert len(asked) == 2 and len(window.entries()) == 1  # the same file again: analysed again in place
