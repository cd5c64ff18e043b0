"""Web pages saved from the browser: the article, without the site around it (issue 15, 1)."""

from __future__ import annotations

import gzip
import json
from html import escape
from pathlib import Path

import pytest

from digest.errors import DocumentError
from digest.ingest.documents import read_document, stories_from_document
from digest.ingest.segment import blocks_of, is_heading
from digest.models import ItemKind

from .conftest import DOCUMENTS, SHARED
from .needs import missing_tool

ZYTE = SHARED / "pages" / "zyte"
ORANGESUM = SHARED / "corpora" / "orangesum" / "dev.jsonl"
# A SlashGear review in the Zyte benchmark: menus, share buttons, « Must Read » links,
# the policies footer around one article.
SLASHGEAR = "06ee193de4bd611f7fafbab0c59b0f6fe3495093516720632cd093b24c7a0e98"


def shared_file(path: Path) -> Path:
    if not path.exists():
        missing_tool(f"{path} (the shared data beside the checkout) is missing")
    return path


def orangesum_articles(count: int) -> list[dict[str, str]]:
    """Real French news articles (OrangeSum), the first `count` long enough to be stories."""
    articles = []
    for line in shared_file(ORANGESUM).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if len(record["article"].split()) >= 250:
            articles.append(record)
        if len(articles) == count:
            break
    return articles


def paragraphs_of(article: str, size: int = 3) -> list[str]:
    """An OrangeSum article (one run of text) as paragraphs of `size` sentences."""
    import re

    sentences = re.split(r"(?<=[.!?])\s*(?=[A-ZÀ-Ý«])", article)
    return [" ".join(sentences[i : i + size]) for i in range(0, len(sentences), size)]


def french_news_page(record: dict[str, str]) -> str:
    """A page as a French news site serves it: menu, cookie banner, the article, related
    links, comments and the « Mentions légales » footer."""
    title = record["title"].split(" : ")[0]
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs_of(record["article"]))
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>{escape(title)} - Orange Actualités</title>
<link rel="canonical" href="{escape(record["url"])}?utm_source=rss">
<meta property="og:title" content="{escape(title)}">
<meta name="author" content="Rédaction Orange">
<meta property="article:published_time" content="{record["date"]}T08:00:00+02:00">
</head><body>
<div id="cookie-banner" class="cookie-consent"><p>Nous utilisons des cookies pour améliorer
votre expérience et mesurer l’audience. Tout accepter Paramétrer les cookies</p></div>
<header><nav><ul><li><a href="/">Accueil</a></li><li><a href="/actu">Actualités</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/meteo">Météo</a></li>
<li><a href="/login">Se connecter</a></li></ul></nav></header>
<main><article><h1>{escape(title)}</h1><p class="byline">Par Rédaction Orange, le
{record["date"]}</p>{body}</article>
<aside class="related"><h2>À lire aussi</h2><ul>
<li><a href="/a">Les meilleures offres de smartphones de la semaine</a></li>
<li><a href="/b">Horoscope du jour : ce que vous réservent les astres</a></li></ul></aside>
<section id="comments" class="comments"><h2>Commentaires</h2>
<div class="comment"><p>Jean-Pierre : Encore une fois on nous prend pour des imbéciles,
je résilie mon abonnement.</p></div></section></main>
<footer><ul><li><a href="/mentions">Mentions légales</a></li>
<li><a href="/cgu">Conditions générales d’utilisation</a></li>
<li><a href="/vie-privee">Politique de confidentialité</a></li></ul>
<p>© Orange 2020 - Tous droits réservés</p></footer></body></html>"""


def test_a_saved_french_page_is_one_story_without_the_site_around_it() -> None:
    (record,) = orangesum_articles(1)
    (story,) = stories_from_document(french_news_page(record).encode(), ".html")
    for residue in (
        "cookies",
        "Accueil",
        "Se connecter",
        "Mentions légales",
        "Tous droits réservés",
        "À lire aussi",
        "Horoscope",
        "Commentaires",
        "résilie mon abonnement",
    ):
        assert residue not in story.text, residue
    last = paragraphs_of(record["article"])[-1]
    assert story.text.split("\n\n")[-1] == last.strip()
    assert story.title == record["title"].split(" : ")[0]
    # The canonical address, tracking parameter dropped, is the story's source.
    assert story.url == record["url"]
    assert story.links[0].url == record["url"]
    assert story.author == "Rédaction Orange"
    assert story.event_date is not None and story.event_date.isoformat() == record["date"]


def test_a_real_saved_page_keeps_its_article_and_drops_menus_and_footer() -> None:
    html = gzip.decompress(shared_file(ZYTE / "html" / f"{SLASHGEAR}.html.gz").read_bytes())
    truth = json.loads(shared_file(ZYTE / "ground-truth.json").read_text())[SLASHGEAR]
    (story,) = stories_from_document(html, ".html")
    for residue in ("EXPLORE", "Search SlashGear", "Must Read", "Privacy Policy", "Reserved"):
        assert residue not in story.text, residue
    assert story.title.startswith("The VW ID. SPACE VIZZION")
    assert story.author == "Chris Davies"
    assert story.url is not None and story.url.startswith("https://www.slashgear.com/")
    assert truth["articleBody"][:200] in story.text
    assert story.text.endswith("in a way that’s still cost effective.")


def newsletter_page(text: str) -> str:
    """A newsletter issue as its web version shows it: headings, paragraphs, site chrome."""
    masthead, _, text = text.partition("\n\n")
    parts = [f"<h1>{escape(' '.join(masthead.split()))}</h1>"]
    for block in blocks_of(text):
        tag = "h2" if "\n" not in block and is_heading(block) else "p"
        parts.append(f"<{tag}>{escape(block)}</{tag}>")
    return (
        '<html lang="fr"><head><meta charset="utf-8"><title>Le monde de demAIn</title></head>'
        '<body><nav><a href="/">Accueil</a> <a href="/archives">Archives</a></nav>'
        f"<main><article>{''.join(parts)}</article></main>"
        "<footer><a href='/desabonnement'>Se désabonner</a> Mentions légales</footer>"
        "</body></html>"
    )


def test_a_newsletter_web_version_is_cut_like_the_newsletter() -> None:
    seed = next(DOCUMENTS.glob("003_*.txt")).read_bytes()
    as_text = [d.title for d in stories_from_document(seed) if d.kind is ItemKind.STORY]
    page = newsletter_page(read_text(seed))
    as_page = [d.title for d in stories_from_document(page.encode(), ".html")]
    assert len(as_text) >= 5
    assert as_page == as_text


def read_text(data: bytes) -> str:
    from digest.ingest.clean import decode_bytes, repair_text

    return repair_text(decode_bytes(data))


@pytest.mark.parametrize(
    "page",
    [
        b"",
        b"<html><body></body></html>",
        b"<html><body><script>document.write('x')</script></body></html>",
        b"<html><body><nav><a href='/'>Accueil</a></nav></body></html>",
    ],
)
def test_a_page_without_main_text_is_an_error_not_menus_as_stories(page: bytes) -> None:
    with pytest.raises(DocumentError, match=r"page\.html has no article text"):
        read_document(page, ".html", name="page.html")


def test_a_page_read_twice_gives_the_same_story() -> None:
    """trafilatura's own deduplication would drop the paragraphs it saw in the first read."""
    (record,) = orangesum_articles(1)
    page = french_news_page(record).encode()
    first = stories_from_document(page, ".html")
    assert stories_from_document(page, ".html") == first
