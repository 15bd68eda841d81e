"""The model recommendation (app.core.hub.advice) on faked hardware descriptions, over the real catalog."""

import pytest

from app.core.hub import advice
from app.core.hub.advice import (
    GB,
    MachineProfile,
    SpeedReference,
    available_bytes,
    estimate_seconds,
    recommend,
    recommend_all,
    recommendation_lines,
)
from app.core.hub.catalog import CatalogEntry, catalog

LAPTOP_4GB = MachineProfile(4 * GB, 0, False, 2)
LAPTOP_8GB = MachineProfile(8 * GB, 0, False, 4)
DESKTOP_16GB = MachineProfile(16 * GB, 0, False, 8)
CUDA_32GB = MachineProfile(32 * GB, 12 * GB, False, 8)
APPLE_16GB = MachineProfile(16 * GB, 0, True, 8)
PROFILES = [LAPTOP_4GB, LAPTOP_8GB, DESKTOP_16GB, CUDA_32GB, APPLE_16GB]


def _pool(profile, rec):
    return available_bytes(profile, "cuda" if rec.device == "cuda" else "cpu")


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.describe())
def test_nothing_over_memory_is_recommended_and_both_models_fit_together(profile):
    recs = recommend_all(profile)
    llm, whisper = recs["llm"], recs["whisper"]
    assert llm is not None and whisper is not None
    assert llm.entry.role == "llm" and whisper.entry.role == "whisper"
    for rec in (llm, whisper):
        assert rec.entry.ram_bytes <= _pool(profile, rec) < (profile.cuda_memory_bytes if rec.device == "cuda"
                                                            else profile.ram_bytes)
        assert rec.fits_budget and 0 < rec.estimate_seconds <= advice.DEFAULT_BUDGET_SECONDS
        assert "Estimate" in rec.how and "reference" in rec.how
    if llm.device == whisper.device or "cuda" not in (llm.device, whisper.device):  # one memory: both inside it
        assert llm.entry.ram_bytes + whisper.entry.ram_bytes <= _pool(profile, llm)


def test_a_4_gb_laptop_gets_only_the_demo_model_and_is_told_so():
    llm = recommend_all(LAPTOP_4GB)["llm"]
    assert llm.entry.demo  # the smallest instruct model (2.2 GB) does not fit 4 GB less the 2 GB kept free
    assert all(e.ram_bytes > available_bytes(LAPTOP_4GB, "cpu") for e in catalog() if e.role == "llm" and not e.demo)
    assert "Only the demo model fits" in llm.how


def test_an_8_gb_laptop_gets_a_small_instruct_model_not_the_7b():
    llm = recommend_all(LAPTOP_8GB)["llm"]
    assert not llm.entry.demo and 1.0 <= llm.entry.params_b <= 4.0
    assert llm.device == "cpu"
    seven_b = next(e for e in catalog() if e.role == "llm" and e.params_b > 7)
    assert seven_b.ram_bytes > available_bytes(LAPTOP_8GB, "cpu")  # 6.8 GB against the 6 GB it may use


def test_a_cuda_desktop_runs_the_largest_models_on_the_gpu_well_within_the_budget():
    recs = recommend_all(CUDA_32GB)
    llm, whisper = recs["llm"], recs["whisper"]
    assert llm.device == "cuda" and llm.entry.params_b == max(e.params_b for e in catalog() if e.role == "llm")
    assert whisper.device == "cuda" and whisper.entry.params_b == max(e.params_b for e in catalog()
                                                                      if e.role == "whisper")
    assert llm.estimate_seconds < 120  # seconds, not the tens of minutes a CPU needs


def test_apple_silicon_runs_the_language_model_on_metal_and_whisper_on_the_cpu():
    recs = recommend_all(APPLE_16GB)
    assert recs["llm"].device == "metal" and recs["whisper"].device == "cpu"
    cpu_only = recommend("llm", DESKTOP_16GB)
    assert recs["llm"].estimate_seconds < cpu_only.estimate_seconds


def test_more_cores_never_make_the_estimate_slower_and_bigger_models_take_longer():
    entries = [e for e in catalog() if e.role == "llm"]
    few, many = MachineProfile(16 * GB, 0, False, 2), MachineProfile(16 * GB, 0, False, 8)
    for entry in entries:
        assert estimate_seconds(entry, advice.documented_reference("cpu", many)) < \
            estimate_seconds(entry, advice.documented_reference("cpu", few))
    ordered = sorted(entries, key=lambda e: e.params_b)
    times = [estimate_seconds(e, advice.documented_reference("cpu", many)) for e in ordered]
    assert times == sorted(times)


def test_the_estimate_follows_the_stated_formula():
    entry = CatalogEntry(id="x", role="llm", name="x.gguf", params_b=1.35, ram_bytes=GB)
    ref = SpeedReference("cpu", 0.135, 200.0, 50.0, 0.039, 0.04, "test")
    # 10x the parameters: 20 tokens/s prefill of 12,000 tokens, 5 tokens/s for 3 x 400 answer tokens
    assert estimate_seconds(entry, ref) == pytest.approx(12_000 / 20 + 1_200 / 5)
    speech = CatalogEntry(id="w", role="whisper", name="w", params_b=0.39, ram_bytes=GB)
    assert estimate_seconds(speech, ref) == pytest.approx(3600 * 0.04 * 10)


def test_a_measured_reference_replaces_the_documented_one_on_its_device():
    slow = SpeedReference("cpu", 0.135, 20.0, 5.0, 0.039, 0.39, "measured here")
    rec = recommend("llm", DESKTOP_16GB, reference=slow)
    assert "measured here" in rec.how
    assert rec.entry.params_b < recommend("llm", DESKTOP_16GB).entry.params_b  # ten times slower: a smaller pick


def test_when_no_model_meets_the_budget_the_fastest_that_fits_is_named_and_flagged():
    rec = recommend("llm", LAPTOP_8GB, budget_seconds=1.0)
    assert not rec.fits_budget
    assert rec.entry.params_b == min(e.params_b for e in catalog() if e.role == "llm")


def test_a_language_requirement_and_a_machine_without_memory():
    rec = recommend("whisper", DESKTOP_16GB, language="de")
    assert "*" in rec.entry.languages or "de" in rec.entry.languages
    assert recommend("llm", MachineProfile(1 * GB, 0, False, 2)) is None  # 1 GB less the 2 GB kept free
    assert any("no catalog model fits" in line
               for line in recommendation_lines(recommend_all(MachineProfile(1 * GB, 0, False, 2)),
                                                MachineProfile(1 * GB, 0, False, 2)))


def test_lines_for_the_models_command_label_the_estimate():
    lines = recommendation_lines(recommend_all(LAPTOP_8GB), LAPTOP_8GB)
    assert lines[0] == "This computer: 8 GB RAM, 4 cores."
    assert sum("(estimate)" in line for line in lines) == 2


def test_this_machine_is_read_without_third_party_packages():
    profile = MachineProfile.of_this_machine()
    assert profile.ram_bytes > 256 * 1024 * 1024 and profile.physical_cores >= 1
    assert profile.cuda_memory_bytes >= 0
