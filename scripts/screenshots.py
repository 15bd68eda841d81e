"""Screenshots of the window in the situations a first-time user meets, on the real default models.

Run it on a real X server (Xvfb) so the pictures are what a person sees::

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb .venv/bin/python scripts/screenshots.py --out /tmp/shots

The models scenarios (``--only models``: models-recommended, models-downloading, first-run-bar) start the
loopback hub of ``tests/hub_server.py`` on 127.0.0.1, throttled so that a download is caught mid-way, and add its
two models (``test-smollm2``, ``test-whisper-tiny.en``: the bundled files served under hub repo names) to the
catalog; the recommendation is this computer's own.

The speakers scenarios (``--only speakers``: speakers-transcript, speakers-recognised, settings-speakers) show a
scripted two-speaker analysis (no model runs; the answer text is scripted too) with Speaker 2 renamed "Alice",
the same voice recognised in another recording, and the Settings dialog's Speakers section; they grab the
window or dialog itself. ``--only speakers-real`` runs the real default models and the real diarizer on the
real two-speaker sample, renames both speakers and asks about owners (speakers-real-transcript,
speakers-real-answer).

The player scenario (``--only player``: player-follow) analyses speech.wav on the real default models, plays it
from its second segment's timestamp as a click does, and shoots the screen while the segment being played is
highlighted (Qt Multimedia plays on its own clock without a sound card).

The edited scenario (``--only edited``) stores the scripted meeting, corrects it as a user does (a word, a
split, a speaker) and shoots the Transcript tab with its version line, the stale answer and the versions
dialog (transcript-edited, answer-stale, transcript-versions).

The grounding scenario (``--only grounding``) shows the same scripted meeting with a scripted answer, grounded:
``grounded-answer.png`` (the window itself): every kind of mark at once. ``--only grounding-real`` runs the real
default models on speech.wav with two prompts and shows the first answer as the model wrote it, grounded
(grounded-answer-real.png).

Each scenario saves ``<out>/<name>.png`` (the whole screen, ``import -window root``) and prints
one line with what it measured (window width, the visible tab). Hearsay's folders go to a
temporary ``HEARSAY_HOME``; nothing of the user's is touched.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("HEARSAY_HOME", tempfile.mkdtemp(prefix="hearsay-shots-"))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.llm.prompts import NamedPrompt  # noqa: E402
from app.core.pipeline.engines import EngineSettings  # noqa: E402
from app.ui.settings.store import Settings  # noqa: E402
from app.ui.window.main_window import MainWindow  # noqa: E402
from tests.makers import repeated_speech  # noqa: E402

SPEECH = ROOT / "tests" / "data" / "speech.wav"
LONG_NAME = ("Interview with the regional water authority about the drought plan and the summer restrictions, "
             "take two b.wav")  # 110 characters with the extension


def wait_until(condition, timeout: float = 300.0, step_ms: int = 50) -> bool:
    """Run the event loop until ``condition()`` holds or ``timeout`` seconds pass; True when it held."""
    app = QApplication.instance()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            return True
        time.sleep(step_ms / 1000)
    return False


def settle(seconds: float = 0.6) -> None:
    wait_until(lambda: False, timeout=seconds)


def shot(out: Path, name: str, note: str = "") -> None:
    settle(0.4)
    subprocess.run(["import", "-window", "root", str(out / f"{name}.png")], check=True)
    print(f"{name}: {note}", flush=True)


def new_window(max_tokens: int = 96, size=(1240, 780), **engine) -> MainWindow:
    """A window on the real engines with ``EngineSettings(max_tokens, **engine)``, shown at ``size``."""
    settings = Settings()
    settings.set_engine_settings(EngineSettings(max_tokens=max_tokens, **engine))
    window = MainWindow(settings=settings)
    window.resize(*size)
    window.move(0, 0)
    window.show()
    settle()
    return window


def finished(window: MainWindow) -> bool:
    return not window.is_busy() and all(not e.active for e in window.entries())


def models_scenarios(out: Path) -> None:
    """The Models window with the recommendation, the same window mid-download from the loopback hub, and the
    main window with the first-run bar (the demo model in use)."""
    from app.core.hub import catalog
    from tests.hub_server import HubServer, bundled_repos, test_entries

    entries = test_entries()
    real = catalog.catalog
    catalog.catalog = lambda: [*real(), *entries.values()]  # the loopback hub's models join the list
    server = HubServer(bundled_repos()).start()
    server.rate_bytes_per_s = 1.5e6  # 94 MiB in about a minute: the bar is caught mid-way
    try:
        Settings().set_hub_endpoint(server.endpoint)
        window = new_window()
        wait_until(lambda: window.machine_profile is not None, timeout=30)
        settle()
        shot(out, "first-run-bar", f"bar offers: {window.first_run_bar.button.text()}")
        models = window.open_models()
        models.resize(1000, 980)
        models.move(120, 10)
        wait_until(lambda: models.profile is not None, timeout=30)
        recommended = [row for row in models.rows.values() if row.badge.isVisibleTo(models)]
        if recommended:  # the first recommended row at the top, so that both badges show
            models.scroll.verticalScrollBar().setValue(recommended[0].y() - 8)
        settle()
        shot(out, "models-recommended", "badges on: " + ", ".join(r.model_id for r in recommended))
        row = models.rows[entries["llm"].id]
        models.download(row.model_id)
        wait_until(lambda: row.progress.value() >= 350, timeout=120)
        models.scroll.ensureWidgetVisible(row)
        settle(1.2)
        shot(out, "models-downloading", f"{row.state.text()} · {row.progress_label.text()}")
        models.close()
        window.close()
    finally:
        server.stop()
        catalog.catalog = real


MEETING = [("Good morning. Let's go through the launch checklist.", 0),
           ("Morning. I finished the budget review last night.", 1),
           ("The numbers are in the shared folder; marketing is ten percent over.", 1),
           ("Okay. Can you talk to marketing about it before Friday?", 0),
           ("Yes, I'll set up a call with them on Wednesday.", 1),
           ("Great. I'll update the launch plan and send it round tomorrow.", 0),
           ("One more thing: the venue in Lisbon needs a deposit.", 1),
           ("I'll pay it today.", 0)]
"""A scripted two-speaker meeting: (text, speaker) per six-second segment."""


def meeting_analysis(name: str, names: dict[int, str], recognised: dict[int, str] | None = None):
    """A finished analysis of the scripted meeting (``MEETING``) as the pipeline leaves it, speakers found."""
    import dataclasses

    from app.core.analysis import Analysis, AnalysisStatus, Diarization, PromptStatus
    from tests.fakes import make_segments

    segments = make_segments([text for text, _ in MEETING], 6.0)
    analysis = Analysis(source=Path.home() / "Recordings" / name,
                        prompts=["Summarize this recording.", "List the action items with their owners."])
    analysis.transcript.segments = [dataclasses.replace(s, speaker=k) for s, (_, k) in zip(segments, MEETING)]
    analysis.transcript.duration = analysis.duration = segments[-1].end
    analysis.transcript.speaker_names = dict(names)
    analysis.transcript.diarization = Diarization(engine="scripted", model="scripted", speaker_count=2,
                                                  recognised=dict(recognised or {}))
    analysis.transcript_complete, analysis.status = True, AnalysisStatus.DONE
    analysis.whisper_model, analysis.llm_model = "tiny.en", "SmolLM2-135M-Instruct.Q4_1.gguf"
    answers = ("The team went through the launch checklist: marketing is ten percent over budget and the Lisbon "
               "venue needs a deposit.",
               "- **Alice**: talk to marketing about the overrun (a call on Wednesday, before Friday).\n"
               "- **Speaker 1**: update the launch plan and send it round tomorrow; pay the venue deposit today.")
    for result, title, answer in zip(analysis.prompt_results, ("Summary", "Action items"), answers):
        result.status, result.name, result.response = PromptStatus.DONE, title, answer
    return analysis


def speakers_scenarios(out: Path) -> None:
    """A two-speaker transcript with Speaker 2 renamed Alice, a recognised voice, and Settings → Speakers."""
    from app.ui.files.entry import FileEntry
    from app.ui.settings.dialog import SettingsDialog

    Settings().set_demo_bar_dismissed(True)
    window = new_window()
    for name, names, recognised, shot_name in (
            ("launch-sync.m4a", {1: "Alice"}, None, "speakers-transcript"),
            ("launch-follow-up.m4a", {1: "Alice"}, {1: "Alice"}, "speakers-recognised")):
        entry = FileEntry.restored(meeting_analysis(name, names, recognised))
        window.files.add(entry)
        window.file_view.select_entry(entry)
        window.results.tabs.setCurrentIndex(window.results.TRANSCRIPT_TAB)
        settle()
        window.grab().save(str(out / f"{shot_name}.png"))
        print(f"{shot_name}: speakers {window.results.speaker_bar.names()}", flush=True)
    dialog = SettingsDialog(window.settings, window)
    dialog.speaker_count.setCurrentIndex(dialog.speaker_count.findData("between"))
    dialog.min_speakers.setValue(2)
    dialog.max_speakers.setValue(4)
    dialog.show()
    settle()
    dialog.grab().save(str(out / "settings-speakers.png"))
    print(f"settings-speakers: dialog {dialog.width()}x{dialog.height()}", flush=True)
    dialog.close()
    window.close()


def real_speakers_scenario(out: Path) -> None:
    """The real default models on the real two-speaker sample (pyannote's, in tests/data/speakers): speakers
    found by the real diarizer, both renamed through ``SpeakerActions`` as the speaker labels do, then a question
    asked afterwards (the Ask line) about owners, which reads the renamed turns."""
    sample = ROOT / "tests" / "data" / "speakers" / "pyannote_sample.ogg"
    Settings().set_demo_bar_dismissed(True)
    window = new_window(max_tokens=160)
    [entry] = window.add_files([sample], start=True)
    wait_until(lambda: finished(window), timeout=600)
    window.file_view.select_entry(entry)
    for speaker, name in ((0, "Sheila"), (1, "Diane")):
        window.speakers.rename(entry, speaker, name)
    wait_until(lambda: not window.speakers.calls.busy(), timeout=30)
    window.results.tabs.setCurrentIndex(window.results.TRANSCRIPT_TAB)
    settle()
    window.grab().save(str(out / "speakers-real-transcript.png"))
    print(f"speakers-real-transcript: speakers {window.results.speaker_bar.names()}", flush=True)
    window.ask("List the action items with their owners, by name.")
    wait_until(lambda: finished(window), timeout=600)
    settle(1.0)
    window.grab().save(str(out / "speakers-real-answer.png"))
    print(f"speakers-real-answer: tab {window.results.tabs.tabText(window.results.tabs.currentIndex())!r}: "
          f"{entry.responses[-1][:200]!r}", flush=True)
    window.close()


def player_scenario(out: Path) -> None:
    """speech.wav analysed on the real models, then played from its second segment's timestamp: the strip
    playing, the segment highlighted in the transcript (follow mode)."""
    Settings().set_demo_bar_dismissed(True)
    window = new_window(size=(1400, 900))  # the whole screen of the Xvfb line in the brief
    [entry] = window.add_files([SPEECH], start=True)
    wait_until(lambda: finished(window), timeout=600)
    window.file_view.select_entry(entry)
    results = window.results
    results.tabs.setCurrentIndex(results.TRANSCRIPT_TAB)
    index = min(1, len(entry.segments) - 1)
    start = entry.segments[index].start
    results.transcript.segment_activated.emit(index, start)  # what a click on its [mm:ss] does
    wait_until(lambda: results.player.position_s() > start + 0.5, timeout=10)
    shot(out, "player-follow", f"segment {results.transcript.highlighted_segment()} highlighted at "
                               f"{results.player.position_s():.2f} s; strip says {results.player.time_label.text()!r}")
    window.close()


GROUNDED_ANSWER = (
    "## Launch checklist\n\n"
    "- Marketing is ten percent over budget, from the budget review.\n"
    "- Alice will set up a call with marketing on Wednesday, before Friday.\n"
    "- The launch plan goes round tomorrow [00:12].\n"
    "- The venue in Lisbon needs a deposit, which will be paid today.\n"
    "- The CEO approved an extra 20,000 euros for the launch party.\n"
    '- Alice said "the numbers look fine to me".\n')
"""A scripted answer over ``MEETING``: supported sentences, an invented one, an altered quote, a wrong [mm:ss]."""


def grounding_scenario(out: Path) -> None:
    """The scripted meeting with a scripted answer, grounded: links after supported sentences, dotted
    underlines under the rest (no model runs; the answer text is scripted)."""
    from app.ui.files.entry import FileEntry

    Settings().set_demo_bar_dismissed(True)
    window = new_window()
    analysis = meeting_analysis("launch-sync.m4a", {1: "Alice"})
    analysis.prompt_results[0].response = GROUNDED_ANSWER
    entry = FileEntry.restored(analysis)
    window.files.add(entry)
    shoot_first_answer(window, entry, out, "grounded-answer")


REAL_GROUNDING_PROMPTS = ["What was decided in the meeting, and what do you think about it?",
                          "Repeat the sentence about the website word for word, in double quotes."]
"""Prompts that make the bundled 135M model both repeat the recording and add to it (found by trying)."""


def real_grounding_scenario(out: Path) -> None:
    """speech.wav analysed on the real default models with ``REAL_GROUNDING_PROMPTS`` at temperature 0: the
    first answer as the model wrote it, grounded (grounded-answer-real.png, the window itself)."""
    Settings().set_demo_bar_dismissed(True)
    window = new_window(max_tokens=120, temperature=0.0, diarize=False)
    window.prompt_editor.set_prompts(REAL_GROUNDING_PROMPTS)
    settle()
    [entry] = window.add_files([SPEECH], start=True)
    wait_until(lambda: finished(window), timeout=600)
    shoot_first_answer(window, entry, out, "grounded-answer-real")


def shoot_first_answer(window: MainWindow, entry, out: Path, name: str) -> None:
    """Show ``entry``'s first answer, wait for its grounding, save the window as ``name``.png, close it."""
    window.file_view.select_entry(entry)
    window.results.tabs.setCurrentIndex(window.results.tab_of(0))
    page = window.results.prompt_page(0)
    wait_until(lambda: bool(page.citations()), timeout=10)
    settle()
    window.grab().save(str(out / f"{name}.png"))
    citations = page.citations()
    print(f"{name}: {sum(c.supported for c in citations)} of {len(citations)} sentences supported; "
          f"{entry.responses[0][:160]!r}", flush=True)
    window.close()


def edited_scenario(out: Path) -> None:
    """The scripted meeting, stored in the history library, then corrected as a user does: a misheard word
    fixed in place, a segment split, a segment given to the other speaker; the Transcript tab with its version
    line (transcript-edited.png), the stale answer (answer-stale.png) and the versions dialog
    (transcript-versions.png). No model runs; the transcript and the answer are scripted."""
    from app.core.library.rows import SourceRecord
    from app.core.library.store import Library
    from app.ui.files.entry import FileEntry

    Settings().set_demo_bar_dismissed(True)
    analysis = meeting_analysis("launch-sync.m4a", {1: "Alice"})
    first = analysis.transcript.segments[2]
    analysis.transcript.segments[2] = dataclasses.replace(first, text=first.text.replace("marketing", "market thing"))
    library = Library()
    library.save_analysis(analysis, SourceRecord())
    library.save_speakers(analysis)  # with Speaker 2's name, Alice
    library.close()
    window = new_window()
    entry = FileEntry.restored(Library().load(analysis.id))
    window.files.add(entry)
    window.file_view.select_entry(entry)
    results = window.results
    results.tabs.setCurrentIndex(results.TRANSCRIPT_TAB)
    window.edits.edit_text(entry, 2, first.text)
    window.edits.split(entry, 5, entry.segments[5].text.index("and send"))
    window.edits.set_speaker(entry, 8, 1)  # after the split: "I'll pay it today." (the venue is Alice's)
    wait_until(lambda: not window.edits.calls.busy() and entry.analysis.transcript_version == 3, timeout=30)
    settle()
    window.grab().save(str(out / "transcript-edited.png"))
    print(f"transcript-edited: {results.transcript_tools.version_label.text()!r}", flush=True)
    results.tabs.setCurrentIndex(results.tab_of(1))
    settle()
    window.grab().save(str(out / "answer-stale.png"))
    print(f"answer-stale: {results.prompt_page(1).stale_text()!r}", flush=True)
    dialog = window.edits.open_versions(entry)
    wait_until(lambda: dialog.list.topLevelItemCount() == 4, timeout=30)
    settle()
    dialog.grab().save(str(out / "transcript-versions.png"))
    print(f"transcript-versions: {dialog.summary.text()!r}", flush=True)
    dialog.close()
    window.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--only", nargs="*", help="scenario names to run (default: all)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from app.ui import theme

    theme.apply(app)  # as ``hearsay`` does: the stylesheet and icons
    work = Path(tempfile.mkdtemp(prefix="hearsay-shot-files-"))
    long_file = shutil.copy(SPEECH, work / LONG_NAME)
    interview = repeated_speech(work / "interview.wav", 24)  # about 5.5 minutes of speech
    chosen = set(args.only or [])

    def wanted(name: str) -> bool:
        return not chosen or name in chosen

    if wanted("speakers-real"):
        real_speakers_scenario(args.out)
    if wanted("player"):
        player_scenario(args.out)
    if wanted("long-name"):
        for size in ((1240, 780), (1024, 700), (1600, 1000)):
            window = new_window(size=size)
            window.add_files([long_file], start=False)
            settle()
            shot(args.out, f"long-name-{size[0]}x{size[1]}",
                 f"asked {size[0]}x{size[1]}, window is {window.width()}x{window.height()}")
            window.close()
    if wanted("streaming") or wanted("rerun") or wanted("cut-off"):
        window = new_window(max_tokens=48)
        window.add_files([SPEECH], start=True)
        wait_until(lambda: any(e.responses and e.responses[0] for e in window.entries()), timeout=300)
        shot(args.out, "streaming", f"tab shown: {window.results.tabs.tabText(window.results.tabs.currentIndex())}")
        wait_until(lambda: finished(window))
        window.results.tabs.setCurrentIndex(1)
        shot(args.out, "cut-off", "first prompt's tab after Done, max_tokens=48")
        window.prompt_editor.add_prompt(NamedPrompt("Who will write the press release?", "Press release"))
        window.analyze()
        wait_until(lambda: window.entries()[0].prompt_index == 3, timeout=60)
        settle(1.0)
        shot(args.out, "rerun", "a prompt added, Analyze pressed again on the finished file: only it runs")
        wait_until(lambda: finished(window))
        window.close()
    if wanted("cancel"):
        window = new_window()
        window.add_files([interview], start=True)
        wait_until(lambda: any(len(e.segments) >= 8 for e in window.entries()), 300)
        window.cancel()
        wait_until(lambda: finished(window))
        shot(args.out, "cancel-transcript", "cancelled during transcription: the Transcript tab")
        window.results.tabs.setCurrentIndex(1)
        shot(args.out, "cancel-prompt-tab", "cancelled during transcription: a prompt tab")
        window.close()
    if wanted("models"):
        models_scenarios(args.out)
    if wanted("speakers"):
        speakers_scenarios(args.out)
    if wanted("grounding"):
        grounding_scenario(args.out)
    if wanted("grounding-real"):
        real_grounding_scenario(args.out)
    if wanted("edited"):
        edited_scenario(args.out)
    if wanted("returning"):
        window = new_window()
        shot(args.out, "returning-user", "a new window after earlier runs")
        window.close()
    QTimer.singleShot(0, QApplication.instance().quit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
