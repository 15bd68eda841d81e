"""The speaker stage: after transcription, find who spoke when and put a speaker on every segment.

``diarize_stage`` decodes the recording again (in 5-minute windows, a cancel seen between them), runs the
diarizer in a worker thread while it yields ``DiarizationProgress``, assigns speakers to words
(``app.core.speakers.turns.assign_speakers``) and, when the user consented to voiceprints, labels speakers
whose voice matches a named voiceprint (``app.core.speakers.voiceprints.recognise``). A failure here never
fails the file: the transcript stays as it was, ``Diarization.error`` says in one sentence why speakers were
not found, and the prompts run. A cancel raises Cancelled, as the other stages do.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from app.core.analysis import Analysis, Diarization
from app.core.errors import Cancelled, HearsayError
from app.core.pipeline.cancellable import iterate_cancellable, wait_cancellable
from app.core.pipeline.engines import Diarizer
from app.core.pipeline.events import DiarizationProgress, Event, SpeakersFound, Stage, StageChanged
from app.core.speakers.diarizer import SpeakerCount
from app.core.speakers.turns import assign_speakers
from app.core.speakers.voiceprints import THRESHOLD, Voiceprint, recognise
from app.core.speech import media

log = logging.getLogger(__name__)

PROGRESS_POLL_SECONDS = 0.05
"""How often the stage looks at the diarizer's progress and at the cancel flag."""


@dataclass
class SpeakerStage:
    """What the speaker stage runs with: the ``diarizer``, the speaker ``count`` the user asked for, and the
    named ``voiceprints`` to recognise (None: the user did not consent to voiceprints, nothing is compared
    and no embedding is kept); ``threshold`` is the cosine similarity a match needs."""

    diarizer: Diarizer
    count: SpeakerCount = field(default_factory=SpeakerCount)
    voiceprints: list[Voiceprint] | None = None
    threshold: float = THRESHOLD


def needs_speakers(analysis: Analysis, stage: SpeakerStage) -> bool:
    """True when ``analysis``'s transcript needs the speaker stage: it holds speech and its speakers were not
    looked for, or were looked for with another speaker count, or were not found then (a transcript reused
    from the history library comes with the speakers found for it)."""
    transcript = analysis.transcript
    if transcript.is_empty:
        return False
    found = transcript.diarization
    return found is None or found.error is not None or found.requested != stage.count.requested


def diarize_stage(analysis: Analysis, stage: SpeakerStage, cancel: threading.Event) -> Iterator[Event]:
    """Find ``analysis``'s speakers (module docstring); yields StageChanged(DIARIZING), DiarizationProgress*,
    SpeakersFound. Fills ``analysis.transcript`` (segments, speaker_names, diarization) and
    ``analysis.speaker_embeddings`` (only with voiceprint consent). Raises Cancelled when ``cancel`` is set."""
    yield StageChanged(Stage.DIARIZING)
    yield DiarizationProgress(0.0)
    transcript = analysis.transcript
    started = time.perf_counter()
    diarizer = stage.diarizer
    try:
        wait_cancellable(diarizer.load, cancel, "hearsay-diarizer-load")
        if getattr(diarizer, "decode", None) is not None:  # the diarizer's process decodes the file itself
            result = yield from _run(lambda report: diarizer.diarize_file(analysis.source, cancel, report,
                                                                          stage.count), cancel)
        else:
            audio = _decode(analysis, cancel)
            result = yield from _run(lambda report: diarizer.diarize(audio, cancel, report, stage.count), cancel)
    except Cancelled:
        raise
    except Exception as exc:  # nothing here may fail the file: the transcript and prompts stand
        if isinstance(exc, HearsayError):
            cause = exc.message
        else:
            log.exception("diarizing %s failed", analysis.source)
            cause = f"the speaker engine failed ({type(exc).__name__}: {exc})"
        transcript.diarization = Diarization(engine=_engine(diarizer), model=_model(diarizer),
                                             time=time.perf_counter() - started, requested=stage.count.requested,
                                             error=f"speakers were not found: {cause}")
        yield SpeakersFound(tuple(transcript.segments), transcript.diarization, dict(transcript.speaker_names))
        return
    segments, numbering = assign_speakers(transcript.segments, result.turns)
    centroids = {numbering[label]: c for label, c in result.centroids.items() if label in numbering}
    names: dict[int, str] = {}  # speaker numbers are new: names given to an earlier diarization do not carry
    diarization = Diarization(engine=_engine(diarizer), model=_model(diarizer), speaker_count=len(numbering),
                              time=time.perf_counter() - started, requested=stage.count.requested)
    if stage.voiceprints is not None:
        analysis.speaker_embeddings = {k: tuple(float(x) for x in v) for k, v in centroids.items()}
        for speaker, (name, similarity) in recognise(centroids, stage.voiceprints, _model(diarizer),
                                                     stage.threshold).items():
            names[speaker] = name
            diarization.recognised[speaker] = name
            diarization.similarity[speaker] = round(similarity, 4)
    if not result.turns:
        diarization.error = "speakers were not found: the speaker engine heard no speech"
    transcript.segments = segments
    transcript.speaker_names = names
    transcript.diarization = diarization
    yield DiarizationProgress(1.0)
    yield SpeakersFound(tuple(segments), diarization, dict(names))


def decode_audio(path) -> np.ndarray:
    """The first audio track of ``path`` as mono float32 16-kHz samples, shape (n,): ``media.decode_windows``'
    windows joined (so only the float32 copy and one window of int16 are held). Raises MediaError as it does.
    The ``decode`` the window's diarizer process runs (``create_speaker_stage``)."""
    windows = [w.samples for w in media.decode_windows(path)]
    return np.concatenate(windows) if len(windows) > 1 else windows[0] if windows else np.zeros(0, np.float32)


def _decode(analysis: Analysis, cancel: threading.Event) -> np.ndarray:
    windows = [w.samples for w in iterate_cancellable(media.decode_windows(analysis.source), cancel,
                                                       "hearsay-diarizer-decode")]
    if cancel.is_set():
        raise Cancelled()
    return np.concatenate(windows) if len(windows) > 1 else windows[0] if windows else np.zeros(0, np.float32)


def _run(diarize, cancel: threading.Event):
    """Run ``diarize(report)`` (a diarizer's call, ``report`` its progress callback) in a worker thread,
    yielding its progress; returns its result."""
    reports: queue.Queue = queue.Queue()
    done: queue.Queue = queue.Queue(maxsize=1)

    def work() -> None:
        try:
            done.put((True, diarize(reports.put)))
        except BaseException as exc:  # handed to the stage
            done.put((False, exc))

    thread = threading.Thread(target=work, name="hearsay-diarize", daemon=True)
    thread.start()
    last = 0.0
    while True:
        try:
            ok, value = done.get(timeout=PROGRESS_POLL_SECONDS)
        except queue.Empty:
            ok = None
        fraction = None
        while not reports.empty():
            fraction = reports.get_nowait()
        if fraction is not None and fraction > last:
            last = fraction
            yield DiarizationProgress(min(fraction, 1.0))
        if ok is None:
            if cancel.is_set():
                raise Cancelled()  # the diarizer stops at its next batch; its thread is a daemon
            continue
        if not ok:
            raise value
        return value


def _engine(diarizer: Diarizer) -> str:
    return getattr(diarizer, "engine", "") or type(diarizer).__name__


def _model(diarizer: Diarizer) -> str:
    return getattr(diarizer, "model_name", "")
