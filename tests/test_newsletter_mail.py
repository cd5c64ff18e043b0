"""Newsletters by email (issue 15, item 2): an .eml or .mbox gives its stories, cut like
seed 003, credited to the sender and dated by the message, without the mail's chrome."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from digest.errors import DocumentError
from digest.ingest.documents import document_files, ingest_documents, read_document
from digest.ingest.mail_text import Removed, mail_html_to_text
from digest.ingest.newsletter_mail import read_newsletter
from digest.models import Outcome
from digest.settings import DocumentSource
from digest.store import Store

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


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe\x00garbage\x00" * 100,
        b'From: x@y\nContent-Type: multipart/mixed; boundary="zz"\n\n--zz\nContent-Type: '
        b"image/png\nContent-Transfer-Encoding: base64\n\n!!!notbase64\n--zz--\n",
        b"From: =?utf-8?q?broken\nDate: not a date\nContent-Type: text/html; charset=klingon\n\n"
        b"<p>" + "Une phrase d’article assez longue pour compter. ".encode() * 5 + b"</p>",
    ],
    ids=["empty", "binary", "no-text-part", "broken-headers"],
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
