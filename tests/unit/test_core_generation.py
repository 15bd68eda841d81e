"""Generation settings (system prompt, temperature), token usage and the demo model's mark, with scripted engines."""

import threading
from dataclasses import asdict
from pathlib import Path

from app.core.analysis import DEMO_NOTE, Analysis, AnalysisStatus, PromptResult, PromptStatus, Transcript
from app.core.export.json_result import to_json_dict
from app.core.export.markdown import render_markdown
from app.core.llm.assembly import DEFAULT_TEMPERATURE, REDUCE_SYSTEM_TEXT, SYSTEM_TEXT, build_messages
from app.core.llm.runner import PrefillStats
from app.core.pipeline.engines import EngineSettings, settings_from_dict
from app.core.pipeline.events import ModelReady
from app.core.pipeline.prompting import note_generation, run_prompts
from app.core.pipeline.stages import prompt_stage
from tests.fakes import ScriptedPromptRunner, make_segments

TRANSCRIPT = "Maria will write the press release by Thursday."
SENTENCES = [f"Sentence number {i} says the budget moves by {i} euros." for i in range(30)]  # 10 words each


class CountingRunner(ScriptedPromptRunner):
    """A scripted runner that reports, like the real one, the prompt tokens of every call in ``last_stats``
    (words of transcript + prompt + 10 for the template) and carries generation settings."""

    def __init__(self, *args, demo=False, temperature=0.2, system_prompt=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.demo, self.temperature, self.system_prompt = demo, temperature, system_prompt
        self.prompt_sizes: list[int] = []

    def stream(self, transcript, prompt, cancel, system_text=""):
        size = self.fixed_tokens(prompt) + self.count_tokens(transcript)
        self.prompt_sizes.append(size)
        self.last_stats = PrefillStats(size, 0, "cold")
        yield from super().stream(transcript, prompt, cancel, system_text)


def analysis_with(texts, prompts=("Summarize.",)):
    analysis = Analysis(source=Path("meeting.txt"), prompts=list(prompts))
    analysis.transcript = Transcript(segments=make_segments(texts))
    return analysis


def test_a_system_prompt_takes_the_place_of_the_built_in_one_and_keeps_the_prefix_shared():
    first = build_messages(TRANSCRIPT, "Summarize.", "Answer in German.")
    second = build_messages(TRANSCRIPT, "Who writes what?", "Answer in German.")
    assert first[0] == second[0]  # one system message for every prompt of the file: one prefill
    assert first[0]["content"] == f"Answer in German.\n\nTranscript:\n{TRANSCRIPT}"
    assert SYSTEM_TEXT not in first[0]["content"]
    reduce = build_messages("Part 1:\nx", "Summarize.", REDUCE_SYSTEM_TEXT)
    assert "Partial answers:" in reduce[0]["content"]


def test_engine_settings_carry_generation_settings_and_read_back_from_the_library():
    settings = EngineSettings(system_prompt="Answer in German.", temperature=0.7)
    assert EngineSettings().temperature == DEFAULT_TEMPERATURE and EngineSettings().system_prompt is None
    assert settings_from_dict(asdict(settings)) == settings
    older = {k: v for k, v in asdict(EngineSettings()).items() if k not in ("system_prompt", "temperature")}
    assert settings_from_dict(older) == EngineSettings()  # stored before these existed: the defaults


def test_a_single_pass_reports_usage_as_its_prompt_and_answer_tokens():
    analysis = analysis_with([TRANSCRIPT])
    runner = CountingRunner()
    list(run_prompts(analysis, runner, threading.Event()))
    result = analysis.prompt_results[0]
    assert result.usage == {"prompt_tokens": runner.prompt_sizes[0], "completion_tokens": 3,
                            "total_tokens": runner.prompt_sizes[0] + 3}


def test_map_reduce_usage_adds_up_every_part_and_the_reduce_step():
    analysis = analysis_with(SENTENCES)  # 300 words against a context of 110: map-reduce
    runner = CountingRunner(context=110, max_tokens=8)
    list(run_prompts(analysis, runner, threading.Event()))
    result = analysis.prompt_results[0]
    assert result.strategy == "map-reduce" and result.parts >= 3
    calls = len(runner.calls)  # the parts, then the reduce step(s)
    assert calls > result.parts
    assert result.usage == {"prompt_tokens": sum(runner.prompt_sizes), "completion_tokens": 3 * calls,
                            "total_tokens": sum(runner.prompt_sizes) + 3 * calls}
    assert result.completion_tokens == 3 and result.prompt_tokens == runner.prompt_sizes[-1]  # the last call's, as before


def test_the_prompt_stage_records_the_demo_mark_and_the_generation_settings():
    analysis = analysis_with([TRANSCRIPT])
    runner = CountingRunner(demo=True, temperature=0.5, system_prompt="  Answer in German. ")
    events = list(prompt_stage(analysis, runner, threading.Event()))
    ready = next(e for e in events if isinstance(e, ModelReady))
    assert ready.demo and analysis.llm_demo
    assert (analysis.temperature, analysis.system_prompt) == (0.5, "Answer in German.")
    plain = analysis_with([TRANSCRIPT])
    note_generation(plain, ScriptedPromptRunner())  # a runner without them: the defaults
    assert (plain.llm_demo, plain.temperature, plain.system_prompt) == (False, None, None)


def finished(demo: bool) -> Analysis:
    analysis = analysis_with([TRANSCRIPT])
    analysis.status, analysis.llm_demo, analysis.temperature = AnalysisStatus.DONE, demo, 0.2
    analysis.prompt_results = [PromptResult("Summarize.", "Maria writes it.", PromptStatus.DONE, prompt_tokens=50,
                                            completion_tokens=5, finish_reason="stop")]
    return analysis


def test_json_reports_usage_per_result_and_the_demo_model_in_metadata():
    data = to_json_dict(finished(demo=True))
    entry = data["result"]["audio_to_llm"]["results"][0]
    assert entry["usage"] == {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55}
    meta = data["result"]["metadata"]
    assert meta["llm_demo"] is True and meta["llm_note"] == DEMO_NOTE
    assert (meta["temperature"], meta["system_prompt"]) == (0.2, None)
    plain = to_json_dict(finished(demo=False))["result"]["metadata"]
    assert plain["llm_demo"] is False and "llm_note" not in plain


def test_markdown_says_when_the_demo_model_made_the_answers():
    assert f"> **Demo model.** {DEMO_NOTE}" in render_markdown(finished(demo=True)).splitlines()
    assert "Demo model" not in render_markdown(finished(demo=False))
