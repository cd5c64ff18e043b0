"""The editor's desk in `digest preview` (issue 13, item 2): its forms driven in headless
Chromium, as an editor clicks them (no script of ours involved); and what a post that is
not the preview's own form gets (refused), in-process through the WSGI interface."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from digest.models import IssueEdits, IssueStatus
from digest.store import Store
from digest.web.preview import PreviewApp
from digest.web.preview_actions import FORM_MAX_BYTES

from .axe import assert_accessible
from .browser import check_readable, opened, served
from .conftest import REPO, SEED_NOW, SeedIssue
from .smtpserver import SmtpServer
from .test_preview import call

NUMBER = 1


@pytest.fixture
def desk_store(seed_issue: SeedIssue, tmp_path: Path) -> Iterator[Store]:
    store = seed_issue.copy(tmp_path)
    yield store
    store.close()


@pytest.fixture
def app(desk_store: Store, smtp_server: SmtpServer) -> PreviewApp:
    """The preview, its test sends going to a real SMTP server on loopback."""
    env = {"DIGEST_SMTP_URL": smtp_server.url, "DIGEST_SECRET_KEY": "k" * 32}
    return PreviewApp(desk_store, REPO / "feeds.yaml", clock=lambda: SEED_NOW, env=env)


def token_of(app: PreviewApp) -> str:
    page = get(app, f"/issues/{NUMBER}")[2]
    found = re.search(r'name="token" value="([0-9a-f]+)"', page)
    assert found, "the issue page carries no form token"
    return found.group(1)


def get(app: PreviewApp, path: str) -> tuple[str, dict[str, str], str]:
    return call(app, path)


def post(
    app: PreviewApp,
    fields: dict[str, str] | bytes,
    headers: dict[str, str] | None = None,
    path: str = f"/issues/{NUMBER}/edit",
) -> tuple[str, dict[str, str], str]:
    """A post as Chromium sends the desk's forms (Origin, Sec-Fetch-Site), but `headers`."""
    body = fields if isinstance(fields, bytes) else urlencode(fields).encode()
    environ = {
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "HTTP_ORIGIN": "http://127.0.0.1:8000",
        "HTTP_SEC_FETCH_SITE": "same-origin",
    } | (headers or {})
    return call(app, path, method="POST", body=body, headers=environ)


def test_a_form_post_is_applied_and_goes_back_to_the_page(
    app: PreviewApp, desk_store: Store
) -> None:
    fields = {"token": token_of(app), "action": "lines", "subject": "Objet neuf", "preheader": ""}
    status, headers, _ = post(app, fields)
    assert status == "303 See Other"
    assert headers["Location"] == f"/issues/{NUMBER}?fait=lines#edition"
    assert desk_store.get_issue(NUMBER).subject == "Objet neuf"  # type: ignore[union-attr]
    page = get(app, headers["Location"].split("#")[0])[2]
    assert "Objet et texte d’aperçu enregistrés." in page


@pytest.mark.parametrize(
    ("headers", "token", "status", "message"),
    [
        ({}, "0" * 64, "403 Forbidden", "Ce formulaire n’est plus valable"),
        ({"HTTP_ORIGIN": "https://evil.example"}, None, "403 Forbidden", "un autre site"),
        ({"HTTP_ORIGIN": "null"}, None, "403 Forbidden", "un autre site"),
        ({"HTTP_SEC_FETCH_SITE": "cross-site"}, None, "403 Forbidden", "ne vient pas de l’aperçu"),
        ({"HTTP_SEC_FETCH_SITE": "same-site"}, None, "403 Forbidden", "ne vient pas de l’aperçu"),
        ({"CONTENT_TYPE": "text/plain"}, None, "415 Unsupported Media Type", "pas lisible"),
    ],
)
def test_a_post_from_elsewhere_is_refused(
    app: PreviewApp,
    desk_store: Store,
    headers: dict[str, str],
    token: str | None,
    status: str,
    message: str,
) -> None:
    before = desk_store.get_issue(NUMBER)
    fields = {
        "token": token or token_of(app),
        "action": "lines",
        "subject": "Piraté",
        "preheader": "",
    }
    answer = post(app, fields, headers)
    assert answer[0] == status and message in answer[2]
    assert desk_store.get_issue(NUMBER) == before


def test_an_oversized_body_is_413_and_unread(app: PreviewApp) -> None:
    status, _, page = post(app, b"a" * (FORM_MAX_BYTES + 1))
    assert status == "413 Content Too Large" and "trop long" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"subject": "x" * 201, "preheader": ""}, "subject: 201 characters (at most 200)"),
        ({"subject": "a\u2028b", "preheader": ""}, "line breaks or control characters (U+2028)"),
        # A subject becomes a mail header: CR/LF could smuggle in a Bcc; NUL cuts C strings.
        ({"subject": "a\r\nBcc: all@example.org", "preheader": ""}, "characters (U+000A)"),
        ({"subject": "", "preheader": "pre\x00header"}, "(U+0000)"),
        ({"preheader": ""}, "Le champ «\u202fsubject\u202f» manque au formulaire."),
    ],
)
def test_bad_input_is_said_on_the_page_not_a_500(
    app: PreviewApp, desk_store: Store, fields: dict[str, str], message: str
) -> None:
    before = desk_store.get_issue(NUMBER)
    status, _, page = post(app, {"token": token_of(app), "action": "lines", **fields})
    assert status == "400 Bad Request"
    assert 'role="alert"' in page and message in page
    assert desk_store.get_issue(NUMBER) == before


def test_unknown_actions_and_links_are_said_on_the_page(app: PreviewApp) -> None:
    token = token_of(app)
    status, _, page = post(app, {"token": token, "action": "explode"})
    assert status == "400 Bad Request" and "Action inconnue" in page
    link = {"token": token, "action": "link", "url": "javascript:alert(1)", "title": ""}
    status, _, page = post(app, link | {"summary": "", "section": "en-bref"})
    assert status == "400 Bad Request" and "is not a web address" in page
    assert get(app, f"/issues/{NUMBER}/edit")[0] == "405 Method Not Allowed"
    assert post(app, {"token": token}, path="/issues/9/edit")[0] == "404 Not Found"


def test_an_approved_issue_shows_no_edit_form(app: PreviewApp, desk_store: Store) -> None:
    token = token_of(app)
    desk_store.approve_issue(NUMBER, SEED_NOW)
    page = get(app, f"/issues/{NUMBER}")[2]
    assert "Enregistrer l’objet" not in page and "Approuver le numéro" not in page
    assert "Remettre en brouillon" in page and "Envoyer un test" in page
    fields = {"token": token, "action": "lines", "subject": "Non", "preheader": ""}
    status, _, page = post(app, fields)
    assert status == "400 Bad Request" and "digest unapprove 1 first" in page
    status, _, _ = post(app, {"token": token, "action": "unapprove"})
    assert status == "303 See Other"
    assert desk_store.get_issue(NUMBER).status is IssueStatus.DRAFT  # type: ignore[union-attr]
    assert "Enregistrer l’objet" in get(app, f"/issues/{NUMBER}")[2]


def test_test_sends_are_checked_and_limited(app: PreviewApp, smtp_server: SmtpServer) -> None:
    token = token_of(app)
    status, _, page = post(app, {"token": token, "action": "test", "address": "pas une adresse"})
    assert status == "400 Bad Request" and "not an email address" in page
    for _ in range(5):
        assert post(app, {"token": token, "action": "test", "address": "ed@example.org"})[0] == (
            "303 See Other"
        )
    status, _, page = post(app, {"token": token, "action": "test", "address": "ed@example.org"})
    assert status == "429 Too Many Requests" and "L’e-mail de test n’est pas parti." in page
    assert len(smtp_server.handler.received) == 5


# -- in Chromium, through the real forms ---------------------------------------------------


def story_form(page: Any, title: str) -> Any:
    """The form of the story titled `title`, opened (its <details> clicked, as a person does)."""
    story = page.locator("details.story", has=page.locator("summary", has_text=title)).first
    story.locator("summary").click()
    return story


def test_an_editor_edits_the_draft_through_the_forms(
    browser: Any, app: PreviewApp, desk_store: Store, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    issue, _ = desk_store.load_issue(NUMBER)
    first, second = issue.sections[0], issue.sections[1]
    dropped, moved = first.entries[0], first.entries[1]
    with served(app) as url, opened(browser, f"{url}/issues/{NUMBER}", 1280) as page:
        page.fill("#f-subject", "L’objet de la rédaction")
        page.get_by_role("button", name="Enregistrer l’objet").click()
        page.wait_for_url(re.compile(r"fait=lines"))
        assert "L’objet de la rédaction" in page.inner_text(".panel")

        page.fill("#f-note", "Cette semaine, *un dossier* à lire.")
        page.get_by_role("button", name="Enregistrer le mot").click()
        page.wait_for_url(re.compile(r"fait=note"))

        story_form(page, dropped.title).locator("button", has_text="Retirer").click()
        page.wait_for_url(re.compile(r"fait=drop"))

        form = story_form(page, moved.title)
        form.locator("select").select_option(second.theme_id)
        form.locator("button", has_text="Déplacer").click()
        page.wait_for_url(re.compile(r"fait=move"))
        assert "Article déplacé." in page.inner_text("[role=status].done")

        email = page.frame(url=re.compile(r"/email\.html$"))
        assert email is not None
        text = email.inner_text("body")
        assert "Cette semaine, un dossier à lire." in text
        assert dropped.title not in text
        check_readable(page, "the desk at 1280px")
        page.screenshot(path=tmp_path / "desk.png", full_page=True)

        page.fill("#f-test", "redaction@example.org")
        page.get_by_role("button", name="Envoyer un test").click()
        page.wait_for_url(re.compile(r"fait=test"))
        assert "E-mail de test envoyé" in page.inner_text("[role=status].done")

        page.get_by_role("button", name="Approuver le numéro").click()
        page.wait_for_url(re.compile(r"fait=approve"))
        assert "Approuvé" in page.inner_text(".banner")

    (test,) = smtp_server.handler.received  # exactly one message, the test
    assert test.recipient == "redaction@example.org"
    assert str(test.message["Subject"]) == "[TEST] L’objet de la rédaction"
    edited, _ = desk_store.load_issue(NUMBER)
    assert edited.status is IssueStatus.APPROVED
    assert edited.subject == "L’objet de la rédaction"
    assert edited.note == "Cette semaine, *un dossier* à lire."
    keys = {s.theme_id: [e.key for e in s.entries] for s in edited.sections}
    assert dropped.key not in {k for ks in keys.values() for k in ks}
    assert keys[second.theme_id][-1] == moved.key
    assert desk_store.issue_edits(NUMBER).dropped == {dropped.key}


def test_the_desk_s_other_forms_through_chromium(
    browser: Any, app: PreviewApp, desk_store: Store
) -> None:
    """Every form the editing test above leaves out: a story rewritten, moved down, pinned
    as the lead, dropped and put back; a section moved; a blurb sentence rewritten; a link
    added; every correction undone; approved and put back to draft. Each is checked in what
    the store keeps."""
    issue, _ = desk_store.load_issue(NUMBER)
    first, second = issue.sections[0], issue.sections[1]
    top, other, dropped = first.entries[0], first.entries[1], first.entries[2]
    sentence = first.blurb[0].text

    def click(page: Any, button: Any, done: str) -> None:
        button.click()
        page.wait_for_url(re.compile(rf"fait={done}#"))

    with served(app) as url, opened(browser, f"{url}/issues/{NUMBER}", 1280) as page:
        # Nothing went out yet: no sent story to add back, so no such panel.
        assert "Articles déjà parus" not in page.content()
        click(page, story_form(page, top.title).locator("button", has_text="Descendre"), "down")
        assert desk_store.issue_edits(NUMBER).entry_order[first.theme_id][:2] == (
            other.key,
            top.key,
        )
        name = f"Descendre la rubrique {first.title}"
        click(page, page.get_by_role("button", name=name), "section-down")
        assert desk_store.issue_edits(NUMBER).section_order[:2] == (
            second.theme_id,
            first.theme_id,
        )
        form = story_form(page, other.title)
        form.locator("input[name=title]").fill("Le titre de la rédaction")
        form.locator("textarea[name=summary]").fill("Le résumé de la rédaction.")
        click(page, form.locator("button", has_text="Enregistrer"), "story")
        click(
            page,
            story_form(page, "Le titre de la rédaction").get_by_role(
                "button", name="Mettre à la une"
            ),
            "lead",
        )
        assert "À la une : Le titre de la rédaction" in page.inner_text("#edition")
        heading = page.locator("h4", has_text=re.compile(f"^{re.escape(first.title)}$"))
        section = page.locator("div.desk-section", has=heading)
        phrase = page.locator("summary", has_text="Enjeux, phrase 1")
        blurb = section.locator("details.story", has=phrase)
        blurb.locator("summary").click()
        assert blurb.locator("textarea").input_value() == sentence
        blurb.locator("textarea").fill("Une phrase de la rédaction.")
        click(page, blurb.get_by_role("button", name="Enregistrer la phrase"), "blurb")
        page.fill("#f-url", "https://ex.org/dossier")
        page.fill("#f-link-title", "Le dossier de la rédaction")
        click(page, page.get_by_role("button", name="Ajouter le lien"), "link")
        click(page, story_form(page, dropped.title).locator("button", has_text="Retirer"), "drop")
        assert desk_store.issue_edits(NUMBER).dropped == {dropped.key}
        email = page.frame(url=re.compile(r"/email\.html$"))
        assert email is not None
        text = email.inner_text("body")
        for written in (
            "Le titre de la rédaction",
            "Le résumé de la rédaction.",
            "Une phrase de la rédaction.",
            "Le dossier de la rédaction",
        ):
            assert written in text, written
        assert dropped.title not in text
        edits = desk_store.issue_edits(NUMBER)
        assert edits.lead == other.key and edits.titles == {other.key: "Le titre de la rédaction"}
        assert [b.text for b in edits.blurbs.values()] == ["Une phrase de la rédaction."]
        assert [link.url for link in edits.links] == ["https://ex.org/dossier"]

        click(page, page.get_by_role("button", name=f"Remettre {dropped.title}"), "restore")
        assert desk_store.issue_edits(NUMBER).dropped == frozenset()
        click(page, page.get_by_role("button", name="Annuler toutes les corrections"), "reset")
        assert desk_store.issue_edits(NUMBER) == IssueEdits()
        assert "Le titre de la rédaction" not in page.inner_text("#edition")
        click(page, page.get_by_role("button", name="Approuver le numéro"), "approve")
        assert "Remettre en brouillon" in page.inner_text("#edition")
        click(page, page.get_by_role("button", name="Remettre en brouillon"), "unapprove")
        assert "Brouillon" in page.inner_text(".banner")
    assert desk_store.get_issue(NUMBER) == issue  # a draft again, as built


def test_an_edited_issue_and_its_desk_pass_axe(
    browser: Any, app: PreviewApp, desk_store: Store, tmp_path: Path
) -> None:
    """The note, a rewritten title, an added link, the confirmation and the problem box:
    what the desk adds to the email and the page stays accessible."""
    token = token_of(app)
    note = "Cette semaine, **un dossier** : [le rapport complet](https://ex.org/rapport)."
    assert post(app, {"token": token, "action": "note", "note": note})[0] == "303 See Other"
    link = {"url": "https://ex.org/lien", "title": "Un lien", "summary": "À lire.", "section": ""}
    assert post(app, {"token": token, "action": "link", **link})[0] == "303 See Other"
    email = tmp_path / "email.html"  # on its own, as a mail client shows it
    email.write_text(get(app, f"/issues/{NUMBER}/email.html")[2], encoding="utf-8")
    assert "<strong>un dossier</strong>" in email.read_text(encoding="utf-8")
    with opened(browser, email.as_uri(), 375, bypass_csp=True) as page:
        assert_accessible(page, "the email with the editor's note and link")
    with served(app) as url:
        for path in ("?fait=note", "?vue=telephone"):
            with opened(browser, f"{url}/issues/{NUMBER}{path}", 375, bypass_csp=True) as page:
                assert_accessible(page, f"issue {NUMBER}{path} with the editor's changes")
        # Not through `opened`: Chromium logs the refusal's 400 as a console error.
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        try:
            page = context.new_page()
            page.goto(f"{url}/issues/{NUMBER}")
            page.evaluate("document.getElementById('f-subject').removeAttribute('maxlength')")
            page.fill("#f-subject", "x" * 250)
            page.get_by_role("button", name="Enregistrer l’objet").click()
            page.wait_for_selector("[role=alert]")
            assert "subject: 250 characters (at most 200)" in page.inner_text("[role=alert]")
            assert_accessible(page, "the desk showing a problem")
        finally:
            context.close()


def test_the_desk_reads_well_on_a_phone(browser: Any, app: PreviewApp) -> None:
    with served(app) as url, opened(browser, f"{url}/issues/{NUMBER}", 375) as page:
        story = page.locator("details.story", has=page.locator("input[name=title]")).first
        story.locator("summary").click()  # an open story form, its widest part
        story.locator("input[name=title]").wait_for()
        check_readable(page, "the desk at 375px")
