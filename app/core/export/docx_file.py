"""The Word export (``.docx``, Office Open XML, written by ``python-docx``): the Markdown export as a document.

Made from ``render_markdown``'s text read as CommonMark (``commonmark.parse``), so it has the Markdown's
content in its order, and whatever the Markdown gains later, with Word's own styles (so a reader can
restyle it and Word's navigation pane shows its outline):

- ``#`` to ``######`` headings: ``Heading 1`` to ``Heading 6`` (the file name is Heading 1, each prompt's
  section Heading 2, each question Heading 3);
- paragraphs: ``Normal``; a quoted block (a failed prompt's note, the demo model's note): ``Quote``;
- bullet lists: ``List Bullet`` (``List Bullet 2``, ``3`` nested); numbered lists: ``List`` paragraphs (a
  hanging indent, no automatic numbering) whose number is written in the text ("1. "), as the Markdown
  numbers them, so every list starts where its Markdown starts (``List Number``'s automatic numbering
  would run on from one answer's list into the next); an item's further paragraphs: ``List Continue``;
- bold, italic, strikethrough and code spans as run formatting (code in a monospaced font); a line
  break inside a paragraph stays a line break; a link is its text, underlined, with the address in brackets
  after it when the address is not the text;
- code blocks: ``No Spacing`` paragraphs in a monospaced font; tables: Word tables (``Table Grid``),
  the header row bold; a thematic break: a centred ``* * *``.

The document's title (File, Properties) is the file name (the Markdown's first heading), its author
field is left empty and its dates are the analysis's date, so the same analysis always makes the same
document apart from the zip container's own file times. Characters a Word document cannot hold (control
characters, lone surrogates) are written as U+FFFD (the replacement character), so they show.
"""

from __future__ import annotations

import io
import re
from datetime import datetime

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.text.paragraph import Paragraph
from markdown_it.token import Token

from app.core.analysis import Analysis
from app.core.export import commonmark
from app.core.export.markdown import render_markdown

MONOSPACE_FONT = "Consolas"
"""The font of code spans and code blocks (Word substitutes a monospaced font where it is missing)."""
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold (control characters, lone surrogates), which python-docx refuses."""
MAX_LIST_STYLE_LEVEL = 3
"""Word's built-in list styles go three levels deep (``List Bullet 3``); deeper items use the third."""


def render_docx(analysis: Analysis) -> bytes:
    """The Word export of ``analysis`` (the bytes of a ``.docx`` file): ``render_markdown(analysis)`` as a
    document (see the module docstring)."""
    return markdown_to_docx(render_markdown(analysis), created=analysis.created_at)


def markdown_to_docx(markdown: str, created: datetime | None = None) -> bytes:
    """CommonMark ``markdown`` as the bytes of a ``.docx`` file (the module docstring's mapping); its title
    property is the first heading's text, its created and modified dates ``created`` when given."""
    document = docx.Document()
    tokens = commonmark.parse(_NOT_XML.sub("\ufffd", markdown))
    _DocxWriter(document).write(tokens)
    properties = document.core_properties
    properties.author = ""
    properties.title = next((" ".join(commonmark.heading_text(tokens, i).split())
                             for i, t in enumerate(tokens) if t.type == "heading_open"), "")
    if created is not None:
        properties.created = properties.modified = created
        properties.last_modified_by = ""
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


class _DocxWriter:
    """Walks markdown-it's block tokens into python-docx paragraphs and tables."""

    def __init__(self, document) -> None:
        self.document = document
        self.lists: list[dict] = []  # per open list: ordered, next number
        self.item_marker: str | None = None  # the list item whose first paragraph is still to come: its number
        self.item_style: str | None = None
        self.quotes = 0
        self.heading = 0
        self.table = None
        self.row = None
        self.cell_index = 0
        self.header_row = False

    def write(self, tokens: list[Token]) -> None:
        for index, token in enumerate(tokens):
            if token.type == "table_open":
                self.table = self.document.add_table(rows=0, cols=_columns(tokens, index), style="Table Grid")
            else:
                self._token(token)

    def _paragraph(self) -> Paragraph:
        """A new paragraph in the style its place in the Markdown asks for."""
        if self.heading:
            return self.document.add_heading("", level=min(self.heading, 9))
        if self.item_style is not None:  # a list item's first paragraph
            style, self.item_style = self.item_style, None
            return self.document.add_paragraph(style=style)
        if self.lists:  # an item's further paragraphs
            return self.document.add_paragraph(style=f"List Continue{self._level_suffix()}")
        return self.document.add_paragraph(style="Quote" if self.quotes else None)

    def _level_suffix(self) -> str:
        level = min(len(self.lists), MAX_LIST_STYLE_LEVEL)
        return "" if level <= 1 else f" {level}"

    def _token(self, token: Token) -> None:
        kind = token.type
        if kind == "heading_open":
            self.heading = int(token.tag[1:])
        elif kind == "heading_close":
            self.heading = 0
        elif kind == "blockquote_open":
            self.quotes += 1
        elif kind == "blockquote_close":
            self.quotes -= 1
        elif kind in ("bullet_list_open", "ordered_list_open"):
            self.lists.append({"ordered": kind == "ordered_list_open", "number": int(token.attrGet("start") or 1)})
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
        elif kind == "list_item_open":
            current = self.lists[-1]
            if current["ordered"]:
                self.item_marker = f"{current['number']}. "
                self.item_style = f"List{self._level_suffix()}"
                current["number"] += 1
            else:
                self.item_marker = None
                self.item_style = f"List Bullet{self._level_suffix()}"
        elif kind == "inline" and self.table is not None:
            cell = self.row.cells[self.cell_index]
            self.cell_index += 1
            self._runs(cell.paragraphs[0], token, bold=self.header_row)
        elif kind == "inline":
            numbered = self.item_style is not None and self.item_marker is not None
            paragraph = self._paragraph()
            if numbered:
                paragraph.add_run(self.item_marker)
                self.item_marker = None
            self._runs(paragraph, token)
        elif kind in ("fence", "code_block"):
            paragraph = self.document.add_paragraph(style="No Spacing")
            for number, line in enumerate(token.content.rstrip("\n").split("\n")):
                if number:
                    paragraph.add_run().add_break()
                paragraph.add_run(line).font.name = MONOSPACE_FONT
        elif kind == "hr":
            self.document.add_paragraph("* * *").alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "table_close":
            self.table = None
        elif kind == "thead_open":
            self.header_row = True
        elif kind == "thead_close":
            self.header_row = False
        elif kind == "tr_open":
            self.row, self.cell_index = self.table.add_row(), 0

    def _runs(self, paragraph: Paragraph, token: Token, bold: bool = False) -> None:
        """The inline token's text as runs of ``paragraph`` with its emphasis, code spans, breaks and links."""
        strong, emphasis, strike, link = int(bold), 0, 0, []
        for child in token.children or []:
            kind = child.type
            if kind == "strong_open":
                strong += 1
            elif kind == "strong_close":
                strong -= 1
            elif kind == "em_open":
                emphasis += 1
            elif kind == "em_close":
                emphasis -= 1
            elif kind == "s_open":
                strike += 1
            elif kind == "s_close":
                strike -= 1
            elif kind in ("softbreak", "hardbreak"):
                paragraph.add_run().add_break()
            elif kind == "link_open":
                link.append([str(child.attrGet("href") or ""), ""])
            elif kind == "link_close" and link:
                href, label = link.pop()
                if href and href not in (label, f"mailto:{label}"):
                    paragraph.add_run(f" ({href})")
            elif kind in ("text", "code_inline", "html_inline", "image"):
                run = paragraph.add_run(child.content)
                run.bold = bool(strong) or None
                run.italic = bool(emphasis) or None
                run.font.strike = bool(strike) or None
                if link:
                    run.underline = True
                    for open_link in link:
                        open_link[1] += child.content
                if kind == "code_inline":
                    run.font.name = MONOSPACE_FONT


def _columns(tokens: list[Token], table_open: int) -> int:
    """The number of cells in the first row of the table that opens at ``tokens[table_open]`` (markdown-it
    gives every row of a table that many cells)."""
    count = 0
    for token in tokens[table_open + 1:]:
        if token.type in ("th_open", "td_open"):
            count += 1
        elif token.type == "tr_close":
            break
    return max(count, 1)
