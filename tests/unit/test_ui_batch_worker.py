"""The worker runs a batch through ``run_batch``: events keyed by file, the LLM loading in the background,
two files running at once with overlap, and follow-up questions on the same warm engines."""

import threading
from pathlib import Path

import pytest

from app.core.analysis import Analysis, AnalysisStatus, PromptStatus
from app.core.pipeline.engines import EngineSettings
from app.core.pipeline.events import AnalysisFinished, PromptAdded, PromptFinished, SegmentDecoded
from app.ui.workers import WorkerHost
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


class NamingTranscriber(ScriptedTranscriber):
    """Says which file it transcribes, so each file's events can be told apart."""

    def transcribe(self, path, cancel, language=None, start=0.0):
        self.segments = make_segments([f"This is {Path(path).stem}."])
        return super().transcribe(path, cancel, language, start)


@pytest.mark.parametrize("overlap", [True, False])
def test_a_batch_of_two_files_runs_both_and_events_carry_their_ids(qtbot, speech_copies, overlap):
    a, b = speech_copies("a.wav", "b.wav")
    made = []
    host = WorkerHost(lambda s: made.append(s) or (NamingTranscriber(), ScriptedPromptRunner()))
    try:
        events, started = [], []
        host.worker.analysis_started.connect(started.append)
        host.worker.event.connect(lambda analysis_id, event: events.append((analysis_id, event)))
        one, two = Analysis(a, ["A?"]), Analysis(b, ["B?"])
        with qtbot.waitSignal(host.worker.batch_finished, timeout=5000):
            host.submit([one, two], EngineSettings(overlap=overlap))
    finally:
        host.shutdown()
    assert started == [one, two] and len(made) == 1
    for analysis in (one, two):
        mine = [event for analysis_id, event in events if analysis_id == analysis.id]
        texts = [e.segment.text for e in mine if isinstance(e, SegmentDecoded)]
        assert texts == [f"This is {analysis.source.stem}."]
        assert isinstance(mine[-1], AnalysisFinished) and mine[-1].analysis is analysis
        assert analysis.status is AnalysisStatus.DONE
    finished = [e.analysis for _, e in events if isinstance(e, AnalysisFinished)]
    assert finished == [one, two]  # files finish in order


def test_the_llm_loads_in_a_background_thread_before_the_first_transcript_is_done(qtbot):
    gate = threading.Event()
    transcriber = ScriptedTranscriber(segments=make_segments(["One.", "Two.", "Three."]), gate=gate)
    runner = ScriptedPromptRunner(load_delay=0.2)
    host = WorkerHost(lambda s: (transcriber, runner))
    try:
        analysis = Analysis(SPEECH, ["A?"])
        segments = []
        host.worker.event.connect(lambda _id, e: segments.append(e) if isinstance(e, SegmentDecoded) else None)
        host.submit([analysis], EngineSettings())
        gate.set()  # one segment, then the transcriber waits
        qtbot.waitUntil(lambda: runner.loads >= 1, timeout=3000)
        assert len(segments) <= 1 and analysis.prompt_results[0].status is PromptStatus.WAITING
        assert runner.load_threads == ["hearsay-llm-load"]
        assert threading.current_thread().name not in runner.load_threads
        with qtbot.waitSignal(host.worker.batch_finished, timeout=5000):
            for _ in range(2):  # the other two segments
                qtbot.waitUntil(lambda: not gate.is_set(), timeout=3000)
                gate.set()
    finally:
        host.shutdown()
    assert analysis.status is AnalysisStatus.DONE and len(analysis.transcript.segments) == 3


def test_a_follow_up_runs_on_the_warm_engines(qtbot):
    made = []
    runner = ScriptedPromptRunner()
    host = WorkerHost(lambda s: made.append(s) or (ScriptedTranscriber(), runner))
    try:
        analysis = Analysis(SPEECH, ["A?"])
        with qtbot.waitSignal(host.worker.batch_finished, timeout=5000):
            host.submit([analysis], EngineSettings())
        events = []
        host.worker.event.connect(lambda _id, e: events.append(e))
        with qtbot.waitSignal(host.worker.batch_finished, timeout=5000):
            host.ask(analysis, "Who speaks?", EngineSettings())
    finally:
        host.shutdown()
    assert len(made) == 1 and runner.load_threads == ["hearsay-llm-load"]
    assert isinstance(events[0], PromptAdded) and events[0] == PromptAdded(1, "Who speaks?")
    assert isinstance(events[-1], AnalysisFinished) and events[-1].analysis is analysis
    assert analysis.prompts == ["A?", "Who speaks?"]
    assert analysis.prompt_results[1].response == "Answer to prompt 2."


def test_a_follow_up_cancelled_before_it_starts_gets_a_cancelled_slot(qtbot):
    gate = threading.Event()
    host = WorkerHost(lambda s: (ScriptedTranscriber(gate=gate), ScriptedPromptRunner()))
    try:
        done = Analysis(SPEECH, ["A?"])
        gate.set()
        running = Analysis(SPEECH, ["B?"])
        with qtbot.waitSignal(host.worker.analysis_started, timeout=5000):
            host.submit([running], EngineSettings())
        events = []
        host.worker.event.connect(lambda analysis_id, e: events.append(e) if analysis_id == done.id else None)
        done.status = AnalysisStatus.DONE
        done.transcript.segments.extend(make_segments(["Hello."]))
        host.ask(done, "Later?", EngineSettings())
        host.cancel()
        qtbot.waitUntil(lambda: not host.is_busy(), timeout=3000)
    finally:
        host.shutdown()
    assert [type(e) for e in events] == [PromptAdded, PromptFinished, AnalysisFinished]
    assert done.prompt_results[-1].status is PromptStatus.CANCELLED and done.prompts[-1] == "Later?"


def test_a_broken_factory_fails_the_follow_up_in_its_tab(qtbot):
    host = WorkerHost(lambda s: (_ for _ in ()).throw(RuntimeError("no GPU today")))
    try:
        analysis = Analysis(SPEECH, ["A?"])
        analysis.status = AnalysisStatus.DONE
        analysis.transcript.segments.extend(make_segments(["Hello."]))
        with qtbot.waitSignal(host.worker.batch_finished, timeout=5000):
            host.ask(analysis, "Why?", EngineSettings())
    finally:
        host.shutdown()
    result = analysis.prompt_results[-1]
    assert result.status is PromptStatus.FAILED and result.error == "the models could not be set up: no GPU today"


def test_a_crash_inside_a_follow_up_fails_its_prompt_and_frees_the_file(qtbot):
    runner = ScriptedPromptRunner()
    host = WorkerHost(lambda s: (ScriptedTranscriber(), runner))
    try:
        analysis = Analysis(SPEECH, ["A?"])
        with qtbot.waitSignal(host.worker.batch_finished, timeout=5000):
            host.submit([analysis], EngineSettings())
        runner.count_tokens = lambda text: 1 // 0
        events = []
        host.worker.event.connect(lambda _id, e: events.append(e))
        with qtbot.waitSignal(host.worker.batch_finished, timeout=5000):
            host.ask(analysis, "Boom?", EngineSettings())
    finally:
        host.shutdown()
    assert isinstance(events[-1], AnalysisFinished) and analysis.status is AnalysisStatus.DONE
    result = analysis.prompt_results[-1]
    assert result.status is PromptStatus.FAILED and result.error == "unexpected error: integer division or modulo by zero"
