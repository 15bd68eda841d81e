"""Speakers without engines: turns onto words, the labelled transcript the LLM reads, voiceprint matching."""

import numpy as np

from app.core.analysis import Segment, Transcript, Voiceprint, Word
from app.core.llm.chunking import split_segments
from app.core.llm.labels import clock, transcript_text
from app.core.speakers.turns import SpeakerTurn, assign_speakers
from app.core.speakers.voiceprints import cosine, recognise


def words(*spec):
    return tuple(Word(text, start, end, 0.9) for text, start, end in spec)


def test_a_segment_spanning_a_change_of_speaker_is_split_at_the_word_boundary():
    segment = Segment(0.0, 4.0, " Are you coming? Yes I am.", words(
        (" Are", 0.0, 0.4), (" you", 0.4, 0.8), (" coming?", 0.8, 1.6), (" Yes", 2.1, 2.5), (" I", 2.5, 2.8),
        (" am.", 2.8, 3.6)), "en")
    turns = [SpeakerTurn(0.0, 1.9, 7), SpeakerTurn(1.9, 4.0, 3)]
    out, numbering = assign_speakers([segment], turns)
    assert [(s.text, s.speaker, s.start, s.end) for s in out] == [
        ("Are you coming?", 0, 0.0, 1.6), ("Yes I am.", 1, 2.1, 4.0)]
    assert numbering == {7: 0, 3: 1}  # numbered by first appearance, whatever the engine's labels
    assert all(s.language == "en" for s in out) and [len(s.words) for s in out] == [3, 3]


def test_a_word_goes_to_the_turn_overlapping_it_most_and_an_uncovered_word_to_the_nearest_turn():
    segment = Segment(0.0, 6.0, "one two three", words(("one", 0.0, 1.0), ("two", 1.0, 2.0), ("three", 5.0, 6.0)))
    turns = [SpeakerTurn(0.0, 1.2, 0), SpeakerTurn(1.2, 1.9, 1), SpeakerTurn(3.0, 4.5, 0)]
    out, _ = assign_speakers([segment], turns)
    # "two" overlaps speaker 1 for 0.7 s and speaker 0 for 0.2 s; "three" is covered by no turn: the nearest is 0
    assert [(s.text, s.speaker) for s in out] == [("one", 0), ("two", 1), ("three", 0)]


def test_a_segment_without_words_goes_whole_to_the_speaker_overlapping_it_most_and_no_turns_change_nothing():
    plain = [Segment(0.0, 3.0, "Hello there."), Segment(3.0, 5.0, "Hi.")]
    out, numbering = assign_speakers(plain, [SpeakerTurn(0.0, 2.5, 4), SpeakerTurn(2.5, 5.0, 9)])
    assert [(s.text, s.speaker) for s in out] == [("Hello there.", 0), ("Hi.", 1)] and numbering == {4: 0, 9: 1}
    assert assign_speakers(plain, []) == (plain, {})


def test_the_transcript_the_model_reads_has_one_line_per_turn_with_time_and_name():
    transcript = Transcript([Segment(0.0, 2.0, "We ship Friday.", speaker=0), Segment(2.0, 4.0, "Agreed.", speaker=0),
                             Segment(65.0, 70.0, "I own the budget.", speaker=1)], speaker_names={1: "Marta"})
    assert transcript_text(transcript) == ("[00:00] Speaker 1: We ship Friday. Agreed.\n"
                                           "[01:05] Marta: I own the budget.")
    assert transcript_text(Transcript([Segment(0, 1, " a "), Segment(1, 2, "b")])) == "a b"  # no speakers: as before
    assert clock(3725.9) == "1:02:05" and clock(59.99) == "00:59"


def test_map_reduce_chunks_carry_the_speaker_of_every_line():
    segments = [Segment(i * 2.0, i * 2.0 + 2, f"sentence number {i}", speaker=i % 2) for i in range(6)]
    chunks = split_segments(segments, lambda text: len(text.split()), budget=12,
                            name_of=lambda k: ["Ann", "Bob"][k])
    assert len(chunks) == 3
    assert chunks[0].text == "[00:00] Ann: sentence number 0\n[00:02] Bob: sentence number 1"
    assert all(chunk.tokens <= 12 for chunk in chunks)


def test_a_voice_is_recognised_above_the_threshold_once_per_name_and_only_from_the_same_model():
    rng = np.random.default_rng(0)
    alice, bob = rng.normal(size=192), rng.normal(size=192)
    prints = [Voiceprint("Alice", tuple(alice), "cam++"), Voiceprint("Bob", tuple(bob), "cam++"),
              Voiceprint("Old", tuple(alice), "another model")]
    near_alice = alice + 0.3 * rng.normal(size=192)
    stranger = rng.normal(size=192)
    found = recognise({0: stranger, 1: near_alice, 2: alice}, prints, "cam++", threshold=0.6)
    assert set(found) == {2} and found[2][0] == "Alice"  # the closer of two Alice-like speakers gets the name
    assert found[2][1] == 1.0 or abs(found[2][1] - 1.0) < 1e-9
    assert recognise({0: near_alice}, prints, "cam++", threshold=0.6)[0][0] == "Alice"
    assert cosine(near_alice, alice) > 0.9 and abs(cosine(stranger, alice)) < 0.3
    assert recognise({0: stranger}, prints, "cam++", threshold=0.6) == {}  # below the threshold: refused


def test_long_recordings_are_clustered_in_blocks_that_keep_each_voice_whole(monkeypatch):
    from senko.cluster.cluster_cpu import CommonClustering

    from app.core.speakers import diarizer

    rng = np.random.default_rng(3)
    voices = rng.normal(size=(3, 192))
    truth = np.repeat(rng.integers(0, 3, size=60), 15)  # 60 turns of 15 windows (9 s each)
    embeddings = voices[truth] + 0.6 * rng.normal(size=(len(truth), 192))
    monkeypatch.setattr(diarizer, "SPECTRAL_MAX_POINTS", 450)  # 900 windows: blocks of 2
    clustering = CommonClustering("spectral", mer_cos=diarizer.MERGE_COSINE, min_cluster_size=4, min_num_spks=1,
                                  max_num_spks=15, pval=0.012, oracle_num=None)
    labels = diarizer._cluster_blocks(clustering, embeddings)
    assert len(labels) == len(truth) and len(set(labels)) == 3
    mapping = {t: np.bincount(labels[truth == t]).argmax() for t in range(3)}
    assert sum(mapping[t] == label for t, label in zip(truth, labels)) / len(truth) > 0.98
