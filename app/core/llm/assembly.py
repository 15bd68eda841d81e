"""Chat messages for a prompt over a transcript, built so prompts share a prefix.

Every prompt of a file gets the same system message (``SYSTEM_TEXT`` followed
by the transcript) and differs only in the user message after it. Nothing that
varies (a date, a counter, the prompt) comes before the transcript, so the
rendered prompts of one file start with byte-identical text and llama.cpp can
reuse the transcript's KV cache for all of them (see DESIGN.md: 13 s vs 64 s
for six prompts over 3,000 tokens).

A prompt holding AssemblyAI's ``{{ transcript }}`` tag gets the transcript
there instead, and forgoes that reuse.

The transcript, the user's prompts and partial answers are data, never markup:
the rendered prompt is tokenized with special tokens on (the chat template's
role markers must become control tokens), so the text of a control token
inside data (``<|im_end|>`` in a transcript, say) is broken with a word joiner
first (``neutralize``) and can never close a message or open a role, whatever
the chat template.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
DEFAULT_TEMPERATURE = 0.0
"""The default sampling temperature (fal's ``temperature``; 0 = greedy, always the likeliest token), chosen
from the measurement in docs/generation.md (``scripts/bench_temperature.py``): on the bundled model, 79 % of
the answers' content words were found in the transcript at 0 and 0.1, 72 % at 0.2 and 52 % at 0.7, with
the fewest answers cut off, and the answer does not depend on a seed."""
TEMPERATURE_RANGE = (0.0, 2.0)
"""Temperatures Hearsay accepts (OpenAI's and fal's range)."""
TRANSCRIPT_TAG = re.compile(r"\{\{\s*transcript\s*\}\}")
WORD_JOINER = "\u2060"
"""Inserted after the first character of a control token's text found in data: invisible, and no token of any vocabulary
starts with it after that character, so the control token cannot be formed."""


def uses_transcript_tag(prompt: str) -> bool:
    """True when ``prompt`` places the transcript itself with ``{{ transcript }}``."""
    return bool(TRANSCRIPT_TAG.search(prompt))


def control_text_pattern(control_texts: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern matching any of ``control_texts`` (the texts of a vocabulary's control tokens, e.g.
    ``<|im_start|>``), longest first; None when there is none to match. One-character texts are left out:
    they cannot be broken, and no chat template uses one."""
    texts = sorted({t for t in control_texts if len(t) > 1}, key=len, reverse=True)
    if not texts:
        return None
    first = "".join(sorted({re.escape(t[0]) for t in texts}))
    return re.compile(f"(?=[{first}])(?:{'|'.join(re.escape(t) for t in texts)})")


def neutralize(text: str, control_texts: re.Pattern[str] | None) -> str:
    """``text`` with every match of ``control_texts`` broken by ``WORD_JOINER`` after its first character.

    Text without such a match comes back unchanged (the same object), so ordinary transcripts
    tokenize exactly as before and keep their prefix reuse.
    """
    if control_texts is None or not control_texts.search(text):
        return text
    return control_texts.sub(lambda m: m.group()[0] + WORD_JOINER + m.group()[1:], text)


def build_messages(transcript: str, prompt: str, system_text: str = SYSTEM_TEXT) -> list[dict[str, str]]:
    """Chat messages for ``prompt`` over ``transcript``: [system, user].

    Without the tag: the system message is ``system_text`` + the transcript (a
    prefix shared by all prompts of a file), the user message is the prompt.
    ``system_text`` is the built-in ``SYSTEM_TEXT``, the user's system prompt in its
    place, or ``REDUCE_SYSTEM_TEXT`` (then the text after it is headed "Partial answers").
    With ``{{ transcript }}`` in the prompt: the transcript replaces the tag in
    the user message and the system message is ``system_text`` alone.
    """
    if uses_transcript_tag(prompt):
        return [
            {"role": "system", "content": system_text},
            {"role": "user", "content": TRANSCRIPT_TAG.sub(lambda _: transcript, prompt)},
        ]
    heading = "Partial answers" if system_text == REDUCE_SYSTEM_TEXT else "Transcript"
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
