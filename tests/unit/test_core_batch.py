"""The two-stage batch runner: background LLM load, overlap, order, cancel."""

import threading
import time
from pathlib import Path

from app.core.analysis import Analysis, AnalysisStatus, PromptStatus
from app.core.pipeline.batch import run_batch
from app.core.pipeline.events import AnalysisFinished, ModelReady, PromptStarted, SegmentDecoded
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


def batch(count, prompts=("Summarize.",)):
    return [Analysis(source=SPEECH, prompts=list(prompts)) for _ in range(count)]


def collect(analyses, transcriber, runner, overlap, cancel=None, on_item=None):
    cancel = cancel or threading.Event()
    items = []
    for analysis, event in run_batch(analyses, transcriber, runner, cancel, overlap=overlap):
        items.append((analysis, event, time.monotonic()))
        if on_item:
            on_item(analysis, event, cancel)
    return items


def test_every_file_finishes_in_order_with_and_without_overlap():
    for overlap in (False, True):
        analyses = batch(3)
        items = collect(analyses, ScriptedTranscriber(), ScriptedPromptRunner(), overlap)
        finished = [a for a, e, _ in items if isinstance(e, AnalysisFinished)]
        assert finished == analyses
        assert all(a.status is AnalysisStatus.DONE for a in analyses)
        assert all(r.status is PromptStatus.DONE for a in analyses for r in a.prompt_results)


def test_the_llm_loads_in_the_background_while_the_first_file_transcribes():
    gate = threading.Event()
    transcriber = ScriptedTranscriber(segments=make_segments(["One.", "Two."]), gate=gate)
    runner = ScriptedPromptRunner(load_delay=0.2)
    thread_names = []

    def feed():
        # let segments through only after the runner finished loading
        deadline = time.monotonic() + 5
        while not runner.loads and time.monotonic() < deadline:
            time.sleep(0.01)
        thread_names.append(runner.load_threads[:])
        for _ in range(2):
            gate.set()
            while gate.is_set():
                time.sleep(0.005)

    feeder = threading.Thread(target=feed)
    feeder.start()
    items = collect(batch(1), transcriber, runner, overlap=False)
    feeder.join()
    assert thread_names == [["hearsay-llm-load"]]  # loaded before any segment was let through
    llm_ready = [e for _, e, _ in items if isinstance(e, ModelReady) and e.role == "llm"]
    assert runner.loads >= 2 and len(runner.load_threads) == 1  # the prompt stage found it warm
    assert llm_ready and llm_ready[0].load_time == 0.2  # and still reports what the background load took


def test_overlap_transcribes_the_next_file_while_prompts_run():
    transcriber = ScriptedTranscriber(segments=make_segments(["One.", "Two."]), delay=0.05)
    runner = ScriptedPromptRunner(tokens=["a "] * 10, delay=0.03)
    analyses = batch(2)
    items = collect(analyses, transcriber, runner, overlap=True)
    first_prompt = next(t for a, e, t in items if a is analyses[0] and isinstance(e, PromptStarted))
    first_done = next(t for a, e, t in items if a is analyses[0] and isinstance(e, AnalysisFinished))
    second_segments = [t for a, e, t in items if a is analyses[1] and isinstance(e, SegmentDecoded)]
    assert any(first_prompt <= t <= first_done for t in second_segments)


def test_without_overlap_the_next_file_waits_for_the_prompts():
    transcriber = ScriptedTranscriber(segments=make_segments(["One.", "Two."]), delay=0.02)
    runner = ScriptedPromptRunner(tokens=["a "] * 5, delay=0.02)
    analyses = batch(2)
    items = collect(analyses, transcriber, runner, overlap=False)
    first_done = next(i for i, (a, e, _) in enumerate(items) if a is analyses[0] and isinstance(e, AnalysisFinished))
    second_events = [i for i, (a, _, _) in enumerate(items) if a is analyses[1]]
    assert min(second_events) > first_done


def test_cancel_ends_every_file_and_both_threads():
    transcriber = ScriptedTranscriber(segments=make_segments(["One."] * 50), delay=0.02)
    analyses = batch(3)

    def cancel_early(analysis, event, cancel):
        if isinstance(event, SegmentDecoded):
            cancel.set()

    started = time.monotonic()
    items = collect(analyses, transcriber, ScriptedPromptRunner(), overlap=True, on_item=cancel_early)
    assert time.monotonic() - started < 1.0
    assert [a for a, e, _ in items if isinstance(e, AnalysisFinished)] == analyses
    assert all(a.status is AnalysisStatus.CANCELLED for a in analyses)
    assert not [t for t in threading.enumerate() if t.name.startswith("hearsay-")]


def test_closing_the_iterator_early_cancels_and_joins():
    transcriber = ScriptedTranscriber(segments=make_segments(["One."] * 100), delay=0.01)
    cancel = threading.Event()
    events = run_batch(batch(2), transcriber, ScriptedPromptRunner(), cancel, overlap=True)
    next(events)
    events.close()
    assert cancel.is_set()
    assert not [t for t in threading.enumerate() if t.name.startswith("hearsay-")]


def test_a_failing_file_does_not_stop_the_next(tmp_path):
    missing = Analysis(source=tmp_path / "missing.wav", prompts=["A?"])
    good = Analysis(source=SPEECH, prompts=["A?"])
    collect([missing, good], ScriptedTranscriber(), ScriptedPromptRunner(), overlap=True)
    assert missing.status is AnalysisStatus.FAILED and "no such file" in missing.error
    assert good.status is AnalysisStatus.DONE


def test_an_llm_that_cannot_even_import_fails_the_files_instead_of_hanging():
    class Broken(ScriptedPromptRunner):
        def load(self):
            raise ImportError("No module named 'llama_cpp'")

    analyses = batch(2)
    collect(analyses, ScriptedTranscriber(), Broken(), overlap=True)
    assert all(a.status is AnalysisStatus.FAILED and "llama_cpp" in a.error for a in analyses)


def test_a_batch_cancelled_before_it_starts_loads_no_model():
    cancel = threading.Event()
    cancel.set()
    transcriber, runner = ScriptedTranscriber(), ScriptedPromptRunner(load_delay=0.2)
    analyses = batch(2)
    items = collect(analyses, transcriber, runner, overlap=True, cancel=cancel)
    assert [a for a, e, _ in items if isinstance(e, AnalysisFinished)] == analyses
    assert all(a.status is AnalysisStatus.CANCELLED for a in analyses)
    assert (transcriber.loads, runner.loads) == (0, 0)


def test_the_background_llm_load_time_is_reported_once_in_model_ready():
    runner = ScriptedPromptRunner(load_delay=0.05)
    items = collect(batch(2), ScriptedTranscriber(), runner, overlap=True)
    ready = [e for _, e, _ in items if isinstance(e, ModelReady) and e.role == "llm"]
    assert [e.load_time for e in ready] == [0.05, 0.0]
