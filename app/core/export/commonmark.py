"""The Markdown export read back as CommonMark, so the document formats (TXT, DOCX, PDF) are made from
``render_markdown``'s text and show whatever it says, in its order, with no second layout to keep in step.

The parser is ``markdown-it-py`` (a CommonMark-compliant port of markdown-it, https://spec.commonmark.org/)
with GitHub's tables and strikethrough turned on, since language models write both. Raw HTML is off: an
answer that contains ``<b>`` shows those characters, as the model wrote them, rather than being obeyed.
A single line break inside a paragraph is kept as a line break (``breaks``): the export puts a speaker's
name and time on the line above the turn's text, and answers are written line by line.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

_PARSER = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(["table", "strikethrough"])


def parse(markdown: str) -> list[Token]:
    """The block tokens of ``markdown`` (markdown-it's flat token stream; ``inline`` tokens hold their
    inline tokens in ``children``)."""
    return _PARSER.parse(markdown)


def to_html(markdown: str | list[Token]) -> str:
    """``markdown`` (its text, or its tokens from ``parse``) as an HTML fragment (no ``<html>`` or ``<body>``),
    text escaped."""
    tokens = parse(markdown) if isinstance(markdown, str) else markdown
    return _PARSER.renderer.render(tokens, _PARSER.options, {})


def plain_inline(markdown: str) -> str:
    """The text of one line of inline Markdown without its markup (``inline_text``): "Bob tests the `build`"
    -> "Bob tests the build"."""
    tokens = _PARSER.parseInline(markdown)
    return "".join(inline_text(token) for token in tokens if token.type == "inline")


def heading_text(tokens: list[Token], index: int) -> str:
    """The plain text of the heading whose ``heading_open`` token is ``tokens[index]``."""
    return inline_text(tokens[index + 1])


def inline_text(token: Token) -> str:
    """The text of a markdown-it ``inline`` token without markup: emphasis and code marks dropped, line
    breaks as ``\\n``, images as their alt text, a link as its text followed by `` (address)`` when the
    address is not the text itself."""
    parts: list[str] = []
    links: list[tuple[str, int]] = []  # per open link: (address, where its text starts in parts)
    for child in token.children or []:
        kind = child.type
        if kind in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "image":
            parts.append(child.content)
        elif kind == "link_open":
            links.append((str(child.attrGet("href") or ""), len(parts)))
        elif kind == "link_close" and links:
            href, begin = links.pop()
            label = "".join(parts[begin:])
            if href and href not in (label, f"mailto:{label}"):
                parts.append(f" ({href})")
    return "".join(parts)


def last_section_line(tokens: list[Token], title: str, level: int = 2) -> int | None:
    """The source line (0-based) just after the last heading of ``level`` whose text is ``title``; None when
    there is none."""
    for index in range(len(tokens) - 1, -1, -1):
        token = tokens[index]
        if (token.type == "heading_open" and token.tag == f"h{level}" and token.map
                and heading_text(tokens, index).strip() == title):
            return token.map[1]
    return None
