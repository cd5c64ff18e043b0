"""The build stage on a real store: stories, themes, ranking, blurbs, drafts."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from digest.app.build import run_build
from digest.config import load_settings
from digest.ingest.documents import document_files, ingest_documents
from digest.models import BRIEF_THEME_ID, IssueStatus, ItemDraft, SourceKind
from digest.sentences import count_words, split_sentences
from digest.serialize import issue_json
from digest.settings import Pin, Settings, Theme
from digest.store import Store

from .conftest import REPO, SeedsJson

LOREM = (
    "Le marché réagit avec prudence et les analystes restent partagés sur la suite. "
    "Les prochains mois diront si cette stratégie tient ses promesses face à la concurrence. "
)


@pytest.fixture
def settings() -> Settings:
    return load_settings(REPO / "feeds.yaml", env={})


def add(store: Store, now: datetime, source: str, *drafts: ItemDraft) -> None:
    """Items fetched a few minutes before `now` (the build's period ends at now, excluded)."""
    fetched = now - timedelta(minutes=5)
    store.ensure_source(source, SourceKind.FEED, f"https://{source}.example/feed", fetched)
    store.add_items(source, drafts, fetched)


def story(key: str, title: str, text: str, url: str | None = None, **extra: object) -> ItemDraft:
    return ItemDraft(key=key, title=title, text=text, url=url, **extra)  # type: ignore[arg-type]


def seeds_issue(store: Store, settings: Settings, now: datetime) -> dict:
    ingest_documents(store, document_files(settings.documents), now - timedelta(hours=1))
    result = run_build(store, settings, now)
    assert result.issue is not None
    items = {i.id: i for i in store.list_items()}
    return issue_json(result.issue, items)["issue"] | {"_items": items}


def test_seed_issue_reads_like_a_newsletter(seeds_json: SeedsJson) -> None:
    issue, items = seeds_json.issue, seeds_json.items
    themed = [s for s in issue["sections"] if s["theme"] != BRIEF_THEME_ID]
    assert len(themed) >= 5
    assert issue["sections"][-1]["theme"] == BRIEF_THEME_ID  # « En bref » comes last
    seen: set[int] = set()
    for section in issue["sections"]:
        for entry in section["entries"]:
            assert entry["title"] and entry["summary"]
            assert entry["links"] or entry["sources"]  # every entry has a source
            assert not seen & set(entry["item_ids"]), "a story appears twice"
            seen |= set(entry["item_ids"])
    for section in themed:
        blurb = section["blurb"]
        assert 2 <= len(blurb) <= 4, section["title"]
        assert sum(count_words(b["text"]) for b in blurb) <= 120  # « » are not words
        section_items = {i for e in section["entries"] for i in e["item_ids"]}
        for sentence in blurb:
            # Each sentence comes from a story of its own section, word for word (or with
            # its subject made explicit, the source's words kept beside it).
            assert sentence["item_id"] in section_items
            item = items[sentence["item_id"]]
            words = sentence["original"] or sentence["text"]
            assert words in split_sentences(item.text) + split_sentences(item.enjeux or "")
            assert re.search(r"[éèàêç]|\b(le|la|les|des|est)\b", sentence["text"])  # French
        summaries = {e["summary"] for e in section["entries"]}
        assert not any(b["text"] in s for b in blurb for s in summaries)  # not redundant


def test_build_is_deterministic(store: Store, settings: Settings, now) -> None:
    first = seeds_issue(store, settings, now)
    first.pop("_items")
    second = run_build(store, settings, now)  # rebuilt in place: same number, same content
    assert second.replaced_draft and second.issue is not None
    again = issue_json(second.issue, {})["issue"]
    assert _contents(again) == _contents(first) and again["number"] == first["number"] == 1


def _contents(issue: dict) -> list[list[object]]:
    return [
        [(e["title"], e["summary"]) for e in s["entries"]] + [b["text"] for b in s["blurb"]]
        for s in issue["sections"]
    ]


def test_same_story_from_two_feeds_is_one_entry(store: Store, settings: Settings, now) -> None:
    text = (
        "Mistral AI a levé 600 millions d'euros auprès de fonds américains et européens pour "
        "accélérer le développement de ses modèles de langage ouverts. " + LOREM
    )
    add(
        store,
        now,
        "feed-a",
        story(
            "a1",
            "Mistral AI lève 600 millions d'euros",
            text,
            "https://a.example/mistral",
            published_at=now - timedelta(hours=3),
        ),
    )
    add(
        store,
        now,
        "feed-b",
        story(
            "b1",
            "Mistral AI lève 600 millions",
            text.replace("accélérer", "soutenir"),
            "https://b.example/mistral-600",
            published_at=now - timedelta(hours=2),
        ),
    )
    add(
        store,
        now,
        "feed-c",
        story(
            "c1",
            "Une faille dans un agent de code",
            "Des chercheurs en "
            "sécurité ont trouvé une faille d'injection de prompts dans un "
            "agent de code populaire. " + LOREM,
            "https://c.example/faille",
        ),
    )
    issue = run_build(store, settings, now).issue
    assert issue is not None
    merged = [e for e in issue.entries if "Mistral" in e.title]
    assert len(merged) == 1
    assert {link.url for link in merged[0].links} == {
        "https://a.example/mistral",
        "https://b.example/mistral-600",
    }
    assert set(merged[0].sources) == {"feed-a", "feed-b"}


def test_story_fitting_no_theme_goes_to_en_bref(store: Store, settings: Settings, now) -> None:
    add(
        store,
        now,
        "feed-a",
        story(
            "x",
            "Un chat a traversé la rue",
            "Un chat a traversé la rue ce matin sous la pluie, puis il est rentré chez lui.",
        ),
    )
    issue = run_build(store, settings, now).issue
    assert issue is not None
    assert [s.theme_id for s in issue.sections] == [BRIEF_THEME_ID]


def test_pin_rule_wins_over_the_model(store: Store, settings: Settings, now) -> None:
    text = "Un chat a traversé la rue ce matin sous la pluie, puis il est rentré chez lui."
    add(store, now, "feed-a", story("x", "Un chat a traversé la rue", text))
    pinned = replace(settings, pins=(Pin(theme="societe", keyword="chat"),))
    issue = run_build(store, pinned, now).issue
    assert issue is not None
    # A one-story section too thin for a blurb still goes to « En bref »: pins choose the
    # theme, the editor's caps and the blurb rule still apply.
    themes = replace(pinned, themes=(Theme("societe", "Société", "", ("chat",)),))
    text2 = (
        "Les chats de la ville sont de plus en plus nombreux, dit une étude publiée hier. " + LOREM
    )
    add(store, now, "feed-b", story("y", "Les chats en ville", text2))
    issue = run_build(store, themes, now).issue
    assert issue is not None
    assert issue.sections[0].theme_id == "societe"
    assert {e.title for e in issue.sections[0].entries} >= {"Les chats en ville"}


def test_empty_period_builds_nothing(store: Store, settings: Settings, now) -> None:
    add(
        store,
        now,
        "feed-a",
        story("old", "Vieille histoire", "Texte.", published_at=now - timedelta(days=30)),
    )
    result = run_build(store, settings, now)
    assert result.issue is None and store.list_issues() == []


MODEL_STORIES = [
    (
        "Mistral",
        "Mistral publie Medium 3, un modèle de langage ouvert pour les entreprises "
        "européennes. Sa licence pourrait séduire les administrations soucieuses de souveraineté.",
    ),
    (
        "Qwen",
        "Alibaba dévoile Qwen 3, dont les poids sont publiés pour la recherche chinoise. "
        "Washington craint un transfert de savoir-faire vers l'armée.",
    ),
    (
        "DeepSeek",
        "DeepSeek sort un modèle de raisonnement entraîné à faible coût à Hangzhou. "
        "Les fabricants de puces redoutent une baisse durable de la demande.",
    ),
    (
        "Llama",
        "Meta retarde Llama 5 faute de résultats sur les benchmarks de mathématiques. "
        "Zuckerberg promet une version plus petite avant l'été.",
    ),
    (
        "Gemini",
        "Google lance Gemini Flash, un modèle multimodal rapide pour les téléphones "
        "Android. Samsung l'intégrera dans sa prochaine gamme Galaxy.",
    ),
    (
        "Claude",
        "Anthropic présente Claude Opus, premier sur LMArena pour le code et la "
        "rédaction. Le prix par jeton reste le double de celui de ses rivaux.",
    ),
    (
        "Grok",
        "xAI ouvre Grok aux développeurs avec une fenêtre de contexte d'un million de mots. "
        "La modération des réponses inquiète toujours les annonceurs.",
    ),
    (
        "Falcon",
        "Le TII d'Abou Dhabi publie Falcon, un petit modèle de langage arabe et anglais. "
        "Les universités du Golfe comptent l'adopter dès la rentrée.",
    ),
]


def test_caps_send_the_rest_to_en_bref(store: Store, settings: Settings, now) -> None:
    for n, (name, lede) in enumerate(MODEL_STORIES):
        add(
            store,
            now,
            f"feed-{n}",
            story(
                f"k{n}",
                f"{name} : un nouveau modèle",
                lede,
                published_at=now - timedelta(hours=n + 1),
            ),
        )
    capped = replace(settings, issue=replace(settings.issue, max_per_section=3, max_briefs=4))
    issue = run_build(store, capped, now).issue
    assert issue is not None
    assert len(issue.entries) == 3 + 4  # eight distinct stories, one merged by no one
    by_theme = {s.theme_id: s for s in issue.sections}
    assert len(by_theme["modeles"].entries) == 3
    assert len(by_theme[BRIEF_THEME_ID].entries) == 4
    assert all(len(split_sentences(e.summary)) <= 1 for e in by_theme[BRIEF_THEME_ID].entries)


def test_sent_issue_starts_the_next_period(store: Store, settings: Settings, now) -> None:
    add(
        store,
        now,
        "feed-a",
        story(
            "x",
            "Un chat a traversé la rue",
            "Un chat a traversé la rue.",
            published_at=now - timedelta(hours=1),
        ),
    )
    first = run_build(store, settings, now).issue
    assert first is not None and first.number == 1
    with store.session() as s:  # what `digest send` will do: mark the issue sent
        from digest.store.schema import IssueRow

        s.query(IssueRow).filter_by(number=1).update({"status": IssueStatus.SENT.value})
    later = now + timedelta(days=7)
    assert run_build(store, settings, later).issue is None  # nothing new since issue 1
    add(
        store,
        later,
        "feed-a",
        story(
            "y",
            "Un autre chat",
            "Un autre chat a traversé la rue.",
            published_at=later - timedelta(hours=1),
        ),
    )
    second = run_build(store, settings, later).issue
    assert second is not None and second.number == 2
    assert [e.title for e in second.entries] == ["Un autre chat"]


def test_show_json_is_stable(seeds_json: SeedsJson) -> None:
    issue = seeds_json.issue
    assert set(issue) == {
        "number",
        "status",
        "period",
        "created_at",
        "subject",
        "preheader",
        "note",
        "edited",
        "sections",
    }
    section = issue["sections"][0]
    assert set(section) == {"theme", "title", "blurb", "entries"}
    assert set(section["blurb"][0]) == {
        "text",
        "item_id",
        "source",
        "title",
        "url",
        "original",
        "explicit_subject",
        "edited_by",
    }
    assert set(section["entries"][0]) == {
        "title",
        "summary",
        "links",
        "sources",
        "date",
        "item_ids",
        "key",
        "edited_by",
    }
    json.dumps(issue, ensure_ascii=False)  # serialisable as is
