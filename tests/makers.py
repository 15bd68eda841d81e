"""Hostile fixtures made on the fly with Python only (soundfile, PyAV, numpy), as CI has no ffmpeg or sox."""

from __future__ import annotations

import errno
import os
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np


def put(path: Path, data: bytes | None) -> Path:
    """``path`` made a file holding ``data``, or a folder when ``data`` is None."""
    path.mkdir() if data is None else path.write_bytes(data)
    return path


def sparse_wav(path: Path, seconds: int, rate: int = 8000) -> Path:
    """A 16-bit mono PCM wav of ``seconds`` of digital silence, written as a sparse file (almost no disk)."""
    data = seconds * rate * 2
    path.write_bytes(struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + data, b"WAVE", b"fmt ", 16, 1, 1, rate,
                                 rate * 2, 2, 16, b"data", data))
    os.truncate(path, 44 + data)
    return path


def copy_of(source: Path, target: Path, fraction: float = 1.0) -> Path:
    """``target`` holding the first ``fraction`` of ``source``'s bytes (an interrupted download below 1)."""
    with open(source, "rb") as handle:
        target.write_bytes(handle.read(int(source.stat().st_size * fraction)))
    return target


def video_without_audio(path: Path) -> Path:
    """An mp4 at ``path`` with one second of a 32x32 black video stream and no audio stream."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=5)
        stream.width, stream.height = 32, 32
        frames = [av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24") for _ in range(5)]
        for frame in [*frames, None]:  # None flushes the encoder
            for packet in stream.encode(frame):
                container.mux(packet)
    return path


def read_only_folder(path: Path, request) -> Path:
    """A new folder at ``path`` that refuses new files until the test ends: mode 0555, plus for root (whom
    modes do not stop) the immutable flag. Where root cannot set it (no ``chattr``, or a container without
    CAP_LINUX_IMMUTABLE) the refusal is injected instead: creating a file there raises EACCES."""
    path.mkdir()
    path.chmod(0o555)
    request.addfinalizer(lambda: path.chmod(0o755))
    if os.geteuid() == 0:
        if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
            request.addfinalizer(lambda: subprocess.run(["chattr", "-i", str(path)], check=True))
        else:
            _refuse_new_files(path, request.getfixturevalue("monkeypatch"))
    return path


def _refuse_new_files(folder: Path, monkeypatch) -> None:
    """Exports into ``folder`` fail as a read-only folder makes them fail (their temp file cannot be made)."""
    import tempfile

    from app.core.export import files as export_files

    real = tempfile.NamedTemporaryFile

    def named_temporary_file(*args, **kwargs):
        if kwargs.get("dir") is not None and Path(kwargs["dir"]).resolve() == folder.resolve():
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))
        return real(*args, **kwargs)

    monkeypatch.setattr(export_files.tempfile, "NamedTemporaryFile", named_temporary_file)


def half_of_default_gguf(target: Path) -> Path:
    """``target`` holding the first half of the default LLM's file (a download cut off halfway)."""
    from app.core.hub import catalog

    source = catalog.default_entry("llm").installed_path()
    assert source is not None, "the default LLM is not installed: `make test` installs it (make setup)"
    return copy_of(source, target, 0.5)


def repeated_speech(path: Path, times: int, seconds: float | None = None) -> Path:
    """``tests/data/speech.wav`` (13.3 s) ``times`` over with half a second of silence after each,
    cut to ``seconds`` when given: a longer recording for cancel and crash tests, without speech tools."""
    import soundfile

    audio, rate = soundfile.read(Path(__file__).parent / "data" / "speech.wav", dtype="float32")
    joined = np.concatenate([audio, np.zeros(rate // 2, dtype=np.float32)] * times)
    soundfile.write(path, joined[: int(seconds * rate)] if seconds else joined, rate)
    return path
