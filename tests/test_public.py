"""The public endpoints, in-process on a real store: RFC 8058 unsubscribe, double opt-in,
the archive (drafts never public), the Atom feed and the health check."""

from __future__ import annotations

import email
import email.policy
import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import feedparser
import pytest

from digest.app.build import run_build
from digest.config import load_settings
from digest.ingest.documents import ingest_documents
from digest.mail.confirm import confirm_token, read_confirm_token, send_confirmations
from digest.mail.identity import TokenClaim, unsubscribe_token
from digest.models import IssueStatus, SubscriberStatus
from digest.settings import Settings
from digest.store import Store
from digest.web.public import PublicApp, mask_address

from .conftest import DOCUMENTS, REPLAYS, REPO, build_key

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
    environ: dict[str, str] | None = None,
) -> tuple[str, dict[str, str], str]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": content_type,
        "wsgi.input": io.BytesIO(body),
        **(environ or {}),
    }
    setup_testing_defaults(environ)
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    chunks = app(environ, start_response)
    return seen["status"], seen["headers"], b"".join(chunks).decode("utf-8")


def subscriber(store: Store, now, address: str = "ada@example.org") -> int:
    return store.add_subscribers([(address, "Ada")], SubscriberStatus.ACTIVE, now)[0].id


def link_token(store: Store, sid: int) -> str:
    """The token of subscriber `sid`'s unsubscribe link, as their mails carry it."""
    return unsubscribe_token(SECRET, sid, store.get_subscriber(sid).token_nonce)


def test_get_shows_a_button_and_never_unsubscribes(app: PublicApp, store: Store, now) -> None:
    sid = subscriber(store, now)
    status, headers, page = call(app, "GET", f"/u/{link_token(store, sid)}")
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
    token = link_token(store, sid)
    status, headers, page = call(app, "POST", f"/u/{token}", body, content_type)
    assert status == "200 OK" and "Location" not in headers and "Set-Cookie" not in headers
    assert "Désabonnement confirmé" in page
    after = store.get_subscriber(sid)
    assert after.status is SubscriberStatus.UNSUBSCRIBED and after.unsubscribed_at == now
    assert after.status_reason == "unsubscribed by the person (web link)"
    again = call(app, "POST", f"/u/{token}", body, content_type)  # double POST: harmless
    assert again[0] == "200 OK" and store.get_subscriber(sid).unsubscribed_at == now


def test_forged_and_altered_tokens_are_refused(app: PublicApp, store: Store, now) -> None:
    sid = subscriber(store, now)
    token = link_token(store, sid)
    nonce = store.get_subscriber(sid).token_nonce
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    forged = unsubscribe_token("not-our-secret", sid, nonce)
    other = unsubscribe_token(SECRET, sid + 1000, nonce)  # valid signature, no such subscriber
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
    assert not (settings.mail.outbox_dir / "confirmations").exists()  # queued, not sent
    assert send_confirmations(store, settings, now).sent == 1  # the service's worker
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
    token = confirm_token(SECRET, 7, "nonce")
    assert read_confirm_token(SECRET, token) == TokenClaim(7, "nonce")
    assert read_confirm_token(SECRET, token, max_age=-1) is None  # older than allowed
    assert read_confirm_token("other", token) is None
    assert read_confirm_token(SECRET, token + "x") is None


def published_issue(store: Store, settings: Settings, now) -> int:
    """A draft built from one document into an empty store, its number returned. The
    build is the costly part: after the first, its rows are written back (REPLAYS)."""
    document = DOCUMENTS / "003_186302cdc7413e06.txt"

    def build() -> int:
        ingest_documents(store, [document], now - timedelta(hours=1))
        issue = run_build(store, settings, now).issue
        assert issue is not None
        return issue.number

    return REPLAYS.run(store, build_key(settings, now, [document]), build)


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
    assert '"confirmations": {"waiting": 0, "given_up": 0}' in body


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
    token = link_token(store, sid)
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
    store.count_sent_issues = broken  # type: ignore[method-assign]  # a fault in a handler
    status, _, page = call(app, "GET", "/")
    assert status == "500 Internal Server Error" and "indisponible" in page
    assert "smtp.internal" not in page and "Traceback" not in page
    assert "smtp.internal.example" in caplog.text  # the operator still sees why


def post_subscribe(
    app: PublicApp, body: bytes, remote: str = "192.0.2.1", forwarded: str | None = None
) -> tuple[str, dict[str, str], str]:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return call(app, "POST", "/subscribe", body, environ=extra)


def test_twenty_posts_for_one_victim_queue_one_confirmation(
    settings: Settings, store: Store, now
) -> None:
    clock = [now]
    app = PublicApp(settings, store, clock=lambda: clock[0])
    answers = {
        post_subscribe(app, b"email=victim%40example.org", remote=f"198.51.100.{i}")[2]
        for i in range(20)  # from 20 clients: the per-address cap, not the per-client one
    }
    assert len(answers) == 1 and "Vérifiez votre boîte" in answers.pop()
    assert len(store.list_confirmations()) == 1
    # 1 per 10 minutes, 3 per day; a sliding day: the first one leaves it after 24 h.
    for minutes, expected in ((9, 1), (11, 2), (22, 3), (33, 3), (60 * 23, 3), (60 * 24 + 1, 4)):
        clock[0] = now + timedelta(minutes=minutes)
        post_subscribe(app, b"email=victim%40example.org", remote="203.0.113.9")
        assert len(store.list_confirmations()) == expected, minutes


def test_a_strangers_post_never_changes_a_status(
    app: PublicApp, store: Store, settings: Settings, now
) -> None:
    gone = subscriber(store, now, "gone@example.org")
    store.set_subscriber_status(gone, SubscriberStatus.UNSUBSCRIBED, now)
    bounced = subscriber(store, now, "bounced@example.org")
    store.set_subscriber_status(bounced, SubscriberStatus.BOUNCED, now)
    active = subscriber(store, now, "active@example.org")
    pages = {
        address: post_subscribe(app, f"email={address}".encode())
        for address in ("gone@example.org", "bounced@example.org", "active@example.org")
    }
    new = post_subscribe(app, b"email=new%40example.org")
    assert {(status, page) for status, _, page in [*pages.values(), new]} == {new[::2]}
    assert store.get_subscriber(gone).status is SubscriberStatus.UNSUBSCRIBED
    assert store.get_subscriber(bounced).status is SubscriberStatus.BOUNCED
    assert store.get_subscriber(active).status is SubscriberStatus.ACTIVE
    queued = {c.email_key for c in store.list_confirmations()}
    assert queued == {"gone@example.org", "new@example.org"}  # the unsubscribed may come back
    send_confirmations(store, settings, now)
    links = {}
    for message_file in (settings.mail.outbox_dir / "confirmations").glob("*.eml"):
        message = email.message_from_bytes(message_file.read_bytes(), policy=email.policy.default)
        links[message["To"]] = re.search(r"/confirm/[\w.-]+", message.get_content()).group(0)
    call(app, "POST", links["gone@example.org"])  # the person's own click
    assert store.get_subscriber(gone).status is SubscriberStatus.ACTIVE


def test_the_per_client_cap_and_trusted_proxies(settings: Settings, store: Store) -> None:
    app = PublicApp(settings, store)  # the real clock: the window is an hour
    statuses = [
        post_subscribe(app, f"email=p{i}%40example.org".encode(), forwarded=f"10.0.0.{i}")[0]
        for i in range(12)  # X-Forwarded-For from an untrusted peer is ignored
    ]
    assert statuses == ["200 OK"] * 10 + ["429 Too Many Requests"] * 2
    _, headers, page = post_subscribe(app, b"email=late%40example.org")
    assert headers["Retry-After"] == "3600" and "Trop de demandes" in page
    assert post_subscribe(app, b"email=other%40example.org", remote="192.0.2.2")[0] == "200 OK"
    behind = replace(settings, web=replace(settings.web, trusted_proxies=("127.0.0.0/8",)))
    proxied = PublicApp(behind, store)
    statuses = [
        post_subscribe(
            proxied,
            f"email=q{i}%40example.org".encode(),
            remote="127.0.0.1",
            forwarded=f"6.6.6.6, 198.51.100.{i}",  # the left part is the client's own say
        )[0]
        for i in range(12)
    ]
    assert statuses == ["200 OK"] * 12  # 12 clients, each under its cap


@pytest.mark.parametrize(
    "name", ["Eve\r\nBcc: victim@example.org", "Eve\x00", "Eve\u2028X", "É" * 201]
)
def test_names_with_control_characters_or_too_long_are_refused(
    app: PublicApp, store: Store, name: str
) -> None:
    body = urlencode({"email": "eve@example.org", "name": name}).encode()
    status, _, page = post_subscribe(app, body)
    assert status == "400 Bad Request" and store.list_subscribers() == []
    assert "Le nom" in page


def test_an_invalid_address_gets_a_french_message(app: PublicApp) -> None:
    status, _, page = post_subscribe(app, b"email=a%40b%40c")
    assert status == "400 Bad Request"
    assert "Cette adresse n’est pas valide\u202f: vérifiez-la" in page
    assert "The email address" not in page  # the validator's English stays in the logs


def test_concurrent_subscribes_for_one_address_are_answered_cleanly(
    settings: Settings, store: Store, now
) -> None:
    app = PublicApp(settings, store, clock=lambda: now)
    start = threading.Barrier(12)

    def one(i: int) -> str:
        start.wait()
        return post_subscribe(app, b"email=race%40example.org", remote=f"192.0.2.{i}")[0]

    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(one, range(12)))
    assert statuses == ["200 OK"] * 12
    assert [s.email for s in store.list_subscribers()] == ["race@example.org"]
    assert len(store.list_confirmations()) == 1


def test_the_worker_records_failures_and_retries(
    settings: Settings, store: Store, now, smtp_server: Any
) -> None:
    over_smtp = load_settings(
        REPO / "feeds.yaml", env={"DIGEST_SECRET_KEY": SECRET, "DIGEST_SMTP_URL": smtp_server.url}
    )
    app = PublicApp(over_smtp, store, clock=lambda: now)
    smtp_server.handler.rcpt_answers["nobody@example.org"] = "550 5.1.1 no such user"
    for address in ("ok@example.org", "nobody@example.org"):
        post_subscribe(app, urlencode({"email": address}).encode())
    report = send_confirmations(store, over_smtp, now)
    assert report.sent == 1 and len(report.failed) == 1
    assert [r.recipient for r in smtp_server.handler.received] == ["ok@example.org"]
    failed = next(c for c in store.list_confirmations() if c.email_key == "nobody@example.org")
    assert failed.attempts == 1 and failed.sent_at is None and "550" in (failed.last_error or "")
    assert send_confirmations(store, over_smtp, now).failed == []  # waits its retry time
    assert store.confirmation_backlog(5, now - timedelta(days=2)) == {"waiting": 1, "given_up": 0}
    assert store.confirmation_backlog(5, now) == {"waiting": 0, "given_up": 1}  # link expired
    del smtp_server.handler.rcpt_answers["nobody@example.org"]
    assert send_confirmations(store, over_smtp, now + timedelta(minutes=2)).sent == 1
