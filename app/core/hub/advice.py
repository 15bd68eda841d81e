"""Which catalog model suits this computer: the recommendation for each role, with an estimate of its time.

``recommend(role, profile, entries)`` picks, among the catalog's models of ``role``, the best one (the most
parameters: within a family of instruct models, and for Whisper, more parameters answer and hear better)
that

1. **fits memory with a margin**: its ``ram_bytes``, plus those of the other role's model when that one is
   loaded in the same memory (``alongside``), is at most the memory Hearsay may take on the device it would
   run on: the CUDA device's memory less ``max(1 GB, 10 %)`` (the display and the CUDA context), or the RAM
   less ``max(2 GB, 25 %)`` (the system and the user's other programs). Apple silicon shares one memory
   between CPU and GPU, so the RAM rule applies there. A language model goes to the CUDA device when it
   fits there, else to the CPU; Whisper likewise (faster-whisper has no Metal backend, so on Apple silicon
   it runs on the CPU);
2. **analyses a one-hour meeting with three prompts within ``budget_seconds``** (default 30 minutes per
   role, so transcription and answers together take no longer than the meeting itself).

The time is an **estimate**, computed as follows (``Recommendation.how`` says it in one sentence):

- Speech: one hour is 3,600 s of audio; the seconds are ``3600 x RTF``, where the real-time factor (RTF)
  of the candidate is the reference RTF scaled by the ratio of parameters,
  ``RTF = RTF_ref x params / params_ref``.
- Answers: an hour of speech is about 9,000 words, about 12,000 tokens (``MEETING_TOKENS``; English runs
  at about 1.3 tokens a word). The transcript is prefilled once for the three prompts (they share the
  prefix, see ``app.core.llm.runner``), and each answer is taken as ``ANSWER_TOKENS`` (400) tokens:
  ``seconds = 12,000 / prefill_rate + 3 x 400 / decode_rate`` with each rate the reference rate scaled
  by the ratio of parameters, ``rate = rate_ref x params_ref / params``.
- References (``SpeedReference``), per device:

  * **CPU**, measured here (docs/benchmarks.md, `make bench`, an AMD EPYC, 2 cores): the bundled
    SmolLM2-135M Q4_1 prefilled 195 tokens/s and decoded 50 tokens/s; Whisper tiny.en (int8) ran at
    RTF 0.039. Scaled linearly with the physical cores (llama.cpp and CTranslate2 use them all).
    A 135M model spends more of its time outside the matrix products than a 1-8B one, so this
    overestimates the times of the bigger models (llama.cpp's published CPU figures for 7B Q4_0 models
    are about 2-4x faster than the scaled figure): a safe side for a recommendation.
  * **CUDA**: llama.cpp's published CUDA figures for a 7B Q4_0 model on an RTX 3060 12 GB class GPU
    (github.com/ggml-org/llama.cpp discussion #15013: about 2,000 tokens/s prompt processing, 60 tokens/s
    generation); faster-whisper's README (large-v2 on an RTX 3070 Ti, float16: 13 min of audio in
    about 1 min, RTF 0.07 at 1.55B parameters).
  * **Metal** (Apple silicon): llama.cpp's Apple silicon figures for 7B Q4_0 on a base M1 (discussion
    #4167: 117 tokens/s prompt processing, 14 tokens/s generation).

  ``reference`` may replace the documented figures for its device with rates measured on this computer
  (the window's measured rates of the model in use, say).

Qt-free and offline: nothing here loads a model or opens a socket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.core import hardware
from app.core.hub.catalog import CatalogEntry, catalog

MEETING_SECONDS = 3600.0
"""The recording a recommendation is sized for: a one-hour meeting (seconds)."""
MEETING_TOKENS = 12_000
"""Tokens of a one-hour meeting's transcript: about 9,000 spoken words at about 1.3 tokens a word."""
PROMPTS = 3
"""Prompts run over the meeting (Hearsay's three default prompts)."""
ANSWER_TOKENS = 400
"""Tokens taken for each answer in the estimate."""
DEFAULT_BUDGET_SECONDS = 1800.0
"""Each role's work on the one-hour meeting should take at most this long (seconds): half an hour for
transcription and half an hour for the answers, no longer than the meeting itself together."""
GB = 1_000_000_000


@dataclass(frozen=True)
class MachineProfile:
    """What a recommendation needs to know about a computer: ``ram_bytes`` of physical memory,
    ``cuda_memory_bytes`` of the largest CUDA device (0 without one), ``apple_silicon`` (unified memory,
    Metal for llama.cpp) and ``physical_cores``."""

    ram_bytes: int
    cuda_memory_bytes: int = 0
    apple_silicon: bool = False
    physical_cores: int = 1

    @classmethod
    def of_this_machine(cls) -> MachineProfile:
        """This computer's profile (``app.core.hardware``; no third-party package, no network)."""
        return cls(hardware.total_memory_bytes(), hardware.cuda_memory_bytes(), hardware.apple_silicon(),
                   hardware.physical_cores())

    def describe(self) -> str:
        """One line: "16 GB RAM, 8 cores, NVIDIA GPU with 12 GB" / "..., Apple silicon"."""
        parts = [f"{self.ram_bytes / GB:.0f} GB RAM", f"{self.physical_cores} cores"]
        if self.cuda_memory_bytes:
            parts.append(f"NVIDIA GPU with {self.cuda_memory_bytes / GB:.0f} GB")
        if self.apple_silicon:
            parts.append("Apple silicon")
        return ", ".join(parts)


@dataclass(frozen=True)
class SpeedReference:
    """Speeds of one reference model on one device, the base every estimate is scaled from.

    ``device``: "cpu", "cuda" or "metal". ``llm_params_b``: billions of parameters of the language model
    measured, with its ``prefill_tokens_per_s`` and ``decode_tokens_per_s``; ``whisper_params_b`` and
    ``whisper_rtf`` (seconds of work per second of audio) for speech (0: no speech figure for this device).
    ``source``: where the figures come from, said with the estimate.
    """

    device: str
    llm_params_b: float
    prefill_tokens_per_s: float
    decode_tokens_per_s: float
    whisper_params_b: float
    whisper_rtf: float
    source: str


CPU_MEASURED_CORES = 2
"""The cores of the machine the CPU reference was measured on."""
CPU_REFERENCE = SpeedReference("cpu", 0.135, 195.0, 50.0, 0.039, 0.039,
                               "SmolLM2-135M and Whisper tiny.en measured on 2 CPU cores (docs/benchmarks.md)")
"""Measured on 2 cores (docs/benchmarks.md); ``documented_reference`` scales it to the cores at hand."""
CUDA_REFERENCE = SpeedReference("cuda", 7.0, 2000.0, 60.0, 1.55, 0.07,
                                "llama.cpp's published figures for a 7B model on an RTX 3060 class GPU and "
                                "faster-whisper's for large-v2 on an RTX 3070 Ti")
METAL_REFERENCE = SpeedReference("metal", 7.0, 117.0, 14.0, 0.0, 0.0,
                                 "llama.cpp's published figures for a 7B model on a base Apple M1")


@dataclass(frozen=True)
class Recommendation:
    """The model recommended for one role on one computer.

    ``entry``: the catalog entry. ``estimate_seconds``: the **estimated** seconds its role takes for a
    one-hour meeting (transcription, or three prompts' answers), see the module's formula. ``device``:
    where it would run ("cpu", "cuda" or "metal"). ``how``: one sentence on how the estimate was
    computed and why this model (for the user, labelled as an estimate). ``fits_budget``: False when no
    model of the role meets the time budget and the smallest was taken.
    """

    entry: CatalogEntry
    estimate_seconds: float
    device: str
    how: str
    fits_budget: bool = True


def available_bytes(profile: MachineProfile, device: str) -> int:
    """Bytes Hearsay's models may take on ``device`` ("cuda": the GPU less max(1 GB, 10 %); otherwise the RAM
    less max(2 GB, 25 %), Apple silicon's unified memory included); never negative."""
    if device == "cuda":
        total, reserve = profile.cuda_memory_bytes, max(1 * GB, profile.cuda_memory_bytes // 10)
    else:
        total, reserve = profile.ram_bytes, max(2 * GB, profile.ram_bytes // 4)
    return max(total - reserve, 0)


def documented_reference(device: str, profile: MachineProfile) -> SpeedReference:
    """The documented reference for ``device`` on ``profile``: the CPU figures scaled by its cores
    (linearly from the 2 measured), or the published CUDA or Metal figures."""
    if device == "cuda":
        return CUDA_REFERENCE
    if device == "metal":
        return METAL_REFERENCE
    scale = max(profile.physical_cores, 1) / CPU_MEASURED_CORES
    ref = CPU_REFERENCE
    return SpeedReference("cpu", ref.llm_params_b, ref.prefill_tokens_per_s * scale, ref.decode_tokens_per_s * scale,
                          ref.whisper_params_b, ref.whisper_rtf / scale,
                          f"{ref.source}, scaled to {profile.physical_cores} cores")


def estimate_seconds(entry: CatalogEntry, reference: SpeedReference) -> float:
    """Estimated seconds ``entry`` takes for a one-hour meeting on ``reference``'s device: transcription
    (Whisper) or the three prompts' answers (LLM), by the module's formula. Raises ValueError for an
    entry without ``params_b`` or a reference without figures for its role."""
    if entry.params_b <= 0:
        raise ValueError(f"the catalog entry {entry.id} has no params_b")
    if entry.role == "whisper":
        if reference.whisper_rtf <= 0:
            raise ValueError(f"no speech figures for {reference.device}")
        return MEETING_SECONDS * reference.whisper_rtf * entry.params_b / reference.whisper_params_b
    ratio = entry.params_b / reference.llm_params_b
    prefill, decode = reference.prefill_tokens_per_s / ratio, reference.decode_tokens_per_s / ratio
    return MEETING_TOKENS / prefill + PROMPTS * ANSWER_TOKENS / decode


def placement(entry: CatalogEntry, profile: MachineProfile, alongside: Recommendation | None = None) -> str | None:
    """Where ``entry`` would run on ``profile`` next to the other role's model ``alongside`` (its memory
    counts where it runs: the GPU's for "cuda", the RAM's otherwise): "cuda" when it fits the GPU, else
    "metal" (a language model on Apple silicon) or "cpu" when it fits the RAM; None when it fits nowhere
    (see ``available_bytes``)."""
    on_gpu = alongside.entry.ram_bytes if alongside and alongside.device == "cuda" else 0
    in_ram = alongside.entry.ram_bytes if alongside and alongside.device != "cuda" else 0
    if profile.cuda_memory_bytes and entry.ram_bytes + on_gpu <= available_bytes(profile, "cuda"):
        return "cuda"
    if entry.ram_bytes + in_ram <= available_bytes(profile, "cpu"):
        return "metal" if profile.apple_silicon and entry.role == "llm" else "cpu"
    return None


def recommend(role: str, profile: MachineProfile, entries: Sequence[CatalogEntry] | None = None, *,
              alongside: Recommendation | None = None, budget_seconds: float = DEFAULT_BUDGET_SECONDS,
              reference: SpeedReference | None = None, language: str | None = None) -> Recommendation | None:
    """The best model of ``role`` ("whisper" or "llm") in ``entries`` (default: the catalog) for ``profile``.

    Best: the most parameters among the models that fit memory with the margin (``placement``, next to
    the other role's recommended model ``alongside``) and whose estimated time for a
    one-hour meeting is within ``budget_seconds``; when none meets the budget, the fastest that fits
    (``fits_budget`` False). ``reference``: measured rates replacing the documented figures on their
    device. ``language``: an ISO 639-1 code the model must understand (None: any). Returns None when no
    model of ``role`` fits memory at all; a model over the memory is never recommended.
    """
    candidates = []
    for entry in catalog() if entries is None else entries:
        if entry.role != role or entry.params_b <= 0 or entry.ram_bytes <= 0:
            continue
        if language and "*" not in entry.languages and language not in entry.languages:
            continue
        device = placement(entry, profile, alongside)
        if device is None:
            continue
        speech_device = "cpu" if role == "whisper" and device == "metal" else device
        ref = reference if reference is not None and reference.device == speech_device else \
            documented_reference(speech_device, profile)
        candidates.append((entry, device, estimate_seconds(entry, ref), ref))
    if not candidates:
        return None
    within = [c for c in candidates if c[2] <= budget_seconds]
    if within:
        entry, device, seconds, ref = max(within, key=lambda c: (c[0].params_b, c[0].recommended, -c[2]))
    else:
        entry, device, seconds, ref = min(candidates, key=lambda c: c[2])
    return Recommendation(entry, seconds, device, _how(entry, device, seconds, ref, profile, bool(within),
                                                       budget_seconds), fits_budget=bool(within))


def recommend_all(profile: MachineProfile | None = None, entries: Sequence[CatalogEntry] | None = None,
                  budget_seconds: float = DEFAULT_BUDGET_SECONDS,
                  language: str | None = None) -> dict[str, Recommendation | None]:
    """{"llm": ..., "whisper": ...} for ``profile`` (default: this machine): the language model first (the
    memory margin leaves room for the smallest speech model), then the best speech model next to it."""
    profile = profile or MachineProfile.of_this_machine()
    entries = list(catalog() if entries is None else entries)
    llm = recommend("llm", profile, entries, budget_seconds=budget_seconds, language=language)
    whisper = recommend("whisper", profile, entries, alongside=llm, budget_seconds=budget_seconds,
                        language=language)
    return {"llm": llm, "whisper": whisper}


def recommendation_lines(recommendations: dict[str, Recommendation | None] | None = None,
                         profile: MachineProfile | None = None) -> list[str]:
    """Lines for ``hearsay models`` (or any plain-text view): this computer, then per role the recommended
    model, its estimate (labelled as one) and how it was computed. Defaults: this machine's profile and
    ``recommend_all`` over the catalog, so ``print("\n".join(recommendation_lines()))`` is all a caller needs."""
    profile = profile or MachineProfile.of_this_machine()
    recommendations = recommend_all(profile) if recommendations is None else recommendations
    lines = [f"This computer: {profile.describe()}."]
    titles = {"whisper": "Speech to text", "llm": "Answers"}
    for role in ("whisper", "llm"):
        rec = recommendations.get(role)
        if rec is None:
            lines.append(f"{titles[role]}: no catalog model fits this computer's memory.")
            continue
        lines.append(f"{titles[role]}: recommended {rec.entry.id} ({rec.entry.name}), "
                     f"about {_duration(rec.estimate_seconds)} for a one-hour meeting (estimate).")
        lines.append(f"  {rec.how}")
    return lines


def _how(entry: CatalogEntry, device: str, seconds: float, ref: SpeedReference, profile: MachineProfile,
         within: bool, budget_seconds: float) -> str:
    where = {"cuda": "on the NVIDIA GPU", "metal": "on the GPU (Metal)", "cpu": "on the processor"}[device]
    memory = available_bytes(profile, "cuda" if device == "cuda" else "cpu")
    if entry.role == "whisper":
        rtf = ref.whisper_rtf * entry.params_b / ref.whisper_params_b
        work = (f"transcribing 60 minutes at a real-time factor of {rtf:.3f} (the reference's {ref.whisper_rtf:.3f} "
                f"at {ref.whisper_params_b:g}B parameters, scaled to {entry.params_b:g}B)")
    else:
        ratio = entry.params_b / ref.llm_params_b
        work = (f"{MEETING_TOKENS:,} transcript tokens prefilled at {ref.prefill_tokens_per_s / ratio:,.0f} "
                f"tokens/s and {PROMPTS} answers of {ANSWER_TOKENS} tokens decoded at "
                f"{ref.decode_tokens_per_s / ratio:,.1f} tokens/s ({ref.llm_params_b:g}B reference scaled to "
                f"{entry.params_b:g}B parameters)")
    budget = (f"the largest model within {_duration(budget_seconds)}" if within
              else f"no model fits {_duration(budget_seconds)}, so the fastest")
    demo = " Only the demo model fits: its answers are for trying Hearsay out and often invented." \
        if entry.demo else ""
    return (f"Estimate: {_duration(seconds)} {where}, {work}; reference: {ref.source}. It needs "
            f"{entry.ram_bytes / GB:.1f} GB of the {memory / GB:.1f} GB Hearsay may use; {budget} that fits.{demo}")


def _duration(seconds: float) -> str:
    minutes = seconds / 60
    return f"{seconds:.0f} s" if seconds < 90 else f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"
