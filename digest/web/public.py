"""The public web endpoints served by `digest serve`: the archive of sent issues, their Atom
feed, health, and the subscribe / confirm / unsubscribe flows. A plain WSGI application.

Unsubscribing follows RFC 8058: `GET /u/<token>` only shows a page with a button (mail
scanners prefetch links, and must not unsubscribe anyone); `POST /u/<token>` — the
one-click request a mail client sends with `List-Unsubscribe=One-Click`, form-encoded or
multipart, no cookies, no login — unsubscribes and answers 200 without a redirect. Both are
idempotent. Tokens are signed (digest.mail.identity); a forged or altered one is refused.
Drafts are never public.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from digest.app.archive import archive_listing, atom, issue_page
from digest.app.subscribe import (
    confirm_by_link,
    request_subscription,
    subscriber_for_confirm_link,
    subscriber_for_unsubscribe_link,
    unsubscribe_by_link,
)
from digest.errors import SubscriberError
from digest.mail.confirm import CONFIRM_MAX_AGE, MAX_ATTEMPTS
from digest.mail.identity import SAMPLE_KEY
from digest.models import NAME_MAX, Subscriber, SubscriberStatus, validate_name
from digest.render import jinja_environment, templates_dir
from digest.settings import Settings
from digest.store import Store, open_store
from digest.typography import TitleForms, french_html, title_forms
from digest.web.limits import ClientLimiter, client_address
from digest.web.masking import mask_address
from digest.web.preferences import PreferencesPages
from digest.web.routing import Request, Response, Router, StartResponse, respond

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 64 * 1024
_BAD_ADDRESS = "Cette adresse n’est pas valide\u202f: vérifiez-la (par exemple prenom@exemple.fr)."
MAX_ISSUE_NUMBER = 2**31 - 1  # the column is a 32-bit integer; beyond it, no such issue
# No page of the site reads more than ?page=N: a longer query is someone else's idea.
MAX_QUERY_BYTES = 1024
MAX_PAGE_DIGITS = 6

# On every public response (issue 10, item 9). No page runs a script, loads a font or
# frames anything. Styles come from /site.css only: since the archive serves each issue's
# web version (issue 14), no page carries the email's inlined style="" attributes, so no
# injected style applies either. Images: the newsletter's logo may be on any https host.
SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self' https: data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    ("X-Frame-Options", "DENY"),  # frame-ancestors for browsers that predate CSP 2
    ("Referrer-Policy", "no-referrer"),  # /u/<token> must not leak to a linked site
)


@dataclass(frozen=True, slots=True)
class Notice:
    """A page that only tells the visitor something (French, like every public page)."""

    status: str
    heading: str
    message: str


NOT_FOUND = Notice("404 Not Found", "Page introuvable", "Cette page n’existe pas.")
NOT_ALLOWED = Notice(
    "405 Method Not Allowed", "Méthode non permise", "Cette adresse ne répond pas à cette méthode."
)
# Never the exception's text: it may name the SMTP host or the database.
UNAVAILABLE = Notice(
    "500 Internal Server Error",
    "Service momentanément indisponible",
    "Votre demande n’a pas pu aboutir. Réessayez dans quelques minutes.",
)
TOO_LONG = Notice(
    "400 Bad Request",
    "Adresse trop longue",
    "Cette adresse est trop longue pour être lue. Vérifiez le lien que vous avez suivi.",
)
NO_SUCH_PAGE = Notice("404 Not Found", "Page introuvable", "Cette page de l’archive n’existe pas.")
NO_SUCH_ISSUE = Notice("404 Not Found", "Numéro introuvable", "Ce numéro n’est pas (encore) paru.")
BAD_LINK = Notice(
    "404 Not Found",
    "Lien invalide",
    "Ce lien n’est pas valide\u202f: il a pu être tronqué ou modifié.",
)
TOO_MANY = Notice(
    "429 Too Many Requests",
    "Trop de demandes",
    "Trop de demandes d’abonnement sont parties de cette connexion. Réessayez dans une heure.",
)
# The same answer whether the address was new, pending or already active: the page must
# not tell a stranger who subscribes to what.
CHECK_YOUR_INBOX = Notice(
    "200 OK",
    "Vérifiez votre boîte aux lettres",
    "Si l’adresse est valide, un e-mail de confirmation vient de partir. "
    "Cliquez sur le lien qu’il contient pour confirmer votre abonnement.",
)
EXPIRED = Notice(
    "404 Not Found",
    "Lien expiré ou invalide",
    "Ce lien de confirmation n’est plus valable. Inscrivez-vous à nouveau "
    "pour en recevoir un autre.",
)


class PublicApp:
    """WSGI callable; `clock` is injectable so tests control time."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings, self.store, self.clock = settings, store, clock
        self.secret = settings.mail.secret_key or SAMPLE_KEY
        self.limiter = ClientLimiter(
            settings.web.subscribes_per_client_per_hour, timedelta(hours=1)
        )
        self.stylesheet = (templates_dir() / "public" / "site.css").read_bytes()
        self.robots = (templates_dir() / "public" / "robots.txt").read_bytes()
        self.preferences = PreferencesPages(
            settings, store, self.secret, clock, self._render, self._bad_link
        )
        self.router: Router[dict[str, Any]] = Router()
        for method, pattern, handler in (
            ("GET", r"/", self.archive),
            ("GET", r"/site\.css", self.site_css),
            ("GET", r"/robots\.txt", self.robots_txt),
            ("GET", r"/issues/(\d+)", self.issue),
            ("GET", r"/feed\.xml", self.feed),
            ("GET", r"/healthz", self.health),
            ("GET", r"/favicon\.ico", self.no_icon),
            ("GET", r"/u/([\w.-]+)", self.unsubscribe_page),
            ("POST", r"/u/([\w.-]+)", self.unsubscribe),
            ("GET", r"/subscribe", self.subscribe_page),
            ("POST", r"/subscribe", self.subscribe),
            ("GET", r"/confirm/([\w.-]+)", self.confirm_page),
            ("POST", r"/confirm/([\w.-]+)", self.confirm),
            ("GET", r"/preferences/([\w.-]+)", self.preferences.page),
            ("POST", r"/preferences/([\w.-]+)", self.preferences.post),
        ):
            self.router.add(method, pattern, handler)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if len(environ.get("QUERY_STRING", "")) > MAX_QUERY_BYTES:  # before parsing it
            method = str(environ.get("REQUEST_METHOD", "GET")).upper()
            return respond(self._notice(TOO_LONG), method, start_response, SECURITY_HEADERS)
        request = Request.from_environ(environ)
        response = self._dispatch(request, environ)
        return respond(response, request.method, start_response, SECURITY_HEADERS)

    def _dispatch(self, request: Request, environ: dict[str, Any]) -> Response:
        found = self.router.match(request.method, request.path)
        if found.handler is not None:
            try:
                return found.handler(environ, *found.groups)
            except Exception:  # logged for the operator; the visitor gets a generic page
                log.exception("web %s %s: failed", request.method, request.path)
                return self._notice(UNAVAILABLE)
        if found.allowed:
            page = self._notice(NOT_ALLOWED)
            return replace(page, headers=(("Allow", found.allow_header),))
        return self._notice(NOT_FOUND)

    # -- archive ---------------------------------------------------------------------

    def archive(self, environ: dict[str, Any]) -> Response:
        page = _page_number(Request.from_environ(environ).query.get("page", "1"))
        listing = archive_listing(self.store, self.settings, page) if page else None
        if listing is None:
            return self._notice(NO_SUCH_PAGE)
        return self._render(
            "200 OK",
            "archive.html.j2",
            issues=listing.issues,
            page=listing.page,
            pages=listing.pages,
        )

    def site_css(self, environ: dict[str, Any]) -> Response:
        return Response("200 OK", self.stylesheet, "text/css; charset=utf-8")

    def robots_txt(self, environ: dict[str, Any]) -> Response:
        return Response("200 OK", self.robots, "text/plain; charset=utf-8")

    def issue(self, environ: dict[str, Any], number: str) -> Response:
        wanted = int(number) if len(number) <= 10 else MAX_ISSUE_NUMBER + 1
        in_range = 0 < wanted <= MAX_ISSUE_NUMBER  # past the column, PostgreSQL would fail
        page = issue_page(self.store, self.settings, wanted, self.clock()) if in_range else None
        if page is None:
            return self._notice(NO_SUCH_ISSUE)
        return Response("200 OK", page.encode("utf-8"))

    def feed(self, environ: dict[str, Any]) -> Response:
        body = atom(self.store, self.settings, self.clock())
        return Response("200 OK", body, "application/atom+xml; charset=utf-8")

    def health(self, environ: dict[str, Any]) -> Response:
        now = self.clock()
        try:
            leader = self.store.lease_owner("scheduler", now)
            runs = self.store.job_runs(limit=len(("ingest", "build", "send")) * 2)
            expired = now - timedelta(seconds=CONFIRM_MAX_AGE)
            backlog = self.store.confirmation_backlog(MAX_ATTEMPTS, expired)
        except Exception as exc:  # the point of a health check: report, do not crash
            failure = {"status": "error", "database": f"unreachable: {type(exc).__name__}"}
            return Response(
                "503 Service Unavailable", json.dumps(failure).encode(), "application/json"
            )
        latest: dict[str, dict[str, Any]] = {}
        for run in runs:
            latest.setdefault(
                run.job, {"outcome": run.outcome, "started_at": run.started_at.isoformat()}
            )
        body: dict[str, Any] = {
            "status": "ok",
            "database": "ok",
            "scheduler": leader or "not running",
            "jobs": latest,
            "confirmations": backlog,  # a growing "waiting": the worker cannot send
        }
        return Response("200 OK", json.dumps(body).encode(), "application/json")

    def no_icon(self, environ: dict[str, Any]) -> Response:
        # Browsers ask for it on every site; an empty answer beats a logged 404.
        return Response("204 No Content", b"", "image/x-icon")

    # -- unsubscribe (RFC 8058) ------------------------------------------------------

    def unsubscribe_page(self, environ: dict[str, Any], token: str) -> Response:
        subscriber = self._subscriber_of(token)
        if subscriber is None:
            return self._bad_link()
        if subscriber.status is SubscriberStatus.UNSUBSCRIBED:
            return self._page(
                "200 OK",
                "Déjà désabonné·e",
                f"{mask_address(subscriber.email)} ne reçoit plus "
                f"{self.settings.newsletter.title}.",
            )
        return self._page(
            "200 OK",
            "Se désabonner",
            f"Ne plus recevoir {self.settings.newsletter.title} à l’adresse "
            f"{mask_address(subscriber.email)}\u202f?",
            form_action=f"/u/{token}",
            button="Me désabonner",
        )

    def unsubscribe(self, environ: dict[str, Any], token: str) -> Response:
        _read_body(environ)  # List-Unsubscribe=One-Click: the token is the authority
        subscriber = unsubscribe_by_link(self.store, self.secret, token, self.clock())
        if subscriber is None:
            return self._bad_link()
        return self._page(
            "200 OK",
            "Désabonnement confirmé",
            f"{mask_address(subscriber.email)} ne recevra plus {self.settings.newsletter.title}.",
        )

    def _subscriber_of(self, token: str) -> Subscriber | None:
        return subscriber_for_unsubscribe_link(self.store, self.secret, token)

    def _bad_link(self) -> Response:
        return self._notice(BAD_LINK)

    # -- subscribe (double opt-in) --------------------------------------------------

    def subscribe_page(self, environ: dict[str, Any]) -> Response:
        return self._render("200 OK", "subscribe.html.j2", email="", name="", error="")

    def subscribe(self, environ: dict[str, Any]) -> Response:
        form = _read_body(environ)
        now = self.clock()
        client = client_address(environ, self.settings.web.trusted_proxies)
        if not self.limiter.allow(client, now):
            log.warning("web: subscribe requests from %s over the hourly cap", client)
            return self._too_many()
        if form.get("website"):  # the honeypot: only bots fill a field people cannot see
            log.info("web: subscription refused by the honeypot")
            return self._check_your_inbox()
        email, raw_name = form.get("email", "").strip(), form.get("name", "")
        try:
            name = form_name(raw_name)
            request_subscription(self.store, self.secret, email, name, now)
        except ValueError as exc:
            return self._render(
                "400 Bad Request",
                "subscribe.html.j2",
                email=email[:320],
                name=raw_name[:NAME_MAX],
                error=str(exc) if isinstance(exc, RefusedName) else _BAD_ADDRESS,
            )
        return self._check_your_inbox()

    def _too_many(self) -> Response:
        return replace(self._notice(TOO_MANY), headers=(("Retry-After", "3600"),))

    def _check_your_inbox(self) -> Response:
        return self._notice(CHECK_YOUR_INBOX)

    def confirm_page(self, environ: dict[str, Any], token: str) -> Response:
        if subscriber_for_confirm_link(self.store, self.secret, token) is None:
            return self._expired()
        return self._page(
            "200 OK",
            "Confirmer l’abonnement",
            "Une dernière étape\u202f:",
            form_action=f"/confirm/{token}",
            button="Confirmer mon abonnement",
        )

    def confirm(self, environ: dict[str, Any], token: str) -> Response:
        welcome = self.settings.mail.welcome
        subscriber = confirm_by_link(self.store, self.secret, token, self.clock(), welcome=welcome)
        if subscriber is None:
            return self._expired()
        return self._page(
            "200 OK",
            "Abonnement confirmé",
            f"Bienvenue\u202f! Le prochain numéro {self._title.of} "
            f"arrivera à {mask_address(subscriber.email)}.",
        )

    def _expired(self) -> Response:
        return self._notice(EXPIRED)

    # -- pages -----------------------------------------------------------------------

    def _notice(self, notice: Notice) -> Response:
        return self._page(notice.status, notice.heading, notice.message)

    def _page(
        self,
        status: str,
        heading: str,
        message: str,
        form_action: str | None = None,
        button: str = "",
    ) -> Response:
        # Every such page answers a personal link (unsubscribe, confirm) or tells of an
        # error: none belongs in a search engine.
        return self._render(
            status,
            "message.html.j2",
            heading=heading,
            message=message,
            form_action=form_action,
            button=button,
            noindex=True,
        )

    def _render(self, status: str, template: str, **context: Any) -> Response:
        pages = jinja_environment(templates_dir() / "public")
        page = pages.get_template(template).render(
            newsletter=self.settings.newsletter, title_forms=self._title, **context
        )
        return Response(status, french_html(page).encode("utf-8"))  # French typography

    @property
    def _title(self) -> TitleForms:
        newsletter = self.settings.newsletter
        return title_forms(newsletter.title, newsletter.title_article)


def _page_number(raw: str) -> int | None:
    """?page=N as written by the archive's own links (digits, no leading zero), else None."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > MAX_PAGE_DIGITS:
        return None
    return int(raw) if str(int(raw)) == raw else None


def _read_body(environ: dict[str, Any]) -> dict[str, str]:
    """Form fields from a urlencoded or multipart body (RFC 8058 allows both)."""
    try:
        length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_FORM_BYTES)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length else b""
    content_type = environ.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/form-data"):
        return _multipart_fields(raw, content_type)
    fields = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[0] for key, values in fields.items()}


def _multipart_fields(raw: bytes, content_type: str) -> dict[str, str]:
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    fields = {}
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            fields[name] = str(part.get_content()).strip()
    return fields


class RefusedName(ValueError):
    """A name the form refuses; its message is French, for the visitor."""


def form_name(raw: str) -> str | None:
    """The name typed in the form, or None, by the subscribers' one rule (validate_name:
    no control character, which could inject mail headers, issue 10 item 7, and at most
    NAME_MAX characters); RefusedName tells the visitor why, in French."""
    try:
        return validate_name(raw)
    except SubscriberError as exc:
        if len(raw.strip()) > NAME_MAX:
            raise RefusedName(f"Le nom est trop long ({NAME_MAX} caractères au plus).") from exc
        raise RefusedName(
            "Le nom ne peut pas contenir de retour à la ligne ni de caractère de contrôle."
        ) from exc


def make_public_app(settings: Settings, store: Store | None = None) -> PublicApp:
    return PublicApp(settings, store or open_store(settings.database_url))
