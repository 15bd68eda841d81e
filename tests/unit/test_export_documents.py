"""TXT, DOCX and PDF exports: the Markdown export's content in its order, read back with python-docx and pypdf;
the plain-text variants; fonts; bytes written atomically; the CLI's options and the window's menu entries."""

import dataclasses
import io
import re
import sys
from pathlib import Path

import docx
import pypdf
import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app import cli
from app.cli import analyze as cli_analyze
from app.cli import history as cli_history
from app.core.analysis import PromptResult, PromptStatus
from app.core.errors import ExportError
from app.core.export import docx_file, files as export_files, markdown, pdf_file, text
from app.core.library.store import Library
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments
from tests.unit.test_core_export import with_speakers

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


def meeting():
    """Speakers (one named with accents, one with a CJK name), a named prompt with a formatted answer, a failed
    prompt with its partial answer, a question asked afterwards, and a transcript that stopped early."""
    analysis = with_speakers(names={0: "Zoë Ødegaard", 1: "李明"})
    analysis.transcribed_duration = 80.0
    analysis.prompt_results = [
        PromptResult("Summarize the meeting.", "The team **ships** on *Friday*.\n\n- Alice writes the notes\n"
                     "- Bob tests the `build`", PromptStatus.DONE, coverage=1.0, name="Summary"),
        PromptResult("List the action items.", "1. Ship", PromptStatus.FAILED, error="the model ran out of memory"),
        PromptResult("When do we ship?", "On Friday.", PromptStatus.DONE, kind="question"),
    ]
    return analysis


IN_ORDER = [  # what every document shows, in this order (the Markdown's content without its markup)
    "standup.wav", "Duration: 1 min 45 s", "Transcribed: only 1 min 20 s",
    "Speakers: Zoë Ødegaard, 李明 (found by senko 0.2.2 in 3.2 s)", "Summary", "Summarize the meeting.",
    "The team ships on Friday.", "Alice writes the notes", "Bob tests the build",
    "Coverage: 100% of the transcript, in one pass.", "List the action items.",
    "Failed: the model ran out of memory", "Ship", "Questions", "When do we ship?", "On Friday.", "Transcript",
    "Zoë Ødegaard [00:00]", "Hello team. We ship on Friday.", "李明 [01:10]", "Bob writes notes.",
]


def assert_in_order(haystack: str, needles: list[str]) -> None:
    """Each of ``needles`` is in ``haystack`` (whitespace runs count as one space), after the one before it."""
    flat = " ".join(haystack.split())
    at = 0
    for needle in needles:
        found = flat.find(needle, at)
        assert found >= 0, f"{needle!r} missing after position {at} in {flat[at:at + 200]!r}"
        at = found + len(needle)


def test_the_expected_order_is_the_markdowns():
    assert_in_order(re.sub(r"[*_`>#-]", "", markdown.render_markdown(meeting())), IN_ORDER)


# ---- TXT -------------------------------------------------------------------------------------------

def test_text_has_the_markdowns_content_without_markup():
    rendered = text.render_text(meeting())
    assert_in_order(rendered, IN_ORDER)
    assert not re.search(r"\*\*|__|`|^#|^> |^- |_[A-Z]", rendered, re.MULTILINE)
    assert rendered.startswith("standup.wav\n===========\n\n• Duration: 1 min 45 s\n• Transcribed: only")
    assert "Summary\n-------\n\nSummarize the meeting.\n\nThe team ships on Friday. [00:00]\n\n" \
           "• Alice writes the notes\n• Bob tests the build\n\n" \
           'Not found in the recording: "Alice writes the notes"; "Bob tests the build"\n\n' in rendered
    assert "Failed: the model ran out of memory\n\n1. Ship [00:35]\n\nQuestions\n---------\n\n" \
           "When do we ship?\n\nOn Friday. [00:35]\n\n" in rendered


@pytest.mark.parametrize("timestamps, speakers, transcript", [
    (True, True, "Zoë Ødegaard [00:00]\nHello team. We ship on Friday.\n\n李明 [01:10]\nBob writes notes.\n"),
    (False, True, "Zoë Ødegaard: Hello team. We ship on Friday.\n\n李明: Bob writes notes.\n"),
    (True, False, "[00:00] Hello team. We ship on Friday.\n\n[01:10] Bob writes notes.\n"),
    (False, False, "Hello team. We ship on Friday.\n\nBob writes notes.\n"),
])
def test_text_transcript_with_or_without_timestamps_and_speakers(timestamps, speakers, transcript):
    rendered = export_files.render(meeting(), "txt", timestamps=timestamps, speakers=speakers)
    head, body = rendered.split("Transcript\n----------\n\n")
    assert body == transcript
    assert head == text.render_text(meeting()).split("Transcript\n----------\n\n")[0]  # the rest stays


def test_text_without_speakers_found_and_without_speech():
    analysis = meeting()
    analysis.transcript.segments = [dataclasses.replace(s, speaker=None) for s in analysis.transcript.segments]
    assert text.render_text(analysis, timestamps=False).endswith(
        "Transcript\n----------\n\nHello team. We ship on Friday.\n\nBob writes notes.\n")
    analysis.transcript.segments = []
    assert text.render_text(analysis).endswith("Transcript\n----------\n\n(no speech found)\n")


def test_markdown_to_text_lists_tables_links_and_code():
    written = text.markdown_to_text("Intro:\n\n1. one\n2. two\n   - nested\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                                    "See [the notes](https://example.org/n) or <https://example.org>.\n\n"
                                    "```\nx = 1\n```\n\n---\n\n_Not found in the recording: a claim._\n")
    assert written == ("Intro:\n\n1. one\n2. two\n  • nested\n\na\tb\n1\t2\n\n"
                       "See the notes (https://example.org/n) or https://example.org.\n\n    x = 1\n\n"
                       f"{text.RULE}\n\nNot found in the recording: a claim.\n")


# ---- DOCX ------------------------------------------------------------------------------------------

def read_docx(data: bytes):
    return docx.Document(io.BytesIO(data))


def test_docx_has_the_markdowns_content_in_order_in_words_styles():
    data = export_files.render(meeting(), "docx")
    assert isinstance(data, bytes) and data[:2] == b"PK"
    document = read_docx(data)
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert_in_order("\n".join(t for _, t in paragraphs), IN_ORDER)
    headings = [(style, t) for style, t in paragraphs if style.startswith("Heading")]
    assert headings == [("Heading 1", "standup.wav"), ("Heading 2", "Summary"),
                        ("Heading 2", "List the action items."), ("Heading 2", "Questions"),
                        ("Heading 3", "When do we ship?"), ("Heading 2", "Transcript")]
    assert ("List Bullet", "Alice writes the notes") in paragraphs
    assert ("Quote", "Failed: the model ran out of memory") in paragraphs
    assert ("List", "1. Ship [00:35]") in paragraphs  # numbered as the Markdown numbers it (and grounded)
    assert ("Normal", "Zoë Ødegaard [00:00]\nHello team. We ship on Friday.") in paragraphs
    turn = next(p for p in document.paragraphs if p.text.startswith("Zoë"))
    assert [(r.text, r.bold) for r in turn.runs if r.text.strip()] == [("Zoë Ødegaard", True), (" [00:00]", None),
                                                               ("Hello team. We ship on Friday.", None)]
    answer = next(p for p in document.paragraphs if p.text == "The team ships on Friday. [00:00]")
    assert [(r.text, r.bold, r.italic) for r in answer.runs] == [
        ("The team ", None, None), ("ships", True, None), (" on ", None, None), ("Friday", None, True),
        (". [00:00]", None, None)]
    code = next(r for p in document.paragraphs for r in p.runs if r.text == "build")
    assert code.font.name == docx_file.MONOSPACE_FONT
    assert document.core_properties.title == "standup.wav"
    assert document.core_properties.created == meeting().created_at


def test_docx_tables_become_word_tables():
    document = read_docx(docx_file.markdown_to_docx("# T\n\n| Who | What |\n|---|---|\n| Ann | **notes** |\n"))
    [table] = document.tables
    assert [[c.text for c in row.cells] for row in table.rows] == [["Who", "What"], ["Ann", "notes"]]
    assert all(r.bold for r in table.rows[0].cells[0].paragraphs[0].runs)


def test_docx_shows_characters_word_cannot_hold_as_replacement_characters():
    analysis = meeting()
    analysis.prompt_results[0].response = "Bell \x07 and form feed \x0c from the model."
    paragraphs = [p.text for p in read_docx(docx_file.render_docx(analysis)).paragraphs]
    assert "Bell \ufffd and form feed \ufffd from the model." in paragraphs


# ---- PDF -------------------------------------------------------------------------------------------

def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_pdf_has_the_markdowns_content_in_order():
    data = export_files.render(meeting(), "pdf")
    assert isinstance(data, bytes) and data.startswith(b"%PDF-")
    assert_in_order(pdf_text(data), IN_ORDER)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "standup.wav" and reader.metadata.creator == "Hearsay"


def test_pdf_fonts_come_from_this_machine_and_cover_other_scripts():
    fonts = pdf_file.find_fonts()
    assert fonts.body and fonts.body[""].is_file()  # DejaVu Sans here (fonts-dejavu-core)
    data = pdf_file.render_pdf(meeting(), fonts)
    embedded = {str(font.get("/BaseFont")) for page in pypdf.PdfReader(io.BytesIO(data)).pages
                for font in page["/Resources"]["/Font"].values()}
    assert any(fonts.body[""].stem.replace("-", "") in name.replace("-", "") for name in embedded), embedded


def test_a_character_no_font_has_is_drawn_as_a_box_not_a_crash():
    analysis = meeting()
    analysis.prompt_results[0].response = "Tibetan ཀཁ and more text after it."
    assert "and more text after it." in pdf_text(pdf_file.render_pdf(analysis))


def test_an_image_in_an_answer_is_its_alt_text_not_a_file_opened(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where a relative image address would be looked for
    (tmp_path / "chart.png").write_bytes(b"not an image")
    analysis = meeting()
    analysis.prompt_results[0].response = "See ![the sales chart](chart.png) and ![](/etc/hostname) here."
    assert "See the sales chart and here." in " ".join(pdf_text(pdf_file.render_pdf(analysis)).split())
    assert "See the sales chart and  here." in [p.text for p in read_docx(docx_file.render_docx(analysis)).paragraphs]
    assert "See the sales chart and  here." in text.render_text(analysis)


def test_a_damaged_font_file_is_left_out_or_named(tmp_path):
    damaged = tmp_path / "Damaged.ttf"
    damaged.write_bytes(b"not a font")
    fonts = pdf_file.find_fonts()
    with_damage = dataclasses.replace(fonts, monospace=damaged, fallbacks=[damaged, *fonts.fallbacks])
    assert_in_order(pdf_text(pdf_file.render_pdf(meeting(), with_damage)), IN_ORDER)  # code in the body font
    with pytest.raises(ExportError, match=f"cannot make the PDF: the font {re.escape(str(damaged))} cannot be read"):
        pdf_file.render_pdf(meeting(), pdf_file.PdfFonts(body={"": damaged}))


def test_without_a_unicode_font_latin1_text_still_makes_a_pdf_and_other_text_a_clear_error(monkeypatch):
    monkeypatch.setattr(pdf_file, "BODY_FONTS", ({"": [Path("/nowhere/DejaVuSans.ttf")]},))
    monkeypatch.setattr(pdf_file, "MONOSPACE_FONTS", ())
    monkeypatch.setattr(pdf_file, "FALLBACK_FONTS", ())
    fonts = pdf_file.find_fonts()
    assert fonts == pdf_file.PdfFonts()
    latin = with_speakers(names={0: "Zoë"})
    latin.prompt_results[0].response = "It’s done — “ship it”…"
    assert_in_order(pdf_text(pdf_file.render_pdf(latin)), ["It's done - \"ship it\"...", "Zoë [00:00]"])
    with pytest.raises(ExportError) as caught:
        export_files.render(meeting(), "pdf")
    assert caught.value.message.startswith("cannot make the PDF: no Unicode font was found on this machine for "
                                           "characters such as '李明'; install")


# ---- whatever the Markdown gains, the documents show ---------------------------------------------

def test_a_line_the_markdown_gains_appears_in_every_document(monkeypatch):
    real = markdown.render_markdown

    def with_citations(analysis):
        return real(analysis).replace("The team **ships** on *Friday*.",
                                      "The team **ships** on *Friday*. [00:00]\n\n"
                                      "_Not found in the recording: Bob tests the build._")

    for module in (text, docx_file, pdf_file):
        monkeypatch.setattr(module, "render_markdown", with_citations)
    expected = ["The team ships on Friday. [00:00]", "Not found in the recording: Bob tests the build."]
    assert_in_order(text.render_text(meeting()), expected)
    assert_in_order("\n".join(p.text for p in read_docx(docx_file.render_docx(meeting())).paragraphs), expected)
    assert_in_order(pdf_text(pdf_file.render_pdf(meeting())), expected)


def test_a_speaker_name_with_markdown_and_html_characters_is_shown_as_typed():
    analysis = with_speakers(names={0: "**Al*ice_ <b>"})
    expected = ["Speakers: **Al*ice_ <b>, Speaker 2", "**Al*ice_ <b> [00:00]"]
    assert_in_order(text.render_text(analysis), expected)
    assert_in_order("\n".join(p.text for p in read_docx(docx_file.render_docx(analysis)).paragraphs), expected)
    assert_in_order(pdf_text(pdf_file.render_pdf(analysis)), expected)


# ---- formats, names and atomic bytes ---------------------------------------------------------------

def test_formats_and_names():
    assert [export_files.format_for(Path(f"a.{s}")) for s in ("txt", "DOCX", "pdf")] == ["txt", "docx", "pdf"]
    assert export_files.output_names([Path("a.wav"), Path("a.mp3")], "docx") == ["a.wav.docx", "a.mp3.docx"]
    assert set(export_files.BINARY_FORMATS) == {"docx", "pdf"} <= set(export_files.FORMATS)


def test_bytes_are_written_as_they_are_and_follow_the_overwrite_rules(tmp_path):
    target = tmp_path / "out.pdf"
    data = export_files.render(meeting(), "pdf")
    export_files.write_export(target, data)
    assert target.read_bytes() == data
    with pytest.raises(export_files.ExportExistsError):
        export_files.write_export(target, b"other\r\n")
    assert target.read_bytes() == data
    export_files.write_export(target, b"other\r\n", overwrite=True)
    assert target.read_bytes() == b"other\r\n"  # no newline translation
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]  # no temp file left
    with pytest.raises(ExportError, match="cannot write"):
        export_files.write_export(tmp_path / "missing" / "out.docx", b"PK")


# ---- CLI -------------------------------------------------------------------------------------------

@pytest.fixture
def engines(monkeypatch):
    def create(settings):
        return ScriptedTranscriber(make_segments(["We ship on Friday.", "Zoë owns the review."])), \
            ScriptedPromptRunner()

    monkeypatch.setattr(cli_analyze, "create_engines", create)
    monkeypatch.setattr(cli_history, "create_engines", create)


def test_cli_writes_docx_pdf_and_text(engines, tmp_path, capsys):
    assert cli.main(["analyze", str(SPEECH), "-q", "-p", "Summarize.", "-o", str(tmp_path / "notes.docx")]) == 0
    document = read_docx((tmp_path / "notes.docx").read_bytes())
    assert_in_order("\n".join(p.text for p in document.paragraphs),
                    ["speech.wav", "Summarize.", "Transcript", "[00:00] We ship on Friday. Zoë owns the review."])
    assert cli.main(["analyze", str(SPEECH), "-q", "-p", "Summarize.", "--format", "pdf",
                     "-o", str(tmp_path / "notes")]) == 0
    assert_in_order(pdf_text((tmp_path / "notes").read_bytes()), ["speech.wav", "Zoë owns the review."])
    assert cli.main(["analyze", str(SPEECH), "-q", "-p", "Summarize.", "--format", "txt", "--no-timestamps"]) == 0
    assert capsys.readouterr().out.endswith("Transcript\n----------\n\nWe ship on Friday. Zoë owns the review.\n")


def test_cli_refuses_text_options_for_other_formats_and_binary_on_a_terminal(engines, monkeypatch, tmp_path,
                                                                            capsys, speech_copies):
    assert cli.main(["analyze", str(SPEECH), "-q", "--no-speakers", "-o", str(tmp_path / "a.md")]) == 2
    assert capsys.readouterr().err.endswith(
        "hearsay: error: --no-timestamps and --no-speakers apply to --format txt only\n")
    a, b = speech_copies("a.wav", "b.wav")
    assert cli.main(["analyze", str(a), str(b), "-q", "--format", "docx"]) == 2
    assert "DOCX files cannot be joined on stdout: with several inputs, give -o FOLDER" in capsys.readouterr().err
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert cli.main(["analyze", str(SPEECH), "-q", "--format", "pdf"]) == 2
    assert "--format pdf writes a binary file: give -o FILE, or redirect stdout to a file" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.md"))


def test_cli_says_in_one_line_why_a_pdf_cannot_be_made(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli_analyze, "create_engines", lambda settings: (
        ScriptedTranscriber(make_segments(["The 会议 is on Friday."])), ScriptedPromptRunner()))
    monkeypatch.setattr(pdf_file, "find_fonts", pdf_file.PdfFonts)  # a machine without a Unicode font
    out = tmp_path / "notes.pdf"
    assert cli.main(["analyze", str(SPEECH), "-q", "-p", "Summarize.", "-o", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"hearsay: {SPEECH}: cannot make the PDF: no Unicode font was found on this machine for characters such as "
        "'会议'; install DejaVu Sans (Debian and Ubuntu: fonts-dejavu-core), or export Word (DOCX) or text instead\n")
    assert list(tmp_path.iterdir()) == []


def test_history_show_writes_a_pdf_to_a_pipe_and_refuses_a_terminal(engines, monkeypatch, capsysbinary):
    assert cli.main(["analyze", str(SPEECH), "-q", "-p", "Summarize."]) == 0
    capsysbinary.readouterr()
    (entry,) = Library().entries()
    assert cli.main(["history", "show", entry.id[:8], "--format", "pdf"]) == 0
    assert_in_order(pdf_text(capsysbinary.readouterr().out), ["speech.wav", "Summarize.", "We ship on Friday."])
    assert cli.main(["history", "show", entry.id[:8], "--format", "txt", "--no-timestamps", "--no-speakers"]) == 0
    assert capsysbinary.readouterr().out.decode().endswith("\nWe ship on Friday. Zoë owns the review.\n")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert cli.main(["history", "show", entry.id[:8], "--format", "docx"]) == 2
    assert capsysbinary.readouterr().err.decode() == (
        "hearsay: history: --format docx writes a binary file: give -o FILE, or redirect stdout to a file\n")


def test_history_export_text_options(engines, tmp_path, capsys):
    assert cli.main(["analyze", str(SPEECH), "-q", "-p", "Summarize."]) == 0
    (entry,) = Library().entries()
    target = tmp_path / "plain.txt"
    assert cli.main(["history", "export", entry.id[:8], "-o", str(target), "--no-timestamps"]) == 0
    assert target.read_text("utf-8").endswith("\nWe ship on Friday. Zoë owns the review.\n")
    assert cli.main(["history", "export", entry.id[:8], "-o", str(tmp_path / "x.md"), "--no-timestamps"]) == 2
    assert not (tmp_path / "x.md").exists()


# ---- window ----------------------------------------------------------------------------------------

def test_the_file_menu_exports_word_pdf_and_both_kinds_of_text(make_window, qtbot, monkeypatch, tmp_path):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, body, *a, **k: shown.append(body))
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    file_menu = [a for a in window.menuBar().actions() if a.text() == "&File"][0].menu()
    texts = [a.text() for a in file_menu.actions()]
    for entry in ("Export Word &document (DOCX)…", "Export &PDF…", "Export &Text (with timestamps)…",
                  "Export Text (p&lain)…"):
        assert entry in texts
    asked = []

    def save_as(name):
        def fake(parent, caption, suggested, file_filter, *args, **kwargs):
            asked.append((caption, Path(suggested).name, file_filter))
            return str(tmp_path / name), file_filter
        monkeypatch.setattr(QFileDialog, "getSaveFileName", fake)

    save_as("notes")  # no suffix typed: .docx is added
    window.export_docx_action.trigger()
    save_as("notes.pdf")
    window.export_pdf_action.trigger()
    save_as("stamped.txt")
    window.export_txt_action.trigger()
    save_as("plain")
    window.export_txt_plain_action.trigger()
    assert asked == [("Export Word document (DOCX)", "speech.docx", "Word documents (*.docx)"),
                     ("Export PDF", "speech.pdf", "PDF documents (*.pdf)"),
                     ("Export Text (with timestamps)", "speech.txt", "Text (*.txt)"),
                     ("Export Text (plain)", "speech.txt", "Text (*.txt)")]
    assert shown == []
    transcript = "Hello team. We ship on Friday."
    assert_in_order("\n".join(p.text for p in read_docx((tmp_path / "notes.docx").read_bytes()).paragraphs),
                    ["speech.wav", "Transcript", f"[00:00] {transcript}"])
    assert_in_order(pdf_text((tmp_path / "notes.pdf").read_bytes()), ["speech.wav", "Transcript", transcript])
    assert (tmp_path / "stamped.txt").read_text("utf-8").endswith(f"Transcript\n----------\n\n[00:00] {transcript}\n")
    assert (tmp_path / "plain.txt").read_text("utf-8").endswith(f"Transcript\n----------\n\n{transcript}\n")
    assert window.statusBar().currentMessage() == f"Exported {tmp_path / 'plain.txt'}."
