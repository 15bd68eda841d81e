"""Speech to segments with faster-whisper (CTranslate2), on CUDA when present, else CPU.

Thread-safety: one ``WhisperTranscriber`` is used by one thread at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core import hardware, user_files
from app.core.analysis import Segment, Word
from app.core.errors import ModelError
from app.core.hub import catalog, checksums
from app.core.speech import media, options

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceChoice:
    """Where CTranslate2 runs: ``device`` "cuda" or "cpu", ``compute_type``, and why (``note``)."""

    device: str
    compute_type: str
    note: str = ""


def choose_whisper_device(requested: str, cuda_devices: int) -> DeviceChoice:
    """Pick faster-whisper's device for ``requested`` ("auto", "cpu", "cuda").

    auto: CUDA with float16 when CTranslate2 sees a CUDA device, else CPU with int8.
    cuda with no CUDA device: CPU with int8 and a note saying so.
    Raises ValueError for another ``requested`` value.
    """
    if requested not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, not {requested!r}")
    if requested == "cpu":
        return DeviceChoice("cpu", "int8")
    if cuda_devices > 0:
        return DeviceChoice("cuda", "float16")
    if requested == "cuda":
        return DeviceChoice("cpu", "int8", "no CUDA device is available to CTranslate2, using the CPU")
    return DeviceChoice("cpu", "int8")


class WhisperTranscriber:
    """faster-whisper ``WhisperModel`` behind the ``Transcriber`` interface.

    ``model``: size name or CTranslate2 folder (None = bundled tiny.en).
    ``device``: "auto", "cpu" or "cuda". ``cpu_threads``: CTranslate2 threads on
    CPU (default: physical cores). ``beam_size``: 1 is greedy decoding.
    ``vad_filter``: skip non-speech found by Silero VAD. ``batch_size``: above 0,
    decode that many 30-s windows at once with faster-whisper's
    ``BatchedInferencePipeline`` (which always uses the VAD). Word timestamps
    are always on. The defaults come from ``make bench`` (docs/benchmarks.md).
    ``window_seconds``: the most audio decoded and transcribed at once
    (``media.MAX_WINDOW_SECONDS``; see ``transcribe``).

    Languages, translation and vocabulary (``app.core.speech.options``): ``code_switching`` gives every
    stretch of speech its own language (cut at pauses of ``CODE_SWITCH_PAUSE_MS``), detected among the
    expected languages passed to ``transcribe`` (all of Whisper's when none); ``translate`` makes Whisper
    write English (``task="translate"``) while each segment keeps the language spoken; ``vocabulary``
    (terms joined by ", ") goes to faster-whisper as ``hotwords``, in the prompt of every 30-s window.
    An English-only model refuses translation, code switching and other languages (ModelError).
    """

    window_seconds: float = media.MAX_WINDOW_SECONDS
    decoded_until: float | None = None
    """Seconds from the start of the recording up to which the last ``transcribe`` call's audio was
    decoded (the end of its last window so far); None before a call. Read it once the segments are done."""

    def __init__(self, model: str | None = None, device: str = "auto", cpu_threads: int | None = None,
                 beam_size: int = 1, vad_filter: bool = False, batch_size: int = 0,
                 code_switching: bool = False, translate: bool = False, vocabulary: str = "") -> None:
        self.requested_model = model
        self.requested_device = device
        self.cpu_threads = cpu_threads or hardware.physical_cores()
        self.beam_size = beam_size
        self.vad_filter = vad_filter
        self.batch_size = batch_size
        self.code_switching = code_switching
        self.translate = translate
        self.translated_to = "en" if translate else None
        """"en" when the segments' text is an English translation (their ``language`` stays the spoken one)."""
        self.hotwords = options.vocabulary_text(options.parse_vocabulary(vocabulary)) or None
        self.english_only = False
        self.model_name = model or catalog.default_entry("whisper").name
        self.device = "not loaded"
        self._model = None
        self._load_lock = threading.Lock()
        self._call: object = None

    def load(self) -> float:
        """Load the model once (idempotent); return seconds spent. Raises ModelError.

        Thread-safe: a second caller waits for a load in progress (a cancelled
        wait leaves one finishing in the background) and then returns 0.0.
        """
        with self._load_lock:
            return self._load()

    def _load(self) -> float:
        if self._model is not None:
            return 0.0
        started = time.perf_counter()
        resolved = catalog.resolve_whisper(self.requested_model)
        if not user_files.is_valid_text(resolved.path):  # CTranslate2 takes the path as UTF-8 text
            raise ModelError(f"cannot load the Whisper model {user_files.display_path(resolved.path)}: CTranslate2 "
                             "opens only paths that are UTF-8 text; rename the folder")
        self.model_name = resolved.name
        self.english_only = catalog.whisper_english_only(resolved)
        if problem := options.model_problem(resolved.name, self.english_only, (), self.translate, self.code_switching):
            raise ModelError(problem)
        if resolved.sha256:
            checksums.verify_checksum(checksums.checksum_target(resolved.path), resolved.sha256)
        choice = choose_whisper_device(self.requested_device, hardware.cuda_device_count())
        try:
            self._model = self._build(resolved.path, choice)
        except Exception as exc:
            if choice.device != "cuda":
                shown = user_files.display_path(resolved.path)
                raise ModelError(f"cannot load the Whisper model {shown}: {exc}") from None
            log.warning("CUDA initialisation failed, falling back to CPU: %s", exc)
            choice = DeviceChoice("cpu", "int8", f"CUDA failed to start ({exc}), using the CPU")
            self._model = self._build(resolved.path, choice)
        self._check_vocabulary()
        self.device = f"{choice.device} ({choice.compute_type})" + (f"; {choice.note}" if choice.note else "")
        return time.perf_counter() - started

    def _check_vocabulary(self) -> None:
        """Refuse a vocabulary longer than Whisper's prompt holds (faster-whisper would cut it silently)."""
        if not self.hotwords:
            return
        tokens = len(self._model.hf_tokenizer.encode(" " + self.hotwords, add_special_tokens=False).ids)
        if tokens > options.MAX_VOCABULARY_TOKENS:
            self._model = None
            raise ModelError(f"the custom vocabulary takes {tokens} tokens and Whisper reads at most "
                             f"{options.MAX_VOCABULARY_TOKENS}; shorten the list")

    def _build(self, path: str, choice: DeviceChoice):
        from faster_whisper import WhisperModel

        model = WhisperModel(
            path,
            device=choice.device,
            compute_type=choice.compute_type,
            cpu_threads=self.cpu_threads if choice.device == "cpu" else 0,
            local_files_only=True,
        )
        if choice.device == "cuda":
            # Missing cuBLAS/cuDNN only shows at the first encode: try one second of silence now.
            silence = np.zeros(media.SAMPLE_RATE, dtype=np.float32)
            list(model.transcribe(silence, language="en", without_timestamps=True)[0])
        return model

    def transcribe(
        self, path: Path, cancel: threading.Event, language: str | None = None, start: float = 0.0
    ) -> tuple[float, Iterator[Segment]]:
        """Start transcribing ``path`` from ``start`` seconds on; return (duration seconds, segment iterator).

        The duration is the whole recording's (exact when it fits one window,
        else as probed). Segment and word times are seconds from the start of
        the recording. The audio is decoded and transcribed a window at a time
        (``media.decode_windows``), so memory stays bounded; a recording that
        fits one window is transcribed exactly as a whole. A window that is
        silent or shorter than a syllable (``media.may_hold_speech``) is
        skipped, as Whisper makes words up for those. A file that decodes
        shorter than its header announces is logged as maybe truncated.
        Raises MediaError for undecodable media (a later window raises it from
        the iterator). The iterator stops once ``cancel`` is set (checked
        between segments and windows). ``decoded_until`` follows the windows
        decoded, so a file that ends early (cut while it was read) shows.
        ``language``: one ISO 639-1 code, several separated by commas (detected among
        those only, see ``options``), or None to detect among all. Raises HearsayError for a
        code Whisper does not know, ModelError for a language an English-only model cannot hear.
        """
        self.load()
        expected = options.parse_languages(language)
        if problem := options.model_problem(self.model_name, self.english_only, expected, self.translate,
                                            self.code_switching):
            raise ModelError(problem)
        _seed_sampling()
        path = Path(path)
        self.decoded_until, call = start, object()
        self._call = call  # a window still decoding for an abandoned call must not move decoded_until
        windows = media.decode_windows(path, start, self.window_seconds)
        first = next(windows, None)
        if first is not None and first.last:
            duration = first.offset + first.samples.shape[0] / media.SAMPLE_RATE
            announced = media.probe(path).duration
            if announced - duration > max(1.0, 0.02 * announced):
                log.warning("%s announces %.1f s but only %.1f s decode; it may be truncated",
                            path.name, announced, duration)
        else:
            duration = max(media.probe(path).duration, first.offset if first else start)
        return duration, self._windowed(_prepend(first, windows), expected, cancel, call)

    def _windowed(self, windows: Iterator[media.AudioWindow], expected: tuple[str, ...],
                  cancel: threading.Event, call: object = None) -> Iterator[Segment]:
        """Segments of every window, shifted to recording time. The language: the one expected, else
        detected in the first window with speech (among the ``expected`` ones when there are several);
        later windows keep it and start from the last words before them (as faster-whisper conditions
        each 30-s chunk on the text before it). With code switching every stretch of speech gets its own
        language (``_switching``) unless only one language is expected."""
        language = expected[0] if len(expected) == 1 else None
        switching = self.code_switching and len(expected) != 1
        previous: str | None = None
        while not cancel.is_set() and (window := next(windows, None)) is not None:
            offset, seconds = window.offset, window.samples.shape[0] / media.SAMPLE_RATE
            if self._call is call:
                self.decoded_until = offset + seconds
            if not media.may_hold_speech(window.samples):
                del window
                log.info("%.1f s of audio from %.1f s on is silent or too short; not transcribed", seconds, offset)
                continue
            if switching:
                yield from self._switching(window.samples, expected, cancel, offset)
                del window
                continue
            if language is None and expected:
                language, probability = self.detect_language(window.samples, expected)
                log.info("detected language %s (probability %.2f among %s)", language, probability, ",".join(expected))
            segments, info = self._run(window.samples, language, previous)
            del window  # with the segments done, only the next window is held while it decodes
            language = language or info.language
            for segment in self._convert(segments, info.language, cancel, offset):
                previous = segment.text
                yield segment
            del segments

    def detect_language(self, audio: np.ndarray, expected: tuple[str, ...] = ()) -> tuple[str, float]:
        """(ISO 639-1 code, probability) of the speech in ``audio`` (16-kHz mono float32 samples, of which
        Whisper hears the first 30 s). With ``expected`` codes the choice is among those only and the
        probability is renormalised over them (Gladia's ``language_config.languages``). Loads the model;
        an English-only model answers ("en", 1.0)."""
        self.load()
        if self.english_only:
            return "en", 1.0
        _, _, ranked = self._model.detect_language(audio=audio)
        candidates = [(p, code) for code, p in ranked if code in expected] or [(p, code) for code, p in ranked]
        probability, code = max(candidates)
        total = sum(p for p, _ in candidates)
        return code, probability / total if total > 0 else 0.0

    def language_stretches(self, audio: np.ndarray, expected: tuple[str, ...] = (),
                           cancel: threading.Event | None = None) -> Iterator[tuple[int, int, str]]:
        """The stretches of ``audio`` (16-kHz samples) in one language each: (first sample, end sample,
        ISO 639-1 code), in order, each yielded once the next language is known (so transcription
        streams). Speech is cut at pauses of ``CODE_SWITCH_PAUSE_MS`` (Silero VAD), the language of each
        piece detected (``detect_language``, among ``expected`` when given; a piece shorter than
        ``MIN_DETECT_SECONDS`` keeps the language before it) and neighbours in the same language joined.
        Stops early once ``cancel`` is set."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        vad = VadOptions(min_silence_duration_ms=CODE_SWITCH_PAUSE_MS, speech_pad_ms=200, max_speech_duration_s=30)
        pending: tuple[int, int, str] | None = None
        for piece in get_speech_timestamps(audio, vad):
            if cancel is not None and cancel.is_set():
                return
            start, end = piece["start"], piece["end"]
            if pending is not None and (end - start) / media.SAMPLE_RATE < MIN_DETECT_SECONDS:
                language = pending[2]
            else:
                language, probability = self.detect_language(audio[start:end], expected)
                log.info("%.1f-%.1f s: language %s (probability %.2f)", start / media.SAMPLE_RATE,
                         end / media.SAMPLE_RATE, language, probability)
            if pending is not None and pending[2] == language:
                pending = (pending[0], end, language)
                continue
            if pending is not None:
                yield pending
            pending = (start, end, language)
        if pending is not None:
            yield pending

    def _switching(self, audio: np.ndarray, expected: tuple[str, ...], cancel: threading.Event,
                   offset: float) -> Iterator[Segment]:
        """Code switching over one window: each stretch in one language transcribed with that language."""
        for start, end, language in self.language_stretches(audio, expected, cancel):
            if cancel.is_set():
                return
            segments, _ = self._run(audio[start:end], language, None)
            yield from self._convert(segments, language, cancel, offset + start / media.SAMPLE_RATE)

    def _run(self, audio: np.ndarray, language: str | None, initial_prompt: str | None):
        """faster-whisper over one window: (lazy segments, info)."""
        task = "translate" if self.translate else "transcribe"
        if self.batch_size > 0:
            from faster_whisper import BatchedInferencePipeline

            return BatchedInferencePipeline(self._model).transcribe(
                audio, language=language, task=task, word_timestamps=True, beam_size=self.beam_size,
                batch_size=self.batch_size, initial_prompt=initial_prompt, hotwords=self.hotwords,
            )
        return self._model.transcribe(
            audio, language=language, task=task, word_timestamps=True, beam_size=self.beam_size,
            vad_filter=self.vad_filter, initial_prompt=initial_prompt, hotwords=self.hotwords,
        )

    @staticmethod
    def _convert(segments, language: str | None, cancel: threading.Event, shift: float = 0.0) -> Iterator[Segment]:
        for seg in segments:
            if cancel.is_set():
                return
            words = tuple(
                Word(w.word.strip(), float(w.start) + shift, float(w.end) + shift, float(w.probability))
                for w in seg.words or ()
            )
            yield Segment(float(seg.start) + shift, float(seg.end) + shift, seg.text.strip(), words, language)


def _prepend(first: media.AudioWindow | None, rest: Iterator[media.AudioWindow]) -> Iterator[media.AudioWindow]:
    """``first`` (unless None), then ``rest``, without keeping a reference to ``first`` once it is taken."""
    if first is not None:
        yield first
        del first
    yield from rest


MIN_DETECT_SECONDS = 1.5
"""Code switching: a stretch of speech shorter than this (a "yes", a name) keeps the language before it;
Whisper's language detection needs a few words."""


CODE_SWITCH_PAUSE_MS = 700
"""Code switching: speech is cut at pauses at least this long (milliseconds; Silero VAD), and each piece
(at most 30 s, what Whisper hears at once) gets its own language."""


SAMPLING_SEED = 7
"""Seed of CTranslate2's sampling, set at the start of every transcription."""


def _seed_sampling() -> None:
    """Make the temperature fallback's sampling repeatable: when a window's greedy decoding fails
    faster-whisper's checks (compression ratio, log probability), it decodes again at higher temperatures,
    which samples; with the seed set per transcription, the same recording gives the same transcript."""
    import ctranslate2

    ctranslate2.set_random_seed(SAMPLING_SEED)
