"""Languages, translation and custom vocabulary on the real Whisper models and real speech.

French and English come from the Asterisk prompts (real voices, tests/data/ATTRIBUTION.md); the names
from espeak-ng. Whisper base is installed by ``make setup`` into the checkout's models/whisper-base; the
fixture links it into this test's data folder, where Hearsay finds it by name whichever checkout the
installed ``app.catalog`` points at.
"""

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.core import paths
from app.core.export import markdown
from app.core.hub import catalog
from app.core.speech import media, transcript_files
from app.core.speech.transcription import WhisperTranscriber

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent.parent / "data"
CHECKOUT_BASE = Path(__file__).resolve().parents[2] / "models" / "whisper-base"
NAMES = ("Okonkwo", "Siobhan", "Kubernetes", "Nyquist", "Tchaikovsky", "Ngozi")


@pytest.fixture
def whisper_base(_isolated_home):
    """Whisper base, found by the name "base" (``catalog.resolve_whisper``)."""
    if not (CHECKOUT_BASE / "model.bin").is_file():
        pytest.fail("Whisper base is not installed; run `make setup` (scripts/install_whisper_base.py)")
    models = paths.data_dir() / "models"
    models.mkdir(parents=True, exist_ok=True)
    (models / "whisper-base").symlink_to(CHECKOUT_BASE, target_is_directory=True)
    resolved = catalog.resolve_whisper("base")
    entry = next(e for e in catalog.catalog() if e.id == "whisper-base")
    assert (resolved.name, resolved.sha256) == ("base", entry.sha256)  # checked once before it is used
    return resolved


def audio(name: str):
    (window,) = media.decode_windows(DATA / name, 0.0, 600.0)
    return window.samples


def transcribe(transcriber: WhisperTranscriber, name: str, language: str | None = None):
    _, segments = transcriber.transcribe(DATA / name, threading.Event(), language)
    return list(segments)


def test_base_hears_french_and_translates_it_into_english(whisper_base):
    transcriber = WhisperTranscriber("base", device="cpu")
    language, probability = transcriber.detect_language(audio("french.ogg"))
    assert language == "fr" and probability > 0.9
    assert transcriber.detect_language(audio("french.ogg"), ("en", "fr"))[0] == "fr"
    french = transcribe(transcriber, "french.ogg")
    text = " ".join(s.text for s in french).lower()
    assert "message" in text and "mots de passe" in text, text
    assert {s.language for s in french} == {"fr"} and transcriber.translated_to is None

    translator = WhisperTranscriber("base", device="cpu", translate=True)
    english = transcribe(translator, "french.ogg")
    text = " ".join(s.text for s in english).lower()
    assert "message" in text and "entered" in text and "beep" in text, text
    assert "mots" not in text and "passe" not in text
    assert {s.language for s in english} == {"fr"} and translator.translated_to == "en"


def test_code_switching_gives_each_utterance_the_language_spoken(whisper_base):
    plain = transcribe(WhisperTranscriber("base", device="cpu"), "switch.ogg")
    assert {s.language for s in plain} == {"en"}  # one language per file: the French in the middle is lost

    switching = WhisperTranscriber("base", device="cpu", code_switching=True)
    segments = transcribe(switching, "switch.ogg", "en,fr")
    runs = [language for k, language in enumerate(s.language for s in segments)
            if k == 0 or segments[k - 1].language != language]
    assert runs == ["en", "fr", "en"], [(s.language, s.text) for s in segments]
    french = " ".join(s.text for s in segments if s.language == "fr").lower()
    assert "désolé" in french or "essayer" in french, french
    first_french = next(s for s in segments if s.language == "fr")
    assert 5.0 < first_french.start < 7.5  # where the French prompt starts (after 4.7 s of English and a 1-s pause)
    english = " ".join(s.text for s in segments if s.language == "en").lower()
    assert "mailbox" in english, english


def names_heard(text: str) -> int:
    return sum(1 for name in NAMES if name.lower() in text.lower())


def test_vocabulary_brings_whisper_to_the_names(whisper_base):
    vocabulary = ", ".join(NAMES)
    for model in ("tiny.en", "base"):
        without = " ".join(s.text for s in transcribe(WhisperTranscriber(model, device="cpu"), "names.ogg", "en"))
        with_terms = " ".join(s.text for s in transcribe(
            WhisperTranscriber(model, device="cpu", vocabulary=vocabulary), "names.ogg", "en"))
        assert names_heard(with_terms) >= names_heard(without) + 3, (model, without, with_terms)
        assert names_heard(with_terms) >= 4, (model, with_terms)


def test_a_vocabulary_longer_than_whisper_reads_is_refused_in_one_sentence():
    from app.core.errors import ModelError

    transcriber = WhisperTranscriber(vocabulary=", ".join(f"Term{n}" for n in range(200)))
    with pytest.raises(ModelError, match=r"^the custom vocabulary takes \d+ tokens and Whisper reads at most 223; "
                                         "shorten the list$"):
        transcriber.load()


def hearsay(*args):
    return subprocess.run([sys.executable, "-m", "app", "analyze", *args], capture_output=True, text=True,
                          timeout=600, env=dict(os.environ))


def test_cli_translates_and_switches_languages_end_to_end(whisper_base, tmp_path):
    out = tmp_path / "french.json"
    done = hearsay(str(DATA / "french.ogg"), "--whisper-model", "base", "--translate", "-p", "Say hi.",
                   "--max-tokens", "8", "-o", str(out), "-q")
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text("utf-8"))["result"]
    assert result["metadata"]["whisper_model"] == "base" and result["metadata"]["translated_to"] == "en"
    assert {u["language"] for u in result["transcription"]["utterances"]} == {"fr"}
    assert "message" in result["transcription"]["full_transcript"].lower()
    assert result["translation"]["results"][0]["languages"] == ["en"]
    shown = markdown.render_markdown(transcript_files.load_result(out))
    assert "- **Language:** English, translated from fr" in shown

    out = tmp_path / "switch.json"
    done = hearsay(str(DATA / "switch.ogg"), "--whisper-model", "base", "--language", "en,fr", "--code-switching",
                   "-p", "Say hi.", "--max-tokens", "8", "-o", str(out), "-q")
    assert done.returncode == 0, done.stderr
    transcription = json.loads(out.read_text("utf-8"))["result"]["transcription"]
    assert transcription["languages"] == ["en", "fr"]
    spoken = [u["language"] for u in transcription["utterances"]]
    assert re.fullmatch(r"(en )+(fr )+(en )+", " ".join(spoken) + " "), spoken
