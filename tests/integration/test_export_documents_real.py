"""`hearsay analyze --format docx|pdf` end to end on the real default models, the documents read back (python-docx,
pypdf) against the Markdown of the same stored analysis (`hearsay history show`)."""

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import docx
import pypdf
import pytest

from tests.unit.test_export_documents import assert_in_order

pytestmark = pytest.mark.integration

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


def hearsay(*args, home):
    env = dict(os.environ, HEARSAY_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, timeout=300, env=env)


def markdown_lines(markdown: str) -> list[str]:
    """The Markdown's non-empty lines with the markup the documents do not show taken off (list markers, heading
    and quote marks, emphasis), in order."""
    lines = []
    for line in markdown.splitlines():
        # list numbers too: fpdf2 draws none for an empty item ("1." then the text on the next line)
        line = re.sub(r"^(#+ |> |[-*+] |\d+[.)](\s|$))", "", line.strip())
        line = re.sub(r"\*|(?<!\w)_|_(?!\w)|`", "", line).replace("\\", "")
        if line:
            lines.append(" ".join(line.split()))
    return lines


def test_analyze_to_docx_and_pdf_and_read_them_back(tmp_path):
    home = tmp_path / "home"
    common = ("-p", "Summarize.", "-p", "List the action items.", "--max-tokens", "40", "--temperature", "0", "-q")
    done = hearsay("analyze", str(SPEECH), *common, "--format", "docx", "-o", str(tmp_path / "notes.docx"), home=home)
    assert done.returncode == 0, done.stderr.decode()
    done = hearsay("analyze", str(SPEECH), *common, "--format", "pdf", "-o", str(tmp_path / "notes.pdf"), home=home)
    assert done.returncode == 0, done.stderr.decode()
    listed = hearsay("history", "list", home=home).stdout.decode().splitlines()
    newest, oldest = (line.split()[0] for line in listed)  # newest first: the PDF's analysis, then the DOCX's

    markdown = hearsay("history", "show", oldest, home=home).stdout.decode()
    expected = markdown_lines(markdown)
    assert "Summarize." in expected and "Transcript" in expected and "website" in markdown.lower()
    document = docx.Document(str(tmp_path / "notes.docx"))
    assert_in_order("\n".join(p.text for p in document.paragraphs), expected)
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["speech.wav", "Summarize.", "List the action items.", "Transcript"]

    markdown = hearsay("history", "show", newest, home=home).stdout.decode()
    reader = pypdf.PdfReader(str(tmp_path / "notes.pdf"))
    assert reader.metadata.title == "speech.wav"
    assert_in_order("\n".join(page.extract_text() for page in reader.pages), markdown_lines(markdown))

    # The same analysis as a PDF on a pipe is the same document as the file.
    piped = hearsay("history", "show", newest, "--format", "pdf", home=home)
    assert piped.returncode == 0 and piped.stdout.startswith(b"%PDF-")
    again = pypdf.PdfReader(io.BytesIO(piped.stdout))
    assert [p.extract_text() for p in again.pages] == [p.extract_text() for p in reader.pages]
