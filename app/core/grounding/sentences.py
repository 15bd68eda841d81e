"""Split a response (Markdown, as language models write it) into sentences and list items, keeping each
one's character offsets into the response so a view can mark it without altering the text.

Not sentences: empty lines, headings (``# ...``), rules (``---``), code fences, table rows, and labels (a
short line ending with a colon, or one wholly in bold: ``**Decisions:**``). A list item is split into
sentences like a paragraph; its marker (``-``, ``*``, ``1.``) and a blockquote's ``>`` are left out of the
span. A ``[mm:ss]`` citation the model put right after a sentence's end belongs to that sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE_MARKER = re.compile(r"^[ \t]*(?:>[ \t]*)*(?:(?:[-*+]|\d{1,3}[.)])[ \t]+)?")
_SKIP_LINE = re.compile(r"^[ \t]*(?:#{1,6}(?:[ \t]|$)|```|~~~|\|.*\||(?:[-*_][ \t]*){3,}$)")
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "e.g", "i.e", "no", "approx", "jr", "sr"}
_BOUNDARY = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s)")
_TIME = r"\d{1,2}(?::\d{2}){1,2}"
_LEADING_CITATIONS = re.compile(rf"^(?:\s*[\[(]{_TIME}(?:\s*[-–]\s*{_TIME})?[\])])+[.,;]?")


@dataclass(frozen=True)
class Sentence:
    """One sentence or list item of a response: ``text`` is ``response[start:end]`` (character offsets)."""

    text: str
    start: int
    end: int


def _is_label(body: str) -> bool:
    """True for a line that heads what follows instead of saying something (``Key points:``, ``**Risks**``)."""
    stripped = body.strip()
    if re.fullmatch(r"(\*\*|__).+?\1:?", stripped):
        return True
    return stripped.endswith(":") and len(stripped.split()) <= 5


def _split_body(body: str, offset: int) -> list[Sentence]:
    """The sentences of one line's text ``body`` (which starts at ``offset`` in the response)."""
    sentences: list[Sentence] = []
    begin = 0
    for boundary in _BOUNDARY.finditer(body):
        before = body[begin:boundary.start()].rsplit(None, 1)
        last_word = before[-1].lower().strip("(\"“") if before else ""
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue  # "Dr. Okonkwo", "J. Smith"
        so_far = body[:boundary.end()]
        if so_far.count('"') % 2 or so_far.count("“") > so_far.count("”"):
            continue  # inside a quotation: the quoted sentences are part of this one
        if boundary.end() < len(body) and body[boundary.end():].lstrip()[:1].islower():
            continue  # "e.g. this" or a decimal-looking break: the sentence goes on
        sentences.append(Sentence(body[begin:boundary.end()], offset + begin, offset + boundary.end()))
        begin = boundary.end()
    if body[begin:].strip():
        sentences.append(Sentence(body[begin:], offset + begin, offset + len(body)))
    merged: list[Sentence] = []
    for sentence in sentences:
        lead = _LEADING_CITATIONS.match(sentence.text)
        if merged and lead:  # "... on Friday. [00:12] Maria ..." : the citation closes the sentence before
            previous = merged[-1]
            cut = sentence.start + lead.end()
            merged[-1] = Sentence(previous.text + sentence.text[:lead.end()], previous.start, cut)
            rest = sentence.text[lead.end():]
            if not rest.strip():
                continue
            sentence = Sentence(rest, cut, sentence.end)
        merged.append(sentence)
    return [_trimmed(s) for s in merged if s.text.strip()]


def _trimmed(sentence: Sentence) -> Sentence:
    """``sentence`` without the white space around it (offsets moved to match)."""
    left = len(sentence.text) - len(sentence.text.lstrip())
    right = len(sentence.text.rstrip())
    return Sentence(sentence.text[left:right], sentence.start + left, sentence.start + right)


def split_sentences(response: str) -> list[Sentence]:
    """The sentences and list items of ``response`` in order, each with its character offsets (``start`` and
    ``end``, so ``response[start:end] == text``); headings, empty lines, rules, code fences, table rows and
    labels are left out (see the module). A line that goes on a paragraph or a list item (no marker of its
    own) joins it, so a sentence wrapped over two lines stays one (its text then holds the line break)."""
    bodies: list[tuple[int, int]] = []  # (start, end) offsets of each paragraph or list item's text
    position = 0
    fenced = False
    for line in response.splitlines(keepends=True):
        line_start, position = position, position + len(line)
        content = line.rstrip("\r\n")
        if re.match(r"^[ \t]*(```|~~~)", content):
            fenced = not fenced
            bodies.append((-1, -1))
            continue
        if fenced or not content.strip() or _SKIP_LINE.match(content):
            bodies.append((-1, -1))  # a break: the next line starts a new paragraph
            continue
        marker = _LINE_MARKER.match(content).end()
        body = content[marker:]
        if not body.strip() or _is_label(body):
            bodies.append((-1, -1))
            continue
        own_marker = bool(content[:marker].strip())
        if bodies and bodies[-1][0] >= 0 and not own_marker:
            bodies[-1] = (bodies[-1][0], line_start + len(content))  # the paragraph goes on
        else:
            bodies.append((line_start + marker, line_start + len(content)))
    sentences: list[Sentence] = []
    for start, end in bodies:
        if start >= 0:
            sentences += _split_body(response[start:end], start)
    return sentences
