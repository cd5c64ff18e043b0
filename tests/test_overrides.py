"""The editor's overrides (issue 13): kept in the store, applied after every build, seen
by the JSON and the email alike; a rebuild keeps them and reports the ones that no longer
apply."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from digest.app.build import run_build
from digest.app.edit import edit_issue
from digest.app.overrides import apply_edits, blurb_keys
from digest.config import load_settings
from digest.errors import EditError
from digest.models import (
    AddedLink,
    BlurbEdit,
    BlurbSentence,
    Entry,
    Issue,
    IssueEdits,
    IssueStatus,
    ItemDraft,
    Link,
    Section,
    SourceKind,
    link_key,
)
from digest.render import render_issue
from digest.serialize import issue_json
from digest.settings import Settings
from digest.store import Store
from digest.store.edits import edit_rows, edits_from_rows

from .conftest import REPO

T0 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
LOREM = (
    "Le marché réagit avec prudence et les analystes restent partagés sur la suite. "
    "Les prochains mois diront si cette stratégie tient ses promesses face à la concurrence. "
)


def entry(item_id: int, title: str) -> Entry:
    return Entry(title, f"Résumé de {title}.", (Link(f"https://ex.org/{item_id}"),), (item_id,), ())


def made_issue() -> Issue:
    """Two sections by hand: the overrides' logic without a summarizer."""
    first = Section(
        "modeles",
        "Modèles",
        (BlurbSentence("Une phrase sur un.", 1), BlurbSentence("Une phrase sur deux.", 2)),
        (entry(1, "Un"), entry(2, "Deux"), entry(3, "Trois")),
    )
    second = Section(
        "securite", "Sécurité", (BlurbSentence("Sur quatre.", 4),), (entry(4, "Quatre"),)
    )
    return Issue(1, IssueStatus.DRAFT, T0, T0, T0, (first, second), subject="Objet", preheader="P")


def titles(issue: Issue) -> list[list[str]]:
    return [[e.title for e in s.entries] for s in issue.sections]


def test_every_kind_of_override_applies_to_the_built_draft() -> None:
    built = made_issue()
    edits = IssueEdits(
        subject="Mon objet",
        note="Un *mot* de la rédaction.",
        dropped=frozenset({"2"}),
        moves={"3": "securite"},
        entry_order={"securite": ("3", "4")},
        section_order=("securite", "modeles"),
        lead="1",
        titles={"4": "Quatre, réécrit"},
        summaries={"1": "Résumé de la rédaction."},
        blurbs={"modeles/1/0": BlurbEdit("La phrase de la rédaction.", "Une phrase sur un.")},
        links=(AddedLink("https://ex.org/lien", "Un lien", "Pourquoi le lire.", "securite"),),
    )
    edited = apply_edits(built, edits)
    assert edited.stale == ()
    issue = edited.issue
    # The lead's section comes first, whatever the section order says; 3 moved and ordered.
    assert titles(issue) == [["Un"], ["Trois", "Quatre, réécrit", "Un lien"]]
    modeles = issue.sections[0]
    # The dropped story's blurb sentence goes with it; the edited one is marked.
    assert [(b.text, b.edited, b.item_id) for b in modeles.blurb] == [
        ("La phrase de la rédaction.", True, 1)
    ]
    assert modeles.entries[0].summary == "Résumé de la rédaction."
    assert modeles.entries[0].edited == ("summary",)
    assert issue.sections[1].entries[1].edited == ("title",)
    assert issue.sections[1].entries[2].key == link_key("https://ex.org/lien")
    assert (issue.subject, issue.preheader, issue.note) == ("Mon objet", "P", edits.note)
    assert issue.edited == ("subject", "note", "sections")
    assert built == made_issue()  # the built draft is left as it was


def test_overrides_that_no_longer_apply_are_reported_not_applied() -> None:
    built = made_issue()
    edits = IssueEdits(
        dropped=frozenset({"99"}),
        moves={"1": "inconnue"},
        titles={"98": "Plus là"},
        blurbs={"modeles/2/0": BlurbEdit("Autre.", "Une phrase que le build n’écrit plus.")},
        entry_order={"absente": ("1",)},
    )
    edited = apply_edits(built, edits)
    assert titles(edited.issue) == titles(built)
    assert edited.issue.sections[0].blurb == built.sections[0].blurb
    assert sorted(edited.stale) == sorted(
        [
            "drop 99: no such story in this build",
            "move to inconnue: no such section in this build",
            "title 98: no such story in this build",
            "blurb modeles/2/0: the build wrote another sentence there",
            "order of absente: no such section in this build",
        ]
    )


def test_a_section_left_empty_goes() -> None:
    edited = apply_edits(made_issue(), IssueEdits(dropped=frozenset({"4"})))
    assert [s.theme_id for s in edited.issue.sections] == ["modeles"]


def test_a_story_is_named_by_any_of_its_items() -> None:
    """A rebuild may merge a story with a second source and put that item first."""
    merged = replace(made_issue(), sections=(Section("x", "X", (), (entry(7, "Sept"),)),))
    merged = replace(
        merged,
        sections=(
            replace(merged.sections[0], entries=(replace(merged.entries[0], item_ids=(5, 7)),)),
        ),
    )
    assert apply_edits(merged, IssueEdits(dropped=frozenset({"7"}))).issue.sections == ()


def test_blurb_keys_count_each_storys_sentences() -> None:
    section = Section(
        "s", "S", (BlurbSentence("a", 1), BlurbSentence("b", 1), BlurbSentence("c", 2)), ()
    )
    assert blurb_keys(section) == ["s/1/0", "s/1/1", "s/2/0"]


def test_edits_survive_their_rows() -> None:
    edits = IssueEdits(
        subject="S",
        preheader="P",
        note="N",
        section_order=("a", "b"),
        lead="3",
        dropped=frozenset({"1", "2"}),
        moves={"3": "a"},
        entry_order={"a": ("3", "1")},
        titles={"3": "T"},
        summaries={"4": "R"},
        blurbs={"a/1/0": BlurbEdit("x", "y")},
        links=(AddedLink("https://ex.org", "L", "", "a"),),
    )
    assert edits_from_rows(iter(list(edit_rows(edits)))) == edits


# -- on a real store, through the build ---------------------------------------------------


@pytest.fixture
def settings() -> Settings:
    return load_settings(REPO / "feeds.yaml", env={})


def add_story(store: Store, now: datetime, key: str, title: str, text: str) -> int:
    fetched = now - timedelta(minutes=5)
    store.ensure_source("fil", SourceKind.FEED, "https://fil.example/feed", fetched)
    draft = ItemDraft(
        key=key, title=title, text=text + " " + LOREM, url=f"https://fil.example/{key}"
    )
    store.add_items("fil", [replace(draft, published_at=now - timedelta(hours=1))], fetched)
    return next(i.id for i in store.list_items("fil") if i.key == key)


STORIES = {
    "mistral": (
        "Mistral AI publie un modèle de langage ouvert",
        "Mistral AI publie un nouveau modèle de langage ouvert aux poids téléchargeables.",
    ),
    "faille": (
        "Une faille dans un agent de code",
        "Des chercheurs en sécurité ont trouvé une faille d'injection de prompts dans un agent.",
    ),
    "gemini": (
        "Gemini progresse en raisonnement",
        "Le modèle Gemini de Google progresse sur les benchmarks de raisonnement multimodal.",
    ),
}


def build(store: Store, settings: Settings, now: datetime) -> Issue:
    issue = run_build(store, settings, now).issue
    assert issue is not None
    return issue


def test_overrides_survive_a_rebuild_that_brings_new_stories(
    store: Store, settings: Settings
) -> None:
    ids = {key: add_story(store, T0, key, *STORIES[key]) for key in ("mistral", "faille")}
    issue = build(store, settings, T0)
    edits = IssueEdits(
        subject="L’objet de la rédaction",
        dropped=frozenset({str(ids["faille"])}),
        titles={str(ids["mistral"]): "Mistral ouvre son modèle"},
        note="Bonne lecture !",
    )
    saved = edit_issue(store, issue.number, edits, T0).issue
    assert [e.title for e in saved.entries] == ["Mistral ouvre son modèle"]

    later = T0 + timedelta(hours=2)
    ids["gemini"] = add_story(store, later, "gemini", *STORIES["gemini"])
    result = run_build(store, settings, later)
    assert result.issue is not None and result.replaced_draft
    assert result.stale_edits == ()
    rebuilt, items = store.load_issue(issue.number)
    assert rebuilt.subject == "L’objet de la rédaction"
    assert rebuilt.note == "Bonne lecture !"
    keys = {e.key: e for e in rebuilt.entries}
    assert str(ids["faille"]) not in keys  # a dropped story stays dropped
    assert str(ids["gemini"]) in keys  # the new story came in
    assert keys[str(ids["mistral"])].title == "Mistral ouvre son modèle"

    # show --json marks what the editor wrote, and only that.
    shown = issue_json(rebuilt, items)["issue"]
    assert shown["edited"] == ["subject", "note", "sections"]
    by_key = {e["key"]: e for s in shown["sections"] for e in s["entries"]}
    assert by_key[str(ids["mistral"])]["edited_by"] == {"title": "editor"}
    assert by_key[str(ids["gemini"])]["edited_by"] == {}
    assert all(b["edited_by"] is None for s in shown["sections"] for b in s["blurb"])

    # Undoing an override brings back what the build wrote.
    undone = edit_issue(store, issue.number, IssueEdits(), later).issue
    assert {e.key for e in undone.entries} == set(map(str, ids.values()))
    assert undone.subject != "L’objet de la rédaction" and undone.edited == ()


def test_an_override_whose_story_left_is_reported_by_the_rebuild(
    store: Store, settings: Settings
) -> None:
    mistral = add_story(store, T0, "mistral", *STORIES["mistral"])
    issue = build(store, settings, T0)
    edit_issue(store, issue.number, IssueEdits(titles={str(mistral): "Mistral, réécrit"}), T0)
    later = T0 + timedelta(hours=3)
    add_story(store, later, "gemini", *STORIES["gemini"])
    result = run_build(store, settings, later, since=T0)  # the Mistral story is out of it
    assert result.stale_edits == (f"title {mistral}: no such story in this build",)
    assert store.issue_edits(issue.number).titles == {str(mistral): "Mistral, réécrit"}


def test_an_edit_naming_what_the_draft_lacks_is_refused(store: Store, settings: Settings) -> None:
    add_story(store, T0, "mistral", *STORIES["mistral"])
    issue = build(store, settings, T0)
    for edits in (IssueEdits(titles={"424242": "U"}), IssueEdits(moves={"1": "cuisine"})):
        with pytest.raises(EditError):
            edit_issue(store, issue.number, edits, T0)
    assert store.issue_edits(issue.number) == IssueEdits()


def test_an_approved_issue_is_not_edited(store: Store, settings: Settings) -> None:
    add_story(store, T0, "mistral", *STORIES["mistral"])
    issue = build(store, settings, T0)
    store.approve_issue(issue.number, T0)
    with pytest.raises(EditError) as refused:
        edit_issue(store, issue.number, IssueEdits(subject="Non"), T0)
    assert refused.value.hint == f"digest unapprove {issue.number} first, then edit it"
    assert store.get_issue(issue.number).subject != "Non"  # type: ignore[union-attr]
    with pytest.raises(EditError, match="no issue 9"):
        edit_issue(store, 9, IssueEdits(), T0)


def test_the_note_reaches_the_email_sanitised(store: Store, settings: Settings) -> None:
    add_story(store, T0, "mistral", *STORIES["mistral"])
    issue = build(store, settings, T0)
    note = "Cette semaine, **un dossier** : [à lire](https://ex.org/dossier).\n\n<script>alert(1)</script>"
    edit_issue(store, issue.number, IssueEdits(note=note), T0)
    edited, items = store.load_issue(issue.number)
    rendered = render_issue(edited, items, settings)
    assert "<strong>un dossier</strong>" in rendered.html
    assert 'href="https://ex.org/dossier"' in rendered.html
    assert "<script>alert" not in rendered.html and "&lt;script&gt;" in rendered.html
    # The text part is typeset like the rest: a narrow no-break space before the colon.
    assert "Cette semaine, un dossier\u202f: à lire (https://ex.org/dossier)." in rendered.text
