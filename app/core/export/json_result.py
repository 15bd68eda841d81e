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
Error fields stay one sentence of text where Gladia has an object (a failed prompt does not parse there yet).
"""

from __future__ import annotations

import json
import math

from app.core.analysis import DEMO_NOTE, Analysis, AnalysisStatus
from app.core.user_files import display_name, display_path

JSON_FORMAT_VERSION = 1


def to_json_dict(analysis: Analysis) -> dict:
    """The JSON export as a dict (shape: Gladia's pre-recorded result plus ``metadata``)."""
    transcript = analysis.transcript
    languages = sorted({s.language for s in transcript.segments if s.language} or ({transcript.language} - {None}))
    prompt_entries = [
        {
            "success": r.success,
            "is_empty": not r.response,
            "exec_time": round(r.exec_time, 3),
            "error": r.error,
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
            "results": {"prompt": r.prompt, "response": r.response},
        }
        for r in analysis.prompt_results
    ]
    failed = [r for r in analysis.prompt_results if not r.success]
    utterances = [
        {
            "text": s.text.strip(),
            "start": s.start,
            "end": s.end,
            "confidence": round(sum(w.confidence for w in s.words) / len(s.words), 4) if s.words else 0.0,
            "channel": 0,
            "language": s.language or transcript.language,
            "words": [
                {"word": w.word, "start": w.start, "end": w.end, "confidence": w.confidence}
                for w in s.words
            ],
        }
        for s in transcript.segments
    ]
    data = {
        "id": analysis.id,
        "request_id": analysis.id,
        "kind": "pre-recorded",
        "created_at": analysis.created_at.isoformat(),
        "status": "done" if analysis.status is AnalysisStatus.DONE else "error",
        "error": analysis.error,
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
                "error": (f"{len(failed)} of {len(prompt_entries)} prompts did not finish" if failed else None),
                "results": prompt_entries,
            },
        },
    }
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
