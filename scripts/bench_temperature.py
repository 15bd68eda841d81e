"""What the default temperature was chosen from: the bundled LLM's answers at several temperatures.

Runs the three default prompts over two transcripts (tests/data/speech.txt, and a longer meeting
transcript generated here from fixed sentences) at each temperature with a few seeds, through
Hearsay's own ``LlamaPromptRunner`` (the real bundled model), and reports per temperature:

- **repeatability**: the share of answers that come out the same when the same seed runs again with
  the whole prompt now in the KV cache (a cache must make Hearsay faster, never different), the share of (transcript, prompt) pairs whose answers are identical for every
  seed, and the mean word-level Jaccard similarity between the answers of different seeds;
- **on the transcript**: the share of the answers' content words (3+ letters, not a stop word) that
  occur in the transcript or the prompt (a crude grounding measure: invented names, dates and
  places lower it);
- **loops**: answers in which one 4-word sequence occurs three times or more, numbers left out (so a
  list that repeats "Recording 3. Recording 4. ..." counts);
- **empty** answers and answers cut off at the answer limit.

Usage: ``python scripts/bench_temperature.py [--temperatures 0,0.2,0.7] [--seeds 3] [--max-tokens 160]
[--save answers.json]``. About 1 to 3 minutes on 2 idle cores (much longer on a busy machine); not part
of ``make test``. The figures go into docs/generation.md.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import re
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's app, not the one an editable install points at

from app.core.llm.prompts import default_prompts  # noqa: E402
from app.core.llm.runner import LlamaPromptRunner  # noqa: E402

print = functools.partial(print, flush=True)  # progress shows while it runs, also into a file

STOP_WORDS = set("""
the and for are but not you all any can had her was one our out has him his how its let may new now
own say she too use who why yes will with that this from they them then than there their what when
where which while would could should about after again also been before being both does doing done each
few more most much must only other over same some such into just like very well here were have your
yours ours itself himself herself themselves these those because until against between through during
above below under once further off per via let's i'm it's don't we're they're there's
""".split())
MEETING = [
    "Good morning everyone, this is the product meeting of Tuesday the fourth of March.",
    "Anna Keller opened the meeting and said the mobile app release moves from April to May.",
    "Jonas Weber reported that the payment bug on Android is fixed and waits for review.",
    "Anna asked who can review it; Priya Nair agreed to review the fix by Thursday.",
    "The budget for the spring campaign stays at twelve thousand euros.",
    "Marketing wants a bigger budget, but Anna said there is no money left this quarter.",
    "Jonas will write the release notes by Friday.",
    "Priya raised the open question of whether the web shop should accept invoices.",
    "Nobody knew; Anna will ask the finance team and report next week.",
    "The team decided to stop supporting the old tablet app at the end of June.",
    "Jonas said that about three hundred customers still use it.",
    "Priya will email those customers before the end of May.",
    "The next meeting is on Tuesday the eleventh of March at ten o'clock.",
]


def meeting_transcript(repeat: int = 3) -> str:
    """A meeting transcript of about ``repeat`` x 200 words: the fixed sentences, repeated with small changes."""
    parts = []
    for round_ in range(repeat):
        for sentence in MEETING:
            parts.append(sentence if round_ == 0 else sentence.replace("said", "repeated", 1))
        parts.append("Let us go through the points once more.")
    return " ".join(parts)


def words(text: str) -> list[str]:
    """Lower-case words (letters, digits, apostrophes)."""
    return re.findall(r"[a-z0-9']+", text.lower())


def content_words(text: str) -> list[str]:
    """Words of three or more characters that are not stop words."""
    return [w for w in words(text) if len(w) >= 3 and w not in STOP_WORDS]


def on_transcript(answer: str, source: str) -> float | None:
    """Share of the answer's content words found in ``source``; None for an answer without any."""
    vocabulary = set(words(source))
    found = content_words(answer)
    return sum(w in vocabulary for w in found) / len(found) if found else None


def loops(answer: str, n: int = 4, times: int = 3) -> bool:
    """True when one ``n``-word sequence occurs ``times`` times or more (numbers left out: an enumeration
    that repeats one item counts)."""
    sequence = [w for w in words(answer) if not w.isdigit()]
    grams = Counter(tuple(sequence[i:i + n]) for i in range(len(sequence) - n + 1))
    return bool(grams) and max(grams.values()) >= times


def jaccard(a: str, b: str) -> float:
    """Word-set Jaccard similarity (1.0 for two empty answers)."""
    x, y = set(words(a)), set(words(b))
    return len(x & y) / len(x | y) if x | y else 1.0


def answer(runner: LlamaPromptRunner, transcript: str, prompt: str) -> tuple[str, str | None, int]:
    """(answer, finish reason, pieces) for one prompt."""
    pieces = list(runner.stream(transcript, prompt, threading.Event()))
    return "".join(pieces).strip(), runner.last_finish_reason, len(pieces)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--temperatures", default="0,0.2,0.7")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--save", type=Path, help="write every answer to this JSON file")
    args = parser.parse_args()
    temperatures = [float(t) for t in args.temperatures.split(",")]
    transcripts = {"speech.txt": (ROOT / "tests/data/speech.txt").read_text("utf-8").strip(),
                   "meeting": meeting_transcript()}
    prompts = default_prompts()
    runner = LlamaPromptRunner(max_tokens=args.max_tokens, n_threads=2)
    runner.load()
    started = time.perf_counter()
    print(f"model {runner.model_name}; prompts: {len(prompts)}; transcripts: "
          + ", ".join(f"{k} ({len(words(v))} words)" for k, v in transcripts.items())
          + f"; seeds {args.seeds}; max tokens {args.max_tokens}")
    rows, saved = [], []
    for temperature in temperatures:
        runner.temperature = temperature
        grounded, looped, empty, cut, identical, similar, pairs, samples, repeated = [], 0, 0, 0, 0, [], 0, [], 0
        for (name, transcript), prompt in itertools.product(transcripts.items(), prompts):
            answers = []
            for seed in range(1, args.seeds + 1):
                runner.seed = seed
                text, finish, _ = answer(runner, transcript, prompt)
                answers.append(text)
                saved.append({"temperature": temperature, "transcript": name, "prompt": prompt, "seed": seed,
                              "answer": text, "finish_reason": finish})
                share = on_transcript(text, transcript + " " + prompt)
                if share is not None:
                    grounded.append(share)
                looped += loops(text)
                empty += not text
                cut += finish == "length"
            # the last seed once more: the whole prompt is cached now, llama.cpp evaluates only its last token again
            again, _, _ = answer(runner, transcript, prompt)
            repeated += again == answers[-1]
            pairs += 1
            identical += len(set(answers)) == 1
            similar += [jaccard(a, b) for a, b in itertools.combinations(answers, 2)]
            samples.append((name, prompt[:40], answers[0][:160].replace("\n", " ")))
        n = len(transcripts) * len(prompts) * args.seeds
        rows.append((temperature, repeated / pairs, identical / pairs, statistics.mean(similar), statistics.mean(grounded),
                     looped / n, empty / n, cut / n))
        for sample in samples:
            print(f"  t={temperature:g} {sample[0]} | {sample[1]} | {sample[2]}")
    print(f"\n{time.perf_counter() - started:.0f} s in all\n")
    if args.save:
        args.save.write_text(json.dumps(saved, indent=1, ensure_ascii=False), "utf-8")
    print("| temperature | same seed again, prompt cached | identical over seeds | mean Jaccard between seeds | content words on the transcript "
          "| answers with loops | empty | cut off |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for t, rep, same, jac, ground, loop, emp, cut_ in rows:
        print(f"| {t:g} | {rep:.0%} | {same:.0%} | {jac:.2f} | {ground:.0%} | {loop:.0%} | {emp:.0%} | {cut_:.0%} |")


if __name__ == "__main__":
    main()
