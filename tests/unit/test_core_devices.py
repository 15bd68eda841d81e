"""Device selection for faster-whisper (CUDA float16 when present, CPU int8 otherwise)."""

import pytest

from app.core.hardware import physical_cores, usable_cpus
from app.core.speech.transcription import DeviceChoice, choose_whisper_device


@pytest.mark.parametrize(
    "requested, cuda_devices, expected",
    [
        ("auto", 1, DeviceChoice("cuda", "float16")),
        ("auto", 0, DeviceChoice("cpu", "int8")),
        ("cpu", 2, DeviceChoice("cpu", "int8")),
        ("cuda", 1, DeviceChoice("cuda", "float16")),
    ],
)
def test_whisper_device_choice(requested, cuda_devices, expected):
    assert choose_whisper_device(requested, cuda_devices) == expected


def test_cuda_requested_without_a_device_falls_back_with_a_note():
    choice = choose_whisper_device("cuda", 0)
    assert choice.device == "cpu" and "no CUDA device" in choice.note


def test_unknown_device_is_rejected():
    with pytest.raises(ValueError):
        choose_whisper_device("metal", 0)


def test_cuda_init_failure_falls_back_to_cpu(monkeypatch):
    """A CUDA device that fails at first use (missing cuDNN) must not fail the analysis."""
    from app.core.speech import transcription

    monkeypatch.setattr(transcription.hardware, "cuda_device_count", lambda: 1)
    built = []

    def fake_build(self, path, choice):
        built.append(choice.device)
        if choice.device == "cuda":
            raise RuntimeError("Library libcublas.so.12 is not found or cannot be loaded")
        return object()

    monkeypatch.setattr(transcription.WhisperTranscriber, "_build", fake_build)
    transcriber = transcription.WhisperTranscriber(device="auto")
    transcriber.load()
    assert built == ["cuda", "cpu"]
    assert transcriber.device.startswith("cpu (int8)") and "CUDA failed" in transcriber.device


def test_core_counts():
    assert 1 <= physical_cores() <= len(usable_cpus())
