"""Answers that point to the recording: each sentence of a response matched to the transcript segments
that support it, its quotations checked verbatim and its own ``[mm:ss]`` citations checked.

``ground(response, transcript)`` is the entry point (``app.core.grounding.grounding``). The method is
lexical and model-independent (no language model is called): SQLite FTS5's Porter tokenizer gives the terms,
an IDF-weighted term recall over windows of neighbouring segments the score (``matching``). Qt-free.
"""

from app.core.grounding.grounding import Citation, ground, ground_responses
from app.core.grounding.matching import SUPPORT_THRESHOLD, TranscriptIndex

__all__ = ["Citation", "SUPPORT_THRESHOLD", "TranscriptIndex", "ground", "ground_responses"]
