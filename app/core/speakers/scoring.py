"""How right a diarization is, against a reference: diarization error rate and words given to the right speaker.

For the tests and ``make bench`` (``scripts/bench_speakers.py``), not for the app at run time. The diarization
error rate comes from ``pyannote.metrics`` (PyPI, MIT; a test dependency: it needs neither torch nor
pyannote.audio), imported when first used; this module only converts Hearsay's turns to its annotations.

Definition (NIST Rich Transcription, as ``md-eval-22.pl`` scores it; ``pyannote.metrics`` follows it):
over the scored time, missed speech is reference speech with no hypothesis speaker, false alarm is hypothesis
speech where the reference has none, speaker confusion is speech given to a speaker that the optimal
one-to-one mapping of hypothesis to reference speakers (Hungarian algorithm on the time they share) does not
map to the reference speaker. Overlapping speech is scored: each overlapping reference speaker counts, so
at a time t with ``R`` reference and ``H`` hypothesis speakers of which ``C`` are correctly mapped, missed =
max(0, R - H), false alarm = max(0, H - R), confusion = min(R, H) - C. All three are divided by the total
scored reference speech (seconds, overlap counted once per speaker). Not scored: ``collar`` seconds either
side of every reference turn boundary (md-eval's ``-c 0.25``; pyannote.metrics' ``collar`` is the whole width,
so it gets twice this), since hand-marked boundaries are that uncertain.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.analysis import Segment
from app.core.speakers.turns import SpeakerTurn, TurnIndex

DEFAULT_COLLAR = 0.25
"""Seconds not scored either side of each reference boundary (NIST md-eval's default ``-c 0.25``)."""


def read_rttm(path: Path | str) -> list[SpeakerTurn]:
    """The ``SPEAKER`` lines of a NIST RTTM file as turns, sorted by start (seconds).

    Format (NIST RT-09 evaluation plan, appendix A): space-separated ``SPEAKER <file> <channel> <start>
    <duration> <NA> <NA> <speaker> <NA> <NA>``; other line types (``SPKR-INFO``, ``LEXEME``...), blank lines and
    ``;;`` comments are skipped. Speaker names become ints 0, 1, 2... in order of first appearance in time.
    Raises ValueError naming the file and line for a ``SPEAKER`` line that is too short or whose start or
    duration is not a number or is negative; OSError when the file cannot be read.
    """
    path = Path(path)
    rows: list[tuple[float, float, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith(";;") or fields[0] != "SPEAKER":
            continue
        if len(fields) < 8:
            raise ValueError(f"{path.name} line {number}: a SPEAKER line needs at least 8 fields, found {len(fields)}")
        try:
            start, duration = float(fields[3]), float(fields[4])
        except ValueError:
            raise ValueError(f"{path.name} line {number}: start {fields[3]!r} and duration {fields[4]!r} must be "
                             "numbers of seconds") from None
        if start < 0 or duration < 0 or not math.isfinite(start + duration):
            raise ValueError(f"{path.name} line {number}: start and duration must be finite and not negative")
        rows.append((start, start + duration, fields[7]))
    rows.sort(key=lambda row: (row[0], row[1]))
    labels: dict[str, int] = {}
    return [SpeakerTurn(start, end, labels.setdefault(name, len(labels))) for start, end, name in rows]


@dataclass(frozen=True)
class DerReport:
    """A diarization error rate and its parts (module docstring), each a fraction of ``reference_seconds``.

    ``missed_speech``, ``false_alarm``, ``confusion``: fractions (0 = none; false alarm can exceed 1);
    ``total`` is their sum, the diarization error rate. ``reference_seconds``: the scored reference speech
    (seconds, outside the collars, overlap counted per speaker). ``mapping``: hypothesis label -> reference
    label of the optimal one-to-one mapping (hypothesis speakers left unmapped are absent).
    """

    missed_speech: float
    false_alarm: float
    confusion: float
    total: float
    reference_seconds: float
    mapping: dict[int, int]


def _annotation(turns: Iterable[SpeakerTurn]):
    from pyannote.core import Annotation, Segment as Span

    annotation = Annotation()
    for k, turn in enumerate(turns):
        if turn.end > turn.start:
            annotation[Span(turn.start, turn.end), k] = turn.speaker
    return annotation


def diarization_error_rate(reference: Sequence[SpeakerTurn], hypothesis: Sequence[SpeakerTurn],
                           collar: float = DEFAULT_COLLAR) -> DerReport:
    """Score ``hypothesis`` turns against ``reference`` turns (module docstring: NIST RT / md-eval definition,
    ``collar`` seconds either side of each reference boundary not scored, overlap scored).

    The scored time is the span from the earliest to the latest turn of either. Raises ValueError when the
    reference has no speech left to score; ImportError when pyannote.metrics (a test dependency) is missing.
    """
    from pyannote.core import Segment as Span, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    spans = [t for t in (*reference, *hypothesis) if t.end > t.start]
    if not any(t.end > t.start for t in reference):
        raise ValueError("the reference has no speech to score")
    uem = Timeline([Span(min(t.start for t in spans), max(t.end for t in spans))])
    ref, hyp = _annotation(reference), _annotation(hypothesis)
    metric = DiarizationErrorRate(collar=2 * collar, skip_overlap=False)
    detail = metric.compute_components(ref, hyp, uem=uem)
    scored = detail["total"]
    if scored <= 0:
        raise ValueError(f"the reference has no speech outside the {collar:g}-s collars to score")
    mapping = {int(h): int(r) for h, r in metric.optimal_mapping(ref, hyp, uem=uem).items()}
    missed, false_alarm, confusion = (detail[k] / scored for k in ("missed detection", "false alarm", "confusion"))
    return DerReport(missed_speech=missed, false_alarm=false_alarm, confusion=confusion,
                     total=missed + false_alarm + confusion, reference_seconds=scored, mapping=mapping)


def word_speaker_accuracy(segments: Sequence[Segment], reference: Sequence[SpeakerTurn]) -> float:
    """The share (0..1) of transcribed words given to the right speaker.

    A word's reference speaker is the speaker of the reference turns overlapping the word's time span the most;
    a word no reference turn overlaps is not scored. Its hypothesis speaker is its segment's ``speaker`` (None:
    no speaker, always wrong). Hypothesis labels are mapped one to one onto reference speakers so that the
    most words agree (Hungarian algorithm, ``scipy.optimize.linear_sum_assignment``); a label left unmapped
    is wrong. A segment without word timestamps counts as one word per whitespace-separated token of its text,
    spanning the whole segment. Raises ValueError when no word falls within a reference turn.
    """
    from scipy.optimize import linear_sum_assignment

    index = TurnIndex(reference)
    pairs: list[tuple[int, int | None, int]] = []  # (reference speaker, hypothesis speaker, words)
    for segment in segments:
        units = ([(w.start, w.end, 1) for w in segment.words] if segment.words
                 else [(segment.start, segment.end, max(1, len(segment.text.split())))])
        for start, end, words in units:
            truth = index.overlapping(start, end)
            if truth is not None:
                pairs.append((truth, segment.speaker, words))
    scored = sum(words for _, _, words in pairs)
    if not scored:
        raise ValueError("no transcribed word falls within a reference turn")
    truths = sorted({t for t, _, _ in pairs})
    guesses = sorted({h for _, h, _ in pairs if h is not None})
    if not guesses:
        return 0.0
    agree = np.zeros((len(truths), len(guesses)))
    for truth, guess, words in pairs:
        if guess is not None:
            agree[truths.index(truth), guesses.index(guess)] += words
    rows, columns = linear_sum_assignment(agree, maximize=True)
    return float(agree[rows, columns].sum()) / scored
