"""Voices recognised across recordings: a named speaker's voiceprint against the speakers of a new recording.

A voiceprint is the mean CAM++ speaker embedding (192 floats) of one speaker the user named, kept (with the
user's consent, never audio) in the history library. A speaker of a later recording whose mean embedding has
a cosine similarity of at least ``THRESHOLD`` with a voiceprint is labelled with that voiceprint's name and
marked "recognised" until the user confirms or undoes it. Each name labels at most one speaker of a
recording and each speaker gets at most one name: pairs are taken best first (greedy on similarity).
The threshold and its false-accept / false-reject rates on real voices are in docs/benchmarks.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from app.core.analysis import Voiceprint

THRESHOLD = 0.8
"""Cosine similarity from which a speaker is taken to be a voiceprint's voice. Measured on four real voices
over five recordings (scripts/bench_voiceprints.py, docs/benchmarks.md): CAM++ embeddings of different voices
are far from orthogonal (impostor median 0.67, max 0.78 speaker against speaker; same voice min 0.90), so 0.6
falsely accepted 89.5 % of impostors; 0.8 is the lowest threshold with no false accept, speaker against
speaker (no false reject either) and against single turns (11.5 % of single turns of a named voice missed)."""


def cosine(a, b) -> float:
    """Cosine similarity of two embeddings, in [-1, 1] (0.0 when either is all zeros)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b / norm) if norm else 0.0


def recognise(centroids: Mapping[int, np.ndarray], voiceprints: Sequence[Voiceprint], model: str,
              threshold: float = THRESHOLD) -> dict[int, tuple[str, float]]:
    """Speakers whose voice matches a voiceprint: {speaker index: (name, cosine similarity)}.

    ``centroids``: each speaker's mean embedding; only voiceprints made by the same ``model`` are compared;
    pairs at or above ``threshold`` are taken best first, each speaker and each name once (module rule).
    """
    pairs = []
    for speaker, centroid in centroids.items():
        for print_ in voiceprints:
            if print_.model == model and len(print_.embedding) == len(centroid):
                similarity = cosine(centroid, print_.embedding)
                if similarity >= threshold:
                    pairs.append((similarity, speaker, print_.name))
    found: dict[int, tuple[str, float]] = {}
    names: set[str] = set()
    for similarity, speaker, name in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        if speaker not in found and name.casefold() not in names:
            found[speaker] = (name, similarity)
            names.add(name.casefold())
    return found
