"""Sources a reader understands (issue 11, item 5): a document is named by its
publication, a story by the source its document credits, and dated by its event."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from digest.app.build import run_build
from digest.app.render import run_render
from digest.config import load_settings
from digest.errors import ConfigError
from digest.ingest.dates import document_year, event_date
from digest.ingest.documents import document_files, ingest_documents, read_document
from digest.ingest.run import run_ingest
from digest.settings import Settings
from digest.store import Store, open_store

from .conftest import DOCUMENTS, REPO

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SEEDS = {p.name[:3]: p for p in sorted(DOCUMENTS.glob("*.txt"))}
FILE_NAME = re.compile(r"[\w-]+\.(?:txt|md|markdown|html?)\b")


def render_seeds(folder: Path, settings: Settings) -> tuple[Store, Path]:
    store = open_store(f"sqlite:///{folder / 'digest.db'}")
    run_ingest(settings, store, NOW - timedelta(hours=1))
    issue = run_build(store, settings, NOW).issue
    assert issue is not None
    out = folder / "rendered"
    run_render(store, settings, issue.number, out, NOW)
    return store, out


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = load_settings(REPO / "feeds.yaml", env={"DIGEST_OFFLINE": "1"})
    return render_seeds(tmp_path_factory.mktemp("sources"), settings)[1]


def write_config(path: Path, documents: str) -> Path:
    """The shipped feeds.yaml with its documents: section replaced."""
    shipped = (REPO / "feeds.yaml").read_text(encoding="utf-8")
    assert "documents:\n  - path: documents\n" in shipped
    path.write_text(shipped.replace("documents:\n  - path: documents\n", documents), "utf-8")
    return path


def entries(out: Path) -> list[dict]:  # type: ignore[type-arg]
    issue = json.loads((out / "issue.json").read_text())["issue"]
    return [e for s in issue["sections"] for e in s["entries"]]


def test_no_file_name_reaches_a_reader(rendered: Path) -> None:
    for part in ("issue.html", "issue.txt"):
        text = (rendered / part).read_text()
        shown = re.sub(r"https?://\S+", "", text)  # a link's own path may end in .html
        assert FILE_NAME.search(shown) is None, (part, FILE_NAME.search(shown))
        assert "documents de la rédaction (" not in text


def test_a_document_is_named_by_its_publication(rendered: Path) -> None:
    text = (rendered / "issue.txt").read_text()
    html = (rendered / "issue.html").read_text()
    for name in ("Le monde de demAIn", "Veille IA – Mars 2025"):
        assert f"Source\u202f: {name}" in text or f"Sources\u202f: {name}" in text
        assert name in html


def test_the_story_credited_to_frandroid_shows_frandroid_and_its_date(rendered: Path) -> None:
    gpt = next(e for e in entries(rendered) if "GPT-5.1" in e["title"])
    assert gpt["sources"] == ["Frandroid"] and gpt["date"] == "2025-11-12"
    text = (rendered / "issue.txt").read_text()
    block = text[text.index(gpt["title"]) :].split("\n* ", 1)[0]
    assert "Source\u202f: Frandroid — 12 novembre 2025" in block
    html = (rendered / "issue.html").read_text()
    block = html[html.index(gpt["title"]) :].split("</div>", 1)[0]
    assert "Frandroid" in block and "12 novembre 2025" in block


def test_a_story_is_dated_by_the_event_its_document_gives() -> None:
    report = read_document(SEEDS["001"].read_bytes(), now=NOW)
    assert report.title == "Veille IA – Mars 2025"
    stability = next(d for d in report.drafts if "Stability" in d.title)
    assert stability.event_date == date(2025, 3, 18)  # « Le 18 mars », the report's year
    dump = read_document(SEEDS["002"].read_bytes(), now=NOW).drafts
    zilliz = next(d for d in dump if "Zilliz a publié le 30 janvier 2026" in d.text)
    assert zilliz.event_date == date(2026, 1, 30)


def test_a_day_without_a_year_stays_before_the_ingest() -> None:
    now = datetime(2026, 1, 10, tzinfo=UTC)
    year = document_year(None, "Bilan 2026 : les annonces.", now)
    assert year == 2026
    assert event_date("Annoncé le 18 décembre, lancé ensuite.", year, now) == date(2025, 12, 18)
    assert event_date("Le 1er janvier, rien.", year, now) == date(2026, 1, 1)
    assert event_date("Le 31 février, rien. Puis le 3 mars 2024.", year, now) == date(2024, 3, 3)
    assert event_date("Aucune date ici.", year, now) is None


def test_newsletter_source_lines_credit_the_story() -> None:
    long = "Une phrase assez longue pour faire un vrai paragraphe de nouvelle. " * 3
    text = (
        f"Premier titre\n\n{long}\n\nSource : Le Monde https://www.lemonde.fr/a\n\n"
        f"Second titre\n\n{long}\n\nSource : https://example.org/b\n\n"
    )
    first, second = read_document(text.encode(), now=NOW).drafts
    assert first.origin == "Le Monde" and first.links[0].url == "https://www.lemonde.fr/a"
    assert first.links[0].title == "Le Monde"
    assert second.origin is None and second.links[0].url == "https://example.org/b"


def test_a_name_found_in_a_document_is_checked() -> None:
    story = "Une phrase assez longue pour faire un vrai paragraphe de nouvelle. " * 3
    body = (
        f"\n\nPremier titre\n\n{story}\n\nSource : Le\u202eMonde\x00"
        f"\n\nSecond\n\n{story}\n\nSource\n"
    )
    masthead = "La lettre\u202e\nde l’IA"
    document = read_document((masthead + body).encode(), now=NOW)
    assert document.title == "La lettre de l’IA"  # the bidi override is gone
    assert document.drafts[0].origin == "LeMonde"
    from digest.ingest.segment import readable_name

    assert readable_name("Une lettre " + "très " * 30, max_chars=100) is None


def test_the_configured_name_wins_and_follows_a_rename(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SEEDS["003"], folder / SEEDS["003"].name)
    config = write_config(
        tmp_path / "feeds.yaml", 'documents:\n  - {path: docs, name: "Ma veille IA"}\n'
    )
    settings = load_settings(config, env={"DIGEST_OFFLINE": "1"})
    store, out = render_seeds(tmp_path, settings)
    text = (out / "issue.txt").read_text()
    assert "Source\u202f: Ma veille IA" in text and "Le monde de demAIn" not in text
    # Renamed in the config: the unchanged file is not re-read, and still takes the new name.
    write_config(config, 'documents:\n  - {path: docs, name: "Veille maison"}\n')
    renamed = load_settings(config, env={"DIGEST_OFFLINE": "1"})
    run_ingest(renamed, store, NOW)
    assert {i.reader_source for i in store.list_items()} == {"Veille maison"}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('"Ma veille\\r\\nBcc: x@example.org"', "line break"),
        ('"Nul\\0byte"', "control character"),
        ('"' + "x" * 101 + '"', "at most 100"),
        ("42", "non-empty string"),
        ('""', "non-empty string"),
    ],
)
def test_a_bad_document_name_is_refused(tmp_path: Path, value: str, problem: str) -> None:
    (tmp_path / "docs").mkdir()
    config = write_config(
        tmp_path / "feeds.yaml", f"documents:\n  - {{path: docs, name: {value}}}\n"
    )
    with pytest.raises(ConfigError, match=r"documents\[0\]\.name") as caught:
        load_settings(config, env={})
    assert problem in str(caught.value)


def test_a_document_without_a_publication_gets_a_generic_name(store, now) -> None:  # type: ignore[no-untyped-def]
    ingest_documents(store, [SEEDS["004"]], now)
    (item,) = store.list_items()
    assert item.source_title is None and item.reader_source == "Document de la rédaction"


def test_the_documents_folder_lists_files_in_order() -> None:
    assert document_files(load_settings(REPO / "feeds.yaml", env={}).documents)
