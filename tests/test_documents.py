"""The shipped seed documents cut into the stories a careful editor would cut."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from digest.ingest.clean import decode_bytes, repair_text
from digest.ingest.documents import ingest_documents, stories_from_document
from digest.models import ItemDraft, ItemKind, Outcome
from digest.store import Store

from .conftest import DOCUMENTS
from .needs import missing_tool

SEEDS = {p.name[:3]: p for p in sorted(DOCUMENTS.glob("*.txt"))}
MOJIBAKE = re.compile(r"Ã.|â€|Â[\s\u00a0]|†|ðŸ|ï¿½|\ufffd")


def cut(seed: str) -> list[ItemDraft]:
    return stories_from_document(SEEDS[seed].read_bytes())


def stories(seed: str) -> list[ItemDraft]:
    return [d for d in cut(seed) if d.kind is ItemKind.STORY]


def test_seeds_are_shipped_byte_for_byte() -> None:
    shared = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    if not shared.exists():
        missing_tool("../shared/seeds is not beside this checkout")
    for original in shared.glob("*.txt"):
        assert (DOCUMENTS / original.name).read_bytes() == original.read_bytes()


def test_double_encoded_report_comes_out_as_clean_french() -> None:
    raw = SEEDS["001"].read_bytes().decode("utf-8")
    assert "Ã©" in raw  # the seed really is double-encoded
    text = repair_text(decode_bytes(SEEDS["001"].read_bytes()))
    assert "Synthèse globale des avancées en IA en mars" in text
    assert "🔹" in text  # its emoji restored
    assert not MOJIBAKE.search(text), MOJIBAKE.search(text)


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_every_story_is_clean(seed: str) -> None:
    for draft in cut(seed):
        assert draft.title.strip() and draft.text.strip()
        for field in (draft.title, draft.text, draft.enjeux or ""):
            assert not MOJIBAKE.search(field), (draft.title, MOJIBAKE.search(field))
            assert "】" not in field and "](http" not in field and "**" not in field
            for residue in (
                "Akismet",
                "Laisser un commentaire",
                "Félicitation votre demande",
                "lien de téléchargement",
                "Modules 1 à 4",
            ):
                assert residue not in field
        assert draft.language == "fr"


def test_newsletter_one_story_per_headline_with_its_enjeux() -> None:
    drafts = cut("003")
    titles = [d.title for d in drafts]
    assert len(drafts) == 9  # the untitled lead, seven punning headlines, the app review
    assert drafts[0].title_derived and drafts[0].text.startswith("Meta a encore faim.")
    assert titles[1:] == [
        "Non mais allô quoi ?",
        "Le boss démâte",
        "Tel est pris qui croyait prendre",
        "Sous les pavés, la plage",
        "La réalité rattrape la friction",
        "Il faut sauver le soldat Garry",
        "La mélodie du bonheur",
        "App sous le radar : NanoBanana",
    ]
    with_enjeux = [d for d in drafts if d.enjeux]
    assert len(with_enjeux) == 7
    boss = drafts[2]
    assert boss.enjeux and boss.enjeux.startswith("Cette anecdote révèle le paradoxe GPT-5")
    assert "Cette anecdote" not in boss.text  # the enjeux is a field of its own
    assert all(d.section == "Le monde de demAIn" for d in drafts)  # the masthead


def test_report_one_story_per_bullet_grouped_under_headings() -> None:
    drafts = cut("001")
    story_drafts = [d for d in drafts if d.kind is ItemKind.STORY]
    context = [d for d in drafts if d.kind is ItemKind.CONTEXT]
    assert len(story_drafts) == 22
    assert [d.title for d in context] == [
        "Synthèse globale des avancées en IA en mars 2025",
        "Analyse critique : impacts, limites et enjeux",
        "Perspectives pour les mois à venir",
    ]
    first = story_drafts[0]
    assert first.title == "OpenAI – GPT‑4.5 (2025)"
    assert first.section == "Nouvelles générations de modèles de langage (LLM) et NLP"
    assert "https://openai.com/index/introducing-gpt-4-5/" in [link.url for link in first.links]
    assert all("#:~:text" not in link.url for d in drafts for link in d.links)
    sections = {d.section for d in story_drafts}
    assert sections == {
        "Nouvelles générations de modèles de langage (LLM) et NLP",
        "Progrès en IA générative visuelle, image et vidéo",
        "Écosystème frameworks, outils et plateformes",
        "Faits marquants recherche, applications et éthique",
    }
    o_models = story_drafts[1]
    assert o_models.title == "OpenAI – modèles “O” et raisonnement"  # the lost ” restored


def test_article_dump_one_story_per_article() -> None:
    drafts = cut("002")
    assert len(drafts) == 10
    leads = [d.text.split("\n\n")[0][:40] for d in drafts]
    assert leads[0].startswith("Tencent publie HunyuanImage 3.0")
    assert leads[2].startswith("Une rumeur prétend que Google prépare")  # no FAQ before it
    assert leads[3].startswith("Zilliz a publié le 30 janvier 2026")  # nor after it
    assert leads[9].startswith("OpenAI a lancé Prism")  # a lede that ends with a question
    for d in drafts:
        assert d.title_derived and len(d.title.split()) <= 13
        assert "\nFAQ\n" not in f"\n{d.text}\n"
        assert "Qu'est-ce que" not in d.text.split("\n\n")[-1]  # FAQs left out


def test_editorial_topics_briefs_and_frame() -> None:
    drafts = cut("000")
    story_drafts = [d for d in drafts if d.kind is ItemKind.STORY]
    assert len(story_drafts) == 7
    assert story_drafts[0].text.startswith("Trois mois après un lancement de GPT-5")
    assert "Mais GPT-5.1 ne se contente pas" in story_drafts[0].text
    trm = story_drafts[1]
    assert trm.text.startswith("Si GPT-5.1 est une évolution, les Tiny Recursive Models")
    assert "Samsung" in trm.text  # the market's reaction belongs to the TRM story
    assert [d.title for d in story_drafts[2:6]] == [
        "Google Gemini se connecte à vos données",
        "Accord Apple/Google pour Siri",
        "OpenAI perd un procès en Europe",
        "L'injection de prompts, nouvelle menace",
    ]
    assert "Claude Code" in story_drafts[6].text
    assert [d.kind for d in (drafts[0], drafts[-1])] == [ItemKind.CONTEXT, ItemKind.CONTEXT]
    assert not re.search(r"\w \d\.$", story_drafts[0].text)  # reference markers dropped
    assert "[1] Frandroid" not in " ".join(d.text for d in drafts)


def test_blog_post_without_its_comment_form() -> None:
    drafts = cut("004")
    assert len(drafts) == 1
    assert drafts[0].title.startswith("OpenAI en Code Rouge")
    assert drafts[0].text.rstrip().endswith("🙂")
    assert "Akismet" not in drafts[0].text


def test_reingest_unchanged_adds_nothing_and_a_change_replaces(store, now, tmp_path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for seed in ("003", "004"):
        shutil.copy(SEEDS[seed], folder / SEEDS[seed].name)
    files = sorted(folder.iterdir())
    first = ingest_documents(store, files, now)
    assert [r.outcome for r in first] == [Outcome.NEW, Outcome.NEW]
    assert [r.new_items for r in first] == [9, 1]

    again = ingest_documents(store, files, now + timedelta(hours=1))
    assert [r.outcome for r in again] == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    assert len(store.list_items()) == 10

    newsletter = folder / SEEDS["003"].name
    text = newsletter.read_text(encoding="utf-8")
    cut_at = text.index("App sous le radar")
    newsletter.write_text(text[:cut_at], encoding="utf-8")  # the editor drops a story
    changed = ingest_documents(store, files, now + timedelta(hours=2))
    assert changed[0].outcome is Outcome.UPDATED and changed[0].new_items == 8
    titles = [i.title for i in store.list_items(newsletter.name)]
    assert "App sous le radar : NanoBanana" not in titles and len(titles) == 8


def test_an_unchanged_reingest_is_two_commits_whatever_the_number_of_files(
    store: Store, now: datetime, tmp_path: Path, commits: list[object]
) -> None:
    for seed in ("003", "004"):
        shutil.copy(SEEDS[seed], tmp_path / SEEDS[seed].name)
    files = sorted(tmp_path.glob("*.txt"))
    ingest_documents(store, files, now)
    commits.clear()
    again = ingest_documents(store, files, now + timedelta(hours=1))
    assert [r.outcome for r in again] == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    assert len(commits) == 2  # every file's row and state, then every unchanged file's success
    state = store.source_state(files[1].name)
    assert state is not None and state.last_success_at == now + timedelta(hours=1)


def test_two_files_of_one_name_never_pass_for_unchanged(
    store: Store, now: datetime, tmp_path: Path
) -> None:
    """Two folders holding the same file name share one source: each file replaces the
    other's stories, and the second is compared with what the first just stored."""
    files = [tmp_path / folder / "veille.txt" for folder in ("a", "b")]
    for seed, path in zip(("004", "003"), files, strict=True):
        path.parent.mkdir()
        shutil.copy(SEEDS[seed], path)
    first = ingest_documents(store, files, now)
    assert [r.outcome for r in first] == [Outcome.NEW, Outcome.UPDATED]
    again = ingest_documents(store, files, now + timedelta(hours=1))
    assert [r.outcome for r in again] == [Outcome.UPDATED, Outcome.UPDATED]
    assert len(store.list_items("veille.txt")) == 9  # the second file's stories


def test_unreadable_document_is_recorded_and_the_others_go_on(store, now, tmp_path) -> None:
    good = tmp_path / SEEDS["004"].name
    shutil.copy(SEEDS["004"], good)
    missing = tmp_path / "gone.txt"
    reports = ingest_documents(store, [missing, good], now)
    assert reports[0].outcome is Outcome.FAILED and "gone.txt" in reports[0].message
    assert reports[1].outcome is Outcome.NEW
    state = store.source_state("gone.txt")
    assert state is not None and state.consecutive_failures == 1
