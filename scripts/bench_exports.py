"""How long the document exports take, and how large they are, for a short and a 2-hour analysis.

The analyses are made up (no model runs): a transcript of one 4-s segment of 12 words every 4 s, two speakers
taking turns every 5 segments (one with an accented, one with a CJK name, so the PDF needs its fallback font),
three answers with lists and emphasis. Each format is rendered by ``app.core.export.files.render`` as the CLI
and the window do (the PDF with the fonts ``find_fonts`` finds here); median of ``--runs`` runs.
Prints a Markdown section; ``--write docs/benchmarks.md`` puts it between the ``bench:exports`` markers.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_sections import write_section  # noqa: E402
from app.core.analysis import Analysis, AnalysisStatus, PromptResult, PromptStatus, Segment, Transcript  # noqa: E402
from app.core.export import files  # noqa: E402
from app.core.export.pdf_file import find_fonts  # noqa: E402

WORDS = "we talked about the website launch and the budget for the next quarter again".split()
ANSWER = ("The team **ships** on *Friday*.\n\n- Zoë writes the release notes\n- 李明 tests the build\n\n"
          "1. Launch the website\n2. Review the budget")


def analysis(seconds: float, cjk: bool = True) -> Analysis:
    """A made-up finished analysis of a ``seconds``-long recording (see the module docstring); without ``cjk``
    the second speaker is "Marta" and no answer has CJK text (the PDF then needs no fallback font)."""
    segments = [Segment(i * 4.0, i * 4.0 + 3.9,
                        " ".join(WORDS[(i + k) % len(WORDS)] for k in range(12)).capitalize() + ".",
                        speaker=(i // 5) % 2)
                for i in range(int(seconds // 4))]
    made = Analysis(source=Path("/recordings/meeting.wav"), prompts=["Summarize.", "Action items?", "Decisions?"],
                    transcript=Transcript(segments, language="en", duration=seconds,
                                          speaker_names={0: "Zoë Ødegaard", 1: "李明" if cjk else "Marta"}),
                    status=AnalysisStatus.DONE, duration=seconds, whisper_model="tiny.en",
                    llm_model="SmolLM2-135M-Instruct.Q4_1.gguf", device="cpu",
                    created_at=datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc))
    answer = ANSWER if cjk else ANSWER.replace("李明", "Marta")
    made.prompt_results = [PromptResult(p, answer, PromptStatus.DONE, coverage=1.0) for p in made.prompts]
    return made


def measure(runs: int) -> str:
    fonts = find_fonts()
    rows = ["| recording | format | time (median) | size |", "| --- | --- | --- | --- |"]
    for label, seconds, cjk, formats in (("5 min", 300.0, True, ("md", "txt", "docx", "pdf")),
                                         ("5 min, Latin script only", 300.0, False, ("pdf",)),
                                         ("2 h", 7200.0, True, ("md", "txt", "docx", "pdf"))):
        made = analysis(seconds, cjk)
        for fmt in formats:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                out = files.render(made, fmt)
                times.append(time.perf_counter() - start)
            size = len(out.encode("utf-8") if isinstance(out, str) else out)
            rows.append(f"| {label} ({len(made.transcript.segments):,} segments) | {fmt} | "
                        f"{statistics.median(times):.2f} s | {size / 1024:,.0f} KiB |")
    used = ", ".join(p.name for p in [fonts.body.get(""), fonts.monospace, *fonts.fallbacks] if p) or "none"
    return (f"`python scripts/bench_exports.py` (made-up analyses, no model runs: see the script). Machine: "
            f"{platform.processor() or platform.machine()}, Python {platform.python_version()}; median of {runs} "
            f"run(s); PDF fonts found: {used}. The PDF's time is mostly fpdf2 parsing the fonts it embeds (a CJK "
            "fallback font is parsed only when the text has characters the text font lacks); the window writes "
            "every export on a background thread.\n\n" + "\n".join(rows) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", type=Path, metavar="MD", help="put the section into this Markdown file")
    args = parser.parse_args()
    text = measure(args.runs)
    print(text)
    if args.write:
        write_section(args.write, "exports", text, "Document exports: time and size")


if __name__ == "__main__":
    main()
