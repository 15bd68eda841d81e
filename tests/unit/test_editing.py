"""Editing a transcript (issue 14 §2): the edit operations on segments and word timestamps, and transcript
versions in the history library (undo/redo by version, revert, stale answers, search, reuse)."""

from dataclasses import replace
from pathlib import Path

import pytest

from app.core.analysis import Analysis, AnalysisStatus, PromptStatus, Word
from app.core.editing.operations import (
    EditError,
    describe_text_change,
    edit_text,
    merge_segments,
    realign_words,
    rename_speaker,
    set_speaker,
    split_segment,
)
from app.core.errors import AnalysisBusyError, LibraryError
from app.core.library.store import Library
from app.core.pipeline.recorder import LibraryRecorder
from app.core.pipeline.engines import EngineSettings
from app.core.pipeline.batch import run_batch
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"
TEXTS = ["We are riding the press release today.", "Marta owns the budget review.", "The party is in Lisbon."]


def speakered(texts=TEXTS, speakers=(0, 1, 0)):
    return [replace(s, speaker=k) for s, k in zip(make_segments(texts), speakers)]


# ---- the operations ---------------------------------------------------------------------------------------


def test_a_corrected_word_takes_the_time_of_the_word_it_replaces_and_the_others_keep_theirs():
    segments = make_segments(TEXTS)
    edited = edit_text(segments, {}, 0, "We are writing the press release today.")
    old, new = segments[0].words, edited.segments[0].words
    assert [w.word.strip() for w in new] == "We are writing the press release today.".split()
    assert (new[2].start, new[2].end, new[2].confidence) == (old[2].start, old[2].end, 1.0)
    assert [(w.start, w.end, w.confidence) for k, w in enumerate(new) if k != 2] == \
        [(w.start, w.end, w.confidence) for k, w in enumerate(old) if k != 2]
    assert edited.segments[1:] == segments[1:] and segments[0].text == TEXTS[0]  # nothing edited in place
    assert edited.change.kind == "text" and edited.change.segment == 0
    assert edited.change.description == 'Segment 1: "riding" → "writing"'


def test_inserted_words_share_the_gap_and_times_never_go_back():
    words = (Word(" one", 0.0, 0.5, 0.9), Word(" two", 1.5, 2.0, 0.9))
    new = realign_words(words, "one and a half two three", 0.0, 3.0)
    assert [w.word.strip() for w in new] == ["one", "and", "a", "half", "two", "three"]
    assert new[1].start == 0.5 and new[3].end == pytest.approx(1.5) and new[5].end == pytest.approx(3.0)
    assert all(a.end <= b.start + 1e-9 for a, b in zip(new, new[1:]))
    assert realign_words((), "no timestamps before", 0.0, 1.0) == ()


def test_a_change_is_described_by_its_words_only():
    assert describe_text_change("the cat sat", "the dog sat") == '"cat" → "dog"'
    assert describe_text_change("a b", "a b c") == '"" → "c"'
    long = " ".join(f"w{i}" for i in range(10))
    assert describe_text_change("x", long) == '"x" → "w0 w1 w2 w3 w4 w5…"'


@pytest.mark.parametrize("text, cause", [("   ", "cannot be left empty"), ("one\ntwo", "is one line"),
                                         (TEXTS[0], "already reads so")])
def test_an_edit_that_cannot_be_made_says_why(text, cause):
    with pytest.raises(EditError, match=cause):
        edit_text(make_segments(TEXTS), {}, 0, text)
    with pytest.raises(EditError, match="there is no segment 9"):
        edit_text(make_segments(TEXTS), {}, 8, "x")


def test_a_split_falls_on_a_word_boundary_with_the_word_timestamps():
    segments = speakered()
    offset = TEXTS[1].index("budget") + 3  # inside "budget": moved back to its start
    edited = split_segment(segments, {1: "Marta"}, 1, offset)
    one, two = edited.segments[1:3]
    assert (one.text, two.text) == ("Marta owns the", "budget review.")
    assert one.end == segments[1].words[2].end and two.start == segments[1].words[3].start
    assert one.words + two.words == segments[1].words and one.speaker == two.speaker == 1
    assert len(edited.segments) == 4 and edited.speaker_names == {1: "Marta"}
    assert edited.change.description == 'Segment 2 split before "budget review."'
    with pytest.raises(EditError, match="each part needs at least one word"):
        split_segment(segments, {}, 1, 0)


def test_a_merge_joins_one_speakers_neighbours_and_refuses_two_speakers():
    segments = speakered(speakers=(0, 0, 1))
    merged = merge_segments(segments, {}, 0)
    (first, rest) = merged.segments[0], merged.segments[1:]
    assert first.text == f"{TEXTS[0]} {TEXTS[1]}" and (first.start, first.end) == (0.0, 4.0)
    assert first.words == segments[0].words + segments[1].words and rest == segments[2:]
    with pytest.raises(EditError, match=r"different speakers \(Speaker 1, Alice\)"):
        merge_segments(segments, {1: "Alice"}, 1)
    with pytest.raises(EditError, match="is the last one"):
        merge_segments(segments, {}, 2)


def test_a_segment_changes_speaker_or_starts_a_new_one_and_names_change_everywhere():
    segments = speakered()
    moved = set_speaker(segments, {0: "Ann"}, 2, 1)
    assert [s.speaker for s in moved.segments] == [0, 1, 1]
    assert moved.change.description == "Segment 3 given to Speaker 2 (was Ann)"
    assert [s.speaker for s in set_speaker(segments, {}, 0, 2).segments] == [2, 1, 0]
    with pytest.raises(EditError, match="there is no speaker 5"):
        set_speaker(segments, {}, 0, 4)
    with pytest.raises(EditError, match="has no speakers"):
        set_speaker(make_segments(TEXTS), {}, 0, 0)
    renamed = rename_speaker(segments, {}, 1, "  Marta   Diaz ")
    assert renamed.speaker_names == {1: "Marta Diaz"} and renamed.change.description == "Speaker 2 renamed Marta Diaz"
    assert rename_speaker(segments, {1: "Marta"}, 1, "").speaker_names == {}


# ---- versions in the history library -----------------------------------------------------------------------


@pytest.fixture
def stored(tmp_path):
    library = Library(tmp_path / "library.sqlite3")
    analysis = Analysis(source=SPEECH, prompts=["Summarize.", "List the action items."])
    recorder = LibraryRecorder(library, EngineSettings(), reuse_transcripts=True)
    import threading

    for _ in run_batch([analysis], ScriptedTranscriber(make_segments(TEXTS)), ScriptedPromptRunner(),
                       threading.Event(), recorder=recorder):
        pass
    assert library.load(analysis.id).status is AnalysisStatus.DONE
    yield library, analysis.id
    library.close()


def edit(library, analysis_id, index, text):
    current = library.load(analysis_id).transcript
    made = edit_text(current.segments, current.speaker_names, index, text)
    return library.edit_transcript(analysis_id, made.segments, made.speaker_names, made.change)


def test_each_edit_is_a_stored_version_that_search_exports_and_answers_follow(stored):
    library, analysis_id = stored
    assert library.transcript_versions(analysis_id) == []
    after = edit(library, analysis_id, 0, "We are writing the press release today.")
    assert after.transcript_version == 1 and after.transcript_edited
    assert after.transcript.segments[0].text == "We are writing the press release today."
    assert [(v.number, v.parent, v.kind, v.edited) for v in library.transcript_versions(analysis_id)] == [
        (0, None, "transcription", False), (1, 0, "text", True)]
    assert [h.kind for h in library.search("writing")] == ["segment"] and library.search("riding") == []
    assert all(after.is_stale(r) for r in after.prompt_results)  # answers made from version 0
    assert library.load(analysis_id).transcript.segments == after.transcript.segments  # what reading gets


def test_undo_and_redo_move_between_versions_and_a_new_edit_branches_without_losing_any(stored):
    library, analysis_id = stored
    edit(library, analysis_id, 0, "We are writing the press release today.")
    edit(library, analysis_id, 1, "Marta owns the budget.")
    undone = library.switch_transcript_version(analysis_id, 1)
    assert undone.transcript_version == 1 and undone.transcript.segments[1].text == TEXTS[1]
    redone = library.switch_transcript_version(analysis_id, 2)
    assert redone.transcript.segments[1].text == "Marta owns the budget."
    library.switch_transcript_version(analysis_id, 1)
    branch = edit(library, analysis_id, 2, "The party is in Porto.")
    versions = library.transcript_versions(analysis_id)
    assert [(v.number, v.parent) for v in versions] == [(0, None), (1, 0), (2, 1), (3, 1)]
    assert [s.text for s in branch.transcript.segments] == [
        "We are writing the press release today.", TEXTS[1], "The party is in Porto."]
    with pytest.raises(LibraryError, match="has no transcript version 9"):
        library.switch_transcript_version(analysis_id, 9)


def test_revert_restores_the_transcription_as_a_new_version_and_reuse_never_sees_edits(stored):
    library, analysis_id = stored
    with pytest.raises(LibraryError, match="is the transcription as made already"):
        library.revert_transcript(analysis_id)
    edit(library, analysis_id, 0, "We are writing the press release today.")
    assert [s.text for s in library.load_transcript(analysis_id).segments] == TEXTS  # reused = as transcribed
    reverted = library.revert_transcript(analysis_id)
    assert [s.text for s in reverted.transcript.segments] == TEXTS
    assert (reverted.transcript_version, reverted.transcript_edited) == (2, False)
    assert library.transcript_versions(analysis_id)[-1].description == "Reverted to the transcription"


def test_an_answer_run_again_records_the_version_it_was_made_from(stored):
    from app.core.pipeline.prompting import run_prompts

    library, analysis_id = stored
    analysis = edit(library, analysis_id, 0, "We are writing the press release today.")
    import threading

    list(run_prompts(analysis, ScriptedPromptRunner(), threading.Event(), [1]))
    library.save_prompt_result(analysis, 1, analysis.prompt_results[1])
    again = library.load(analysis_id)
    assert [r.transcript_version for r in again.prompt_results] == [0, 1]
    assert [again.is_stale(r) for r in again.prompt_results] == [True, False]
    assert again.prompt_results[1].status is PromptStatus.DONE


def test_a_rename_is_a_version_too_and_an_edit_refused_while_the_analysis_runs(stored):
    library, analysis_id = stored
    segments = speakered()
    conn = library.connection()
    conn.executemany("UPDATE segments SET speaker = ? WHERE analysis_id = ? AND idx = ?",
                     [(s.speaker, analysis_id, i) for i, s in enumerate(segments)])
    conn.commit()
    renamed = library.rename_speaker(analysis_id, 1, "Marta")
    assert renamed.transcript_version == 1
    assert library.transcript_versions(analysis_id)[-1].description == "Speaker 2 renamed Marta"
    assert library.switch_transcript_version(analysis_id, 0).transcript.speaker_names == {}
    conn.execute("UPDATE analyses SET status = 'running', owner_pid = ? WHERE id = ?",
                 (__import__("os").getpid(), analysis_id))
    conn.commit()
    with pytest.raises(AnalysisBusyError, match="cannot edit"):
        edit(library, analysis_id, 0, "Changed while running.")
