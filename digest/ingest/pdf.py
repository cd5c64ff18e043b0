"""The text of a PDF report, its headings kept, as the markdown the report cutter reads.

Takes a PDF file's bytes; gives markdown: the largest type becomes the title (`#`), the
other type larger than the body's becomes section headings (`##`), lines led by a bullet
sign become `- ` items, bold runs stay `**bold**` (a bullet's bold lead is its story's
title, as in seed 001), and the body's lines are joined into paragraphs. Text is read with
pypdf (maintained, pure Python), whose visitor gives each run of text with its font and
size. A PDF that holds no text (a scan: pages of images) is a DocumentError, not an
empty success. No I/O.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from digest.errors import DocumentError

if TYPE_CHECKING:
    from pypdf import PdfReader

log = logging.getLogger(__name__)
logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns of every odd object it mends

MAX_PAGES = 500  # a report, not a book: past it the rest is left out (and logged)
_BULLET = re.compile(r"^\s*[•●▪◦‣∙·\-–—*]\s+")
# The sign of a bullet, inside its bold lead or not: « **• Titre** », « • **Titre** ».
_BOLD_BULLET = re.compile(r"^(\*\*)?\s*[•●▪◦‣∙·\-–—*]\s+")
_HEADING_RATIO = 1.15  # type this much larger than the body's is a heading
_MIN_TEXT_CHARS = 20  # below this over the whole file, there is no text layer


@dataclass
class _Line:
    parts: list[str] = field(default_factory=list)
    size: float = 0.0
    chars: int = 0

    def add(self, text: str, size: float, bold: bool) -> None:
        if not text.strip():
            self.parts.append(text)
            return
        core = text.strip()
        self.parts.append(text.replace(core, f"**{core}**") if bold else text)
        self.size = max(self.size, size)
        self.chars += len(core)

    @property
    def text(self) -> str:
        return re.sub(r"\*\*(\s*)\*\*", r"\1", "".join(self.parts)).strip()


def pdf_markdown(data: bytes, name: str) -> str:
    """The report's markdown; DocumentError (naming `name`) when it is no readable PDF or
    holds no text."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{name} is encrypted", hint="save an unprotected copy")
        lines = _lines(reader, name)
    except DocumentError:
        raise
    # A hostile or broken file makes pypdf fail in many ways (PdfReadError, but also
    # KeyError, IndexError, struct and zlib errors, deep recursion on cyclic objects):
    # whatever the parser raises on these bytes is the file's fault, not a bug of ours.
    except Exception as exc:
        raise DocumentError(
            f"{name} is not a readable PDF: {type(exc).__name__}: {exc}"[:300],
            hint="export the report again as PDF",
        ) from exc
    if sum(line.chars for line in lines) < _MIN_TEXT_CHARS:
        raise DocumentError(
            f"{name} has no text layer (a scanned PDF: its pages are images)",
            hint="run it through OCR (e.g. ocrmypdf) or export the original as PDF",
        )
    return _markdown(lines)


def _lines(reader: PdfReader, name: str) -> list[_Line]:
    lines: list[_Line] = [_Line()]

    # pypdf types the font as Any: a font dictionary, or None for text with no font.
    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        scale = abs(tm[0] * cm[0]) or abs(tm[3] * cm[3]) or 1.0
        base = str((font or {}).get("/BaseFont", "")) if hasattr(font, "get") else ""
        pieces = text.split("\n")
        for i, piece in enumerate(pieces):
            if i:
                lines.append(_Line())
            if piece:
                lines[-1].add(piece, round(size * scale, 1), "bold" in base.lower())

    pages = reader.pages
    if len(pages) > MAX_PAGES:
        log.warning("%s: only its first %d pages of %d are read", name, MAX_PAGES, len(pages))
    for page in list(pages)[:MAX_PAGES]:
        page.extract_text(visitor_text=visit)
        lines.append(_Line())
    return [line for line in lines if line.text]


def _markdown(lines: list[_Line]) -> str:
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[line.size] += line.chars
    body = sizes.most_common(1)[0][0]
    larger = sorted({line.size for line in lines if line.size > body * _HEADING_RATIO})
    title_size = larger[-1] if larger else None
    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append(" ".join(paragraph))
            paragraph.clear()

    for line in lines:
        text = line.text
        if line.size in larger:
            flush()
            level = "#" if line.size == title_size and not _has_title(out) else "##"
            out.append(f"{level} {text.replace('**', '')}")
        elif _BULLET.match(text.replace("**", "")):
            flush()
            paragraph.append("- " + _BOLD_BULLET.sub(r"\1", text, count=1))
        else:
            paragraph.append(text)
    flush()
    return "\n\n".join(out)


def _has_title(out: list[str]) -> bool:
    return any(block.startswith("# ") for block in out)
