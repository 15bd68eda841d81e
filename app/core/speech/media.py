"""Probe and decode input media: audio files and the audio track of videos.

Probing uses soundfile (libsndfile: wav, flac, ogg, mp3) where it can, PyAV
(FFmpeg: mp4, mkv, mov, webm, m4a, opus, ...) otherwise. Decoding uses PyAV
the way faster-whisper's ``decode_audio`` does (same resampling, same
samples), but a window at a time (``MAX_WINDOW_SECONDS``), so a long recording
never sits in memory whole. Every failure is a MediaError whose message names
the cause in a few words.
"""

from __future__ import annotations

import gc
import itertools
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import av
import numpy as np
import soundfile

from app.core import user_files
from app.core.errors import MediaError

AUDIO_EXTENSIONS = (".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".oga", ".opus", ".wma", ".aiff", ".aif", ".amr", ".webm")
VIDEO_EXTENSIONS = (".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".mpeg", ".mpg", ".wmv", ".flv", ".3gp")
SOUNDFILE_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif")
"""Probed with libsndfile (fast, quiet); everything else, mp3 included, goes to FFmpeg."""
SAMPLE_RATE = 16000
"""Whisper's input rate, samples per second."""
MAX_WINDOW_SECONDS = 300.0
"""Longest stretch of audio decoded and transcribed at once. 5 min is 4.8 M samples, 19 MB as float32,
and faster-whisper's log-mel features of it peak near 310 MB (616 MB measured for 10 min). A longer
recording goes window by window, so memory stays bounded whatever its length (8 h as one array would be
1.8 GB, its features 30 GB). Windows cost no speed or accuracy measured here (docs/robustness.md)."""
QUIET_SEARCH_SECONDS = 20.0
"""A window that must be cut ends at the quietest point of its last this-many seconds."""
QUIET_FRAME_SECONDS = 0.1
"""The stretch whose energy is compared when looking for that quiet point."""
SILENCE_PEAK = 0.001
"""Peak amplitude (-60 dBFS) below which a window holds no speech and is not transcribed."""
MIN_SPEECH_SECONDS = 0.2
"""Audio shorter than this (less than a syllable) is not transcribed: on 0.1 s of speech Whisper
tiny.en answers "Thank you."."""

NOT_MEDIA = "not an audio or video file, or it is damaged"
UNDECODABLE_TRACK = "its audio track cannot be decoded (an unknown codec or a damaged header)"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MediaInfo:
    """What probing found: ``duration`` in seconds, ``has_video``, the audio ``codec`` name."""

    duration: float
    has_video: bool
    codec: str


def check_readable_file(path: Path) -> os.stat_result:
    """Check that ``path`` is a regular, non-empty file that can be read; return its ``stat``.

    Raises MediaError naming the cause: no such file, a folder, not a regular
    file (a named pipe, a device, a socket: never opened in a way that
    blocks), a dangling or looping symbolic link, empty, unreadable
    (``app.core.user_files.check_regular_file``).
    """
    try:
        return user_files.check_regular_file(path)
    except user_files.FileProblem as exc:
        raise MediaError(exc.message) from None


def probe(path: Path) -> MediaInfo:
    """Find duration and streams of ``path`` without decoding it.

    Raises MediaError: no such file, a folder, not a regular file, empty,
    unreadable, not audio or video, no audio track, an audio track that
    cannot be decoded.
    """
    path = Path(path)
    check_readable_file(path)
    if path.suffix.lower() in SOUNDFILE_EXTENSIONS:
        try:
            info = soundfile.info(os.fsencode(path))  # bytes: a name that is not UTF-8 opens too
            if info.frames > 0 and info.samplerate > 0:
                return MediaInfo(info.frames / info.samplerate, False, info.format.lower())
        except Exception:
            pass  # not what its name says (or damaged): let FFmpeg judge it
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            audio = [s for s in container.streams if s.type == "audio"]
            has_video = any(s.type == "video" for s in container.streams)
            if not audio:
                raise MediaError("has no audio track" if has_video else "not an audio or video file")
            stream = audio[0]
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / av.time_base
            else:
                duration = 0.0
            if stream.codec_context is None:  # e.g. a wav header announcing 0 bits per sample
                raise MediaError(UNDECODABLE_TRACK)
            return MediaInfo(duration, has_video, stream.codec_context.name or "unknown")
    except MediaError:
        raise
    except av.error.FFmpegError:
        raise MediaError(NOT_MEDIA) from None
    except OSError as exc:
        raise MediaError(f"cannot read the media: {exc.strerror or exc}") from None
    except Exception:  # whatever else a damaged header makes FFmpeg or PyAV do is still a damaged file
        log.info("probing %s failed", user_files.display_path(path), exc_info=True)
        raise MediaError(NOT_MEDIA) from None


class AudioWindow(NamedTuple):
    """One stretch of decoded audio: ``offset`` in seconds from the start of the recording,
    ``samples`` mono float32 at ``SAMPLE_RATE``, shape (n,), and whether it is the ``last``."""

    offset: float
    samples: np.ndarray
    last: bool


def decode_windows(path: Path, start: float = 0.0,
                   window_seconds: float = MAX_WINDOW_SECONDS) -> Iterator[AudioWindow]:
    """Decode the first audio track of ``path`` from ``start`` seconds on, one window at a time.

    Windows follow each other without gap or overlap and hold at most
    ``window_seconds`` of audio; a window that is cut (not the last) ends at
    the quietest ``QUIET_FRAME_SECONDS`` of its final ``QUIET_SEARCH_SECONDS``,
    so a cut rarely falls inside a word. Only about one window is held in
    memory (``window_seconds`` x 16,000 x 6 bytes: the int16 buffer and its
    float32 copy). A recording shorter than a window comes out as one window
    equal to what faster-whisper's ``decode_audio`` gives.

    Raises MediaError when the audio cannot be decoded, or when nothing at all
    decodes from ``start`` = 0 (truncated or damaged media). A ``start`` past
    the end yields no window.
    """
    window = max(int(min(window_seconds, 1e9) * SAMPLE_RATE), 2 * _QUIET_FRAME)
    search = min(int(QUIET_SEARCH_SECONDS * SAMPLE_RATE), window // 2)
    pending: list[np.ndarray] = []
    held, base, emitted = 0, None, 0
    for begin, chunk in _pcm(Path(path), start):
        base = begin if base is None else base
        pending.append(chunk)
        held += chunk.size
        while held > window:
            buffer = np.concatenate(pending)
            cut = window - search + _quietest(buffer[window - search:window])
            yield AudioWindow(base + emitted / SAMPLE_RATE, _to_float(buffer[:cut]), False)
            emitted += cut
            pending, held = [buffer[cut:].copy()], buffer.size - cut
            del buffer
    if held:
        yield AudioWindow(base + emitted / SAMPLE_RATE, _to_float(np.concatenate(pending)), True)
    elif start <= 0:
        raise MediaError("no audio could be decoded, the file may be truncated or damaged")


def decode(path: Path) -> np.ndarray:
    """Decode the whole first audio track of ``path`` to mono float32 at 16 kHz, shape (samples,).

    Holds all of it in memory (an hour is 230 MB): for short clips; long
    recordings go through ``decode_windows``. Raises MediaError as it does.
    """
    parts = [w.samples for w in decode_windows(path, window_seconds=float("inf"))]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def may_hold_speech(samples: np.ndarray) -> bool:
    """False when ``samples`` (float32 in [-1, 1] at ``SAMPLE_RATE``) are shorter than
    ``MIN_SPEECH_SECONDS`` or never reach ``SILENCE_PEAK`` (-60 dBFS): Whisper would only
    make words up ("Thank you.") for them."""
    if samples.size < MIN_SPEECH_SECONDS * SAMPLE_RATE:
        return False
    return max(float(samples.max()), -float(samples.min())) >= SILENCE_PEAK


_QUIET_FRAME = int(QUIET_FRAME_SECONDS * SAMPLE_RATE)


def _quietest(samples: np.ndarray) -> int:
    """Index (in ``samples``) of the middle of its quietest ``_QUIET_FRAME``-long frame (the last of equals)."""
    frames = samples[: samples.size // _QUIET_FRAME * _QUIET_FRAME].reshape(-1, _QUIET_FRAME)
    energy = np.square(frames, dtype=np.float64).sum(axis=1)
    return (energy.size - 1 - int(np.argmin(energy[::-1]))) * _QUIET_FRAME + _QUIET_FRAME // 2


def _to_float(pcm: np.ndarray) -> np.ndarray:
    audio = pcm.astype(np.float32)
    audio /= 32768.0  # as faster-whisper's decode_audio: s16 back to float32
    return audio


class _SeekFailed(Exception):
    pass


def _pcm(path: Path, start: float) -> Iterator[tuple[float, np.ndarray]]:
    """(seconds from the start of the recording of the first sample, int16 mono chunk), in order."""
    if start > 0:
        try:
            yield from _pcm_from(path, start, seek=True)
            return
        except _SeekFailed:
            log.info("cannot seek in %s; decoding from the beginning", path)
    yield from _pcm_from(path, start, seek=False)


def _pcm_from(path: Path, start: float, seek: bool) -> Iterator[tuple[float, np.ndarray]]:
    resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise MediaError("has no audio track")
            stream = container.streams.audio[0]
            frames = _valid_frames(container.decode(stream))
            begin = 0.0
            if seek:
                frames, begin = _seek(container, stream, frames, start)
            skip = max(int(round((start - begin) * SAMPLE_RATE)), 0)
            begin = max(begin, start)
            for frame in _resampled(_grouped(frames), resampler):
                pcm = frame.to_ndarray().reshape(-1)
                if skip:
                    dropped = min(skip, pcm.size)
                    pcm, skip = pcm[dropped:], skip - dropped
                if pcm.size:
                    yield begin, pcm
    except (MediaError, _SeekFailed):
        raise
    except av.error.FFmpegError as exc:
        raise MediaError(f"the audio cannot be decoded, the file may be damaged ({exc.strerror or exc})") from None
    except (OSError, ValueError, IndexError) as exc:
        raise MediaError(f"the audio cannot be decoded: {exc}") from None
    except Exception:  # PyAV on a damaged stream (a codec context missing, ...): still a damaged file
        log.info("decoding %s failed", user_files.display_path(path), exc_info=True)
        raise MediaError(UNDECODABLE_TRACK) from None
    finally:
        del resampler
        gc.collect()  # PyAV's resampler holds memory until collected (faster-whisper issue 390)


def _seek(container, stream, frames, start: float):
    """Seek to the last keyframe before ``start``; return (frames from there, their start in seconds)."""
    origin = stream.start_time or 0
    try:
        container.seek(origin + int(start / stream.time_base), stream=stream, backward=True)
        first = next(frames, None)
    except av.error.FFmpegError:
        raise _SeekFailed from None
    if first is None:
        return iter(()), start
    if first.pts is None or first.time_base is None:
        raise _SeekFailed
    return itertools.chain([first], frames), float((first.pts - origin) * first.time_base)


def _valid_frames(frames):
    iterator = iter(frames)
    while True:
        try:
            yield next(iterator)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            continue  # a damaged packet: skip it, as faster-whisper does


def _grouped(frames, samples: int = 500_000):
    """Frames regrouped into chunks of about ``samples`` input samples (as faster-whisper resamples them)."""
    fifo = av.audio.fifo.AudioFifo()
    for frame in frames:
        frame.pts = None  # the FIFO would otherwise check timestamps
        fifo.write(frame)
        if fifo.samples >= samples:
            yield fifo.read()
    if fifo.samples > 0:
        yield fifo.read()


def _resampled(frames, resampler):
    for frame in itertools.chain(frames, [None]):  # None flushes the resampler
        yield from resampler.resample(frame)
