"""The plain-text export (``.txt``): the Markdown export's content in its order, without markup.

Everything above the transcript is ``render_markdown``'s text read as CommonMark (``commonmark.parse``)
and written back as plain text, so what the Markdown gains later appears here too: headings are lines of
their own, underlined with ``=`` (the title) or ``-`` (a prompt's section), emphasis and code marks are
dropped, a bullet list item starts with ``•``, a numbered one with its number (``1.``), nested lists are
indented by two spaces per level, a table's cells are separated by tabs, a link keeps its text with the
address after it in brackets, an image is its alt text, code blocks are indented by four spaces.
Blocks are separated by a blank line, the items of a tight list by a line break.

The transcript section is written from the transcript itself, so it can leave out what the reader does
not want (``timestamps``, ``speakers``), in the Markdown's paragraphs (``transcript_paragraphs``, speaker
turns by ``speaker_turns``):

=============  ========  =========================================================
timestamps     speakers  a paragraph
=============  ========  =========================================================
yes (default)  yes       ``Alice [00:12]`` then its text on the next line (a turn's
                         first paragraph; the next ones are ``[00:40] text``)
no             yes       ``Alice: text`` (the next paragraphs of a turn: ``text``)
yes            no        ``[00:12] text``
no             no        ``text``
=============  ========  =========================================================

Without speakers in the transcript both speaker layouts are the same. A speaker change always starts a
new paragraph, named or not.
"""

from __future__ import annotations

from markdown_it.token import Token

from app.core.analysis import Analysis, Transcript
from app.core.export import commonmark
from app.core.export.markdown import format_timestamp, render_markdown, speaker_turns, transcript_paragraphs

TRANSCRIPT_HEADING = "Transcript"
"""The heading of the Markdown export's transcript section (its last ``##`` section)."""
NO_SPEECH = "(no speech found)"
"""The transcript section's text when no speech was found."""
BULLET = "•"
"""What starts a bullet list item."""
RULE = "─" * 40
"""A thematic break (``---`` in Markdown)."""
HEADING_RULES = {1: "=", 2: "-"}
"""The character that underlines a heading of each level (the plain-text convention); deeper ones have none."""


def render_text(analysis: Analysis, timestamps: bool = True, speakers: bool = True) -> str:
    """The plain-text export of ``analysis``: ``render_markdown``'s content without markup, its transcript
    with or without ``timestamps`` (``[mm:ss]``) and ``speakers`` (names) as the module docstring shows.
    Ends with one newline."""
    markdown = render_markdown(analysis)
    tokens = commonmark.parse(markdown)
    cut = commonmark.last_section_line(tokens, TRANSCRIPT_HEADING)
    if cut is None:  # no transcript section (a layout this module does not know): all of it, as written
        return markdown_to_text(markdown)
    head = "".join(markdown.splitlines(keepends=True)[:cut])
    body = "\n\n".join(transcript_text(analysis.transcript, timestamps, speakers)) or NO_SPEECH
    return markdown_to_text(head).rstrip("\n") + "\n\n" + body + "\n"


def transcript_text(transcript: Transcript, timestamps: bool = True, speakers: bool = True) -> list[str]:
    """The transcript's paragraphs as plain text, one string each (see the module docstring's table)."""
    blocks: list[str] = []
    for speaker, turn in speaker_turns(transcript.segments):
        named = speakers and speaker is not None and transcript.has_speakers
        name = " ".join(transcript.speaker_name(speaker).split()) if named else ""
        for number, (start, text) in enumerate(transcript_paragraphs(turn)):
            stamp = format_timestamp(start)
            if number == 0 and name:
                blocks.append(f"{name} {stamp}\n{text}" if timestamps else f"{name}: {text}")
            else:
                blocks.append(f"{stamp} {text}" if timestamps else text)
    return blocks


def markdown_to_text(markdown: str) -> str:
    """CommonMark ``markdown`` as plain text (the module docstring's rules); ends with one newline, or is
    empty for empty input."""
    return _TextWriter().write(commonmark.parse(markdown))


class _TextWriter:
    """Walks markdown-it's block tokens into plain-text blocks."""

    def __init__(self) -> None:
        self.blocks: list[str] = []  # each with the separator before it
        self.lists: list[dict] = []  # per open list: ordered, next number, tight, started
        self.item_prefix: str | None = None  # the marker of a list item whose first block is still to come
        self.row: list[str] | None = None  # the cells of the table row being read
        self.rows = 0  # rows of the table being read, so far
        self.heading = 0  # the level of the heading being read, 0 outside headings

    def write(self, tokens: list[Token]) -> str:
        for token in tokens:
            self._token(token)
        text = "".join(self.blocks).strip("\n")
        return text + "\n" if text else ""

    def _separator(self) -> str:
        if self.rows:
            return "\n"  # the rows of a table
        if not self.lists or not self.lists[-1]["tight"]:
            return "\n\n"
        current = self.lists[-1]
        nested_in_tight = len(self.lists) > 1 and self.lists[-2]["tight"]
        return "\n" if current["started"] or nested_in_tight else "\n\n"

    def _add(self, text: str) -> None:
        indent = "  " * len(self.lists)
        lines = text.split("\n")
        if self.item_prefix is not None:
            first, self.item_prefix = self.item_prefix + lines[0], None
        else:
            first = indent + lines[0]
        rest = [indent + line if line else line for line in lines[1:]]
        self.blocks.append(self._separator() + "\n".join([first, *rest]))
        if self.lists:
            self.lists[-1]["started"] = True

    def _token(self, token: Token) -> None:
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            self.lists.append({"ordered": kind == "ordered_list_open", "number": int(token.attrGet("start") or 1),
                               "tight": False, "started": False})
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
        elif kind == "list_item_open":
            current = self.lists[-1]
            marker = f"{current['number']}. " if current["ordered"] else f"{BULLET} "
            current["number"] += 1
            self.item_prefix = "  " * (len(self.lists) - 1) + marker
        elif kind == "paragraph_open" and self.lists:
            self.lists[-1]["tight"] = token.hidden  # markdown-it hides the paragraphs of a tight list's items
        elif kind == "inline" and self.row is not None:
            self.row.append(" ".join(commonmark.inline_text(token).split("\n")))
        elif kind == "inline" and self.heading:
            text = " ".join(commonmark.inline_text(token).split())
            self._add(text + ("\n" + HEADING_RULES[self.heading] * len(text) if self.heading in HEADING_RULES else ""))
        elif kind == "inline":
            self._add(commonmark.inline_text(token))
        elif kind == "heading_open":
            self.heading = int(token.tag[1:])
        elif kind == "heading_close":
            self.heading = 0
        elif kind == "tr_open":
            self.row = []
        elif kind == "tr_close":
            self._add("\t".join(self.row or []))
            self.row, self.rows = None, self.rows + 1
        elif kind == "table_close":
            self.rows = 0
        elif kind in ("fence", "code_block"):
            self._add("\n".join("    " + line for line in token.content.rstrip("\n").split("\n")))
        elif kind == "hr":
            self._add(RULE)

