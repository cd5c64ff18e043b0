"""The public endpoints, in-process on a real store: RFC 8058 unsubscribe, double opt-in,
the archive (drafts never public), the Atom feed and the health check."""

from __future__ import annotations

import email
import email.policy
import io
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import feedparser
import pytest

from digest.config import load_settings
from digest.ingest.documents import ingest_documents
from digest.mail.confirm import confirm_token, read_confirm_token
from digest.mail.identity import unsubscribe_token
from digest.models import IssueStatus, SubscriberStatus
from digest.pipeline import run_build
from digest.settings import Settings
from digest.store import Store
from digest.web.public import PublicApp, mask_address

from .conftest import DOCUMENTS, REPO

SECRET = "test-secret"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    base = load_settings(REPO / "feeds.yaml", env={"DIGEST_SECRET_KEY": SECRET})
    mail = replace(base.mail, outbox_dir=tmp_path / "outbox")
    return replace(base, mail=mail)


@pytest.fixture
def app(settings: Settings, store: Store, now) -> PublicApp:
    return PublicApp(settings, store, clock=lambda: now)


def call(
    app: PublicApp,
    method: str,
    path: str,
    body: bytes = b"",
    content_type: str = "application/x-www-form-urlencoded",
) -> tuple[str, dict[str, str], str]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": content_type,
        "wsgi.input": io.BytesIO(body),
    }
    setup_testing_defaults(environ)
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    chunks = app(environ, start_response)
    return seen["status"], seen["headers"], b"".join(chunks).decode("utf-8")


def subscriber(store: Store, now, address: str = "ada@example.org") -> int:
    return store.add_subscribers([(address, "Ada")], SubscriberStatus.ACTIVE, now)[0].id


def test_get_shows_a_button_and_never_unsubscribes(app: PublicApp, store: Store, now) -> None:
    sid = subscriber(store, now)
    status, headers, page = call(app, "GET", f"/u/{unsubscribe_token(SECRET, sid)}")
    assert status == "200 OK" and '<form method="post"' in page and "Me désabonner" in page
    assert "Set-Cookie" not in headers
    assert store.get_subscriber(sid).status is SubscriberStatus.ACTIVE  # a scanner's GET


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded"),
        (
            b'--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click'
            b"\r\n--XyZ--\r\n",
            "multipart/form-data; boundary=XyZ",
        ),
    ],
)
def test_one_click_post_unsubscribes_without_redirect(
    app: PublicApp, store: Store, now, body: bytes, content_type: str
) -> None:
    sid = subscriber(store, now)
    token = unsubscribe_token(SECRET, sid)
    status, headers, page = call(app, "POST", f"/u/{token}", body, content_type)
    assert status == "200 OK" and "Location" not in headers and "Set-Cookie" not in headers
    assert "Désabonnement confirmé" in page
    after = store.get_subscriber(sid)
    assert after.status is SubscriberStatus.UNSUBSCRIBED and after.unsubscribed_at == now
    again = call(app, "POST", f"/u/{token}", body, content_type)  # double POST: harmless
    assert again[0] == "200 OK" and store.get_subscriber(sid).unsubscribed_at == now


def test_forged_and_altered_tokens_are_refused(app: PublicApp, store: Store, now) -> None:
    sid = subscriber(store, now)
    token = unsubscribe_token(SECRET, sid)
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    forged = unsubscribe_token("not-our-secret", sid)
    other = unsubscribe_token(SECRET, sid + 1000)  # valid signature, no such subscriber
    for bad in (altered, forged, other):
        status, _, page = call(app, "POST", f"/u/{bad}", b"List-Unsubscribe=One-Click")
        assert status == "404 Not Found" and "Lien invalide" in page
    assert store.get_subscriber(sid).status is SubscriberStatus.ACTIVE


def confirmation_link(outbox: Path) -> str:
    (message_file,) = sorted((outbox / "confirmations").glob("*.eml"))
    message = email.message_from_bytes(message_file.read_bytes(), policy=email.policy.default)
    found = re.search(r"/confirm/([\w.-]+)", message.get_content())
    assert found, "no confirmation link in the mail"
    return found.group(0)


def test_double_opt_in(app: PublicApp, store: Store, settings: Settings, now) -> None:
    status, _, page = call(app, "POST", "/subscribe", b"email=Zoe%40Example.org&name=Zo%C3%AB")
    assert status == "200 OK" and "Vérifiez votre boîte" in page
    (pending,) = store.list_subscribers()
    assert pending.status is SubscriberStatus.PENDING and pending.name == "Zoë"
    link = confirmation_link(settings.mail.outbox_dir)
    status, _, page = call(app, "GET", link)
    assert status == "200 OK" and "Confirmer mon abonnement" in page
    assert store.get_subscriber(pending.id).status is SubscriberStatus.PENDING  # GET only shows
    status, _, page = call(app, "POST", link)
    assert status == "200 OK" and "Abonnement confirmé" in page
    assert store.get_subscriber(pending.id).status is SubscriberStatus.ACTIVE


def test_honeypot_and_invalid_addresses(app: PublicApp, store: Store) -> None:
    status, _, _ = call(app, "POST", "/subscribe", b"email=bot%40example.org&website=spam")
    assert status == "200 OK" and store.list_subscribers() == []  # same answer, nothing stored
    status, _, page = call(app, "POST", "/subscribe", b"email=pas-une-adresse")
    assert status == "400 Bad Request" and "pas valide" in page and store.list_subscribers() == []


def test_confirmation_tokens_expire_and_resist_forgery(store: Store, now) -> None:
    token = confirm_token(SECRET, 7)
    assert read_confirm_token(SECRET, token) == 7
    assert read_confirm_token(SECRET, token, max_age=-1) is None  # older than allowed
    assert read_confirm_token("other", token) is None
    assert read_confirm_token(SECRET, token + "x") is None


def published_issue(store: Store, settings: Settings, now) -> int:
    ingest_documents(store, [DOCUMENTS / "003_186302cdc7413e06.txt"], now - timedelta(hours=1))
    issue = run_build(store, settings, now).issue
    assert issue is not None
    return issue.number


def test_drafts_are_never_public_and_sent_issues_are(
    app: PublicApp, store: Store, settings: Settings, now
) -> None:
    number = published_issue(store, settings, now)
    assert call(app, "GET", f"/issues/{number}")[0] == "404 Not Found"
    assert f"/issues/{number}" not in call(app, "GET", "/")[2]
    assert feedparser.parse(call(app, "GET", "/feed.xml")[2].encode()).entries == []
    store.approve_issue(number, now)
    store.open_deliveries(number, now)
    store.close_issue_if_done(number, now)  # no subscriber: nothing left to send
    assert store.get_issue(number).status is IssueStatus.SENT
    status, _, page = call(app, "GET", f"/issues/{number}")
    assert status == "200 OK" and 'lang="fr"' in page and "Le boss démâte" in page
    assert "__DIGEST_" not in page and "/subscribe" in page  # per-subscriber parts neutral
    assert f"/issues/{number}" in call(app, "GET", "/")[2]
    parsed = feedparser.parse(call(app, "GET", "/feed.xml")[2].encode())
    assert not parsed.bozo and parsed.feed.title == settings.newsletter.title
    assert [e.link for e in parsed.entries] == [f"{settings.newsletter.base_url}/issues/{number}"]


def test_health_reports_database_scheduler_and_jobs(app: PublicApp, store: Store, now) -> None:
    run = store.start_job_run("ingest", "host:1", now)
    store.finish_job_run(run, now, "ok", {"new_items": 3})
    status, headers, body = call(app, "GET", "/healthz")
    assert status == "200 OK" and headers["Content-Type"] == "application/json"
    assert '"database": "ok"' in body and '"ingest": {"outcome": "ok"' in body
    assert '"scheduler": "not running"' in body


def test_unknown_pages_and_methods(app: PublicApp) -> None:
    assert call(app, "GET", "/nope")[0] == "404 Not Found"
    status, headers, _ = call(app, "DELETE", "/subscribe")
    assert status == "405 Method Not Allowed" and headers["Allow"] == "GET, HEAD, POST"
    assert call(app, "GET", "/issues/999")[0] == "404 Not Found"


@pytest.mark.parametrize("number", ["9" * 40, "2147483648", "99999999999", "0", "007"])
def test_issue_numbers_out_of_range_are_not_found(app: PublicApp, number: str) -> None:
    # On PostgreSQL a number past the integer column was a DataError, and a 500.
    status, _, page = call(app, "GET", f"/issues/{number}")
    assert status == "404 Not Found" and "Numéro introuvable" in page


def test_the_unsubscribe_pages_mask_the_address(app: PublicApp, store: Store, now) -> None:
    sid = subscriber(store, now, "jeanne.martin@exemple.fr")
    token = unsubscribe_token(SECRET, sid)
    for method in ("GET", "POST", "GET"):  # the button, the one-click, already unsubscribed
        _, _, page = call(app, method, f"/u/{token}", b"List-Unsubscribe=One-Click")
        assert "j•••@e•••.fr" in page and "jeanne" not in page and "exemple" not in page


@pytest.mark.parametrize(
    "address, masked",
    [
        ("jeanne@exemple.fr", "j•••@e•••.fr"),
        ("a@b.co.uk", "a•••@b•••.uk"),
        ("x@localhost", "x•••@l•••"),
        ("josé@exemple.fr", "j•••@e•••.fr"),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


def test_a_failure_shows_a_generic_french_page(
    settings: Settings, store: Store, now, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> list[Any]:
        raise RuntimeError("connection to smtp.internal.example:587 refused")

    app = PublicApp(settings, store, clock=lambda: now)
    app._sent = broken  # type: ignore[method-assign]  # a real fault inside a handler
    status, _, page = call(app, "GET", "/")
    assert status == "500 Internal Server Error" and "indisponible" in page
    assert "smtp.internal" not in page and "Traceback" not in page
    assert "smtp.internal.example" in caplog.text  # the operator still sees why
