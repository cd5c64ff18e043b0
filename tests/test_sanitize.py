"""HTML sanitising, plain text, canonical URLs, derived titles and languages."""

from __future__ import annotations

import re

import pytest

from digest.ingest.sanitize import (
    canonical_url,
    html_to_text,
    sanitize_html,
)
from digest.sentences import derive_title

BASE = "https://blog.example.org/2026/11/post.html"

# -- canonical URLs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "https://ex.org/a?utm_source=rss&utm_medium=feed&id=3&utm_campaign=x",
            "https://ex.org/a?id=3",
        ),
        (
            "https://ex.org/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&igshid=5&ref_src=6&_hsenc=7"
            "&_hsmi=8&yclid=9",
            "https://ex.org/a",
        ),
        ("https://ex.org/a?UTM_Source=rss&b=2", "https://ex.org/a?b=2"),
        (
            "https://ex.org/a?b=2&a=1&c=%C3%A9t%C3%A9+x",
            "https://ex.org/a?b=2&a=1&c=%C3%A9t%C3%A9+x",
        ),
        ("https://ex.org/a?b=&flag", "https://ex.org/a?b=&flag"),
        ("https://ex.org/a#section-2", "https://ex.org/a"),
        ("HTTPS://Ex.ORG/Path/Case?Q=V", "https://ex.org/Path/Case?Q=V"),
        ("http://ex.org:80/a", "http://ex.org/a"),
        ("https://ex.org:8443/a", "https://ex.org:8443/a"),
        ("https://ex.org", "https://ex.org/"),
        ("  https://ex.org/a  ", "https://ex.org/a"),
    ],
)
def test_canonical_url_strips_tracking_and_fragment(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/other.html", "https://blog.example.org/other.html"),
        ("next.html?utm_source=x", "https://blog.example.org/2026/11/next.html"),
        ("../10/old.html", "https://blog.example.org/2026/10/old.html"),
        ("//cdn.example.org/x", "https://cdn.example.org/x"),
        ("https://elsewhere.org/x", "https://elsewhere.org/x"),
    ],
)
def test_canonical_url_resolves_relative_links(raw: str, expected: str) -> None:
    assert canonical_url(raw, BASE) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "javascript:alert(1)",
        "data:text/html,hi",
        "mailto:a@b.org",
        "ftp://ex.org/f",
        "https://ex.org:99999/",
        "not a url",
    ],
)
def test_canonical_url_refuses_what_is_not_a_web_page(raw: str) -> None:
    assert canonical_url(raw) is None


# -- sanitising --------------------------------------------------------------------------


def test_scripts_styles_and_embeds_are_removed_with_their_content() -> None:
    dirty = (
        "<p>Texte</p><script>alert('x')</script><style>p{color:red}</style>"
        "<iframe src='https://youtube.com/embed/x'>fallback</iframe>"
        "<object data='x.swf'>obj</object><embed src='x.swf'>"
        "<form action='https://evil.org'><input name=q><button>go</button></form>"
        "<svg><script>alert(1)</script></svg><noscript><img src='https://ex.org/a.png'></noscript>"
    )
    clean = sanitize_html(dirty, BASE)
    assert clean == "<p>Texte</p>"


def test_event_handlers_and_style_attributes_are_removed() -> None:
    clean = sanitize_html(
        '<p onclick="steal()" style="position:fixed" class="x" id="y">a</p>'
        '<img src="https://ex.org/a.png" onerror="steal()" OnLoad="x()">'
        '<a href="https://ex.org" onmouseover="x()">b</a>',
        BASE,
    )
    assert not re.search(r"\son\w+=", clean, re.IGNORECASE)
    assert "style=" not in clean and "class=" not in clean and "id=" not in clean
    assert '<img src="https://ex.org/a.png">' in clean


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "  javascript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "java\nscript:alert(1)",
        "&#106;avascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
    ],
)
def test_dangerous_url_schemes_never_survive(url: str) -> None:
    clean = sanitize_html(f'<a href="{url}">lien</a><img src="{url}"><p>fin</p>', BASE)
    assert "javascript" not in clean.lower()
    assert "data:" not in clean and "vbscript" not in clean
    assert "<img" not in clean  # an image with no usable src is dropped
    assert "lien" in clean and "<p>fin</p>" in clean


def test_links_get_rel_and_relative_urls_resolve_against_the_base() -> None:
    clean = sanitize_html('<a href="/about">à propos</a> <img src="pic.png" alt="x">', BASE)
    assert (
        '<a href="https://blog.example.org/about" rel="noopener noreferrer">à propos</a>' in clean
    )
    assert '<img src="https://blog.example.org/2026/11/pic.png" alt="x">' in clean


def test_relative_urls_are_dropped_without_a_base() -> None:
    clean = sanitize_html('<a href="/about">about</a><img src="pic.png">', None)
    assert clean == '<a rel="noopener noreferrer">about</a>'


def test_mailto_links_are_kept() -> None:
    assert 'href="mailto:redaction@ex.org"' in sanitize_html(
        '<a href="mailto:redaction@ex.org">écrire</a>', BASE
    )


@pytest.mark.parametrize(
    "pixel",
    [
        '<img src="https://ex.org/p.gif" width="1" height="1">',
        '<img src="https://ex.org/p.gif" height="0" width="0" style="display:none">',
        '<img src="https://ex.org/p.gif" width="1px">',
        '<img src="http://feeds.feedburner.com/~r/JN-ULTIMAS/~4/UBnb8Ra3Q1U" alt="">',
        '<img src="https://pixel.wp.com/g.gif?blog=1">',
        '<img src="https://ex.org/tracking/pixel?id=3">',
        '<img src="https://medium.com/_/stat?event=post.clientViewed&amp;postId=1">',
    ],
)
def test_tracking_pixels_are_removed(pixel: str) -> None:
    clean = sanitize_html(f"<p>Article</p>{pixel}", BASE)
    assert clean == "<p>Article</p>"


def test_real_images_and_article_markup_are_kept() -> None:
    article = (
        "<h2>Titre</h2><p>Un <strong>texte</strong> <em>riche</em>.</p>"
        '<figure><img src="https://ex.org/photo.jpg" alt="Photo" width="600" height="400">'
        "<figcaption>Légende</figcaption></figure>"
        "<blockquote>cité</blockquote><pre><code>x = 1</code></pre>"
        '<ul><li>un</li></ul><table><tr><td colspan="2">c</td></tr></table>'
    )
    clean = sanitize_html(article, BASE)
    for kept in (
        "<h2>Titre</h2>",
        "<strong>texte</strong>",
        "<figcaption>Légende</figcaption>",
        '<img src="https://ex.org/photo.jpg" alt="Photo" width="600" height="400">',
        "<blockquote>cité</blockquote>",
        "<pre><code>x = 1</code></pre>",
        '<td colspan="2">c</td>',
    ):
        assert kept in clean


def test_the_empty_anchor_around_a_removed_pixel_goes_too() -> None:
    clean = sanitize_html(
        '<p>x</p><a href="https://feeds.feedburner.com/~ff/x?a=1">'
        '<img src="https://feeds.feedburner.com/~ff/x?d=1" border="0"></a>',
        BASE,
    )
    assert clean == "<p>x</p>"


# -- plain text --------------------------------------------------------------------------


def test_html_to_text_makes_paragraphs_and_decodes_entities() -> None:
    text = html_to_text(
        "<p>Premier   paragraphe,\n sur deux lignes.</p><p>L&rsquo;IA &amp; "
        "l&#8217;&eacute;t&eacute;</p><ul><li>un</li><li>deux</li></ul>ligne<br>suivante"
    )
    assert text == (
        "Premier paragraphe, sur deux lignes.\n\nL’IA & l’été\n\nun\n\ndeux\n\nligne\nsuivante"
    )


def test_html_to_text_keeps_french_no_break_spaces() -> None:
    assert html_to_text("<p>«&nbsp;Bonjour&nbsp;»&#8239;!</p>") == "«\u00a0Bonjour\u00a0»\u202f!"


def test_html_to_text_keeps_line_breaks_of_preformatted_text() -> None:
    assert html_to_text("<pre>a = 1\nb = 2</pre>") == "a = 1\nb = 2"


def test_html_to_text_skips_scripts_even_if_unsanitised() -> None:
    assert html_to_text("<p>a</p><script>var x = 1;</script><p>b</p>") == "a\n\nb"


# -- titles ----------------------------------------------------------------------------


def test_derived_title_is_the_first_sentence() -> None:
    assert derive_title("Mistral publie un modèle. Il est ouvert.") == "Mistral publie un modèle"
    assert derive_title("Qui régule l’IA ? Personne.") == "Qui régule l’IA ?"


def test_derived_title_is_cut_at_twelve_words_with_an_ellipsis() -> None:
    text = (
        "Le gouvernement a présenté mardi une feuille de route pour l’intelligence "
        "artificielle dans les services publics, avec des moyens nouveaux."
    )
    assert derive_title(text) == (
        "Le gouvernement a présenté mardi une feuille de route pour l’intelligence artificielle…"
    )


def test_derived_title_of_nothing_is_empty() -> None:
    assert derive_title("  \n ") == ""


def test_language_codes_are_normalised_and_junk_refused() -> None:
    from digest.ingest.language import normalise_language

    assert normalise_language("fr-FR") == "fr" and normalise_language("EN_us") == "en"
    assert normalise_language("français (France)") is None and normalise_language(" ") is None
