"""Gladia's own SDK reads Hearsay's JSON: ``gladiaio-sdk``'s ``PreRecordedV2Response.from_dict`` (a test-only
dependency; no network: it only parses) accepts an analysis, a translated one, and a follow-up's, and reads back
the same transcript and answers. Error fields are one sentence of text where Gladia has an object, so a JSON with a
failed prompt is not among them (see app/core/export/json_result.py)."""

import json

import pytest
from gladiaio_sdk.v2.prerecorded.generated_types import PreRecordedV2Response

from app.core.analysis import PromptResult, PromptStatus
from app.core.export import json_result
from tests.unit.test_core_export import sample_analysis


def finished():
    analysis = sample_analysis()
    analysis.prompt_results[1] = PromptResult("List the action items.", "Bob writes the notes.", PromptStatus.DONE,
                                              exec_time=0.5, completion_tokens=5)
    return analysis


def translated():
    analysis = finished()
    analysis.transcript.translated_to = "en"
    return analysis


def followed_up():
    analysis = finished()
    analysis.prompt_results.append(PromptResult("Who writes the notes?", "Bob.", PromptStatus.DONE, exec_time=0.2,
                                                completion_tokens=2, kind="question"))
    return analysis


@pytest.mark.parametrize("make", [finished, translated, followed_up])
def test_the_sdk_parses_the_json_and_reads_the_same_things(make):
    analysis = make()
    data = json.loads(json_result.render_json(analysis))
    response = PreRecordedV2Response.from_dict(data)
    assert (response.id, response.kind, response.status) == (analysis.id, "pre-recorded", "done")
    result = response.result
    assert result.metadata.audio_duration == result.metadata.billing_time == analysis.duration
    assert result.transcription.full_transcript == analysis.transcript.text
    assert [u.text for u in result.transcription.utterances] == [s.text.strip() for s in analysis.transcript.segments]
    assert all(u.channel == 0 and 0.0 <= u.confidence <= 1.0 for u in result.transcription.utterances)
    assert [r.results.response for r in result.audio_to_llm.results] == [r.response for r in analysis.prompt_results]
    if analysis.transcript.translated_to:
        assert result.translation.results[0].languages == ["en"]
        assert len(result.translation.results[0].utterances) == len(result.transcription.utterances)
