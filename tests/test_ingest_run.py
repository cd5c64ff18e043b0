"""A whole ingest run (documents, then feeds from a real local HTTP server) on both
databases: what one bad source does to the others (issue 10, items 10 and 11)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from digest.config import load_settings
from digest.ingest import documents as documents_module
from digest.ingest.run import run_ingest
from digest.models import ItemDraft, Link, Outcome, SourceKind, SourceReport
from digest.settings import Settings
from digest.store import Store

from .conftest import DOCUMENTS
from .feedserver import FeedServer, Route

GOOD_SEED = DOCUMENTS / "004_c8bb9166e346ef4b.txt"  # a blog post: one story
NUL_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Le Labo IA</title><link>https://labo.example.fr/</link>
<item><title>Un titre\x00 avec un NUL</title><link>https://labo.example.fr/1</link>
<guid>labo-1</guid>
<description>Un texte\x00 avec un NUL et &amp;#xD800; &#55296; sans moitié.</description>
</item>
<item><title>Un titre sans histoire</title><link>https://labo.example.fr/2</link>
<guid>labo-2</guid><description>Un texte propre.</description></item>
</channel></rss>
"""


def settings_for(tmp_path: Path, feed_url: str) -> Settings:
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "newsletter: {title: T}\n"
        "documents: [docs]\n"
        f"feeds:\n  - {{name: labo, url: '{feed_url}'}}\n",
        encoding="utf-8",
    )
    return load_settings(config, env={})


def with_nuls(text: str) -> bytes:
    """A real document with a NUL after every paragraph: a few per thousand characters."""
    return text.replace("\n\n", "\x00\n\n").encode("utf-8")


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder


def test_nul_bytes_in_a_document_and_a_feed_are_dropped_and_everything_lands(
    store: Store, now: datetime, tmp_path: Path, docs: Path, feed_server: FeedServer
) -> None:
    seed = DOCUMENTS / "003_186302cdc7413e06.txt"
    (docs / "a-nul.txt").write_bytes(with_nuls(seed.read_text(encoding="utf-8")))
    shutil.copy(GOOD_SEED, docs / "b-good.txt")
    url = feed_server.add("/labo.xml", Route(body=NUL_FEED.encode("utf-8")))

    report = run_ingest(settings_for(tmp_path, url), store, now)

    outcomes = {r.name: (r.outcome, r.new_items) for r in report.sources}
    assert outcomes == {
        "a-nul.txt": (Outcome.NEW, 9),  # as many stories as the clean seed gives
        "b-good.txt": (Outcome.NEW, 1),
        "labo": (Outcome.NEW, 2),
    }
    stored = store.list_items()
    assert len(stored) == 12
    for item in stored:
        for field in (item.title, item.text, item.html, item.enjeux or "", item.section or ""):
            assert "\x00" not in field
    first = store.list_items("labo")[0]
    assert first.title == "Un titre avec un NUL"
    assert "sans moitié" in first.text  # a reference to a surrogate is no crash either


def test_a_document_that_raises_is_recorded_and_the_rest_land_then_it_raises(
    store: Store,
    now: datetime,
    tmp_path: Path,
    docs: Path,
    feed_server: FeedServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("a-before.txt", "b-buggy.txt", "c-after.txt"):
        shutil.copy(GOOD_SEED, docs / name)
    (docs / "b-buggy.txt").write_text("Un texte qui déclenche un bogue.\n", encoding="utf-8")
    real_cut = documents_module.cut_document

    def cut_with_a_bug(text: str):  # type: ignore[no-untyped-def]
        if "bogue" in text:
            raise ZeroDivisionError("a bug")
        return real_cut(text)

    monkeypatch.setattr(documents_module, "cut_document", cut_with_a_bug)
    url = feed_server.add("/labo.xml", Route(body=NUL_FEED.encode("utf-8")))
    done: list[SourceReport] = []

    with pytest.raises(ZeroDivisionError, match="a bug"):
        run_ingest(settings_for(tmp_path, url), store, now, on_done=done.append)

    assert {r.name: r.outcome for r in done} == {
        "a-before.txt": Outcome.NEW,
        "b-buggy.txt": Outcome.FAILED,
        "c-after.txt": Outcome.NEW,
        "labo": Outcome.NEW,  # the feeds still came in after the bug
    }
    state = store.source_state("b-buggy.txt")
    assert state is not None and state.last_error == "internal error: ZeroDivisionError: a bug"
    assert len(store.list_items("c-after.txt")) == 1 and len(store.list_items("labo")) == 2


def test_the_store_drops_what_a_database_cannot_hold(store: Store, now: datetime) -> None:
    store.ensure_source("s", SourceKind.FEED, "https://example.org/feed", now)
    draft = ItemDraft(
        key="k\x00",
        title="Titre\x00",
        text="Texte \ud800 coupé",
        links=(Link("https://example.org/\x00a", "lien\x00"),),
        author="A\x00",
    )
    assert store.add_items("s", [draft], now) == 1
    [item] = store.list_items("s")
    assert (item.key, item.title, item.text, item.author) == (
        "k",
        "Titre",
        "Texte \ufffd coupé",
        "A",
    )
    assert item.links == (Link("https://example.org/a", "lien"),)
    store.record_failure("s", now, "bad\x00 answer", next_attempt_at=now)
    state = store.source_state("s")
    assert state is not None and state.last_error == "bad answer"
