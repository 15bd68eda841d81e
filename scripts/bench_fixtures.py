"""Long speech for `make bench`, generated here: espeak-ng reading a licence text, resampled to 16 kHz.

Falls back to repeating tests/data/speech.wav when espeak-ng is not installed
(the figures then say so). Nothing is downloaded.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parent.parent
LICENCE = Path("/usr/share/common-licenses/GPL-3")
RATE = 16000


def licence_words() -> list[str]:
    """Words of the GPL-3 text (or of the speech fixture's transcript when it is missing)."""
    source = LICENCE if LICENCE.is_file() else ROOT / "tests" / "data" / "speech.txt"
    return source.read_text("utf-8").split()


def speech(folder: Path, minutes: float, offset_words: int = 0, name: str | None = None) -> Path:
    """A 16 kHz mono wav of about ``minutes`` minutes: espeak-ng reading the licence from ``offset_words`` on."""
    path = folder / (name or f"speech-{minutes:g}min-{offset_words}.wav")
    if path.exists():
        return path
    if shutil.which("espeak-ng"):
        words = licence_words()
        wanted = int(minutes * 175)  # espeak-ng's default rate is about 175 words a minute
        text = " ".join((words * (wanted // len(words) + 2))[offset_words: offset_words + wanted])
        raw = folder / "espeak.wav"
        subprocess.run(["espeak-ng", "-w", str(raw), "--stdin"], input=text.encode(), check=True)
        audio, rate = soundfile.read(raw, dtype="float32")
        raw.unlink()
    else:
        audio, rate = soundfile.read(ROOT / "tests" / "data" / "speech.wav", dtype="float32")
        audio = np.tile(np.concatenate([audio, np.zeros(rate // 2, np.float32)]), int(minutes * 60 / 14) + 1)
    if rate != RATE:
        positions = np.arange(0, len(audio), rate / RATE)
        audio = np.interp(positions, np.arange(len(audio)), audio).astype(np.float32)
    soundfile.write(path, audio[: int(minutes * 60 * RATE)], RATE)
    return path


def transcript_text(words: int, offset: int = 0) -> str:
    """``words`` words of the licence, as one transcript (the 2,200-word LLM benchmark input)."""
    source = licence_words()
    return " ".join((source * (words // len(source) + 2))[offset: offset + words])


def generator() -> str:
    """What made the speech: "espeak-ng (GPL-3 text)" or the fallback."""
    return "espeak-ng reading GPL-3" if shutil.which("espeak-ng") else "tests/data/speech.wav repeated"
