"""Grounding on hand-made cases: sentences and their offsets, supported and invented sentences, quotes and
the model's own [mm:ss] citations checked against a transcript."""

from app.core.analysis import Transcript
from app.core.grounding import SUPPORT_THRESHOLD, ground, ground_responses
from app.core.grounding.citations import parse_citations
from app.core.grounding.quotes import QuoteIndex, normalise
from app.core.grounding.sentences import split_sentences
from tests.fakes import make_segments

TRANSCRIPT = Transcript(make_segments([
    "Good morning team.",                                          # 00:00
    "This is the weekly planning meeting.",                        # 00:05
    "We decided to launch the new website on Friday.",             # 00:10
    "Maria will write the press release by Thursday.",             # 00:15
    "Open question, do we need a bigger budget for marketing?",    # 00:20
    "Doctor Okonkwo will move the Kubernetes cluster in March.",   # 00:25
    "The cluster costs four thousand euros a month.",              # 00:30
], 5.0))


def one(sentence: str):
    [citation] = ground(sentence, TRANSCRIPT)
    return citation


def test_a_verbatim_quote_is_found_and_points_at_its_segment():
    citation = one('Someone asked "Do we need a bigger budget for marketing?"')
    assert citation.quote_ok is True and citation.supported and citation.missing_quotes == []
    assert citation.segment_ids == [4] and (citation.start, citation.end) == (20.0, 25.0)


def test_a_changed_quote_is_flagged_and_the_sentence_is_not_supported():
    response = 'Maria said "I will write the press release by Monday."'
    [citation] = ground(response, TRANSCRIPT)
    assert citation.quote_ok is False and not citation.supported
    [(start, end)] = citation.missing_quotes
    assert response[start:end] == "I will write the press release by Monday."


def test_a_quote_running_across_two_segments_is_found():
    citation = one('The plan: "launch the new website on Friday. Maria will write the press release".')
    assert citation.quote_ok is True and citation.segment_ids == [2, 3]


def test_an_invented_sentence_is_flagged():
    citation = one("The board approved a hiring freeze for the sales department.")
    assert not citation.supported and citation.score < SUPPORT_THRESHOLD
    assert citation.segment_ids == [] and citation.start is None and citation.end is None


def test_copied_and_paraphrased_sentences_are_supported_with_their_segments():
    copied = one("Maria will write the press release by Thursday.")
    assert copied.supported and copied.score == 1.0 and copied.segment_ids == [3] and copied.start == 15.0
    paraphrase = one("The team is launching the website on Friday.")
    assert paraphrase.supported and 2 in paraphrase.segment_ids


def test_a_wrong_number_or_name_is_not_supported():
    assert not one("The cluster costs nine thousand euros a month.").supported
    assert one("The cluster costs 4 thousand euros a month.").supported  # "four" and "4" are the same number
    assert not one("Doctor Nakamura will move the Kubernetes cluster in March.").supported


def test_list_items_are_sentences_and_headings_labels_and_blank_lines_are_not():
    response = ("## Summary\n\n**Decisions:**\n\n- Launch the new website on Friday.\n"
                "2. Maria writes the press release. She is done by Thursday.\n\n---\n> The budget is open.\n")
    sentences = [s.text for s in split_sentences(response)]
    assert sentences == ["Launch the new website on Friday.", "Maria writes the press release.",
                         "She is done by Thursday.", "The budget is open."]
    assert [c.sentence for c in ground(response, TRANSCRIPT)] == sentences


def test_offsets_map_back_to_the_response_text():
    response = ("Intro line without end\n\n* **Maria** writes the press release [00:15]. Dr. Okonkwo moves "
                "the cluster.\n  - e.g. in March. The end!\r\nLast one?")
    citations = ground(response, TRANSCRIPT)
    assert citations and all(response[c.span[0]:c.span[1]] == c.sentence for c in citations)
    assert [c.sentence for c in citations][1:3] == ["**Maria** writes the press release [00:15].",
                                                    "Dr. Okonkwo moves the cluster."]


def test_a_citation_after_the_full_stop_belongs_to_the_sentence_before():
    [first, second] = ground("We launch on Friday. [00:10] Maria writes the release.", TRANSCRIPT)
    assert first.sentence == "We launch on Friday. [00:10]" and first.cited == [10.0] and first.cited_ok is True
    assert second.cited == [] and second.cited_ok is None


def test_a_wrong_cited_time_is_flagged_and_a_right_one_is_not():
    wrong = one("Maria will write the press release by Thursday [00:31].")
    assert wrong.supported and wrong.cited == [31.0] and wrong.cited_ok is False
    right = one("Maria will write the press release by Thursday (00:16).")
    assert right.cited == [16.0] and right.cited_ok is True
    beyond = one("Maria will write the press release by Thursday [1:02:03].")
    assert beyond.cited == [3723.0] and beyond.cited_ok is False


def test_parse_citations_reads_minutes_hours_and_ranges_and_skips_non_times():
    text = "a [01:05] b [1:00:07] c (00:30-00:40) d [12:75] e"
    assert [seconds for seconds, _ in parse_citations(text)] == [65.0, 3607.0, 30.0]
    (_, (start, end)), *_ = parse_citations(text)
    assert text[start:end] == "[01:05]"


def test_normalising_ignores_case_punctuation_and_spacing_only():
    assert normalise("  We'll LAUNCH,  on “Friday”!") == "well launch on friday"
    index = QuoteIndex(["We will launch.", "On Friday, I think."])
    assert index.locate("will launch on friday") == [0, 1]
    assert index.locate("will launch on monday") is None and index.locate("...") is None


def test_nothing_to_ground_and_odd_text_never_raise():
    assert ground("", TRANSCRIPT) == [] and ground("# Title\n\n\n", TRANSCRIPT) == []
    assert ground("Sure!", TRANSCRIPT) == []  # no word that can be evidence: not a claim
    assert ground("The website launches on Friday.", Transcript()) [0].supported is False
    odd = ground('"" ** [99:99] ```\ncode\n``` \u200b\x00 "unclosed', TRANSCRIPT)
    assert all(not c.supported for c in odd)
    assert ground_responses(["", "We launch the website on Friday."], TRANSCRIPT)[0] == []


def test_speakers_names_are_not_evidence_the_recording_lacks():
    segments = make_segments(["We decided to launch the new website on Friday.", "Maria writes the release."], 5.0)
    segments = [s.__class__(s.start, s.end, s.text, s.words, s.language, speaker=i) for i, s in enumerate(segments)]
    transcript = Transcript(segments, speaker_names={0: "Alice Moreau", 1: "Maria"})
    for sentence in ("Speaker 1 said the new website launches on Friday.",
                     "Alice Moreau said the new website launches on Friday."):
        [citation] = ground(sentence, transcript)
        assert citation.supported and citation.score == 1.0 and citation.segment_ids == [0]
    [maria] = ground("Maria writes the release.", transcript)  # a name the recording says stays evidence
    assert maria.supported and maria.segment_ids == [1]


def test_the_labelled_set_keeps_its_precision_and_recall():
    """scripts/bench_grounding.py's figures as a floor: a change to the method that loses them fails here."""
    import json
    from pathlib import Path

    from app.core.analysis import Segment

    outcomes = []
    for path in sorted((Path(__file__).parent.parent / "data" / "grounding").glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        transcript = Transcript([Segment(s["start"], s["end"], s["text"]) for s in data["segments"]])
        for label in data["sentences"]:
            [citation] = ground(label["text"], transcript)
            outcomes.append((label, citation))
    assert len(outcomes) >= 60
    found = [c.supported for _, c in outcomes]
    truth = [label["supported"] for label, _ in outcomes]
    true_positives = sum(f and t for f, t in zip(found, truth))
    assert true_positives / sum(found) >= 0.9 and true_positives / sum(truth) >= 0.85  # precision, recall
    for field in ("quote_ok", "cited_ok"):
        checked = [(label[field], getattr(c, field)) for label, c in outcomes if field in label]
        assert checked and all(label == got for label, got in checked)


def test_a_sentence_wrapped_over_two_lines_stays_one():
    response = ("The team will launch the new\nwebsite on Friday. Maria writes\nthe press release.\n"
                "- An item\n  going on.")
    citations = ground(response, TRANSCRIPT)
    assert [c.sentence for c in citations] == ["The team will launch the new\nwebsite on Friday.",
                                               "Maria writes\nthe press release.", "An item\n  going on."]
    assert citations[0].supported and citations[0].segment_ids == [0, 2]
