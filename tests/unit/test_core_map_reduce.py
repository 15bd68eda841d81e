"""Transcripts longer than the context window: chunking and map-reduce (scripted runner, words as tokens)."""

import threading
from pathlib import Path

from app.core.analysis import Analysis, PromptStatus, Transcript
from app.core.export.json_result import to_json_dict
from app.core.export.markdown import render_markdown
from app.core.llm.assembly import REDUCE_SYSTEM_TEXT
from app.core.llm.chunking import group_texts, split_segments
from app.core.pipeline.events import ContextMeasured, MapProgress, PromptFinished
from app.core.pipeline.prompting import ask, run_prompts
from tests.fakes import ScriptedPromptRunner, make_segments

SENTENCES = [f"Sentence number {i} says the budget moves by {i} euros." for i in range(30)]  # 10 words each


def analysis_with(texts, prompts=("Summarize.", "Action items?")):
    analysis = Analysis(source=Path("long.txt"), prompts=list(prompts))
    analysis.transcript = Transcript(segments=make_segments(texts))
    return analysis


def count(text):
    return len(text.split())


def test_chunks_break_at_segments_and_respect_the_budget():
    chunks = split_segments(make_segments(SENTENCES), count, budget=45)
    assert [len(c.segments) for c in chunks] == [4, 4, 4, 4, 4, 4, 4, 2]
    assert all(c.tokens <= 45 for c in chunks)
    assert " ".join(c.text for c in chunks) == " ".join(SENTENCES)


def test_a_segment_longer_than_the_budget_is_split_between_words():
    long_line = " ".join(f"w{i}" for i in range(100))
    chunks = split_segments(make_segments([long_line]), count, budget=30)
    assert [c.tokens for c in chunks] == [30, 30, 30, 10]
    assert " ".join(c.text for c in chunks) == long_line


def test_group_texts_keeps_order_and_budget():
    groups = group_texts(["a " * 10, "b " * 10, "c " * 10], count, budget=40)
    assert [len(g) for g in groups] == [2, 1]


def test_a_transcript_that_fits_runs_whole():
    analysis = analysis_with(SENTENCES[:3])
    events = list(run_prompts(analysis, ScriptedPromptRunner(), threading.Event()))
    measured = [e for e in events if isinstance(e, ContextMeasured)]
    assert measured == [ContextMeasured(30, 100_000, "whole", 1)]
    assert all(r.strategy == "whole" and r.coverage == 1.0 for r in analysis.prompt_results)


def test_three_times_the_context_runs_map_reduce_chunk_outer_prompts_inner():
    runner = ScriptedPromptRunner(context=110, max_tokens=8)  # 300 words of transcript: about 3x the context
    analysis = analysis_with(SENTENCES)
    events = list(run_prompts(analysis, runner, threading.Event()))
    measured = next(e for e in events if isinstance(e, ContextMeasured))
    assert measured.strategy == "map-reduce" and measured.transcript_tokens == 300 and measured.parts >= 3
    maps = [(e.part, e.index) for e in events if isinstance(e, MapProgress)]
    assert maps == [(part, index) for part in range(1, measured.parts + 1) for index in (0, 1)]
    map_calls = runner.calls[: 2 * measured.parts]
    assert [prompt for _, prompt in map_calls] == ["Summarize.", "Action items?"] * measured.parts
    assert all(len(transcript.split()) <= 110 for transcript, _ in map_calls)
    reduce_calls = [call for call, system in zip(runner.calls, runner.system_texts) if system == REDUCE_SYSTEM_TEXT]
    assert [prompt for _, prompt in reduce_calls] == ["Summarize.", "Action items?"]
    assert "Part 1:" in reduce_calls[0][0] and f"Part {measured.parts}:" in reduce_calls[0][0]
    for result in analysis.prompt_results:
        assert result.status is PromptStatus.DONE
        assert (result.strategy, result.parts, result.coverage) == ("map-reduce", measured.parts, 1.0)
    entry = to_json_dict(analysis)["result"]["audio_to_llm"]["results"][0]
    assert entry["coverage"] == 1.0 and entry["strategy"] == "map-reduce" and entry["parts"] == measured.parts
    assert f"_Coverage: 100% of the transcript, map-reduce over {measured.parts} parts._" in render_markdown(analysis)


def test_partial_answers_that_do_not_fit_are_reduced_in_rounds():
    runner = ScriptedPromptRunner(context=100, max_tokens=20, tokens=["word "] * 20)
    analysis = analysis_with(SENTENCES, prompts=["Summarize."])
    list(run_prompts(analysis, runner, threading.Event()))
    reduce_calls = [t for (t, _), s in zip(runner.calls, runner.system_texts) if s == REDUCE_SYSTEM_TEXT]
    assert len(reduce_calls) > 1  # grouped rounds, then the final one
    assert analysis.prompt_results[0].status is PromptStatus.DONE


def test_a_failed_part_lowers_the_coverage_and_says_so():
    runner = ScriptedPromptRunner(context=110, fail_on={0})
    analysis = analysis_with(SENTENCES, prompts=["Summarize."])
    list(run_prompts(analysis, runner, threading.Event()))
    result = analysis.prompt_results[0]
    assert result.status is PromptStatus.DONE and 0.5 < result.coverage < 1.0
    assert f"_Coverage: {result.coverage:.0%} of the transcript" in render_markdown(analysis)


def test_a_prompt_too_long_for_the_context_fails_with_the_numbers():
    runner = ScriptedPromptRunner(context=60)
    analysis = analysis_with(SENTENCES, prompts=["word " * 50])
    events = list(run_prompts(analysis, runner, threading.Event()))
    result = analysis.prompt_results[0]
    assert result.status is PromptStatus.FAILED and "context" in result.error
    assert isinstance(events[-1], PromptFinished) and not runner.calls


def test_cancel_during_the_map_step_stops_it():
    runner = ScriptedPromptRunner(context=110)
    analysis = analysis_with(SENTENCES)
    cancel = threading.Event()
    for event in run_prompts(analysis, runner, cancel):
        if isinstance(event, MapProgress):
            cancel.set()
    assert len(runner.calls) == 1


def test_a_follow_up_runs_only_the_new_prompt():
    runner = ScriptedPromptRunner()
    analysis = analysis_with(SENTENCES[:3], prompts=["Summarize."])
    list(run_prompts(analysis, runner, threading.Event()))
    events = list(ask(analysis, "Who pays?", runner, threading.Event()))
    assert [p for _, p in runner.calls] == ["Summarize.", "Who pays?"]
    assert type(events[0]).__name__ == "PromptAdded" and type(events[-1]).__name__ == "AnalysisFinished"
    assert [r.status for r in analysis.prompt_results] == [PromptStatus.DONE, PromptStatus.DONE]
    assert analysis.prompts == ["Summarize.", "Who pays?"]


def test_every_result_records_why_it_stopped_and_a_cut_off_answer_says_so_in_the_exports():
    from app.core.analysis import Analysis, AnalysisStatus, Transcript
    from app.core.export.json_result import to_json_dict
    from app.core.export.markdown import render_markdown

    analysis = Analysis(source=Path("meeting.wav"), prompts=["Summarize.", "Who?"],
                        transcript=Transcript(make_segments(["Hello team.", "We ship on Friday."])))
    for _ in run_prompts(analysis, ScriptedPromptRunner(finish_reason="length"), threading.Event(), [0]):
        pass
    for _ in run_prompts(analysis, ScriptedPromptRunner(), threading.Event(), [1]):
        pass
    analysis.status = AnalysisStatus.DONE
    cut, whole = analysis.prompt_results
    assert (cut.finish_reason, cut.cut_off, whole.finish_reason, whole.cut_off) == ("length", True, "stop", False)
    entries = to_json_dict(analysis)["result"]["audio_to_llm"]["results"]
    assert [(e["finish_reason"], e["completion_tokens"]) for e in entries] == [("length", 3), ("stop", 3)]
    text = render_markdown(analysis)
    assert text.count("_Cut off: the answer reached the limit of 3 tokens") == 1
    assert text.index("_Cut off") < text.index("## Who?")  # under the answer it belongs to
