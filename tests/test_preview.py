"""`digest preview`, in-process on a real store: the issue list, the one render path (the
email page is byte for byte what the sender's render gives), the text part, the draft
banner, reloads on template and configuration changes, readable error pages, escaping."""

from __future__ import annotations

import html
import io
import json
import os
import re
import shutil
import socket
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from click.testing import CliRunner

from digest.app.build import run_build
from digest.app.render import sample_recipient
from digest.cli import main
from digest.config import load_settings
from digest.ingest.documents import ingest_documents
from digest.mail.identity import SAMPLE_KEY
from digest.models import Entry, Issue, IssueStatus, Link, Section
from digest.render import personalize, render_issue, templates_dir
from digest.store import Store
from digest.web.preview import PreviewApp

from .conftest import DOCUMENTS, REPLAYS, REPO, build_key

SEED = DOCUMENTS / "003_186302cdc7413e06.txt"  # one document: a small, real issue
HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(2)>'


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A copy of the shipped configuration that tests may edit (documents/ beside it)."""
    (tmp_path / "documents").symlink_to(DOCUMENTS)
    path = tmp_path / "feeds.yaml"
    shutil.copyfile(REPO / "feeds.yaml", path)
    return path


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    return Path(shutil.copytree(templates_dir(), tmp_path / "templates"))


@pytest.fixture
def app(store: Store, config: Path, templates: Path, now: datetime) -> PreviewApp:
    return PreviewApp(store, config, templates, clock=lambda: now, env={})


def call(
    app: PreviewApp,
    path: str,
    host: str = "127.0.0.1:8000",
    method: str = "GET",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[str, dict, str]:
    """Request `path` through the WSGI interface, as waitress would (`headers` as environ
    keys: HTTP_ORIGIN, CONTENT_TYPE…)."""
    route, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "HTTP_HOST": host,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    } | (headers or {})
    setup_testing_defaults(environ)
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response)).decode("utf-8")
    return seen["status"], seen["headers"], body


def seed_draft(store: Store, config: Path, now: datetime) -> int:
    """The draft built from SEED; after the first test, its rows written back."""
    settings = load_settings(config, env={})

    def build() -> int:
        ingest_documents(store, [SEED], now - timedelta(hours=1))
        issue = run_build(store, settings, now).issue
        assert issue is not None and issue.status is IssueStatus.DRAFT
        return issue.number

    return REPLAYS.run(store, build_key(settings, now, SEED), build)


def handmade_draft(store: Store, now: datetime, title: str) -> int:
    entry = Entry(title, f"Résumé : {title}", (Link("https://example.org/a"),), (), ("test",))
    section = Section("modeles", "Modèles", (), (entry,))
    issue = Issue(1, IssueStatus.DRAFT, now - timedelta(days=7), now, now, (section,))
    return store.save_draft(issue, now).number


def touch(path: Path, text: str) -> None:
    """Write `text`, and move the modification time on: some file systems count seconds."""
    before = path.stat().st_mtime
    path.write_text(text, encoding="utf-8")
    os.utime(path, (before + 2, before + 2))


def version(app: PreviewApp, since: str = "") -> dict[str, Any]:
    status, headers, body = call(app, f"/_changes?since={since}")
    assert status == "200 OK" and headers["Content-Type"] == "application/json"
    return json.loads(body)


def test_list_shows_each_issue_with_status_period_and_entries(
    app: PreviewApp, store: Store, config: Path, now: datetime
) -> None:
    assert "Aucun numéro" in call(app, "/")[2]
    number = seed_draft(store, config, now)
    status, headers, page = call(app, "/")
    assert status == "200 OK" and headers["Content-Type"] == "text/html; charset=utf-8"
    assert 'lang="fr"' in page and f'href="/issues/{number}"' in page
    assert "Brouillon" in page and "du 13/11/2026 au 20/11/2026" in page  # Paris time
    assert f'data-label="Articles">{len(store.get_issue(number).entries)}<' in page


def test_email_page_is_exactly_what_the_sender_renders(
    app: PreviewApp, store: Store, config: Path, templates: Path, now: datetime
) -> None:
    number = seed_draft(store, config, now)
    settings = load_settings(config, env={})
    issue, items = store.load_issue(number)
    reader = sample_recipient(settings, number, SAMPLE_KEY)
    sent_html, sent_text = personalize(
        render_issue(issue, items, settings, templates),
        reader.unsubscribe_url,
        reader.name,
        reader.preferences_url,
    )
    status, headers, body = call(app, f"/issues/{number}/email.html")
    assert status == "200 OK" and body == sent_html  # one render path, no second template
    assert "Bonjour Lectrice Exemple," in body and "__DIGEST_" not in body
    assert "Brouillon" not in body  # the banner is the page's, never the email's
    status, headers, text = call(app, f"/issues/{number}/email.txt")
    assert headers["Content-Type"] == "text/plain; charset=utf-8" and text == sent_text


def test_issue_page_frames_the_email_at_both_widths(
    app: PreviewApp, store: Store, config: Path, now: datetime
) -> None:
    number = seed_draft(store, config, now)
    page = call(app, f"/issues/{number}")[2]
    assert f'src="/issues/{number}/email.html"' in page and 'width="600"' in page
    assert f'href="/issues/{number}?vue=telephone"' in page
    assert 'width="375"' in call(app, f"/issues/{number}?vue=telephone")[2]
    assert 'width="600"' in call(app, f"/issues/{number}?vue=n-importe")[2]
    assert "Le Fil IA n°\u202f1 — " in page  # the subject, as the inbox shows it


def test_text_view_shows_the_plain_text_part(
    app: PreviewApp, store: Store, config: Path, now: datetime
) -> None:
    number = seed_draft(store, config, now)
    text = call(app, f"/issues/{number}/email.txt")[2]
    status, _, page = call(app, f"/issues/{number}/texte")
    shown = re.search(r'<pre class="text" id="text">(.*?)</pre>', page, re.DOTALL)
    assert status == "200 OK" and shown is not None and html.unescape(shown[1]) == text
    assert "Enjeux et perspectives" in text and "Bonjour Lectrice Exemple," in text


def test_drafts_carry_the_banner_and_approved_issues_do_not(
    app: PreviewApp, store: Store, config: Path, now: datetime
) -> None:
    number = seed_draft(store, config, now)
    assert "Brouillon — pas encore envoyé" in call(app, f"/issues/{number}")[2]
    assert "Brouillon — pas encore envoyé" in call(app, f"/issues/{number}/texte")[2]
    store.approve_issue(number, now)
    page = call(app, f"/issues/{number}")[2]
    assert "Brouillon" not in page and "Approuvé — pas encore envoyé" in page


def test_a_template_change_bumps_the_version_and_shows_at_once(
    app: PreviewApp, store: Store, templates: Path, now: datetime
) -> None:
    number = handmade_draft(store, now, "Un modèle ouvert")
    before = version(app)["version"]
    assert version(app, before) == {"version": before, "changed": False}
    template = templates / "email.html.j2"
    touch(template, template.read_text(encoding="utf-8").replace("Au sommaire", "Dans ce numéro"))
    after = version(app, before)
    assert after["changed"] and after["version"] != before
    email = call(app, f"/issues/{number}/email.html")[2]
    assert "Dans ce numéro" in email and "Au sommaire" not in email
    assert f"{after['version']}" in call(app, f"/issues/{number}")[2]  # what the page polls


def test_a_configuration_change_rebuilds_the_draft(
    app: PreviewApp, store: Store, config: Path, now: datetime
) -> None:
    number = seed_draft(store, config, now)
    assert "Business et marché" in call(app, f"/issues/{number}/email.html")[2]
    before = version(app)["version"]
    text = config.read_text(encoding="utf-8")
    touch(config, text.replace('title: "Business et marché"', 'title: "Économie et marchés"'))
    assert version(app, before)["changed"]
    rebuilt = store.get_issue(number)
    assert rebuilt is not None and rebuilt.status is IssueStatus.DRAFT
    assert "Économie et marchés" in [s.title for s in rebuilt.sections]
    assert "Économie et marchés" in call(app, f"/issues/{number}/email.html")[2]
    assert [i.number for i in store.list_issues()] == [number]  # rebuilt in place


def test_a_configuration_change_never_touches_an_approved_issue(
    app: PreviewApp, store: Store, config: Path, now: datetime
) -> None:
    number = seed_draft(store, config, now)
    store.approve_issue(number, now)
    text = config.read_text(encoding="utf-8")
    touch(config, text.replace('title: "Business et marché"', 'title: "Économie et marchés"'))
    version(app)
    assert [(i.number, i.status) for i in store.list_issues()] == [(number, IssueStatus.APPROVED)]
    assert "Business et marché" in call(app, f"/issues/{number}/email.html")[2]


def test_a_broken_template_shows_a_french_error_page_until_fixed(
    app: PreviewApp, store: Store, templates: Path, now: datetime
) -> None:
    number = handmade_draft(store, now, "Un modèle ouvert")
    template = templates / "email.html.j2"
    good = template.read_text(encoding="utf-8")
    lines = good.splitlines()
    lines[30] = "{% if %}"  # line 31
    touch(template, "\n".join(lines))
    for path in (f"/issues/{number}", f"/issues/{number}/email.html", f"/issues/{number}/texte"):
        status, _, page = call(app, path)
        assert status == "500 Internal Server Error" and 'lang="fr"' in page
        assert "Le gabarit de l’e-mail ne se rend pas" in page
        assert "email.html.j2, line 31: Expected an expression" in page and "Traceback" not in page
        assert "/_changes?since=" in page  # it keeps polling, so the fix brings it back
    touch(template, good)
    assert call(app, f"/issues/{number}")[0] == "200 OK"


def test_a_broken_configuration_shows_its_problem_until_fixed(
    app: PreviewApp, store: Store, config: Path, now: datetime
) -> None:
    number = handmade_draft(store, now, "Un modèle ouvert")
    good = config.read_text(encoding="utf-8")
    touch(config, good + "\ntimezone: Mars/Olympus\n")
    status, _, page = call(app, f"/issues/{number}")
    assert status == "500 Internal Server Error" and "L’aperçu ne peut pas s’afficher" in page
    assert "timezone" in page and "/_changes?since=" in page
    touch(config, good)
    assert call(app, f"/issues/{number}")[0] == "200 OK"


def test_unknown_pages_and_issues_are_french_404s(app: PreviewApp) -> None:
    status, _, page = call(app, "/issues/42")
    assert status == "404 Not Found" and "Il n’y a pas de numéro 42." in page
    assert 'lang="fr"' in page and "Page introuvable" in page
    for path in ("/issues/42/email.html", "/issues/42/texte", "/nulle-part"):
        assert call(app, path)[0] == "404 Not Found"
    status, headers, page = call(app, "/", method="POST")
    assert status == "405 Method Not Allowed" and headers["Allow"] == "GET, HEAD"
    assert "Méthode non permise" in page


def test_hostile_titles_show_as_text(app: PreviewApp, store: Store, now: datetime) -> None:
    number = handmade_draft(store, now, HOSTILE)
    for path in (f"/issues/{number}", f"/issues/{number}/texte", f"/issues/{number}/email.html"):
        page = call(app, path)[2]
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    headers = call(app, f"/issues/{number}")[1]
    assert "script-src 'nonce-" in headers["Content-Security-Policy"]


def test_requests_for_another_host_are_refused(app: PreviewApp) -> None:
    # DNS rebinding: a foreign page that resolves its own name to 127.0.0.1.
    assert call(app, "/", host="attacker.example:8000")[0] == "403 Forbidden"
    assert call(app, "/", host="localhost:8000")[0] == "200 OK"


def test_the_command_says_when_its_port_is_taken(config: Path, database_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            main,
            ["--config", str(config), "preview", "--port", str(port)],
            env={"DIGEST_DATABASE_URL": database_url},
        )
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
