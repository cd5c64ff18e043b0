"""Newsletters by email (issue 15, item 2): an .eml or .mbox gives its stories, cut like
seed 003, credited to the sender and dated by the message, without the mail's chrome."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from digest.app.render import render_for_sample_reader
from digest.config import load_settings
from digest.errors import DocumentError
from digest.ingest.documents import document_files, ingest_documents, read_document
from digest.ingest.mail_text import Removed, mail_html_to_text
from digest.ingest.newsletter_mail import read_newsletter
from digest.models import Outcome
from digest.settings import DocumentSource
from digest.store import Store
from digest.typography import french

from .conftest import REPO, SeedIssue
from .mails import CHROME_PHRASES, SEED_003, SENT_AT, newsletter_eml, seed_html

SHARED_EMAIL = Path(__file__).resolve().parent / "data" / "emails" / "en-vitamart-promo.eml"


def _all_text(drafts: list) -> str:  # type: ignore[type-arg]
    return "\n".join(f"{d.title}\n{d.text}\n{d.enjeux or ''}" for d in drafts)


def test_html_newsletter_gives_the_seeds_stories_without_its_chrome() -> None:
    seed = read_document(SEED_003.read_bytes(), ".txt")
    mail = read_document(newsletter_eml(), ".eml", name="lettre.eml")
    assert [d.title for d in mail.drafts] == [d.title for d in seed.drafts]
    assert [d.text for d in mail.drafts] == [d.text for d in seed.drafts]
    text = _all_text(mail.drafts)
    for phrase in CHROME_PHRASES:
        assert phrase not in text, phrase
    assert mail.title == "Le monde de demAIn"  # the sender names the source
    assert {d.origin for d in mail.drafts} == {"Le monde de demAIn"}
    assert {d.published_at for d in mail.drafts} == {SENT_AT}


def test_each_kind_of_chrome_is_counted_as_removed() -> None:
    removed = Removed()
    mail_html_to_text(seed_html(SEED_003.read_text(encoding="utf-8")), removed)
    assert removed.counts["hidden"] == 1  # the preheader
    assert removed.counts["pixel"] == 1
    assert removed.counts["social"] == 2
    assert removed.counts["ad"] == 1
    assert removed.counts["boilerplate"] >= 4  # browser link, footer lines, « Suivez-nous »


def test_a_story_that_mentions_unsubscribing_is_kept() -> None:
    paragraph = (
        "Après la hausse des prix, des milliers d’abonnés ont choisi de se désabonner de "
        "ChatGPT Plus en une semaine, selon les chiffres publiés lundi par Appfigures, qui "
        "suit les revenus des applications mobiles depuis plusieurs années déjà."
    )
    html = f"<html><body><h2>La grande désaffection</h2><p>{paragraph}</p></body></html>"
    assert paragraph in mail_html_to_text(html)


def test_text_only_newsletter_is_read_from_its_text_part() -> None:
    text = SEED_003.read_text(encoding="utf-8") + (
        "\n\nVous recevez cet e-mail car vous êtes abonné.\n"
        "Se désabonner : https://demain.example/u/abc\n"
    )
    mail = read_newsletter(newsletter_eml(text=text), None, "texte.eml")
    assert len(mail.drafts) == 9
    assert "désabonner" not in _all_text(mail.drafts)


def test_real_promotional_mail_loses_its_footer() -> None:
    mail = read_newsletter(SHARED_EMAIL.read_bytes(), None, "vitamart.eml")
    text = _all_text(mail.drafts)
    assert mail.sender == "Vitamart.ca"
    assert "How to Pick a Great Multivitamin" in text
    for chrome in ("Having trouble viewing", "don't want to receive", "PO Box 4950", "Share:"):
        assert chrome not in text, chrome
    assert mail.removed["pixel"] >= 1


def test_mbox_gives_every_message_stories_with_distinct_keys() -> None:
    one = newsletter_eml()
    two = newsletter_eml(subject="Deuxième lettre", sent_at=datetime(2025, 9, 1, 7, 0))
    mbox = b"From lettre@demain.example Mon Aug 25 07:00:00 2025\n" + one + b"\n"
    mbox += b"From lettre@demain.example Mon Sep  1 07:00:00 2025\n" + two + b"\n"
    document = read_document(mbox, ".mbox", name="lettres.mbox")
    assert len(document.drafts) == 18
    assert len({d.key for d in document.drafts}) == 18


# Parts nested 3000 deep: the email package recurses once per level.
NESTED = b"From: a@b\r\n" + b"".join(
    b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(3000)
)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe\x00garbage\x00" * 100,
        b'From: x@y\nContent-Type: multipart/mixed; boundary="zz"\n\n--zz\nContent-Type: '
        b"image/png\nContent-Transfer-Encoding: base64\n\n!!!notbase64\n--zz--\n",
        b"From: =?utf-8?q?broken\nDate: not a date\nContent-Type: text/html; charset=klingon\n\n"
        b"<p>" + "Une phrase d’article assez longue pour compter. ".encode() * 5 + b"</p>",
        NESTED,
    ],
    ids=["empty", "binary", "no-text-part", "broken-headers", "nested-3000-deep"],
)
def test_malformed_mail_is_a_document_error_or_text(raw: bytes) -> None:
    try:
        mail = read_newsletter(raw, None, "bad.eml")
    except DocumentError as exc:
        assert "bad.eml" in str(exc)
    else:
        assert mail.sent_at is None and mail.drafts  # the last one still gives its text


def test_eml_in_documents_folder_is_ingested_once(
    store: Store, tmp_path: Path, now: datetime
) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "lettre.eml").write_bytes(newsletter_eml())
    (folder / "cassee.eml").write_bytes(b"\x00\x01" * 50)
    shutil.copy(SEED_003, folder / "seed.txt")
    files = document_files([DocumentSource(path=folder)])
    assert [p.name for p in files] == ["cassee.eml", "lettre.eml", "seed.txt"]
    reports = {r.name: r for r in ingest_documents(store, files, now)}
    assert reports["cassee.eml"].outcome is Outcome.FAILED  # the others go on
    assert reports["lettre.eml"].outcome is Outcome.NEW and reports["lettre.eml"].new_items == 9
    again = {r.name: r for r in ingest_documents(store, files, now)}
    assert again["lettre.eml"].outcome is Outcome.UNCHANGED
    titles = {i.source_title for i in store.list_items() if i.source_name == "lettre.eml"}
    assert titles == {"Le monde de demAIn"}


def test_our_own_issue_mailed_to_a_curator_reads_back_as_its_entries(
    seed_issue: SeedIssue, tmp_path: Path
) -> None:
    """The seed issue through the project's own renderer, as a subscriber receives it,
    is a newsletter like any other: its entries come back as stories, its footer does not."""
    settings = load_settings(REPO / "feeds.yaml", env={})
    store = seed_issue.copy(tmp_path)
    try:
        reading = render_for_sample_reader(store, settings, seed_issue.issue.number)
    finally:
        store.close()
    assert reading is not None
    raw = newsletter_eml(
        html=reading.html, text=reading.text, sender="Le Fil IA <lettre@fil-ia.example>"
    )
    mail = read_newsletter(raw, None, "fil-ia.eml")
    titles = {_spaced(d.title) for d in mail.drafts}
    themed = [
        _spaced(french(e.title))
        for s in reading.issue.sections
        if s.theme_id != "en-bref"
        for e in s.entries
    ]
    missing = [t for t in themed if t not in titles]
    assert len(missing) <= 0.1 * len(themed), (missing, sorted(titles))
    text = _all_text(mail.drafts)
    for chrome in ("Se désabonner", "Lire ce numéro en ligne", "Vous recevez Le Fil IA"):
        assert chrome not in text, chrome
    # A story keeps the source our issue credits (« Sources : Le monde de demAIn »);
    # one with no credit is the sender's.
    origins = {d.origin for d in mail.drafts}
    assert "Le monde de demAIn" in origins and None not in origins


def test_layout_tricks_that_hide_nothing_keep_their_content() -> None:
    """font-size:0 on an MJML column wrapper and mso-hide:all on the non-Outlook copy of a
    block hide nothing from most readers: their text stays."""
    story = "Une phrase d’article qui compte, assez longue pour être une vraie nouvelle."
    html = (
        f'<div style="font-size:0px"><div style="font-size:16px"><p>{story}</p></div></div>'
        f'<div style="mso-hide:all"><p>{story} Bis.</p></div>'
        '<div style="display:none;max-height:0;overflow:hidden">Aperçu caché</div>'
    )
    text = mail_html_to_text(html)
    assert story in text and f"{story} Bis." in text and "Aperçu caché" not in text


def _spaced(text: str) -> str:
    """The words of a title, whatever no-break spaces (U+00A0, U+202F) the reading kept."""
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())
