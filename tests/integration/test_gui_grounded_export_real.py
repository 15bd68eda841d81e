"""The transcript as a workspace, end to end in the window on the real default models (tiny.en in its child
process, SmolLM2-135M): analyse a recording, click a supported sentence's [mm:ss] link and hear the player
start there, then export the answers as DOCX and PDF and read them back (python-docx, pypdf) against the
Markdown export of the same analysis: the same content, in the same order."""

from pathlib import Path

import docx
import pypdf
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QFileDialog

from app.core.analysis import AnalysisStatus, PromptStatus
from app.core.pipeline.engines import EngineSettings
from app.ui.settings.store import Settings
from app.ui.window.main_window import MainWindow
from tests.integration.test_export_documents_real import markdown_lines
from tests.unit.test_export_documents import assert_in_order

pytestmark = pytest.mark.integration

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"
PROMPTS = ["Repeat the sentence about the website word for word, in double quotes.",
           "Who will write the press release?"]


def link_point(page, start: float) -> QPoint:
    """The viewport point inside the ``[mm:ss]`` link shown for a citation starting at ``start`` seconds."""
    label = f"[{int(start) // 60:02d}:{int(start) % 60:02d}]"
    found = page.text.document().find(label)
    assert not found.isNull(), (label, page.text.toPlainText())
    probe = QTextCursor(page.text.document())
    probe.setPosition(found.selectionStart() + 2)
    return page.text.cursorRect(probe).center()


def test_click_a_citation_then_export_docx_and_pdf_and_read_them_back(qtbot, drop_files, monkeypatch, tmp_path):
    settings = Settings()
    settings.set_engine_settings(EngineSettings(max_tokens=96, temperature=0.0, diarize=False))
    window = MainWindow(settings=settings)  # the window's own engines
    qtbot.addWidget(window)
    window.show()
    window.prompt_editor.set_prompts(PROMPTS)
    with qtbot.waitSignal(window.idle, timeout=300_000):
        assert drop_files(window.drop_zone, [SPEECH]) == (True, True)
    entry, = window.entries()
    assert entry.status is AnalysisStatus.DONE, entry.error
    assert entry.prompt_statuses == [PromptStatus.DONE] * 2, entry.prompt_errors

    window.file_view.select_entry(entry)
    results = window.results
    pages = [results.prompt_page(index) for index in range(len(PROMPTS))]
    qtbot.waitUntil(lambda: all(page.citations() for page in pages), timeout=10_000)  # grounded in a helper thread
    supported = [(page, c) for page in pages for c in page.citations() if c.supported]
    assert supported, [c.sentence for page in pages for c in page.citations()]  # the model repeats the recording
    page, citation = supported[0]  # at temperature 0 here: the first answer's first sentence
    assert citation.sentence in page.plain_text() == entry.responses[pages.index(page)]  # the text, unaltered

    results.tabs.setCurrentWidget(page)
    player = results.player
    positions: list[float] = []
    player.position_changed.connect(lambda *_: positions.append(player.position_s()))
    with qtbot.waitSignal(results.citation_clicked, timeout=2000) as clicked:
        qtbot.mouseClick(page.text.viewport(), Qt.MouseButton.LeftButton, pos=link_point(page, citation.start))
    assert clicked.args == [pytest.approx(citation.start)]
    qtbot.waitUntil(lambda: player.is_playing() and any(abs(p - citation.start) < 0.3 for p in positions),
                    timeout=5000)  # the player reports the position it plays from: the cited segment's start
    transcript_segment = results.follower.segment_at(citation.start)
    assert transcript_segment is not None and transcript_segment in citation.segment_ids
    player.playback.pause()

    outputs = {fmt: tmp_path / f"notes.{fmt}" for fmt in ("md", "docx", "pdf")}
    for fmt, path in outputs.items():
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, _p=path, **k: (str(_p), ""))
        assert window.export(fmt) == [path]
    markdown = outputs["md"].read_text("utf-8")
    label = f"[{int(citation.start) // 60:02d}:{int(citation.start) % 60:02d}]"
    assert label in markdown  # the link kept as text
    expected = markdown_lines(markdown)
    assert PROMPTS[0] in expected and "Transcript" in expected

    document = docx.Document(str(outputs["docx"]))
    text = "\n".join(p.text for p in document.paragraphs)
    assert_in_order(text, expected)
    assert label in text and citation.sentence in text
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == "speech.wav" and headings[-1] == "Transcript"

    reader = pypdf.PdfReader(str(outputs["pdf"]))
    assert reader.metadata.title == "speech.wav"
    assert_in_order("\n".join(p.extract_text() for p in reader.pages), expected)
    window.close()
