"""Article dumps with no FAQ or heading between the articles (issue 15, item 6)."""

from __future__ import annotations

import collections
import json

from digest.ingest import boundaries, dump
from digest.ingest.documents import stories_from_document
from digest.ingest.leftovers import drop_code, is_code

from .test_savedpage import ORANGESUM, paragraphs_of, shared_file


def unrelated_articles() -> list[dict[str, str]]:
    """The first article of 300 words or more of each of OrangeSum's 8 largest sections
    (France, politique, monde, people, faits divers, auto…): 8 real, unrelated articles."""
    sections: dict[tuple[str, str], list[dict[str, str]]] = collections.defaultdict(list)
    for line in shared_file(ORANGESUM).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if len(record["article"].split()) >= 300:
            sections[(record["category"], record["subcategory"])].append(record)
    largest = sorted(sections, key=lambda s: (-len(sections[s]), s))[:8]
    return [sections[s][0] for s in largest]


def test_a_dump_of_eight_articles_without_faqs_is_cut_into_eight() -> None:
    articles = unrelated_articles()
    dump = "\n\n".join("\n\n".join(paragraphs_of(a["article"])) for a in articles)
    assert len(dump.split()) >= 3000  # a dump, as the cutter tells one
    stories = stories_from_document(dump.encode())
    assert len(stories) == 8
    for story, article in zip(stories, articles, strict=True):
        assert story.text.split()[:12] == article["article"].split()[:12]
        assert story.text.split()[-12:] == article["article"].split()[-12:]


def test_a_shorter_untitled_dump_is_cut_into_its_articles_too() -> None:
    """Five articles, under 3000 words: no longer chained paragraph by paragraph."""
    articles = unrelated_articles()[:5]
    dump = "\n\n".join("\n\n".join(paragraphs_of(a["article"])) for a in articles)
    assert 2000 <= len(dump.split()) < 3000
    stories = stories_from_document(dump.encode())
    assert [s.text.split()[:12] for s in stories] == [a["article"].split()[:12] for a in articles]


def test_script_leftovers_in_a_dump_are_removed() -> None:
    articles = unrelated_articles()[:2]
    leftovers = [
        'window.pvp_2f0c1e = new Pvp({"id": "x7k2", "autoplay": false, "ads": {"pre": 1}});',
        "googletag.cmd.push(function() { googletag.display('div-gpt-ad-1'); });",
        "(adsbygoogle = window.adsbygoogle || []).push({});",
        '{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "x"}',
        ".article-body p { margin: 0 0 1em; }",
        "});",
    ]
    paragraphs = paragraphs_of(articles[0]["article"])
    second = paragraphs_of(articles[1]["article"])
    text = "\n\n".join([paragraphs[0], *leftovers[:3], *paragraphs[1:], *leftovers[3:], *second])
    text = text.replace(paragraphs[1], f'{paragraphs[1]} <span class="lien">(lire aussi)</span>')
    stories = stories_from_document(text.encode())
    joined = "\n\n".join(s.text for s in stories)
    for residue in ("window.", "googletag", "adsbygoogle", "@context", "margin:", "});", "<span"):
        assert residue not in joined, residue
    assert "(lire aussi)" in joined
    assert paragraphs[-1].split()[-8:] == joined.split("\n\n")[len(paragraphs) - 1].split()[-8:]


def test_a_real_scraped_player_set_up_is_removed_with_the_rest_of_its_line() -> None:
    """OrangeSum's article 13922 ends in a video player's set-up, cut short by the scrape."""
    (article,) = (
        record
        for line in shared_file(ORANGESUM).read_text(encoding="utf-8").splitlines()
        for record in [json.loads(line)]
        if record["id"] == 13922
    )
    assert "window.pvp_" in article["article"]
    (story,) = stories_from_document(f"{article['title']}\n\n{article['article']}".encode())
    for residue in ("window.", "new Pvp", "sequenceUrl", "autoplay"):
        assert residue not in story.text, residue
    assert story.text.rstrip().endswith("adjoints d'Anne Hidalgo.")


def test_prose_with_code_like_punctuation_is_kept() -> None:
    prose = [
        "Le Premier ministre a annoncé (mardi 18 mars) un plan de 2 milliards ; les syndicats"
        " restent sceptiques.",
        "Selon l’Insee, le taux de chômage = 7,3 % au troisième trimestre.",
        "Effort (O/M/P)",
        "3/5/7",
        "([Gemini 2.5](https://blog.google/technology/gemini/#:~:text=a%20b)) ([Mistral]"
        "(https://mistral.ai/news/?utm_source=x&y=1))",
    ]
    assert not any(is_code(line) for line in prose)
    assert drop_code("\n".join(prose)) == "\n".join(prose)


def test_multi_line_script_and_style_blocks_in_plain_text_are_removed() -> None:
    """A copied page's player set-up, style sheet and script elements, over several lines."""
    paragraphs = paragraphs_of(unrelated_articles()[0]["article"])
    leftovers = [
        '<div class="article-video" data-id="x7k2">',
        ".player-wrapper {\n  position: relative;\n  padding-bottom: 56.25%;\n}",
        "@media (max-width: 600px) {\n  .ad-slot { display: none; }\n}",
        '<script type="text/javascript">\nvar pvp_config = {"autoplay": false,\n'
        '  "ads": {"pre": 1}};\nloadPlayer(pvp_config);\n</script>',
        "<style>body{margin:0}.une{color:#c00}</style>",
        "function initAds() {\n  googletag.display('div-gpt-ad-1');\n  loadAds();\n}",
        "</div>",
    ]
    text = "\n\n".join([paragraphs[0], *leftovers, *paragraphs[1:]])
    (story,) = stories_from_document(f"Un titre d’article\n\n{text}".encode())
    for residue in (
        "<div",
        "position:",
        "@media",
        "display:",
        "pvp_config",
        "loadPlayer",
        "margin:0",
        "color:",
        "initAds",
        "loadAds",
        "googletag",
        "}",
    ):
        assert residue not in story.text, residue
    assert story.text.split() == " ".join(paragraphs).split()  # every sentence kept


def _two_articles() -> tuple[list[str], list[str]]:
    first, second = unrelated_articles()[:2]
    return paragraphs_of(first["article"]), paragraphs_of(second["article"])


def _starts(paragraphs: list[str]) -> set[int]:
    return boundaries.article_starts(paragraphs, [dump._terms(p) for p in paragraphs])


def test_two_plain_articles_are_cut_where_the_second_starts() -> None:
    first, second = _two_articles()
    assert _starts([*first, *second]) == {len(first)}
    assert _starts(first) == set()  # one article alone stays whole


def test_no_article_opens_inside_a_quotation_or_a_sentence_or_at_a_credit_line() -> None:
    first, second = _two_articles()
    # The next paragraph opens with the end of a quotation: it continues the article.
    quoted = [*first, f'précise-t-il encore." {second[0]}', *second[1:]]
    assert len(first) not in _starts(quoted)
    # The previous paragraph ends on a title, « M. », whose name the next one holds.
    titled = [*first[:-1], f"{first[-1]} Le texte a été signé par M.", *second]
    assert len(first) not in _starts(titled)
    # A credit line closes the article before it; the lede after it opens the next.
    credited = [*first, "Source : Reuters", *second]
    assert _starts(credited) == {len(first) + 1}
