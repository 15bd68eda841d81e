"""Chat messages for a prompt over a transcript, built so prompts share a prefix.

Every prompt of a file gets the same system message (``SYSTEM_TEXT`` followed
by the transcript) and differs only in the user message after it. Nothing that
varies (a date, a counter, the prompt) comes before the transcript, so the
rendered prompts of one file start with byte-identical text and llama.cpp can
reuse the transcript's KV cache for all of them (see DESIGN.md: 13 s vs 64 s
for six prompts over 3,000 tokens).

A prompt holding AssemblyAI's ``{{ transcript }}`` tag gets the transcript
there instead, and forgoes that reuse.
"""

from __future__ import annotations

import re

SYSTEM_TEXT = (
    "You are Hearsay, a careful assistant. Answer the user's request about the recording "
    "using only the transcript below. If the transcript does not say, answer that it does not say."
)
REDUCE_SYSTEM_TEXT = (
    "You are Hearsay, a careful assistant. A long recording was split into consecutive parts and "
    "the user's request was answered for each part separately. Combine the partial answers below "
    "into one answer to the request, as if written for the whole recording. Keep every fact, "
    "drop repetitions, and do not mention the parts."
)
TRANSCRIPT_TAG = re.compile(r"\{\{\s*transcript\s*\}\}")


def uses_transcript_tag(prompt: str) -> bool:
    """True when ``prompt`` places the transcript itself with ``{{ transcript }}``."""
    return bool(TRANSCRIPT_TAG.search(prompt))


def build_messages(transcript: str, prompt: str, system_text: str = SYSTEM_TEXT) -> list[dict[str, str]]:
    """Chat messages for ``prompt`` over ``transcript``: [system, user].

    Without the tag: the system message is ``system_text`` + the transcript (a
    prefix shared by all prompts of a file), the user message is the prompt.
    With ``{{ transcript }}`` in the prompt: the transcript replaces the tag in
    the user message and the system message is ``system_text`` alone.
    """
    if uses_transcript_tag(prompt):
        return [
            {"role": "system", "content": system_text},
            {"role": "user", "content": TRANSCRIPT_TAG.sub(lambda _: transcript, prompt)},
        ]
    heading = "Transcript" if system_text == SYSTEM_TEXT else "Partial answers"
    return [
        {"role": "system", "content": f"{system_text}\n\n{heading}:\n{transcript}"},
        {"role": "user", "content": prompt},
    ]


def plain_prompt(messages: list[dict[str, str]]) -> str:
    """A template-free rendering for models without a chat template (base models)."""
    system, user = messages[0]["content"], messages[1]["content"]
    return f"{system}\n\nRequest: {user}\n\nAnswer:"


def partial_answers_text(partials: list[str], first_part: int = 1) -> str:
    """The partial answers of a map step as one text: ``Part N:`` + answer, blank line between."""
    return "\n\n".join(f"Part {first_part + i}:\n{text.strip() or '(nothing)'}" for i, text in enumerate(partials))
