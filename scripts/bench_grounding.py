"""Grounding (``app.core.grounding``) against a labelled set, and what it costs per answer.

The labelled set is ``tests/data/grounding/*.json`` (its README says how it was made): real-speech recordings
transcribed by the bundled tiny.en, and answer sentences written against each transcript, labelled supported or
not (copied, paraphrased, invented), with quotes right or altered and ``[mm:ss]`` citations right or wrong.
Each sentence is grounded alone against its transcript. Reported: precision and recall of "supported" (the
positive class) at ``SUPPORT_THRESHOLD`` and around it, accuracy per kind of sentence, the verbatim quote check
and the citation check against their labels.

Cost: one real answer per recording from the bundled language model (SmolLM2-135M, ``LlamaPromptRunner``, a cold
start: its generation time includes the transcript's prefill), then the time ``ground`` takes on that answer
(median of 21 runs), and the same answer against an hour-long transcript (the recordings' segments repeated,
about 1,000 segments), which decides whether the window grounds off its GUI thread.
Prints a Markdown section; ``--write docs/benchmarks.md`` puts it between the ``bench:grounding`` markers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_sections import write_section  # noqa: E402
from app.core.analysis import Segment, Transcript  # noqa: E402
from app.core.grounding import SUPPORT_THRESHOLD, ground  # noqa: E402

DATA = ROOT / "tests" / "data" / "grounding"
PROMPT = "Summarize the main points of the recording."
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)


def load_sets() -> list[tuple[str, Transcript, list[dict]]]:
    """(name, transcript, labelled sentences) of each labelled recording."""
    sets = []
    for path in sorted(DATA.glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        segments = [Segment(s["start"], s["end"], s["text"]) for s in data["segments"]]
        sets.append((path.stem, Transcript(segments, language="en"), data["sentences"]))
    return sets


def _supported_at(citation, threshold: float) -> bool:
    """What ``supported`` would be at ``threshold`` (the rule of ``app.core.grounding.grounding``)."""
    return (citation.score >= threshold or citation.quote_ok is True) and citation.quote_ok is not False


def accuracy_section(sets) -> tuple[list[str], list]:
    """The precision/recall table, per kind, quote and citation checks; returns lines and every citation."""
    rows = []  # (recording, label dict, citation or None)
    for name, transcript, sentences in sets:
        for label in sentences:
            citations = ground(label["text"], transcript)
            if len(citations) != 1:
                print(f"{name}: {label['text']!r} gave {len(citations)} sentences", file=sys.stderr)
            rows.append((name, label, citations[0] if citations else None))
    lines = [f"Labelled set: {len(rows)} sentences over {len(sets)} recordings "
             f"({', '.join(n for n, _, _ in sets)}), {sum(r[1]['supported'] for r in rows)} labelled supported.",
             "", "| threshold | precision | recall | F1 | accuracy |", "|---|---|---|---|---|"]
    for threshold in sorted({*THRESHOLDS, SUPPORT_THRESHOLD}):
        predicted = [(label["supported"], c is not None and _supported_at(c, threshold)) for _, label, c in rows]
        tp = sum(1 for truth, guess in predicted if truth and guess)
        fp = sum(1 for truth, guess in predicted if not truth and guess)
        fn = sum(1 for truth, guess in predicted if truth and not guess)
        correct = sum(1 for truth, guess in predicted if truth == guess)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        mark = " (used)" if threshold == SUPPORT_THRESHOLD else ""
        lines.append(f"| {threshold:.2f}{mark} | {precision:.1%} | {recall:.1%} | {f1:.2f} | "
                     f"{correct / len(predicted):.1%} |")
    lines += ["", "| kind of sentence | sentences | labelled supported | grounded as labelled |", "|---|---|---|---|"]
    kinds: dict[str, list] = {}
    for _, label, citation in rows:
        kinds.setdefault(label["kind"], []).append((label, citation))
    for kind, items in sorted(kinds.items()):
        right = sum(1 for label, c in items if (c is not None and c.supported) == label["supported"])
        lines.append(f"| {kind} | {len(items)} | {sum(label['supported'] for label, _ in items)} | "
                     f"{right} ({right / len(items):.0%}) |")
    for field, what in (("quote_ok", "verbatim quote check"), ("cited_ok", "citation check ([mm:ss])")):
        labelled = [(label[field], c) for _, label, c in rows if label.get(field) is not None]
        right = sum(1 for truth, c in labelled if c is not None and getattr(c, field) == truth)
        wrong_caught = sum(1 for truth, c in labelled if not truth and c is not None and getattr(c, field) is False)
        wrong = sum(1 for truth, _ in labelled if not truth)
        lines.append("")
        lines.append(f"{what}: {right} of {len(labelled)} right ({right / max(len(labelled), 1):.0%}); "
                     f"{wrong_caught} of {wrong} wrong ones flagged.")
    misses = [(name, label, c) for name, label, c in rows if (c is not None and c.supported) != label["supported"]]
    if misses:
        lines += ["", "Sentences grounded against their label:", ""]
        for name, label, c in misses:
            score = f"{c.score:.2f}" if c is not None else "-"
            lines.append(f"- {name}, {label['kind']}, labelled {'supported' if label['supported'] else 'not'}, "
                         f"score {score}: {label['text']}")
    return lines, rows


def _median_seconds(call, runs: int = 21) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def hour_long(sets) -> Transcript:
    """About an hour of segments: the recordings' segments repeated, times shifted."""
    segments, offset = [], 0.0
    while offset < 3600.0:
        for _, transcript, _ in sets:
            for s in transcript.segments:
                segments.append(Segment(s.start + offset, s.end + offset, s.text))
            offset += max(transcript.segments[-1].end, 1.0) + 1.0
    return Transcript(segments, language="en")


def cost_section(sets) -> list[str]:
    """Generation time of one real answer per recording against the time grounding it takes."""
    from app.core.llm.labels import transcript_text
    from app.core.llm.runner import LlamaPromptRunner

    runner = LlamaPromptRunner(max_tokens=256)
    runner.load()
    lines = [f"Cost per answer: one answer per recording from {runner.model_name} on {runner.device} "
             f"(prompt: \"{PROMPT}\", up to 256 tokens; generation includes the transcript's prefill), "
             "grounding timed as the median of 21 runs.", "",
             f"Load average while it ran: {os.getloadavg()[0]:.1f} on {os.cpu_count()} logical cores (a shared "
             "machine: generation times vary with it; grounding's share stays far under the 5 % goal either way).",
             "",
             "| recording | segments | answer tokens | answer sentences | supported | generation | grounding | "
             "grounding / generation |",
             "|---|---|---|---|---|---|---|---|"]
    answers = []
    for name, transcript, _ in sets:
        started = time.perf_counter()
        pieces = list(runner.stream(transcript_text(transcript), PROMPT, threading.Event()))
        generation = time.perf_counter() - started
        answer = "".join(pieces)
        citations = ground(answer, transcript)
        grounding = _median_seconds(lambda: ground(answer, transcript))
        answers.append(answer)
        lines.append(f"| {name} | {len(transcript.segments)} | {len(pieces)} | {len(citations)} | "
                     f"{sum(c.supported for c in citations)} | {generation:.2f} s | {grounding * 1000:.1f} ms | "
                     f"{grounding / generation:.2%} |")
    runner.close()
    long = hour_long(sets)
    joined = "\n".join(answers)
    long_time = _median_seconds(lambda: ground(joined, long), runs=5)
    lines += ["", f"All {len(ground(joined, long))} answer sentences against an hour-long transcript "
              f"({len(long.segments)} segments, {long.segments[-1].end / 60:.0f} min): {long_time * 1000:.0f} ms "
              "(median of 5), so the window grounds a finished answer in a helper thread, never on its GUI thread."]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, metavar="MD", help="write the section into this Markdown file")
    parser.add_argument("--no-model", action="store_true", help="accuracy only (no language model run)")
    args = parser.parse_args()
    sets = load_sets()
    lines, _ = accuracy_section(sets)
    if not args.no_model:
        lines += [""] + cost_section(sets)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        write_section(args.write, "grounding", text, "Grounding: answers that point to the recording")
    return 0


if __name__ == "__main__":
    sys.exit(main())
