"""The welcome (issue 14, item 4): queued with the person's own confirmation, sent by the
confirmations' worker through the configured transport (the outbox, and a real SMTP server
from aiosmtpd), never twice, never undoing the confirmation when it fails."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from digest.config import load_settings
from digest.mail.confirm import send_confirmations
from digest.models import SubscriberStatus
from digest.settings import Settings
from digest.store import Store
from digest.web.public import PublicApp

from .conftest import REPO
from .test_public import SECRET, call, confirmation_link

NNBSP = "\u202f"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    base = load_settings(REPO / "feeds.yaml", env={"DIGEST_SECRET_KEY": SECRET})
    return replace(base, mail=replace(base.mail, outbox_dir=tmp_path / "outbox"))


def confirmed(app: PublicApp, store: Store, settings: Settings, now, address: str) -> int:
    """Subscribe `address` by the form, mail the confirmation, click its link."""
    body = urlencode({"email": address, "name": "Zoë"}).encode()
    call(app, "POST", "/subscribe", body, environ={"REMOTE_ADDR": "192.0.2.7"})
    send_confirmations(store, settings, now)
    status, _, page = call(app, "POST", confirmation_link(settings.mail.outbox_dir))
    assert status == "200 OK" and "Abonnement confirmé" in page
    (person,) = [p for p in store.list_subscribers() if p.email == address]
    assert person.status is SubscriberStatus.ACTIVE
    return person.id


def welcomes(outbox: Path) -> list[EmailMessage]:
    found = []
    for path in sorted((outbox / "welcome").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def test_a_confirmation_brings_one_welcome_with_the_list_headers(
    store: Store, settings: Settings, now
) -> None:
    app = PublicApp(settings, store, clock=lambda: now)
    sid = confirmed(app, store, settings, now, "zoe@example.org")
    assert welcomes(settings.mail.outbox_dir) == []  # queued by the click, not sent by it
    assert send_confirmations(store, settings, now).sent == 1
    (welcome,) = welcomes(settings.mail.outbox_dir)
    assert welcome["Subject"] == f"Bienvenue au Fil IA{NNBSP}!"
    assert welcome["To"] == "Zoë <zoe@example.org>"
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = re.findall(r"<([^>]+)>", welcome["List-Unsubscribe"])
    assert https.startswith(f"{settings.newsletter.base_url}/u/") and mailto.startswith("mailto:")
    token = https.rsplit("/", 1)[1]
    text = welcome.get_body(("plain",)).get_content()
    html = welcome.get_body(("html",)).get_content()
    assert [p.get_content_type() for p in welcome.iter_parts()] == ["text/plain", "text/html"]
    preferences = f"{settings.newsletter.base_url}/preferences/{token}"
    for part in (text, html):
        assert "Bonjour Zoë," in part and preferences in part and https in part
        assert "Gérer mon abonnement" in part and "__DIGEST_" not in part
        assert f"confirmé{NNBSP}: merci" in part and "'" not in re.sub(r"<[^>]*>", "", part)
    assert "ni les clics" in text  # the privacy promise, in words
    assert 'lang="fr"' in html and "style=" in html  # the look, inlined
    assert all(len(line) <= 72 or "://" in line for line in text.splitlines())
    # Its links are the reader's: the preferences page opens on them.
    status, _, page = call(app, "GET", f"/preferences/{token}")
    assert status == "200 OK" and "Mettre en pause" in page
    # A second click on the confirmation link confirms nothing and welcomes no one again.
    status, _, page = call(app, "POST", confirmation_link(settings.mail.outbox_dir))
    assert status == "200 OK" and store.get_subscriber(sid).status is SubscriberStatus.ACTIVE
    assert send_confirmations(store, settings, now + timedelta(minutes=5)).sent == 0
    assert len(welcomes(settings.mail.outbox_dir)) == 1


def test_no_welcome_when_it_is_switched_off(store: Store, settings: Settings, now) -> None:
    quiet = replace(settings, mail=replace(settings.mail, welcome=False))
    app = PublicApp(quiet, store, clock=lambda: now)
    confirmed(app, store, quiet, now, "zoe@example.org")
    assert send_confirmations(store, quiet, now).sent == 0
    assert welcomes(quiet.mail.outbox_dir) == []


def test_no_welcome_for_whoever_left_before_it_went(store: Store, settings: Settings, now) -> None:
    app = PublicApp(settings, store, clock=lambda: now)
    sid = confirmed(app, store, settings, now, "zoe@example.org")
    store.set_subscriber_status(sid, SubscriberStatus.UNSUBSCRIBED, now)
    assert send_confirmations(store, settings, now).sent == 0
    assert welcomes(settings.mail.outbox_dir) == []
    assert store.confirmation_backlog(5, now - timedelta(days=2))["waiting"] == 0


def test_a_failed_welcome_keeps_the_confirmation_and_is_retried(
    store: Store, now, smtp_server: Any
) -> None:
    over_smtp = load_settings(
        REPO / "feeds.yaml", env={"DIGEST_SECRET_KEY": SECRET, "DIGEST_SMTP_URL": smtp_server.url}
    )
    app = PublicApp(over_smtp, store, clock=lambda: now)
    body = urlencode({"email": "zoe@example.org"}).encode()
    call(app, "POST", "/subscribe", body, environ={"REMOTE_ADDR": "192.0.2.7"})
    assert send_confirmations(store, over_smtp, now).sent == 1
    (confirmation,) = smtp_server.handler.received
    link = re.search(r"/confirm/[\w.-]+", confirmation.message.get_content()).group(0)
    smtp_server.handler.rcpt_answers["zoe@example.org"] = "451 4.3.0 try again later"
    assert call(app, "POST", link)[0] == "200 OK"
    report = send_confirmations(store, over_smtp, now)
    assert report.sent == 0 and "451" in report.failed[0]
    (person,) = store.list_subscribers()
    assert person.status is SubscriberStatus.ACTIVE  # the welcome failed, not the click
    welcome = next(c for c in store.list_confirmations() if c.kind == "welcome")
    assert welcome.attempts == 1 and welcome.sent_at is None and "451" in welcome.last_error
    del smtp_server.handler.rcpt_answers["zoe@example.org"]
    assert send_confirmations(store, over_smtp, now + timedelta(minutes=2)).sent == 1
    received = smtp_server.handler.received[-1].message
    assert received["Subject"].startswith("Bienvenue") and received["List-Unsubscribe"]
    assert len(smtp_server.handler.received) == 2  # the confirmation, then one welcome
