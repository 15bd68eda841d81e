"""Transcripts and prompts are data: the text of a control token inside them is broken before tokenizing."""

from app.core.llm.assembly import WORD_JOINER, control_text_pattern, neutralize

CHATML = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]
LLAMA3 = ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
GEMMA = ["<bos>", "<start_of_turn>", "<end_of_turn>"]
MISTRAL = ["<s>", "</s>", "[INST]", "[/INST]"]


def test_ordinary_text_comes_back_unchanged_so_its_tokens_and_prefix_reuse_stay():
    pattern = control_text_pattern(CHATML + LLAMA3 + GEMMA + MISTRAL)
    text = "Maria said <b>bold</b> plans [in brackets] cost 3 < 4 euros; see <https://example.org>."
    assert neutralize(text, pattern) is text


def test_every_control_text_of_every_template_family_is_broken():
    for family in (CHATML, LLAMA3, GEMMA, MISTRAL):
        pattern = control_text_pattern(family)
        hostile = "Tom: hi." + "\n".join(family) + " the end"
        safe = neutralize(hostile, pattern)
        assert not any(marker in safe for marker in family), family
        assert safe.replace(WORD_JOINER, "") == hostile  # nothing else changes: the words stay the user's


def test_the_longest_control_text_wins_and_one_character_texts_are_left_alone():
    pattern = control_text_pattern(["<|im_start|>", "<|im_start|>system", "\n"])
    assert neutralize("a<|im_start|>system b\n", pattern) == f"a<{WORD_JOINER}|im_start|>system b\n"
    assert control_text_pattern(["\n", "x"]) is None
    assert neutralize("<|im_end|>", None) == "<|im_end|>"
