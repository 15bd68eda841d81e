"""Probe and decode input media: audio files and the audio track of videos.

Probing uses soundfile (libsndfile: wav, flac, ogg, mp3) where it can, PyAV
(FFmpeg: mp4, mkv, mov, webm, m4a, opus, ...) otherwise. Decoding goes through
faster-whisper's PyAV decoder. Every failure is a MediaError whose message
names the cause in a few words.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soundfile

from app.core.errors import MediaError

AUDIO_EXTENSIONS = (".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".oga", ".opus", ".wma", ".aiff", ".aif", ".amr", ".webm")
VIDEO_EXTENSIONS = (".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".mpeg", ".mpg", ".wmv", ".flv", ".3gp")
SOUNDFILE_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif")
"""Probed with libsndfile (fast, quiet); everything else, mp3 included, goes to FFmpeg."""
SAMPLE_RATE = 16000
"""Whisper's input rate, samples per second."""


@dataclass(frozen=True)
class MediaInfo:
    """What probing found: ``duration`` in seconds, ``has_video``, the audio ``codec`` name."""

    duration: float
    has_video: bool
    codec: str


def check_readable_file(path: Path) -> None:
    """Raise MediaError unless ``path`` is an existing, non-empty, readable file."""
    if not path.exists():
        raise MediaError("no such file")
    if path.is_dir():
        raise MediaError("is a folder, not a file")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MediaError(f"cannot read the file: {exc.strerror or exc}") from None
    if size == 0:
        raise MediaError("the file is empty")
    if not os.access(path, os.R_OK):
        raise MediaError("cannot read the file: permission denied")


def probe(path: Path) -> MediaInfo:
    """Find duration and streams of ``path`` without decoding it.

    Raises MediaError: no such file, a folder, empty, unreadable, not audio or
    video, no audio track.
    """
    path = Path(path)
    check_readable_file(path)
    if path.suffix.lower() in SOUNDFILE_EXTENSIONS:
        try:
            info = soundfile.info(str(path))
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
            return MediaInfo(duration, has_video, stream.codec_context.name or "unknown")
    except MediaError:
        raise
    except av.error.FFmpegError:
        raise MediaError("not an audio or video file, or it is damaged") from None
    except (OSError, ValueError) as exc:
        raise MediaError(f"cannot read the media: {exc}") from None


def decode(path: Path) -> np.ndarray:
    """Decode the first audio track of ``path`` to mono float32 at 16 kHz, shape (samples,).

    Raises MediaError when no audio comes out (damaged or truncated media).
    """
    from faster_whisper.audio import decode_audio

    try:
        audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except av.error.FFmpegError as exc:
        raise MediaError(f"the audio cannot be decoded, the file may be damaged ({exc.strerror or exc})") from None
    except (OSError, ValueError, IndexError) as exc:
        raise MediaError(f"the audio cannot be decoded: {exc}") from None
    if audio.size == 0:
        raise MediaError("no audio could be decoded, the file may be truncated or damaged")
    return audio
