"""PDF reports: text and headings read, cut like a report; a scan is an error (issue 15, 4)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from digest.errors import DocumentError
from digest.ingest.documents import ingest_documents, stories_from_document
from digest.models import ItemDraft, ItemKind, Outcome
from digest.store import Store

from .conftest import DOCUMENTS, SEED_NOW
from .needs import missing_tool

FONTS = Path("/usr/share/fonts/truetype/dejavu")


def report_stories() -> list[ItemDraft]:
    """Seed 001 (a monthly report: title, sections, bulleted stories) as the .txt gives it."""
    return [
        d
        for d in stories_from_document(next(DOCUMENTS.glob("001_*.txt")).read_bytes())
        if d.kind is ItemKind.STORY
    ]


def pdf_report(title: str, stories: list[ItemDraft], figure: Any = None) -> bytes:
    """The report as a word processor exports it: a large title, section headings in bold
    at a larger size, bullets with a bold lead, body text wrapped over several lines; and
    a page with `figure` (an image), if given."""
    from fpdf import FPDF

    if not (FONTS / "DejaVuSans.ttf").exists():
        missing_tool(f"{FONTS}/DejaVuSans.ttf (Debian's fonts-dejavu-core) is missing")
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 20)
    pdf.multi_cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    section = None
    for story in stories:
        if story.section != section:
            section = story.section
            pdf.ln(4)
            pdf.set_font("DejaVu", "B", 14)
            pdf.multi_cell(0, 8, section or "", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)
        line = f"• **{story.title}** : {story.text}"
        pdf.multi_cell(0, 5, line, markdown=True, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    if figure is not None:
        pdf.add_page()
        pdf.image(figure, x=10, y=10, w=180)
    return bytes(pdf.output())


def test_a_pdf_report_gives_its_sections_and_stories() -> None:
    expected = report_stories()
    assert len(expected) >= 10
    title = "Veille IA – Mars 2025 : Nouvelles avancées et tendances majeures"
    got = stories_from_document(pdf_report(title, expected), ".pdf")
    # A PDF keeps no no-break space apart from a space: the words are what must match.
    assert [(d.section, words(d.title)) for d in got] == [
        (e.section, words(e.title)) for e in expected
    ]
    for story, original in zip(got, expected, strict=True):
        assert words(story.text) == words(original.text)
    assert not any("**" in d.text or d.text.startswith(("•", "-")) for d in got)


def words(text: str) -> list[str]:
    return text.split()


def test_a_pdf_in_the_documents_folder_is_ingested(tmp_path: Path, store: Store) -> None:
    from digest.ingest.documents import document_files
    from digest.settings import DocumentSource

    expected = report_stories()[:4]
    path = tmp_path / "veille.pdf"
    path.write_bytes(pdf_report("Veille IA – Mars 2025 : tendances", expected))
    files = document_files([DocumentSource(path=tmp_path)])
    assert files == [path]
    (report,) = ingest_documents(store, files, SEED_NOW)
    assert report.outcome is Outcome.NEW and report.new_items == 4
    # The report's title (its largest type) names the publication readers see.
    assert {item.source_title for item in store.list_items("veille.pdf")} == {
        "Veille IA – Mars 2025"
    }
    (again,) = ingest_documents(store, files, SEED_NOW)
    assert again.outcome is Outcome.UNCHANGED


def scanned_pdf() -> bytes:
    """A scan: one page holding only an image of text, no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("L", (600, 300), 255)
    ImageDraw.Draw(image).text((20, 20), "Rapport annuel : un texte scanne", fill=0)
    pdf = FPDF()
    pdf.add_page()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pdf.image(buffer, x=10, y=10, w=180)
    return bytes(pdf.output())


def test_a_scanned_pdf_is_a_per_source_error(tmp_path: Path, store: Store) -> None:
    with pytest.raises(DocumentError, match="no text layer"):
        stories_from_document(scanned_pdf(), ".pdf", name="scan.pdf")
    (tmp_path / "scan.pdf").write_bytes(scanned_pdf())
    (tmp_path / "ok.txt").write_bytes(next(DOCUMENTS.glob("004_*.txt")).read_bytes())
    reports = ingest_documents(store, sorted(tmp_path.iterdir()), SEED_NOW)
    outcomes = {r.name: r for r in reports}
    assert outcomes["scan.pdf"].outcome is Outcome.FAILED
    assert "no text layer" in (outcomes["scan.pdf"].message or "")
    assert outcomes["ok.txt"].outcome is Outcome.NEW


@pytest.mark.parametrize(
    "data", [b"%PDF-1.4\n", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n%%EOF", b"not a pdf"]
)
def test_a_broken_pdf_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(DocumentError, match=r"bad\.pdf"):
        stories_from_document(data, ".pdf", name="bad.pdf")


def test_a_truncated_or_mangled_pdf_is_an_error_not_a_bug() -> None:
    whole = pdf_report("Veille IA", report_stories()[:3])
    for broken in (whole[: len(whole) // 2], whole.replace(b"/Type", b"/Tpye"), whole[:-200]):
        try:
            stories = stories_from_document(broken, ".pdf", name="bad.pdf")
        except DocumentError as exc:
            assert "bad.pdf" in str(exc)
        else:  # pypdf may mend what is left: then what it read are real stories
            assert all(s.title and s.text for s in stories)


def test_a_pdf_report_with_its_figures_may_exceed_the_text_cap(
    tmp_path: Path, store: Store
) -> None:
    """A report's figures weigh more than its text: a PDF over the 5 MB of text is read."""
    import os

    from PIL import Image

    from digest.ingest.guard import MAX_DOCUMENT_BYTES

    figure = Image.frombytes("RGB", (1600, 1400), os.urandom(1600 * 1400 * 3))
    path = tmp_path / "rapport.pdf"
    path.write_bytes(pdf_report("Veille IA", report_stories()[:3], figure))
    assert path.stat().st_size > MAX_DOCUMENT_BYTES
    (result,) = ingest_documents(store, [path], SEED_NOW)
    assert result.outcome is Outcome.NEW and result.new_items == 3
