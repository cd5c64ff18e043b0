"""« Articles déjà parus » on the preview's desk (issue 13, item 4): a story that went out
is left out of every build, and the editor puts one back from the draft's page. Issue 1
of the shipped documents is sent, then draft 2 is built over a period that holds its
stories and two new ones; the desk is driven in Chromium through its real forms, and at
the HTTP level with posts that are not the desk's own or name no story it offers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from digest.app.add_back import LISTED, add_back, can_add_back, sent_choice
from digest.app.build import run_build
from digest.config import load_settings
from digest.errors import EditError
from digest.models import Issue
from digest.settings import Settings
from digest.store import Store, open_store
from digest.typography import french
from digest.web.preview import PreviewApp

from .axe import assert_accessible
from .browser import check_readable, opened, served
from .conftest import REPO, SEED_NOW, SeedIssue, copy_sqlite
from .test_desk_preview import post
from .test_overrides import STORIES, add_story
from .test_preview import call

LATER = SEED_NOW + timedelta(days=1)  # when draft 2 is built and edited
DRAFT = 2
EDIT = f"/issues/{DRAFT}/edit"


@pytest.fixture(scope="module")  # frozen: a test changes a copy (dataclasses.replace)
def settings() -> Settings:
    return load_settings(REPO / "feeds.yaml", env={})


def send(store: Store, number: int) -> None:
    """Approve issue `number` and send it to no one: its stories are recorded as sent."""
    store.approve_issue(number, SEED_NOW)
    store.open_deliveries(number, SEED_NOW)
    assert store.close_issue_if_done(number, SEED_NOW)


def item_ids(issue: Issue) -> set[int]:
    return {i for e in issue.entries for i in e.item_ids}


@pytest.fixture(scope="module")
def desk_database(
    seed_issue: SeedIssue, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Issue 1 sent; draft 2 built with `--since` two days back: its period holds issue
    1's stories (left out) and two new ones. Built once for the module (the build is the
    costly part); each test works on a copy of its own (desk_store)."""
    store = seed_issue.copy(tmp_path_factory.mktemp("desk"))
    try:
        send(store, 1)
        for key in ("mistral", "faille"):
            add_story(store, LATER, key, *STORIES[key])
        built = run_build(store, settings, LATER, since=SEED_NOW - timedelta(days=2))
        assert built.issue is not None and built.issue.number == DRAFT
        assert built.already_sent == len(item_ids(seed_issue.issue))
    finally:
        store.close()
    return Path(str(store.engine.url.database))


@pytest.fixture
def desk_store(desk_database: Path, tmp_path: Path) -> Iterator[Store]:
    copy_sqlite(desk_database, tmp_path / "digest.db")
    store = open_store(f"sqlite:///{tmp_path / 'digest.db'}")
    yield store
    store.close()


@pytest.fixture
def app(desk_store: Store) -> PreviewApp:
    env = {"DIGEST_SECRET_KEY": "k" * 32}
    return PreviewApp(desk_store, REPO / "feeds.yaml", clock=lambda: LATER, env=env)


def page_of(app: PreviewApp, query: str = "") -> tuple[str, str]:
    status, _, page = call(app, f"/issues/{DRAFT}{query}")
    return status, page


def token_of(app: PreviewApp) -> str:
    found = re.search(r'name="token" value="([0-9a-f]+)"', page_of(app)[1])
    assert found
    return found.group(1)


def offered(page: str) -> list[int]:
    """The item ids the page's add-back forms post."""
    return [int(i) for i in re.findall(r'name="item" value="(\d+)"', page)]


def add_back_post(app: PreviewApp, item: str, token: str | None = None) -> tuple[str, str]:
    fields = {"token": token or token_of(app), "action": "add-back", "item": item}
    status, headers, page = post(app, fields, path=EDIT)
    return status, headers.get("Location", page)


def sent_titles(store: Store, issue: Issue) -> dict[str, int]:
    """The title of each item issue `issue` carried, and its id."""
    items = {item.id: item for item in store.items_by_id(sorted(item_ids(issue)))}
    return {item.title: item.id for item in items.values()}


# -- what the desk offers --------------------------------------------------------------


def test_the_desk_offers_the_sent_stories_of_the_draft_s_period(
    app: PreviewApp, seed_issue: SeedIssue
) -> None:
    status, page = page_of(app)
    assert status == "200 OK"
    assert "Articles déjà parus" in page
    assert "Parus pendant la période de ce brouillon (du 18/11/2026 au 21/11/2026)\u202f:" in page
    ids = offered(page)
    sent = item_ids(seed_issue.issue)
    assert len(ids) == LISTED and set(ids) <= sent  # bounded, and only sent stories
    more = len(sent) - LISTED
    assert f"Et {more} autres\u202f: précisez la recherche." in page
    # Readers' sources, never a document's file name.
    assert ".txt," not in page and "paru dans le n°\u202f1" in page


def test_a_search_by_title_is_bounded_literal_and_checked(
    app: PreviewApp, desk_store: Store, seed_issue: SeedIssue
) -> None:
    titles = sent_titles(desk_store, seed_issue.issue)
    status, page = page_of(app, "?recherche=openai")
    assert status == "200 OK"
    assert "Titres qui contiennent «\u202fopenai\u202f»\u202f:" in page
    wanted = {i for title, i in titles.items() if "openai" in title.lower()}
    assert wanted and set(offered(page)) == wanted  # any case
    # The editor's % and _ are characters, not LIKE's wildcards: « 42 % de toutes les
    # tâches… » alone has a %, and no title has a _.
    percent = {i for title, i in titles.items() if "%" in title}
    assert len(percent) == 1 and not any("_" in title for title in titles)
    assert set(offered(page_of(app, "?recherche=%25")[1])) == percent
    status, page = page_of(app, "?recherche=_")
    assert status == "200 OK" and offered(page) == [] and "Aucun." in page
    status, page = page_of(app, "?recherche=")  # an empty search: the latest sent
    assert "Les derniers parus\u202f:" in page and len(offered(page)) == LISTED
    for bad, message in (("a%00b", "(U+0000)"), ("x" * 201, "201 characters (at most 200)")):
        status, page = page_of(app, f"?recherche={bad}")
        assert status == "400 Bad Request"
        assert "La recherche n’a pas abouti." in page and message in page
        assert len(offered(page)) == LISTED  # the period's list instead


# -- adding back, at the HTTP level -----------------------------------------------------


def test_add_back_rebuilds_the_draft_keeping_overrides_and_earlier_add_backs(
    app: PreviewApp, desk_store: Store, seed_issue: SeedIssue
) -> None:
    token = token_of(app)
    lines = {"token": token, "action": "lines", "subject": "Objet de la rédaction"}
    assert post(app, lines | {"preheader": ""}, path=EDIT)[0] == "303 See Other"
    first, second = offered(page_of(app)[1])[:2]
    status, location = add_back_post(app, str(first), token)
    assert (status, location) == ("303 See Other", f"/issues/{DRAFT}?fait=add-back#edition")
    assert add_back_post(app, str(second), token)[0] == "303 See Other"
    issue = desk_store.get_issue(DRAFT)
    assert issue is not None
    assert {first, second} <= item_ids(issue)  # the second build kept the first add-back
    assert issue.subject == "Objet de la rédaction"  # and the override
    page = page_of(app, "?fait=add-back")[1]
    assert "Article déjà paru remis dans le numéro\u202f: le brouillon a été reconstruit" in page
    assert {first, second}.isdisjoint(offered(page))  # no longer offered
    more = len(item_ids(seed_issue.issue)) - 2 - LISTED
    assert len(offered(page)) == LISTED and f"Et {more} autres" in page


def test_a_repeated_add_back_changes_nothing(app: PreviewApp, desk_store: Store) -> None:
    item = str(offered(page_of(app)[1])[0])
    assert add_back_post(app, item)[0] == "303 See Other"
    before = desk_store.get_issue(DRAFT)
    # A story that came in since: a rebuild would take it, so it shows whether one ran.
    add_story(desk_store, LATER, "gemini", *STORIES["gemini"])
    assert add_back_post(app, item) == ("303 See Other", f"/issues/{DRAFT}?fait=add-back#edition")
    assert desk_store.get_issue(DRAFT) == before


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("abc", "«\u202fabc\u202f» n’est pas un numéro d’article."),
        ("", "«\u202f\u202f» n’est pas un numéro d’article."),
        ("1.5", "n’est pas un numéro d’article"),
        (" 5", "n’est pas un numéro d’article"),
        ("+5", "n’est pas un numéro d’article"),
        ("\u0661\u0662", "n’est pas un numéro d’article"),  # Arabic-Indic digits: int() takes them
        ("5\r\nX", "«\u202f5X\u202f» n’est pas un numéro d’article."),
        ("9" * 19, "n’est pas un numéro d’article"),
        ("999999", "no item 999999"),
        ("unsent", "never went out: there is nothing to add back"),
    ],
)
def test_an_item_it_cannot_add_back_is_refused_and_nothing_is_rebuilt(
    app: PreviewApp, desk_store: Store, item: str, message: str
) -> None:
    if item == "unsent":  # a new story of the draft: it never went out
        item = str(min(item_ids(desk_store.get_issue(DRAFT))))  # type: ignore[arg-type]
    before = desk_store.get_issue(DRAFT)
    add_story(desk_store, LATER, "gemini", *STORIES["gemini"])  # what a rebuild would take
    status, page = add_back_post(app, item)
    assert status == "400 Bad Request"
    assert 'role="alert"' in page and message in page
    assert desk_store.get_issue(DRAFT) == before


@pytest.mark.parametrize(
    ("headers", "token", "message"),
    [
        ({}, "0" * 64, "Ce formulaire n’est plus valable"),
        ({"HTTP_ORIGIN": "https://evil.example"}, None, "un autre site"),
        ({"HTTP_SEC_FETCH_SITE": "cross-site"}, None, "ne vient pas de l’aperçu"),
    ],
)
def test_an_add_back_from_elsewhere_is_refused(
    app: PreviewApp, desk_store: Store, headers: dict[str, str], token: str | None, message: str
) -> None:
    item = str(offered(page_of(app)[1])[0])
    before = desk_store.get_issue(DRAFT)
    fields = {"token": token or token_of(app), "action": "add-back", "item": item}
    status, _, page = post(app, fields, headers, path=EDIT)
    assert status == "403 Forbidden" and message in page
    assert desk_store.get_issue(DRAFT) == before


def test_only_the_draft_a_build_rebuilds_offers_sent_stories(
    desk_store: Store, settings: Settings, app: PreviewApp
) -> None:
    """An approved draft offers none; an older issue put back to draft neither: a build
    would rebuild the latest one."""
    item = offered(page_of(app)[1])[0]
    desk_store.approve_issue(DRAFT, LATER)
    assert "Articles déjà parus" not in page_of(app)[1]
    with pytest.raises(EditError, match="it cannot be edited"):
        add_back(desk_store, settings, DRAFT, item, LATER)
    add_story(desk_store, LATER + timedelta(hours=2), "gemini", *STORIES["gemini"])
    third = run_build(desk_store, settings, LATER + timedelta(hours=2)).issue
    assert third is not None and third.number == DRAFT + 1
    desk_store.unapprove_issue(DRAFT, LATER)
    older = desk_store.get_issue(DRAFT)
    assert older is not None and not can_add_back(desk_store, older)
    assert "Articles déjà parus" not in page_of(app)[1]
    with pytest.raises(EditError, match="not the latest issue"):
        add_back(desk_store, settings, DRAFT, item, LATER)


# -- the store's side, on SQLite and PostgreSQL -----------------------------------------


def test_sent_stories_and_add_back_on_each_backend(store: Store, settings: Settings) -> None:
    sent = add_story(store, SEED_NOW, "mistral", *STORIES["mistral"])
    first = run_build(store, settings, SEED_NOW).issue
    assert first is not None
    send(store, first.number)
    fresh = add_story(store, LATER, "faille", *STORIES["faille"])
    draft = run_build(store, settings, LATER, since=SEED_NOW - timedelta(days=2)).issue
    assert draft is not None and item_ids(draft) == {fresh}
    choice = sent_choice(store, draft, None)
    assert [s.item.id for s in choice.found.stories] == [sent] and choice.found.matched == 1
    assert choice.found.stories[0].issue_number == first.number
    assert [s.item.id for s in sent_choice(store, draft, "MISTRAL").found.stories] == [sent]
    assert sent_choice(store, draft, "50%_off").found.matched == 0
    with pytest.raises(EditError, match="no item 999999999999999999"):  # past int4: no crash
        add_back(store, settings, draft.number, 999_999_999_999_999_999, LATER)
    result = add_back(store, settings, draft.number, sent, LATER)
    assert result.build is not None and item_ids(result.issue) == {fresh, sent}
    assert add_back(store, settings, draft.number, sent, LATER).build is None
    assert sent_choice(store, result.issue, None).found.matched == 0


# -- in Chromium, through the real forms -------------------------------------------------


def test_an_editor_adds_back_sent_stories_through_the_forms(
    browser: Any, app: PreviewApp, desk_store: Store, seed_issue: SeedIssue, tmp_path: Path
) -> None:
    titles = sent_titles(desk_store, seed_issue.issue)
    searched = next(t for t in titles if "openai" in t.lower())
    with served(app) as url, opened(browser, f"{url}/issues/{DRAFT}", 1280) as page:
        page.fill("#f-subject", "L’objet de la rédaction")
        page.get_by_role("button", name="Enregistrer l’objet").click()
        page.wait_for_url(re.compile(r"fait=lines"))

        page.fill("#f-sent-search", "OpenAI")
        page.get_by_role("button", name="Chercher").click()
        page.wait_for_url(re.compile(r"recherche=OpenAI"))
        assert "Titres qui contiennent" in page.inner_text("#deja-parus")
        page.get_by_role("button", name=f"Remettre {searched} dans le numéro").click()
        page.wait_for_url(re.compile(r"fait=add-back"))
        done = page.inner_text("[role=status].done")
        assert done.startswith("Article déjà paru remis dans le numéro")

        # Then one of the period's list: the first stays in.
        listed_id = int(page.locator("#deja-parus input[name=item]").first.input_value())
        listed = next(t for t, i in titles.items() if i == listed_id)
        page.get_by_role("button", name=f"Remettre {listed} dans le numéro").click()
        page.wait_for_url(re.compile(r"fait=add-back"))
        check_readable(page, "the desk with the sent stories")
        page.screenshot(path=tmp_path / "add-back.png", full_page=True)
        email = page.frame(url=re.compile(r"/email\.html$"))
        assert email is not None
        text = email.inner_text("body")
    issue = desk_store.get_issue(DRAFT)
    assert issue is not None and issue.subject == "L’objet de la rédaction"
    assert {titles[searched], titles[listed]} <= item_ids(issue)
    shown = {e.title for e in issue.entries if set(e.item_ids) & {titles[searched], titles[listed]}}
    assert len(shown) == 2 and all(french(title) in text for title in shown)


def test_the_sent_stories_panel_passes_axe(browser: Any, app: PreviewApp) -> None:
    with (
        served(app) as url,
        opened(browser, f"{url}/issues/{DRAFT}?recherche=OpenAI", 375, bypass_csp=True) as page,
    ):
        assert_accessible(page, "the desk's sent stories at 375px")
        check_readable(page, "the desk's sent stories at 375px")


def test_a_story_the_build_has_no_room_for_is_said(desk_store: Store, settings: Settings) -> None:
    """Caps of two stories, both taken by the draft's own: a story added back is cut by the
    build, and the editor is told which setting to raise, not told it is in."""
    tight = replace(settings, issue=replace(settings.issue, max_entries=1, max_briefs=1))
    draft = run_build(desk_store, tight, LATER, since=SEED_NOW - timedelta(days=2)).issue
    assert draft is not None and len(draft.entries) == 2
    choice = sent_choice(desk_store, draft, None)
    refused = []
    for story in choice.found.stories:
        try:
            add_back(desk_store, tight, DRAFT, story.item.id, LATER)
        except EditError as exc:
            refused.append(exc)
    assert refused, "every sent story outranked the draft's own"
    assert "the build found no room for it (at most 1 entries and 1 briefs)" in str(refused[0])
    assert "raise issue.max_briefs" in (refused[0].hint or "")
