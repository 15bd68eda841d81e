"""The JSON export of an Analysis, shaped as Gladia's pre-recorded result.

``result.transcription`` with ``full_transcript`` and ``utterances[].words[]``,
``result.audio_to_llm`` with one entry per prompt in prompt order, plus a
``result.metadata`` block (https://docs.gladia.io/, pre-recorded transcription
result). Times are seconds (floats). ``file.path`` and ``file.filename`` are shown as
``app.core.user_files.display_path`` writes them: a name that is not UTF-8 keeps every byte
visible (``bad\\xffname.wav``), so the JSON is always valid UTF-8. ``result.metadata.transcribed_duration``
is how much of the recording was transcribed (seconds; null when unknown).

Generation (fal's audio endpoint: ``system_prompt``, ``temperature``, ``usage``): every prompt result
carries ``usage`` {``prompt_tokens``, ``completion_tokens``, ``total_tokens``} (OpenAI's and fal's
shape; see ``PromptResult.usage``), and ``result.metadata`` the ``temperature`` and ``system_prompt``
the prompts ran with (null: unknown / the built-in instructions) and ``llm_demo`` (true when the
answers come from the bundled demo model, with ``llm_note`` saying what that means; false otherwise).

Translation (Whisper's ``task="translate"``) writes English directly; there is no transcript in the
language spoken. So ``result.transcription`` holds the English text, each utterance keeping the
``language`` spoken (``languages`` lists those), ``result.metadata.translated_to`` is "en" (null for a
transcript in the language spoken), and a ``result.translation`` block follows Gladia's translation
result: ``{success, is_empty, exec_time, error, results: [{languages: ["en"], source_languages,
full_transcript, utterances, error}]}``, its utterances those of ``result.transcription``.

Gladia's own SDK reads it (``gladiaio-sdk``'s ``PreRecordedV2Response.from_dict``; tests parse every
kind of export with it), so the fields that SDK requires are filled, truthfully: ``request_id`` and
``file.id`` are the analysis's id (nothing was uploaded), ``kind`` is "pre-recorded", ``created_at`` when
the analysis began; ``metadata.number_of_distinct_channels`` is 1 (Whisper hears a mono mix-down) and
``metadata.billing_time`` the audio duration (nothing is billed); each utterance's ``channel`` is 0 and its
``confidence`` the mean of its words' (0.0 when it has no word timings, as a transcript read from text).

Speakers (Gladia's ``diarization``): when the transcript has speakers, each utterance carries Gladia's integer
``speaker`` (0-based, in order of first appearance: ``Segment.speaker``) and Hearsay's ``speaker_name`` (the
user's name for it, else "Speaker N", ``Transcript.speaker_name``); a segment no speaker was given to has
``speaker: null`` and ``speaker_name: null``. When speakers were not looked for, or not found, utterances
have neither field, as Gladia leaves ``speaker`` out when diarization is off (its SDK types it
``int | None``, "if diarization enabled"). When speakers were looked for (``Transcript.diarization``),
``request_params`` holds Gladia's ``diarization: true`` and ``diarization_config`` (``number_of_speakers`` or
``min_speakers``/``max_speakers`` as asked; ``{}`` for "find the count"), and ``result.diarization`` Gladia's
block ``{success, is_empty, exec_time, error, results}`` (``exec_time`` the seconds diarization took;
``results``, which Gladia marks deprecated, the utterances again, as in Gladia, or ``[]`` when speakers were
not found) plus Hearsay's ``engine``, ``model``, ``number_of_speakers`` (found), the same
``diarization_config`` and ``recognised``: ``[{speaker, name, similarity}]`` for each speaker labelled because
its voice matched a named voiceprint (cosine similarity).

Grounding (Hearsay's own; Gladia has none): each prompt result that has a response carries ``citations``, one
per sentence or list item of the response (``app.core.grounding.ground``; ``citation_dict`` lists the fields):
where the recording says it, or ``supported: false`` when it does not.

Provenance (issue 14, transcript versions): ``result.metadata.transcript_version`` is ``{number, edited}``, the
version of the transcript this JSON holds (0: the transcription as made; ``edited``: it differs from that by the
user's corrections), and each prompt result's ``transcript_version`` the version its answer was made from, with
``stale: true`` when that is not the version exported.

Errors are Gladia's error object (``PreRecordedV2AddonError``) ``{status_code, exception, message}``
wherever a result has an ``error`` (the file's, each prompt's, the prompt list's, diarization's), null when
there is none; ``message`` is the one sentence Hearsay shows. A failed file also gets Gladia's top-level
``error_code`` (the same status code). Hearsay keeps an error as its sentence (the history library stores
text), so ``status_code`` and ``exception`` are derived from where the error is and its status, HTTP-like:

============================  ===========  ========================  ==========================================
where, status                 status_code  exception                 meaning
============================  ===========  ========================  ==========================================
file or prompt cancelled      499          ``Cancelled``             the user stopped it (or the run was
                                                                     interrupted), nginx's "client closed"
prompt skipped                424          ``Skipped``               not run: what it needs is missing (no
                                                                     speech, or the file failed first)
prompt failed: too long       413          ``ContextOverflowError``  transcript + prompt exceed the context
prompt failed                 500          ``PromptError``           the language model could not answer
file failed on a model        500          ``ModelError``            a model is missing, damaged or failed
                                                                     to load (the sentence names a model)
file failed otherwise         422          ``MediaError``            bad input: the file cannot be read,
                                                                     decoded or holds no valid transcript
anything unexpected           500          ``Exception``             an engine bug ("unexpected error: …",
                                                                     "the language model failed: …")
speakers not found            500          ``DiarizationError``      the diarization engine failed
============================  ===========  ========================  ==========================================

``exception`` names the Hearsay error class (``app.core.errors``) that reports that kind of failure, or, for a
skip and for diarization, Hearsay's name for it (Gladia's SDK calls the field the error's "reason").
The prompt list's error (``audio_to_llm.error``, "1 of 2 prompts did not finish") takes the code and
exception of its first unfinished prompt.
"""

from __future__ import annotations

import json
import math

from app.core.analysis import DEMO_NOTE, Analysis, AnalysisStatus, Diarization, PromptResult, PromptStatus, Transcript
from app.core.grounding import Citation, ground_responses
from app.core.user_files import display_name, display_path

JSON_FORMAT_VERSION = 1

CANCELLED_CODE = 499
"""``status_code`` of a cancelled file or prompt (nginx's "client closed request": the user stopped it)."""
SKIPPED_CODE = 424
"""``status_code`` of a prompt that was not run because what it needs is missing ("failed dependency")."""
TOO_LONG_CODE = 413
"""``status_code`` of a prompt whose transcript and prompt do not fit the model's context window."""
BAD_INPUT_CODE = 422
"""``status_code`` of a file that cannot be read, decoded or used as a transcript."""
ENGINE_FAILURE_CODE = 500
"""``status_code`` of a failure of an engine (Whisper, the language model, diarization) or of a model."""
_UNEXPECTED = ("unexpected error", "the language model failed")


def error_object(status_code: int, exception: str, message: str) -> dict:
    """Gladia's error object (``PreRecordedV2AddonError``): ``{status_code, exception, message}``; ``message`` is
    Hearsay's one sentence."""
    return {"status_code": status_code, "exception": exception, "message": message}


def error_message(error) -> str | None:
    """The sentence of an ``error`` field as Hearsay writes it: the ``message`` of an error object, or the text
    itself (results written before errors were objects); None for no error or a shape that is neither."""
    if isinstance(error, dict):
        error = error.get("message")
    return error if isinstance(error, str) else None


def prompt_error(result: PromptResult) -> dict | None:
    """The error object of one prompt's result (see the module's table); None when it finished or has not
    ended yet."""
    if result.status is PromptStatus.CANCELLED:
        return error_object(CANCELLED_CODE, "Cancelled", result.error or "cancelled before it finished")
    if result.status is PromptStatus.SKIPPED:
        return error_object(SKIPPED_CODE, "Skipped", result.error or "the analysis ended before this prompt ran")
    if result.status is not PromptStatus.FAILED:
        return None
    message = result.error or "the language model could not answer"
    if message.startswith(_UNEXPECTED):
        return error_object(ENGINE_FAILURE_CODE, "Exception", message)
    if "context window" in message:
        return error_object(TOO_LONG_CODE, "ContextOverflowError", message)
    return error_object(ENGINE_FAILURE_CODE, "PromptError", message)


def analysis_error(analysis: Analysis) -> dict | None:
    """The error object of the file (see the module's table); None unless it failed or was cancelled."""
    if analysis.status is AnalysisStatus.CANCELLED:
        return error_object(CANCELLED_CODE, "Cancelled", analysis.error or "cancelled")
    if analysis.status is not AnalysisStatus.FAILED:
        return None
    message = analysis.error or "the analysis failed"
    if message.startswith(_UNEXPECTED):
        return error_object(ENGINE_FAILURE_CODE, "Exception", message)
    if "model" in message.lower():
        return error_object(ENGINE_FAILURE_CODE, "ModelError", message)
    return error_object(BAD_INPUT_CODE, "MediaError", message)


def _prompts_error(results: list[PromptResult], unfinished: list[PromptResult]) -> dict | None:
    """``audio_to_llm.error``: "N of M prompts did not finish", with its first unfinished prompt's code."""
    if not unfinished:
        return None
    first = prompt_error(unfinished[0]) or error_object(CANCELLED_CODE, "Cancelled", "")
    return error_object(first["status_code"], first["exception"],
                        f"{len(unfinished)} of {len(results)} prompts did not finish")


def utterance_dict(segment, transcript: Transcript) -> dict:
    """One utterance in Gladia's shape (``speaker`` and ``speaker_name`` only when the transcript has speakers)."""
    words = segment.words
    utterance = {
        "text": segment.text.strip(),
        "start": segment.start,
        "end": segment.end,
        "confidence": round(sum(w.confidence for w in words) / len(words), 4) if words else 0.0,
        "channel": 0,
        "language": segment.language or transcript.language,
        "words": [{"word": w.word, "start": w.start, "end": w.end, "confidence": w.confidence} for w in words],
    }
    if transcript.has_speakers:
        utterance["speaker"] = segment.speaker
        utterance["speaker_name"] = transcript.speaker_name(segment.speaker) if segment.speaker is not None else None
    return utterance


def diarization_dict(transcript: Transcript, utterances: list[dict]) -> dict:
    """``result.diarization`` for a transcript whose speakers were looked for (``transcript.diarization``)."""
    found: Diarization = transcript.diarization
    succeeded = found.error is None
    return {
        "success": succeeded,
        "is_empty": not transcript.has_speakers,
        "exec_time": round(found.time, 3),
        "error": None if succeeded else error_object(ENGINE_FAILURE_CODE, "DiarizationError", found.error),
        "results": utterances if succeeded else [],
        "engine": found.engine,
        "model": found.model,
        "number_of_speakers": found.speaker_count,
        "diarization_config": dict(found.requested),
        "recognised": [
            {"speaker": speaker, "name": name, "similarity": found.similarity.get(speaker)}
            for speaker, name in sorted(found.recognised.items())
        ],
    }


def citation_dict(citation: Citation) -> dict:
    """One sentence of a response and where the recording says it (``app.core.grounding.Citation``):
    ``sentence``, ``start``/``end`` (seconds; null when not supported), ``segment_ids`` (0-based indices into
    ``transcription.utterances``), ``supported``, ``score`` (0 to 1), ``span`` ([start, end) character offsets
    into the response), ``quote_ok`` and ``cited_ok`` (null when it quotes / cites nothing), ``cited``
    (the times it cites, seconds)."""
    return {
        "sentence": citation.sentence,
        "start": citation.start,
        "end": citation.end,
        "segment_ids": list(citation.segment_ids),
        "supported": citation.supported,
        "score": citation.score,
        "span": list(citation.span),
        "quote_ok": citation.quote_ok,
        "cited": list(citation.cited),
        "cited_ok": citation.cited_ok,
    }


def to_json_dict(analysis: Analysis) -> dict:
    """The JSON export as a dict (shape: Gladia's pre-recorded result plus ``metadata``)."""
    transcript = analysis.transcript
    grounded = ground_responses([r.response for r in analysis.prompt_results], transcript)
    languages = sorted({s.language for s in transcript.segments if s.language} or ({transcript.language} - {None}))
    prompt_entries = [
        {
            "success": r.success,
            "is_empty": not r.response,
            "exec_time": round(r.exec_time, 3),
            "error": prompt_error(r),
            "status": r.status.value,
            "ttft": None if r.ttft is None else round(r.ttft, 3),
            "prompt_tokens": r.prompt_tokens,
            "completion_tokens": r.completion_tokens,
            "reused_tokens": r.reused_tokens,
            "strategy": r.strategy,
            "parts": r.parts,
            "coverage": round(r.coverage, 4),
            "finish_reason": r.finish_reason,
            "name": r.name,
            "kind": r.kind,
            "usage": r.usage,
            "transcript_version": r.transcript_version,
            "stale": analysis.is_stale(r),
            "results": {"prompt": r.prompt, "response": r.response},
            **({"citations": [citation_dict(c) for c in citations]} if r.response else {}),
        }
        for r, citations in zip(analysis.prompt_results, grounded)
    ]
    failed = [r for r in analysis.prompt_results if not r.success]
    utterances = [utterance_dict(s, transcript) for s in transcript.segments]
    error = analysis_error(analysis)
    data = {
        "id": analysis.id,
        "request_id": analysis.id,
        "kind": "pre-recorded",
        "created_at": analysis.created_at.isoformat(),
        "status": "done" if analysis.status is AnalysisStatus.DONE else "error",
        "error": error,
        **({"error_code": error["status_code"]} if error else {}),
        "version": JSON_FORMAT_VERSION,
        "file": {"id": analysis.id, "path": display_path(analysis.source), "filename": display_name(analysis.source),
                 "duration": analysis.duration},
        "result": {
            "metadata": {
                "audio_duration": analysis.duration,
                "number_of_distinct_channels": 1,
                "billing_time": analysis.duration,
                "transcribed_duration": analysis.transcribed_duration,
                "transcription_time": round(analysis.transcription_time, 3),
                "whisper_model": analysis.whisper_model,
                "llm_model": analysis.llm_model,
                "device": analysis.device,
                "created_at": analysis.created_at.isoformat(),
                "temperature": analysis.temperature,
                "system_prompt": analysis.system_prompt,
                "llm_demo": analysis.llm_demo,
                **({"llm_note": DEMO_NOTE} if analysis.llm_demo else {}),
                "translated_to": transcript.translated_to,
                "transcript_version": {"number": analysis.transcript_version, "edited": analysis.transcript_edited},
            },
            "transcription": {
                "full_transcript": transcript.text,
                "languages": languages,
                "utterances": utterances,
            },
            "audio_to_llm": {
                "success": not failed and analysis.status is AnalysisStatus.DONE,
                "is_empty": transcript.is_empty,
                "exec_time": round(analysis.prompts_exec_time, 3),
                "error": _prompts_error(analysis.prompt_results, failed),
                "results": prompt_entries,
            },
        },
    }
    if transcript.diarization is not None:
        data["request_params"] = {"diarization": True, "diarization_config": dict(transcript.diarization.requested)}
        data["result"]["diarization"] = diarization_dict(transcript, utterances)
    if transcript.translated_to:
        data["result"]["translation"] = {
            "success": True,
            "is_empty": transcript.is_empty,
            "exec_time": round(analysis.transcription_time, 3),  # one pass with the transcription
            "error": None,
            "results": [{"languages": [transcript.translated_to], "source_languages": languages,
                         "full_transcript": transcript.text, "utterances": utterances, "error": None}],
        }
    return data


def render_json(analysis: Analysis) -> str:
    """The JSON export as text (UTF-8, indented, non-ASCII kept); always standard JSON: a number that
    is not finite (only an analysis stored by an earlier Hearsay can hold one) is written as null."""
    data = to_json_dict(analysis)
    try:
        text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError:  # Infinity or NaN somewhere: never written, JSON has no such number
        text = json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False)
    return text + "\n"


def _finite(value):
    """``value`` with every float that is not finite replaced by None (lists and dicts walked)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
