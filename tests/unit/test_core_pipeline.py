"""The pipeline's event order, failures and cancel points, with scripted engines."""

import threading
import time
from pathlib import Path

from app.core.analysis import Analysis, AnalysisStatus, PromptStatus
from app.core.errors import MediaError, ModelError
from app.core.pipeline.events import (
    AnalysisFinished,
    ModelReady,
    PromptFinished,
    PromptStarted,
    ResponseDelta,
    SegmentDecoded,
    Stage,
    StageChanged,
    TranscriptionProgress,
)
from app.core.pipeline.stages import analyze
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"
PROMPTS = ["Summarize.", "Action items?"]


def run(transcriber, runner, source=SPEECH, prompts=PROMPTS, cancel=None, on_event=None):
    analysis = Analysis(source=source, prompts=list(prompts))
    cancel = cancel or threading.Event()
    events = []
    for event in analyze(analysis, transcriber, runner, cancel):
        events.append(event)
        if on_event:
            on_event(event, cancel)
    return analysis, events


def test_event_order_for_an_audio_file():
    analysis, events = run(ScriptedTranscriber(), ScriptedPromptRunner())
    kinds = [type(e).__name__ for e in events]
    stages = [e.stage for e in events if isinstance(e, StageChanged)]
    assert stages == [Stage.LOADING_WHISPER, Stage.TRANSCRIBING, Stage.LOADING_LLM, Stage.PROMPTING]
    assert kinds.index("SegmentDecoded") < kinds.index("PromptStarted")
    assert kinds[-1] == "AnalysisFinished"
    assert [e.role for e in events if isinstance(e, ModelReady)] == ["whisper", "llm"]
    progress = [e for e in events if isinstance(e, TranscriptionProgress)]
    assert progress[-1].seconds_done == progress[-1].seconds_total == 4.0
    assert [e.index for e in events if isinstance(e, PromptStarted)] == [0, 1]
    assert analysis.status is AnalysisStatus.DONE
    assert [r.response for r in analysis.prompt_results] == ["Answer to prompt 1.", "Answer to prompt 2."]
    assert analysis.transcript.text == "Hello team. We ship on Friday."
    assert analysis.device == "whisper on cpu, LLM on cpu"


def test_prompts_get_the_transcript_and_run_in_order():
    runner = ScriptedPromptRunner()
    run(ScriptedTranscriber(), runner)
    assert runner.calls == [("Hello team. We ship on Friday.", p) for p in PROMPTS]


def test_a_failing_prompt_fails_alone():
    analysis, events = run(ScriptedTranscriber(), ScriptedPromptRunner(fail_on={0}, crash_on={1}),
                           prompts=["a", "b", "c"])
    statuses = [r.status for r in analysis.prompt_results]
    assert statuses == [PromptStatus.FAILED, PromptStatus.FAILED, PromptStatus.DONE]
    assert analysis.prompt_results[0].error == "the scripted model refused this prompt"
    assert analysis.prompt_results[1].error == "the language model failed: scripted crash"
    assert analysis.status is AnalysisStatus.DONE
    assert len([e for e in events if isinstance(e, PromptFinished)]) == 3


def test_unreadable_input_fails_the_file_before_loading_models(tmp_path):
    transcriber = ScriptedTranscriber()
    analysis, events = run(transcriber, ScriptedPromptRunner(), source=tmp_path / "gone.wav")
    assert analysis.status is AnalysisStatus.FAILED and analysis.error == "no such file"
    assert transcriber.loads == 0
    assert all(r.status is PromptStatus.SKIPPED for r in analysis.prompt_results)
    assert isinstance(events[-1], AnalysisFinished)


def test_model_error_fails_the_file_with_its_message():
    analysis, _ = run(ScriptedTranscriber(load_error=ModelError("the model file x.bin is damaged")),
                      ScriptedPromptRunner())
    assert analysis.status is AnalysisStatus.FAILED
    assert analysis.error == "the model file x.bin is damaged"


def test_decode_error_fails_the_file():
    analysis, _ = run(ScriptedTranscriber(error=MediaError("the audio cannot be decoded")), ScriptedPromptRunner())
    assert analysis.error == "the audio cannot be decoded"


def test_no_speech_skips_the_prompts():
    runner = ScriptedPromptRunner()
    analysis, _ = run(ScriptedTranscriber(segments=[]), runner)
    assert analysis.status is AnalysisStatus.DONE and analysis.transcript.is_empty
    assert runner.calls == [] and runner.loads == 0
    assert all(r.status is PromptStatus.SKIPPED for r in analysis.prompt_results)


def test_cancel_mid_transcription_stops_between_segments():
    transcriber = ScriptedTranscriber(segments=make_segments([f"segment {i}" for i in range(50)]), delay=0.02)

    def cancel_after_three(event, cancel):
        if isinstance(event, SegmentDecoded) and event.segment.text == "segment 2":
            cancel.set()

    runner = ScriptedPromptRunner()
    analysis, events = run(transcriber, runner, on_event=cancel_after_three)
    assert analysis.status is AnalysisStatus.CANCELLED
    assert len(analysis.transcript.segments) == 3
    assert runner.calls == []
    assert all(r.status is PromptStatus.CANCELLED for r in analysis.prompt_results)


def test_cancel_mid_generation_keeps_finished_prompts_and_stops_fast():
    runner = ScriptedPromptRunner(tokens=["tok "] * 40, delay=0.01)
    cancel = threading.Event()
    stopped = {}

    def cancel_in_second_prompt(event, cancel):
        if isinstance(event, ResponseDelta) and event.index == 1 and "t" not in stopped:
            stopped["t"] = time.perf_counter()
            cancel.set()

    analysis, events = run(ScriptedTranscriber(), runner, prompts=["a", "b", "c"], cancel=cancel,
                           on_event=cancel_in_second_prompt)
    latency = time.perf_counter() - stopped["t"]
    assert latency < 1.0
    assert [r.status for r in analysis.prompt_results] == [
        PromptStatus.DONE, PromptStatus.CANCELLED, PromptStatus.CANCELLED]
    assert analysis.prompt_results[0].response.count("tok") == 40
    assert analysis.status is AnalysisStatus.CANCELLED
    assert len(runner.calls) == 2


def test_text_transcript_skips_transcription(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("We ship on Friday.\nBob writes the notes.\n", "utf-8")
    transcriber, runner = ScriptedTranscriber(), ScriptedPromptRunner()
    analysis, events = run(transcriber, runner, source=path)
    assert transcriber.loads == 0
    assert runner.calls[0][0] == "We ship on Friday. Bob writes the notes."
    assert Stage.TRANSCRIBING not in [e.stage for e in events if isinstance(e, StageChanged)]
    assert analysis.status is AnalysisStatus.DONE


def test_a_txt_transcript_saved_with_a_byte_order_mark_reads_without_it(tmp_path):
    from app.core.speech.transcript_files import load_transcript

    path = tmp_path / "notes.txt"
    path.write_bytes("\ufeff[00:01] Hello team.\n".encode("utf-8"))
    assert load_transcript(path).segments[0].text == "Hello team."
