"""The two engine interfaces the pipeline drives, and the settings that build the real ones.

The real engines are ``app.core.speech.transcription.WhisperTranscriber``
(faster-whisper) and ``app.core.llm.runner.LlamaPromptRunner``
(llama-cpp-python). Tests inject scripted engines with the same methods to cue
segments, tokens and faults.

Thread-safety contract: an engine is used by one thread at a time. The
transcriber and the prompt runner may run at the same time in two threads
(``app.core.pipeline.batch`` overlaps them); llama-cpp-python crashes on concurrent use
of one ``Llama``, so the prompt runner never gets two callers at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Protocol

from app.core import hardware
from app.core.analysis import Segment
from app.core.llm.assembly import DEFAULT_TEMPERATURE

log = logging.getLogger(__name__)


class Transcriber(Protocol):
    """Speech to segments."""

    model_name: str
    device: str

    def load(self) -> float:
        """Load the model if not loaded yet; return seconds spent (0.0 when warm). Raises ModelError."""

    def transcribe(
        self, path: Path, cancel: threading.Event, language: str | None = None, start: float = 0.0
    ) -> tuple[float, Iterator[Segment]]:
        """Start decoding ``path`` from ``start`` seconds on; return (audio duration in seconds, segments).

        ``language``: as ``EngineSettings.language`` (one code, several separated by commas, or None).

        The duration is the whole recording's, whatever ``start``. Segments
        (and their words) carry times in seconds from the start of the
        recording; with ``start`` > 0 only segments ending after ``start``
        come out (to resume an interrupted transcription from the last stored
        segment end). Segments are yielded as they decode; the iterator stops
        early (without error) once ``cancel`` is set. Raises MediaError for
        unreadable input.

        An engine may also have ``decoded_until``: seconds from the start of
        the recording up to which this call's audio was decoded, read once the
        segments are exhausted (the pipeline compares it with the duration to
        tell a file that ended early; without it, the last segment's end is
        all it knows), and ``translated_to``: "en" when the segments' text is a
        translation into English (each segment's ``language`` is still the one spoken).
        """


class PromptRunner(Protocol):
    """Transcript + prompt to a streamed response.

    ``max_tokens``: the answer cap in tokens. ``last_stats``: a
    ``prompting.PrefillStats`` for the last ``stream`` call, or None.
    ``last_finish_reason``: why the last ``stream`` ended, "stop" (the model
    ended its answer) or "length" (it reached ``max_tokens``), as OpenAI-style
    APIs report it; None when it was cancelled or failed. A runner may also have
    ``system_prompt`` and ``temperature`` (``EngineSettings``), set before each job,
    and ``demo`` (True while the catalog's demo model is loaded).
    """

    model_name: str
    device: str
    max_tokens: int
    last_stats: object | None
    last_finish_reason: str | None

    def load(self) -> float:
        """Load the model if not loaded yet; return seconds spent. Raises ModelError."""

    def context_limit(self) -> int:
        """The most tokens a prompt plus its answer may take. Loads the model."""

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` alone. Loads the model."""

    def fixed_tokens(self, prompt: str, system_text: str = ...) -> int:
        """Tokens ``prompt`` takes around an empty transcript (chat template, system text, prompt)."""

    def stream(self, transcript: str, prompt: str, cancel: threading.Event,
               system_text: str = ...) -> Iterator[str]:
        """Yield the response to ``prompt`` over ``transcript`` piece by piece.

        ``system_text`` replaces the runner's instructions (its ``system_prompt``
        or the built-in ones; the reduce step of map-reduce uses its own). Stops early once ``cancel`` is set. Raises
        PromptError (for instance ContextOverflowError) when the prompt cannot run.
        """


class Diarizer(Protocol):
    """Finds who spoke when (``app.core.speakers.diarizer.SenkoDiarizer``): ``load()`` returns seconds;
    ``diarize(audio, cancel, progress, count)`` takes mono float32 16-kHz samples and returns a
    ``DiarizationResult`` (turns, centroids); ``engine`` and ``model_name`` name it for the JSON."""

    engine: str
    model_name: str

    def load(self) -> float:
        ...

    def diarize(self, audio, cancel: threading.Event, progress=None, count=None):
        ...


@dataclass(frozen=True)
class EngineSettings:
    """What the user chose; ``None`` means the default model.

    ``whisper_model``: a faster-whisper size name ("tiny.en", "base", ...) or a
    CTranslate2 model directory. ``llm_model``: a path to a ``.gguf`` file.
    ``device``: "auto", "cpu" or "cuda". ``max_tokens``: response length cap in tokens.
    ``language``: an ISO 639-1 code, several separated by commas ("fr,en": Whisper
    detects among those only; Gladia's ``language_config.languages``), or None to auto-detect.
    ``beam_size``, ``vad_filter``, ``batch_size``: faster-whisper decoding
    (see ``WhisperTranscriber``). ``context_window``: the most tokens the LLM
    context may hold (None: the model's trained context). ``overlap``: transcribe
    the next file while the prompts of the previous one run (None: decide from
    the hardware, see ``overlap_default``).
    ``code_switching``: a language per stretch of speech (Gladia's ``code_switching``);
    ``translate``: Whisper writes English, each segment keeping the language spoken;
    ``vocabulary``: names and terms that bias transcription, joined by ", " (Gladia's
    ``custom_vocabulary``, faster-whisper's ``hotwords``). See ``app.core.speech.options``.

    Generation (fal's ``system_prompt`` and ``temperature``): ``system_prompt``
    replaces the built-in instructions before the transcript (None: the built-in
    ones, ``app.core.llm.assembly.SYSTEM_TEXT``); ``temperature`` is the sampling
    temperature (0 = greedy; default ``DEFAULT_TEMPERATURE``). See ``LlamaPromptRunner``
    for how both keep the transcript's prefix shared and never reuse a state or an
    answer made with other ones.

    Speakers (Gladia's ``diarization`` and ``diarization_config``): ``diarize`` finds who spoke when (on by
    default); ``num_speakers`` fixes the count, or ``min_speakers`` / ``max_speakers`` bound it (None: found
    from the recording, one speaker included). ``voiceprints``: keep the voice embedding of each speaker the
    user names and label matching voices in later recordings (off until the user consents).
    See ``app.core.speakers``.
    """

    whisper_model: str | None = None
    llm_model: str | None = None
    device: str = "auto"
    language: str | None = None
    max_tokens: int = 512
    beam_size: int = 1
    vad_filter: bool = False
    batch_size: int = 0
    context_window: int | None = None
    overlap: bool | None = None
    # languages, translation and vocabulary (issue 12)
    code_switching: bool = False
    translate: bool = False
    vocabulary: str = ""
    # generation (issue 12): kept together, after the speed fields
    system_prompt: str | None = None
    temperature: float = DEFAULT_TEMPERATURE
    # speakers (issue 13)
    diarize: bool = True
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    voiceprints: bool = False


def settings_from_dict(stored: dict, fallback: EngineSettings | None = None) -> EngineSettings:
    """``EngineSettings`` from a dict (as the history library stores them, ``dataclasses.asdict``).

    Keys this version does not know are ignored; ``fallback`` (default: the
    defaults) is returned when no key is known.
    """
    known = {f.name for f in fields(EngineSettings)}
    values = {k: v for k, v in stored.items() if k in known}
    return EngineSettings(**values) if values else (fallback or EngineSettings())


def overlap_default(cores: int, gpu: bool) -> bool:
    """Whether to overlap transcription and prompts by default.

    On a GPU the two stages use different devices, so overlap is on. On a CPU
    the cores are split between them; ``make bench`` measured on 2 cores that
    the split pays (CTranslate2 gains little from a second thread), so overlap
    is on from 2 physical cores and off on a single core.
    """
    return gpu or cores >= 2


def thread_split(cores: int, overlap: bool) -> tuple[int, int]:
    """(faster-whisper ``cpu_threads``, llama.cpp ``n_threads``) that together use ``cores``.

    Without overlap each stage runs alone and takes every core; with overlap
    they share the cores, never oversubscribing them (Whisper gets the smaller half).
    """
    if not overlap or cores < 2:
        return cores, cores
    whisper = cores // 2
    return whisper, cores - whisper


def create_engines(settings: EngineSettings, whisper_process: bool = False):
    """Build the real engines for ``settings``: (Transcriber, PromptRunner). Nothing loads until their ``load()``.

    ``whisper_process``: run Whisper in a child process (``app.core.speech.process.ProcessTranscriber``), as
    the window does, so that its load never holds this process's interpreter lock; the command line keeps it
    in process (no event loop to keep responsive, no process to start).

    Prefix KV states are kept under the user cache folder (``kv-states``); when that folder cannot be
    created (``paths.FolderError``) they are not kept, and the run goes on without them.
    """
    from app.core import paths
    from app.core.errors import FolderError
    from app.core.llm.kv_states import PrefixStateCache
    from app.core.llm.runner import LlamaPromptRunner
    if whisper_process:
        from app.core.speech.process import ProcessTranscriber as transcriber_class
    else:
        from app.core.speech.transcription import WhisperTranscriber as transcriber_class

    cores = hardware.physical_cores()
    overlap = resolve_overlap(settings)
    whisper_threads, llama_threads = thread_split(cores, overlap)
    transcriber = transcriber_class(
        settings.whisper_model, device=settings.device, cpu_threads=whisper_threads,
        beam_size=settings.beam_size, vad_filter=settings.vad_filter, batch_size=settings.batch_size,
        code_switching=settings.code_switching, translate=settings.translate, vocabulary=settings.vocabulary,
    )
    try:
        state_cache = PrefixStateCache(paths.cache_dir() / "kv-states")
    except FolderError as exc:
        log.warning("prefix KV states are not kept: %s", exc.message)
        state_cache = None
    runner = LlamaPromptRunner(
        settings.llm_model, device=settings.device, max_tokens=settings.max_tokens,
        n_threads=llama_threads, context_window=settings.context_window, state_cache=state_cache,
        temperature=settings.temperature, system_prompt=settings.system_prompt,
    )
    return transcriber, runner


def create_window_engines(settings: EngineSettings):
    """``create_engines`` as the window uses them: Whisper in a child process (``whisper_process``)."""
    return create_engines(settings, whisper_process=True)


def resolve_overlap(settings: EngineSettings) -> bool:
    """``settings.overlap``, or the hardware default when it is None."""
    if settings.overlap is not None:
        return settings.overlap
    return overlap_default(hardware.physical_cores(), hardware.cuda_device_count() > 0)


def create_speaker_stage(settings: EngineSettings, voiceprints=None):
    """The speaker stage for ``settings`` (``app.core.pipeline.diarizing.SpeakerStage``), or None when
    ``settings.diarize`` is off. ``voiceprints``: the named voiceprints to recognise (used only when
    ``settings.voiceprints``, the user's consent). Nothing loads until the stage runs, and then in a child
    process (``app.core.speakers.process.ProcessDiarizer``), which also decodes the recording
    (``diarizing.decode_audio``): torch never enters this process, nor does the audio.
    Raises HearsayError for an impossible speaker count."""
    if not settings.diarize:
        return None
    from app.core.pipeline.diarizing import SpeakerStage, decode_audio
    from app.core.speakers.diarizer import SpeakerCount
    from app.core.speakers.process import ProcessDiarizer

    count = SpeakerCount(settings.num_speakers, settings.min_speakers, settings.max_speakers).check()
    threads = hardware.physical_cores()
    device = "cpu" if settings.device == "cpu" else "auto"
    return SpeakerStage(ProcessDiarizer(threads=threads, device=device, decode=decode_audio), count,
                        list(voiceprints or []) if settings.voiceprints else None)
