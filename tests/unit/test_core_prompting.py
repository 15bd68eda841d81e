"""Prompt assembly: the transcript comes first so prompts share a prefix; AssemblyAI's tag."""

import pytest

from app.core.errors import HearsayError
from app.core.llm.assembly import SYSTEM_TEXT, build_messages, plain_prompt
from app.core.llm.prompts import read_prompts_file, short_title
from app.core.llm.runner import choose_gpu_layers

TRANSCRIPT = "Alice: we ship on Friday. Bob: I write the notes."


def test_transcript_goes_in_the_system_message_before_the_prompt():
    messages = build_messages(TRANSCRIPT, "List the action items.")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"].startswith(SYSTEM_TEXT)
    assert messages[0]["content"].endswith(TRANSCRIPT)
    assert messages[1]["content"] == "List the action items."


def test_prompts_of_one_file_share_a_byte_identical_prefix():
    first = build_messages(TRANSCRIPT, "Summarize.")
    second = build_messages(TRANSCRIPT, "Who owns what?")
    assert first[0] == second[0]


@pytest.mark.parametrize("tag", ["{{ transcript }}", "{{transcript}}", "{{  transcript }}"])
def test_transcript_tag_is_substituted_in_the_prompt(tag):
    messages = build_messages(TRANSCRIPT, f"Read this:\n{tag}\nWhat ships when?")
    assert messages[0]["content"] == SYSTEM_TEXT
    assert messages[1]["content"] == f"Read this:\n{TRANSCRIPT}\nWhat ships when?"


def test_transcript_with_backslashes_is_substituted_verbatim():
    transcript = r"path C:\new\table \1"
    assert build_messages(transcript, "{{ transcript }}")[1]["content"] == transcript


def test_plain_prompt_for_models_without_chat_template():
    text = plain_prompt(build_messages(TRANSCRIPT, "Summarize."))
    assert text.index(TRANSCRIPT) < text.index("Summarize.")
    assert text.endswith("Answer:")


@pytest.mark.parametrize(
    "requested, supported, layers, label",
    [("auto", True, -1, "gpu"), ("auto", False, 0, "cpu"), ("cpu", True, 0, "cpu"), ("cuda", True, -1, "gpu")],
)
def test_gpu_offload_choice(requested, supported, layers, label):
    assert choose_gpu_layers(requested, supported) == (layers, label)


def test_cuda_requested_without_offload_says_why():
    layers, label = choose_gpu_layers("cuda", False)
    assert layers == 0 and "no GPU offload" in label


def test_unknown_device_is_rejected():
    with pytest.raises(ValueError):
        choose_gpu_layers("tpu", True)


def test_short_title_cuts_at_a_word_with_ellipsis():
    title = short_title("Summarize this recording as bullet points with decisions")
    assert len(title) <= 28 and title.endswith("…") and title.startswith("Summarize this")
    assert short_title("Action items") == "Action items"
    assert short_title("{{ transcript }} ") == "Prompt"


def test_prompts_file_one_per_line(tmp_path):
    f = tmp_path / "p.txt"
    f.write_text("First prompt\n\n  Second prompt  \n", "utf-8")
    assert read_prompts_file(f) == ["First prompt", "Second prompt"]


def test_prompts_file_json_array(tmp_path):
    f = tmp_path / "p.json"
    f.write_text('["One\\nwith two lines", "Two"]', "utf-8")
    assert read_prompts_file(f) == ["One\nwith two lines", "Two"]


@pytest.mark.parametrize(
    "content, message",
    [(b"R\xe9sum\xe9 de la r\xe9union", "not UTF-8"), (b"[1, 2]", "array of strings"), (b"  \n", "no prompt"),
     (b"[\"unclosed", "not valid JSON")],
)
def test_bad_prompts_files_say_why(tmp_path, content, message):
    f = tmp_path / "p.txt"
    f.write_bytes(content)
    with pytest.raises(HearsayError, match=message):
        read_prompts_file(f)
