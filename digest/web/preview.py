"""`digest preview`: the editors' local web server.

Takes the store, the configuration file and the email templates folder; gives a WSGI
application that lists the issues and shows each one exactly as a reader gets it: the
sender's `render_issue`, then its `personalize` step for a sample reader. The page around
the email switches between desktop and phone widths, shows the plain-text part, flags
drafts, and reloads itself when a template or the configuration changes; a changed
configuration rebuilds the latest draft first. The command line binds it to 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from digest.app.add_back import can_add_back, sent_choice
from digest.app.build import rebuild_draft
from digest.app.edit import Desk, open_desk
from digest.app.render import SampleReading, render_for_sample_reader
from digest.config import load_settings
from digest.errors import DigestError, RenderError
from digest.models import Issue, IssueStatus
from digest.render import jinja_environment, templates_dir
from digest.settings import Settings
from digest.store import Store
from digest.web.forms import Refused
from digest.web.preview_actions import desk_context, not_done, perform, read_form, sent_context
from digest.web.routing import Request, Response, Router, StartResponse, respond

log = logging.getLogger(__name__)

# The two widths editors check: the email's own max width, and a common phone's.
WIDTHS = {"bureau": 600, "telephone": 375}
# A page the editor visits elsewhere can point a host name of its own at 127.0.0.1 (DNS
# rebinding) and read the drafts; the Host header it sends then names that host.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
STATUS_LABELS = {
    IssueStatus.DRAFT: "Brouillon",
    IssueStatus.APPROVED: "Approuvé",
    IssueStatus.SENDING: "Envoi en cours",
    IssueStatus.SENT: "Envoyé",
}
BANNERS = {
    IssueStatus.DRAFT: "Brouillon — pas encore envoyé",
    IssueStatus.APPROVED: "Approuvé — pas encore envoyé",
    IssueStatus.SENDING: "Envoi en cours",
    IssueStatus.SENT: "Envoyé",
}


class PreviewApp:
    """WSGI callable. `clock` is injectable so tests control the time of a rebuild."""

    def __init__(
        self,
        store: Store,
        config_path: Path,
        templates: Path | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.store, self.config_path, self.clock, self.env = store, config_path, clock, env
        self.templates = templates or templates_dir()
        # A configuration broken at start is the command line's error (exit 2); broken
        # later, while the editor types, it is shown in the page until fixed.
        self._settings = load_settings(config_path, env)
        self._config_version = files_version([config_path])
        self._problem: DigestError | None = None
        self._lock = threading.Lock()
        # The forms' token is signed with it: drawn at start, so a page from before a
        # restart asks to be reloaded, and no other site can know it.
        self._secret = secrets.token_bytes(32)
        self.router: Router[Request] = Router()
        self.router.add("GET", "/", self.issues)
        self.router.add("GET", r"/issues/(\d+)", self.issue)
        self.router.add("GET", r"/issues/(\d+)/email\.html", self.email_html)
        self.router.add("GET", r"/issues/(\d+)/email\.txt", self.email_text)
        self.router.add("GET", r"/issues/(\d+)/texte", self.text_page)
        self.router.add("POST", r"/issues/(\d+)/edit", self.edit)
        self.router.add("GET", "/_changes", self.changes)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        return respond(self._handle(request), request.method, start_response)

    def _handle(self, request: Request) -> Response:
        if request.host not in LOCAL_HOSTS:
            log.warning("preview: refused Host %r", request.host)
            return self._message(
                "403 Forbidden", "Accès refusé", "L’aperçu ne répond qu’à 127.0.0.1 et localhost."
            )
        match = self.router.match(request.method, request.path)
        if match.handler is None:
            if match.allowed:
                refused = self._message(
                    "405 Method Not Allowed",
                    "Méthode non permise",
                    "Cette adresse ne répond pas à cette méthode.",
                )
                allow = ("Allow", match.allow_header)
                return replace(refused, headers=(*refused.headers, allow))
            return self._not_found("Cette page n’existe pas.")
        try:
            return match.handler(request, *match.groups)
        except DigestError as exc:
            log.warning("preview %s: %s", request.path, exc)
            return self._failure(exc)

    # -- pages -----------------------------------------------------------------------

    def issues(self, request: Request) -> Response:
        settings = self._current_settings()
        zone = ZoneInfo(settings.timezone)
        rows = [
            {
                "number": issue.number,
                "status": STATUS_LABELS[issue.status],
                "status_id": issue.status.value,
                "period": period_words(issue, zone),
                "entries": len(issue.entries),
            }
            for issue in reversed(self.store.list_issues())
        ]
        return self._page("200 OK", "issues.html.j2", issues=rows)

    def issue(self, request: Request, number: str, problem: Refused | None = None) -> Response:
        preview = self._preview(int(number))
        if preview is None:
            return self._unknown_issue(number)
        view = request.query.get("vue", "bureau")
        view = view if view in WIDTHS else "bureau"
        opened = open_desk(self.store, int(number))
        desk = desk_context(opened, self._secret, request.query.get("fait"))
        desk["sent"], refused_search = self._sent_stories(opened, request.query.get("recherche"))
        problem = problem or refused_search
        return self._page(
            problem.status if problem else "200 OK",
            "issue.html.j2",
            **self._issue_context(preview),
            view=view,
            width=WIDTHS[view],
            desk=desk,
            problem=problem,
        )

    def _sent_stories(
        self, desk: Desk, search: str | None
    ) -> tuple[dict[str, Any] | None, Refused | None]:
        """The desk's sent stories to add back (None when a build does not rebuild this
        issue), and what is wrong with the editor's search, if anything."""
        if not can_add_back(self.store, desk.built):
            return None, None
        zone = ZoneInfo(self._current_settings().timezone)
        period, number = period_words(desk.built, zone), desk.built.number
        try:
            return sent_context(
                sent_choice(self.store, desk.built, search), zone, period, number
            ), None
        except DigestError as exc:
            refused = not_done(exc, "La recherche n’a pas abouti.")
            return sent_context(
                sent_choice(self.store, desk.built, None), zone, period, number
            ), refused

    def edit(self, request: Request, number: str) -> Response:
        """A form of the desk: done, then back to the page (303); or the page again with
        the problem in it. A post that is not the preview's own is refused outright."""
        if self.store.get_issue(int(number)) is None:
            return self._unknown_issue(number)
        try:
            fields = read_form(request.environ, self._secret, int(number))
        except Refused as refused:
            log.warning("preview: refused a post to issue %s: %s", number, refused.message)
            return self._message(refused.status, "Demande refusée", refused.message)
        try:
            settings = self._current_settings()
            done = perform(self.store, settings, int(number), fields, self.clock())
        except Refused as refused:
            return self.issue(request, number, refused)
        except DigestError as exc:
            return self.issue(request, number, not_done(exc))
        back = f"/issues/{number}?fait={done}#edition"
        return Response("303 See Other", b"", headers=(("Location", back),))

    def email_html(self, request: Request, number: str) -> Response:
        preview = self._preview(int(number))
        if preview is None:
            return self._unknown_issue(number)
        # The email exactly as sent; the policy only keeps scripts out of the preview.
        policy = ("Content-Security-Policy", "script-src 'none'; object-src 'none'")
        return Response("200 OK", preview.html.encode("utf-8"), headers=(policy,))

    def email_text(self, request: Request, number: str) -> Response:
        preview = self._preview(int(number))
        if preview is None:
            return self._unknown_issue(number)
        return Response("200 OK", preview.text.encode("utf-8"), "text/plain; charset=utf-8")

    def text_page(self, request: Request, number: str) -> Response:
        preview = self._preview(int(number))
        if preview is None:
            return self._unknown_issue(number)
        return self._page("200 OK", "text.html.j2", **self._issue_context(preview))

    def changes(self, request: Request) -> Response:
        """What the pages poll: the current version, and whether it differs from theirs."""
        self._refresh()
        version = self.version()
        body = {"version": version, "changed": version != request.query.get("since", version)}
        return Response("200 OK", json.dumps(body).encode(), "application/json")

    # -- the issue, rendered as the sender renders it --------------------------------

    def _preview(self, number: int) -> SampleReading | None:
        settings = self._current_settings()
        return render_for_sample_reader(self.store, settings, number, self.templates)

    def _issue_context(self, preview: SampleReading) -> dict[str, Any]:
        issue = preview.issue
        return {
            "number": issue.number,
            "status_id": issue.status.value,
            "banner": BANNERS[issue.status],
            "subject": preview.rendered.subject,
            "preheader": preview.rendered.preheader,
            "entries": len(issue.entries),
            "trimmed": preview.rendered.trimmed,
            "text": preview.text,
            "widths": WIDTHS,
        }

    # -- change tracking -------------------------------------------------------------

    def version(self) -> str:
        """Changes whenever a template or the configuration file does."""
        files = sorted(p for p in self.templates.rglob("*") if _watched(p))
        return _digest(files_version(files), self._config_version)

    def _refresh(self) -> None:
        """Reload the settings, and rebuild the latest draft, if the configuration changed."""
        with self._lock:  # waitress serves the page and its iframe on two threads
            version = files_version([self.config_path])
            if version == self._config_version:
                return
            self._config_version, self._problem = version, None
            try:
                self._settings = load_settings(self.config_path, self.env)
                self._rebuild_draft(self._settings)
            except DigestError as exc:
                # Kept until the file changes again: retrying on every poll would run a
                # build a second for as long as the file stays broken.
                log.warning("preview: %s", exc)
                self._problem = exc

    def _rebuild_draft(self, settings: Settings) -> None:
        rebuild_draft(self.store, settings, self.clock())

    def _current_settings(self) -> Settings:
        self._refresh()
        if self._problem is not None:
            raise self._problem
        return self._settings

    # -- answers ---------------------------------------------------------------------

    def _failure(self, exc: DigestError) -> Response:
        heading = (
            "Le gabarit de l’e-mail ne se rend pas"
            if isinstance(exc, RenderError)
            else "L’aperçu ne peut pas s’afficher"
        )
        return self._page(
            "500 Internal Server Error",
            "message.html.j2",
            heading=heading,
            message="Corrigez le fichier : la page se recharge d’elle-même ensuite.",
            detail=exc.message,
            hint=exc.hint or "",
            polls=True,
        )

    def _unknown_issue(self, number: str) -> Response:
        return self._not_found(f"Il n’y a pas de numéro {number}.")

    def _not_found(self, message: str) -> Response:
        return self._message("404 Not Found", "Page introuvable", message)

    def _message(self, status: str, heading: str, message: str) -> Response:
        return self._page(
            status,
            "message.html.j2",
            heading=heading,
            message=message,
            detail="",
            hint="",
            polls=False,
        )

    def _page(self, status: str, template: str, **context: Any) -> Response:
        # A nonce per page: its own polling script runs, nothing injected would.
        nonce = secrets.token_urlsafe(16)
        context.setdefault("polls", True)
        # The preview's own pages (templates/web), apart from the email templates it shows.
        pages = jinja_environment(templates_dir() / "web")
        body = pages.get_template(template).render(
            newsletter=self._settings.newsletter, version=self.version(), nonce=nonce, **context
        )
        policy = (
            f"default-src 'self'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
            "img-src * data:; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
        )
        return Response(
            status, body.encode("utf-8"), headers=(("Content-Security-Policy", policy),)
        )


def period_words(issue: Issue, zone: ZoneInfo) -> str:
    """« du 13/11/2026 au 20/11/2026 »: an issue's period in the newsletter's timezone."""
    start, end = issue.period_start.astimezone(zone), issue.period_end.astimezone(zone)
    return f"du {start:%d/%m/%Y} au {end:%d/%m/%Y}"


def files_version(paths: Iterable[Path]) -> str:
    """A digest of each file's modification time and size (`missing` when absent)."""
    parts = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            parts.append(f"{path}:missing")
            continue
        parts.append(f"{path}:{stat.st_mtime_ns}:{stat.st_size}")
    return _digest(*parts)


def _watched(path: Path) -> bool:
    # Editors' swap and backup files (.x.swp, x~, .#x) change while nothing is saved.
    return path.is_file() and not path.name.startswith((".", "#")) and not path.name.endswith("~")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def serve_preview(app: PreviewApp, port: int, announce: Callable[[str], None]) -> None:
    """Serve `app` on 127.0.0.1 only, until interrupted."""
    from waitress.server import create_server

    try:
        server = create_server(app, host="127.0.0.1", port=port, threads=4)
    except OSError as exc:
        raise DigestError(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror}",
            hint="another program uses that port: pass --port",
        ) from exc
    announce(f"preview: http://127.0.0.1:{server.effective_port}/ (Ctrl-C stops it)")
    try:
        server.run()
    except KeyboardInterrupt:  # Ctrl-C is how an editor stops it: no traceback
        announce("preview: stopped")
    finally:
        server.close()
