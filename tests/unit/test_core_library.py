"""The history library: what a run stores, reading it back, search, reuse, resume, damage."""

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.core.analysis import Analysis, AnalysisStatus, PromptStatus
from app.core.errors import LibraryError
from app.core.library.schema import SCHEMA_VERSION
from app.core.library.store import INTERRUPTED, Library, default_path
from app.core.pipeline.batch import run_batch
from app.core.pipeline.engines import EngineSettings
from app.core.pipeline.events import AnalysisFinished, SegmentDecoded, TranscriptReady
from app.core.pipeline.recorder import FLUSH_SEGMENTS, LibraryRecorder, for_resume
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"
TEXTS = ["We ship the release on Friday.", "Marta owns the budget review.", "The launch party is in Lisbon."]


def run(library, analyses, transcriber=None, runner=None, settings=EngineSettings(), reuse=True, cancel=None,
        on_event=None):
    recorder = LibraryRecorder(library, settings, reuse_transcripts=reuse)
    cancel = cancel or threading.Event()
    events = []
    for analysis, event in run_batch(analyses, transcriber or ScriptedTranscriber(make_segments(TEXTS)),
                                     runner or ScriptedPromptRunner(), cancel, recorder=recorder):
        events.append((analysis, event))
        if on_event:
            on_event(analysis, event, cancel)
    return recorder, events


def test_a_finished_analysis_is_stored_whole_and_reads_back_the_same(tmp_path):
    library = Library(tmp_path / "library.sqlite3")
    analysis = Analysis(source=SPEECH, prompts=["Summarize.", "List the action items."])
    recorder, _ = run(library, [analysis])
    assert recorder.problem is None
    stored = library.load(analysis.id[:8])
    assert stored.status is AnalysisStatus.DONE and stored.transcript_complete
    assert [s.text for s in stored.transcript.segments] == TEXTS
    assert stored.transcript.segments[1].words == analysis.transcript.segments[1].words
    assert [(r.prompt, r.response, r.status) for r in stored.prompt_results] == [
        (r.prompt, r.response, PromptStatus.DONE) for r in analysis.prompt_results]
    (entry,) = library.entries()
    assert (entry.source_name, entry.status, entry.prompts_done, entry.prompts_total) == ("speech.wav", "done", 2, 2)
    row = library.connection().execute("SELECT content_sha256, file_size, settings_json FROM analyses").fetchone()
    assert row["file_size"] == SPEECH.stat().st_size and len(row["content_sha256"]) == 64
    assert '"beam_size": 1' in row["settings_json"]


def test_the_default_library_lives_in_the_data_folder_which_tests_point_at_a_temp_home(_isolated_home):
    assert default_path().is_relative_to(_isolated_home)
    assert Library().path == default_path() and default_path().exists()


def test_search_finds_words_in_transcripts_and_responses_and_forgets_deleted_analyses(tmp_path):
    library = Library(tmp_path / "library.sqlite3")
    analysis = Analysis(source=SPEECH, prompts=["Where is the party?"])
    run(library, [analysis], runner=ScriptedPromptRunner(tokens=["In ", "sunny ", "Lisbon."]))
    kinds = sorted(hit.kind for hit in library.search("lisbon"))
    assert kinds == ["response", "segment"]
    (hit,) = library.search("budg")  # the last word matches as a prefix
    assert hit.analysis_id == analysis.id and hit.idx == 1 and "[budget]" in hit.marked("[", "]")
    assert library.search('") OR (') == []  # query syntax never leaks through
    assert library.delete(analysis.id)
    assert library.search("lisbon") == [] and library.entries() == []


def test_segments_are_committed_while_the_file_is_still_transcribing(tmp_path):
    library = Library(tmp_path / "library.sqlite3")
    gate = threading.Event()
    texts = [f"Sentence number {i}." for i in range(FLUSH_SEGMENTS * 3)]
    transcriber = ScriptedTranscriber(make_segments(texts), gate=gate)
    analysis = Analysis(source=SPEECH, prompts=["Summarize."])
    seen_while_running = []

    def feed(item_analysis, event, cancel):
        if isinstance(event, SegmentDecoded) and len(item_analysis.transcript.segments) == FLUSH_SEGMENTS + 2:
            reader = sqlite3.connect(library.path)  # another process's view: only what was committed
            seen_while_running.append(reader.execute("SELECT COUNT(*) FROM segments").fetchone()[0])
            reader.close()
        gate.set()

    gate.set()
    run(library, [analysis], transcriber=transcriber, on_event=feed)
    assert seen_while_running and seen_while_running[0] >= FLUSH_SEGMENTS
    assert len(library.load(analysis.id).transcript.segments) == len(texts)


def test_a_run_whose_process_died_shows_as_interrupted_and_resumes_where_it_stopped(tmp_path):
    library = Library(tmp_path / "library.sqlite3")
    analysis = Analysis(source=SPEECH, prompts=["First?", "Second?", "Third?"])
    run(library, [analysis])
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with library.transaction() as conn:  # as a killed process leaves it: two segments, one prompt done
        conn.execute("UPDATE analyses SET status = 'running', owner_pid = ?, transcript_complete = 0",
                     (int(dead.stdout),))
        conn.execute("DELETE FROM segments WHERE idx = 2")
        conn.execute("UPDATE prompt_results SET status = 'waiting', response = '' WHERE idx > 0")
    (entry,) = library.entries()
    assert entry.status == INTERRUPTED and entry.resumable
    stored = library.load(analysis.id)
    assert stored.status is AnalysisStatus.CANCELLED and stored.error == "interrupted"
    transcriber, runner = ScriptedTranscriber(make_segments(TEXTS)), ScriptedPromptRunner()
    run(library, [for_resume(stored)], transcriber=transcriber, runner=runner)
    assert transcriber.starts == [stored.transcript.segments[1].end]  # only the rest is transcribed
    assert [prompt for _, prompt in runner.calls] == ["Second?", "Third?"]  # only unfinished prompts run
    resumed = library.load(analysis.id)
    assert resumed.status is AnalysisStatus.DONE
    assert [s.text for s in resumed.transcript.segments] == TEXTS
    assert resumed.prompt_results[0].response == analysis.prompt_results[0].response


def test_the_same_file_with_the_same_whisper_settings_is_not_transcribed_again(tmp_path):
    library = Library(tmp_path / "library.sqlite3")
    first = Analysis(source=SPEECH, prompts=["Summarize."])
    run(library, [first])
    transcriber = ScriptedTranscriber(make_segments(["Something else entirely."]))
    second = Analysis(source=SPEECH, prompts=["Who owns the budget?"])
    _, events = run(library, [second], transcriber=transcriber)
    assert transcriber.calls == []
    ready = [e for _, e in events if isinstance(e, TranscriptReady)]
    assert ready[0].reused_from == first.id
    assert second.transcript.text == first.transcript.text and second.status is AnalysisStatus.DONE
    again = Analysis(source=SPEECH, prompts=["Summarize."])
    run(library, [again], transcriber=transcriber, reuse=False)  # the user asked to transcribe again
    assert transcriber.calls == [SPEECH]
    other = Analysis(source=SPEECH, prompts=["Summarize."])
    fresh = ScriptedTranscriber(make_segments(TEXTS))
    _, events = run(library, [other], transcriber=fresh, settings=EngineSettings(beam_size=5))
    assert fresh.calls == [SPEECH]  # other Whisper settings: a new transcript
    assert not any(isinstance(e, TranscriptReady) and e.reused_from for _, e in events)
    assert library.connection().execute("SELECT COUNT(DISTINCT transcript_key) FROM analyses").fetchone()[0] == 2


def test_closing_the_batch_early_still_records_how_each_file_ended(tmp_path):
    library = Library(tmp_path / "library.sqlite3")
    analyses = [Analysis(source=SPEECH, prompts=["Summarize."]) for _ in range(2)]
    stream = run_batch(analyses, ScriptedTranscriber(make_segments(TEXTS), delay=0.05), ScriptedPromptRunner(),
                       threading.Event(), recorder=LibraryRecorder(library, EngineSettings()))
    for _, event in stream:
        if isinstance(event, SegmentDecoded):
            break
    stream.close()
    (entry,) = library.entries()  # the second file never started, so it is not in the history
    assert entry.id == analyses[0].id and entry.status == "cancelled" and entry.resumable


def test_a_library_that_cannot_be_written_never_stops_the_analysis(tmp_path, monkeypatch):
    library = Library(tmp_path / "library.sqlite3")

    def disk_full(*args):
        raise LibraryError("cannot write the history library: database or disk is full")

    monkeypatch.setattr(library, "append_segments", disk_full)
    analysis = Analysis(source=SPEECH, prompts=["Summarize."])
    recorder, events = run(library, [analysis])
    assert analysis.status is AnalysisStatus.DONE and analysis.prompt_results[0].response
    assert "database or disk is full" in recorder.problem
    assert isinstance(events[-1][1], AnalysisFinished)


def test_a_library_from_a_newer_hearsay_is_refused_not_altered(tmp_path):
    path = tmp_path / "library.sqlite3"
    Library(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(LibraryError, match="newer Hearsay"):
        Library(path)


def test_a_damaged_library_file_is_one_clear_error(tmp_path):
    path = tmp_path / "library.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LibraryError, match="cannot open the history library"):
        Library(path)


def test_ids_resolve_from_a_unique_prefix_only(tmp_path):
    library = Library(tmp_path / "library.sqlite3")
    with pytest.raises(LibraryError, match="no analysis"):
        library.load("0123")
    analysis = Analysis(source=SPEECH, prompts=["Summarize."])
    run(library, [analysis])
    assert library.resolve_id(analysis.id[:6]) == analysis.id
    with pytest.raises(LibraryError, match="no analysis"):
        library.resolve_id("%")


def test_an_identical_file_later_in_the_same_batch_reuses_the_first_ones_transcript_every_time(tmp_path):
    for overlap in (True, False):
        library = Library(tmp_path / f"library-{overlap}.sqlite3")
        transcriber = ScriptedTranscriber(make_segments(TEXTS))
        first, second = (Analysis(source=SPEECH, prompts=["Summarize."]) for _ in range(2))
        recorder = LibraryRecorder(library, EngineSettings())
        events = list(run_batch([first, second], transcriber, ScriptedPromptRunner(), threading.Event(),
                                overlap=overlap, recorder=recorder))
        assert transcriber.calls == [SPEECH]
        ready = [e for a, e in events if a is second and isinstance(e, TranscriptReady)]
        assert ready[0].reused_from == first.id
        assert library.load(second.id).transcript.text == first.transcript.text


def test_the_library_keeps_one_connection_whatever_threads_use_it(tmp_path):
    library = Library(tmp_path / "library.sqlite3")

    def library_fds() -> int | None:
        # Only this library's files: other fds of the test process come and go with earlier tests' leftovers.
        if not Path("/proc/self/fd").exists():
            return None
        found = 0
        for fd in Path("/proc/self/fd").iterdir():
            try:
                found += str(fd.readlink()).startswith(str(tmp_path / "library.sqlite3"))
            except OSError:
                pass
        return found

    for _ in range(5):
        run(library, [Analysis(source=SPEECH, prompts=["Summarize."])], reuse=False)
    fds = library_fds()
    run(library, [Analysis(source=SPEECH, prompts=["Summarize."])], reuse=False)
    if fds is not None:
        assert fds >= 1 and library_fds() == fds
    assert len(library.entries()) == 6


def test_names_questions_and_cut_off_answers_are_stored_and_read_back(tmp_path):
    from app.core.pipeline.prompting import ask

    library = Library(tmp_path / "library.sqlite3")
    analysis = Analysis(source=SPEECH, prompts=["Summarize.", "List the action items."])
    analysis.prompt_results[0].name = "Summary"
    run(library, [analysis], runner=ScriptedPromptRunner(finish_reason="length"))
    recorder = LibraryRecorder(library, EngineSettings())
    for event in ask(analysis, "Who pays?", ScriptedPromptRunner(), threading.Event()):
        recorder.handle(analysis, event)
    stored = library.load(analysis.id)
    assert [(r.name, r.kind, r.finish_reason) for r in stored.prompt_results] == [
        ("Summary", "prompt", "length"), ("", "prompt", "length"), ("", "question", "stop")]
    library.close()


def test_a_library_of_an_earlier_schema_is_migrated_and_keeps_its_rows(tmp_path):
    from app.core.library.schema import MIGRATIONS

    path = tmp_path / "library.sqlite3"
    conn = sqlite3.connect(path)
    for version, script in enumerate(MIGRATIONS[:2]):  # a library as schema 2 left it
        conn.executescript(f"{script}\nPRAGMA user_version = {version + 1};")
    conn.execute("INSERT INTO analyses (id, source_path, source_name, status, created_at, updated_at) "
                 "VALUES ('a1', '/r/old.wav', 'old.wav', 'done', '2026-11-01T10:00:00+00:00', "
                 "'2026-11-01T10:00:00+00:00')")
    conn.execute("INSERT INTO prompt_results (analysis_id, idx, prompt, response, status) "
                 "VALUES ('a1', 0, 'Summarize.', 'Fine.', 'done')")
    conn.commit()
    conn.close()
    library = Library(path)
    stored = library.load("a1")
    assert [(r.prompt, r.response, r.name, r.kind, r.finish_reason) for r in stored.prompt_results] == [
        ("Summarize.", "Fine.", "", "prompt", None)]
    library.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
    conn.close()


DEMO_SHA = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def test_schema_4_marks_the_stored_answers_of_the_demo_model_and_keeps_the_usage_of_older_rows(tmp_path):
    from app.core.library.schema import MIGRATIONS

    path = tmp_path / "library.sqlite3"
    conn = sqlite3.connect(path)
    for version, script in enumerate(MIGRATIONS[:3]):  # a library as schema 3 left it
        conn.executescript(f"{script}\nPRAGMA user_version = {version + 1};")
    for row_id, sha in (("demo", DEMO_SHA), ("other", ""), ("mine", "ab" * 32)):
        conn.execute("INSERT INTO analyses (id, source_path, source_name, status, created_at, updated_at, "
                     "llm_sha256, settings_json) VALUES (?, '/r/a.wav', 'a.wav', 'done', "
                     "'2026-11-01T10:00:00+00:00', '2026-11-01T10:00:00+00:00', ?, '{\"max_tokens\": 512}')",
                     (row_id, sha))
        conn.execute("INSERT INTO prompt_results (analysis_id, idx, prompt, response, status, prompt_tokens, "
                     "completion_tokens) VALUES (?, 0, 'Summarize.', 'Fine.', 'done', 120, 30)", (row_id,))
    conn.commit()
    conn.close()
    library = Library(path)
    demo, other, mine = (library.load(i) for i in ("demo", "other", "mine"))
    assert (demo.llm_demo, other.llm_demo, mine.llm_demo) == (True, False, False)
    assert demo.prompt_results[0].usage == {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}
    assert (demo.temperature, demo.system_prompt) == (None, None)  # not stored before: unknown / built-in
    library.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
    conn.close()


def test_the_demo_mark_usage_and_generation_settings_are_stored_and_read_back(tmp_path):
    from app.core.analysis import PromptResult
    from app.core.library.rows import SourceRecord

    library = Library(tmp_path / "library.sqlite3")
    analysis = Analysis(source=SPEECH, prompts=["Summarize."], status=AnalysisStatus.DONE, llm_demo=True)
    analysis.prompt_results = [PromptResult("Summarize.", "Fine.", PromptStatus.DONE, prompt_tokens=90,
                                            completion_tokens=12, usage_prompt_tokens=400,
                                            usage_completion_tokens=60)]
    settings = EngineSettings(system_prompt="Answer in German.", temperature=0.5)
    import dataclasses
    import json
    library.save_analysis(analysis, SourceRecord(settings_json=json.dumps(dataclasses.asdict(settings))))
    stored = library.load(analysis.id)
    assert stored.llm_demo and (stored.temperature, stored.system_prompt) == (0.5, "Answer in German.")
    assert stored.prompt_results[0].usage == {"prompt_tokens": 400, "completion_tokens": 60, "total_tokens": 460}
    library.close()
