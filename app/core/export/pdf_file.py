"""The PDF export (``.pdf``, written by ``fpdf2``, Qt-free): the Markdown export as a printable document.

Made from ``render_markdown``'s text: read as CommonMark and rendered to HTML by ``commonmark.to_html``, then
laid out by fpdf2's ``write_html`` (headings, paragraphs, bullet and numbered lists, quoted blocks, bold,
italic, code, tables, links; an image is its alt text, as in the other documents, never a file opened), so the
PDF has the Markdown's content in its order, and whatever the Markdown gains later. A4 pages, 20 mm side
margins, page numbers at the foot ("2 / 5"); the PDF's title is the file name, its creation date the
analysis's date.

Fonts. fpdf2 embeds TrueType fonts (only the glyphs used), and PDF's own base fonts cover Latin-1 only, so
speaker names, accents and other scripts need a font file on this machine. ``find_fonts`` looks for one family
with bold and italic in ``BODY_FONTS`` (DejaVu Sans, Liberation Sans, Noto Sans on Linux; Arial on macOS and
Windows), a monospaced one for code in ``MONOSPACE_FONTS``, and fonts for the scripts those lack (Chinese,
Japanese, Korean) in ``FALLBACK_FONTS``; a style whose file is missing uses the regular file, a code or
fallback font that cannot be read is left out, and a text font that cannot be read is an ExportError naming
its file. A character no font found has is drawn as an empty box (fpdf2 logs which), the rest of the document
is unharmed. With no Unicode font at all the PDF uses Helvetica: typographic punctuation is written as its
ASCII look-alike (``TYPOGRAPHIC_ASCII``), and a text with other characters outside Latin-1 is refused with an
ExportError saying which font to install.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.errors import FPDFException
from fpdf.fonts import FontFace, TextStyle
from markdown_it.token import Token

from app.core.analysis import Analysis
from app.core.errors import ExportError
from app.core.export import commonmark
from app.core.export.markdown import render_markdown

_WINDOWS_FONTS = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
_MAC_FONTS = Path("/System/Library/Fonts/Supplemental")
_LINUX_FONTS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/TTF"), Path("/usr/share/fonts"),
                Path("/usr/local/share/fonts"), Path.home() / ".local/share/fonts")


def _linux(*names: str) -> list[Path]:
    """``names`` (relative paths) under each usual Linux font folder (Debian, Fedora, Arch layouts)."""
    return [folder / name for name in names for folder in _LINUX_FONTS]


BODY_FONTS: tuple[dict[str, list[Path]], ...] = (
    {"": _linux("dejavu/DejaVuSans.ttf", "dejavu-sans-fonts/DejaVuSans.ttf", "DejaVuSans.ttf"),
     "B": _linux("dejavu/DejaVuSans-Bold.ttf", "dejavu-sans-fonts/DejaVuSans-Bold.ttf", "DejaVuSans-Bold.ttf"),
     "I": _linux("dejavu/DejaVuSans-Oblique.ttf", "dejavu-sans-fonts/DejaVuSans-Oblique.ttf",
                 "DejaVuSans-Oblique.ttf"),
     "BI": _linux("dejavu/DejaVuSans-BoldOblique.ttf", "dejavu-sans-fonts/DejaVuSans-BoldOblique.ttf",
                  "DejaVuSans-BoldOblique.ttf")},
    {"": _linux("liberation/LiberationSans-Regular.ttf", "liberation-sans/LiberationSans-Regular.ttf"),
     "B": _linux("liberation/LiberationSans-Bold.ttf", "liberation-sans/LiberationSans-Bold.ttf"),
     "I": _linux("liberation/LiberationSans-Italic.ttf", "liberation-sans/LiberationSans-Italic.ttf"),
     "BI": _linux("liberation/LiberationSans-BoldItalic.ttf", "liberation-sans/LiberationSans-BoldItalic.ttf")},
    {"": _linux("noto/NotoSans-Regular.ttf"), "B": _linux("noto/NotoSans-Bold.ttf"),
     "I": _linux("noto/NotoSans-Italic.ttf"), "BI": _linux("noto/NotoSans-BoldItalic.ttf")},
    {"": [_MAC_FONTS / "Arial.ttf", Path("/Library/Fonts/Arial.ttf"), _WINDOWS_FONTS / "arial.ttf"],
     "B": [_MAC_FONTS / "Arial Bold.ttf", Path("/Library/Fonts/Arial Bold.ttf"), _WINDOWS_FONTS / "arialbd.ttf"],
     "I": [_MAC_FONTS / "Arial Italic.ttf", Path("/Library/Fonts/Arial Italic.ttf"), _WINDOWS_FONTS / "ariali.ttf"],
     "BI": [_MAC_FONTS / "Arial Bold Italic.ttf", Path("/Library/Fonts/Arial Bold Italic.ttf"),
            _WINDOWS_FONTS / "arialbi.ttf"]},
)
"""Font families for the text, in order of preference: for each style ("" regular, "B", "I", "BI") the
files to try. The first family whose regular file exists is used."""
MONOSPACE_FONTS: tuple[Path, ...] = (
    *_linux("dejavu/DejaVuSansMono.ttf", "dejavu-sans-mono-fonts/DejaVuSansMono.ttf", "DejaVuSansMono.ttf",
            "liberation/LiberationMono-Regular.ttf", "noto/NotoSansMono-Regular.ttf"),
    _MAC_FONTS / "Courier New.ttf", _WINDOWS_FONTS / "consola.ttf", _WINDOWS_FONTS / "cour.ttf",
)
"""Monospaced fonts for code, in order of preference; without one, code is set in the text font."""
FALLBACK_FONTS: tuple[Path, ...] = (
    *_linux("droid/DroidSansFallbackFull.ttf", "wqy/wqy-microhei.ttc", "wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    _MAC_FONTS / "Arial Unicode.ttf", Path("/Library/Fonts/Arial Unicode.ttf"),
    _WINDOWS_FONTS / "msyh.ttc", _WINDOWS_FONTS / "malgun.ttf", _WINDOWS_FONTS / "msgothic.ttc",
)
"""Fonts for characters the text font lacks (Chinese, Japanese, Korean), all that exist are used, in order."""
TYPOGRAPHIC_ASCII = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                     "\u2026": "...", "\u2022": "*", "\u2212": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " "}
"""Punctuation written as ASCII when no Unicode font was found (PDF's base fonts cover Latin-1 only)."""

BODY_SIZE = 10.5
"""Text size, in points."""
_BODY, _MONO = "hearsay-body", "hearsay-mono"
LINE_HEIGHT = 1.35
"""Line spacing of paragraphs and list items, in multiples of the font size."""
_TAG_STYLES = {  # margins in mm; a heading's bottom margin in multiples of its size
    "h1": TextStyle(font_size_pt=20, font_style="B", color="#1a1a1a", t_margin=0, b_margin=0.5),
    "h2": TextStyle(font_size_pt=15, font_style="B", color="#1a1a1a", t_margin=6, b_margin=0.35),
    "h3": TextStyle(font_size_pt=12.5, font_style="B", color="#1a1a1a", t_margin=4, b_margin=0.3),
    "h4": TextStyle(font_size_pt=11.5, font_style="B", color="#1a1a1a", t_margin=3, b_margin=0.3),
    "blockquote": TextStyle(color="#555555", t_margin=1, l_margin=6, b_margin=1),
    "a": FontFace(color="#1a4f9c"),
}


@dataclass
class PdfFonts:
    """The font files a PDF is set in: ``body`` by style ("", "B", "I", "BI"; empty when no Unicode font
    was found), ``monospace`` for code (None: code in the body font) and ``fallbacks`` for other scripts."""

    body: dict[str, Path] = field(default_factory=dict)
    monospace: Path | None = None
    fallbacks: list[Path] = field(default_factory=list)


def find_fonts() -> PdfFonts:
    """The fonts this machine has for PDFs, chosen from ``BODY_FONTS``, ``MONOSPACE_FONTS`` and
    ``FALLBACK_FONTS`` (see the module docstring). Reads only file names."""
    fonts = PdfFonts()
    for family in BODY_FONTS:
        regular = _first_file(family[""])
        if regular is not None:
            fonts.body = {style: _first_file(paths) or regular for style, paths in family.items()}
            break
    fonts.monospace = _first_file(MONOSPACE_FONTS)
    fonts.fallbacks = [path for path in FALLBACK_FONTS if path.is_file()]
    return fonts


def _first_file(paths) -> Path | None:
    return next((Path(p) for p in paths if Path(p).is_file()), None)


def render_pdf(analysis: Analysis, fonts: PdfFonts | None = None) -> bytes:
    """The PDF export of ``analysis`` (the bytes of a ``.pdf`` file): ``render_markdown(analysis)`` laid out
    as the module docstring says, in ``fonts`` (default: ``find_fonts()``).

    Raises ExportError ("cannot make the PDF: <cause>"; the caller names the file) when no Unicode font was
    found and the text has characters outside Latin-1, or when fpdf2 cannot lay it out (the cause in its
    words)."""
    try:
        return markdown_to_pdf(render_markdown(analysis), fonts, created=analysis.created_at)
    except ExportError as exc:
        raise ExportError(f"cannot make the PDF: {exc.message}") from None


class _Pages(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(size=8)
        self.set_text_color(120)
        self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="C")


def markdown_to_pdf(markdown: str, fonts: PdfFonts | None = None, created: datetime | None = None) -> bytes:
    """CommonMark ``markdown`` as the bytes of a ``.pdf`` file (the module docstring's layout), its title the
    first heading's text, its creation date ``created`` when given. Raises ExportError (see ``render_pdf``)."""
    fonts = find_fonts() if fonts is None else fonts
    tokens = commonmark.parse(markdown)
    title = next((" ".join(commonmark.heading_text(tokens, i).split())
                  for i, t in enumerate(tokens) if t.type == "heading_open"), "")
    for token in tokens:
        if token.type in ("paragraph_open", "bullet_list_open", "ordered_list_open"):
            token.attrSet("style", f"line-height: {LINE_HEIGHT}")
        for number, child in enumerate(token.children or []):
            if child.type == "image":  # its alt text: fpdf2 would open the address as a local file
                token.children[number] = Token("text", "", 0, content=child.content)
    html = commonmark.to_html(tokens)
    pdf = _Pages(format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_creator("Hearsay")
    pdf.set_title(title)
    if created is not None:
        pdf.set_creation_date(created)
    styles = dict(_TAG_STYLES)
    if fonts.body:
        for style, path in fonts.body.items():
            if not _add_font(pdf, _BODY, style, path):
                raise ExportError(f"the font {path} cannot be read")
        family = _BODY
        # Fonts are parsed when added (a CJK font: about 0.3 s), so only those the text needs are added.
        # Bold or italic code is set upright and regular; a font that cannot be read is left out.
        monospaced = fonts.monospace is not None and "<code" in html and all(
            _add_font(pdf, _MONO, style, fonts.monospace) for style in ("", "B", "I", "BI"))
        mono = _MONO if monospaced else _BODY
        covered = pdf.fonts[_BODY].cmap
        if any(ord(c) not in covered for c in set(html) if not c.isspace()):
            fallbacks = [f"hearsay-fallback-{n}" for n, path in enumerate(fonts.fallbacks)  # any style (exact_match)
                         if _add_font(pdf, f"hearsay-fallback-{n}", "", path)]
            if fallbacks:
                pdf.set_fallback_fonts(fallbacks, exact_match=False)
    else:
        family, mono = "helvetica", "courier"
        html = _latin1(html)
    styles["code"] = FontFace(family=mono)
    styles["pre"] = TextStyle(font_family=mono, font_size_pt=BODY_SIZE - 1, t_margin=2, b_margin=2)
    pdf.add_page()
    pdf.set_font(family, size=BODY_SIZE)
    try:
        pdf.write_html(html, font_family=family, tag_styles=styles, li_prefix_color="#555555")
        return bytes(pdf.output())
    except FPDFException as exc:
        raise ExportError(str(exc).split(". ")[0]) from None


def _add_font(pdf: FPDF, family: str, style: str, path: Path) -> bool:
    """Register the font file ``path`` as ``family`` ``style``; False when it cannot be read or parsed (it
    was there when looked for; a damaged or unreadable file is left out, not a crash)."""
    try:
        pdf.add_font(family, style, str(path))
    except Exception:  # OSError, or fontTools' errors for a damaged file (several types)
        return False
    return True


def _latin1(text: str) -> str:
    """``text`` with typographic punctuation as ASCII; raises ExportError when characters outside Latin-1
    remain."""
    text = text.translate(str.maketrans(TYPOGRAPHIC_ASCII))
    beyond = list(dict.fromkeys(c for c in text if ord(c) > 0xFF))  # in order of appearance
    if beyond:
        shown = "".join(beyond[:5])
        install = ("install DejaVu Sans (Debian and Ubuntu: fonts-dejavu-core)" if sys.platform.startswith("linux")
                   else "install a Unicode font such as DejaVu Sans")
        raise ExportError(f"no Unicode font was found on this machine for characters such as {shown!r}; "
                          f"{install}, or export Word (DOCX) or text instead")
    return text

