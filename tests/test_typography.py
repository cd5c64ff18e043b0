"""French typography (issue 14): the rules of digest.typography, then the rendered seed
issue read as a subscriber gets it (HTML and text part), the public pages and the
confirmation mail: « au Fil IA », typographic apostrophes, narrow no-break spaces, a text
part cut at 72 columns with nothing left to personalise, blurb markers that are links."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html

from digest.app.render import run_render
from digest.config import load_settings
from digest.mail.confirm import confirmation_message, send_confirmations
from digest.models import (
    BlurbSentence,
    Entry,
    Issue,
    IssueStatus,
    ItemKind,
    Link,
    Section,
    SourceKind,
    StoredItem,
)
from digest.render import GREETING_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER, greeting, render_issue
from digest.settings import Settings
from digest.store import Store
from digest.typography import (
    foreign,
    french,
    french_day,
    french_html,
    title_forms,
    wrap_lines,
)
from digest.web.public import PublicApp

from .conftest import REPO, SeedIssue
from .test_public import call, confirmation_link, post_subscribe

N = "\u202f"  # narrow no-break space
URL = re.compile(r"(?:https?|ftp)://\S+|mailto:\S+")


# -- the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "typeset"),
    [
        ("L'IA d'aujourd'hui", "L’IA d’aujourd’hui"),
        ("Piste : relisez", f"Piste{N}: relisez"),
        ("Note: relisez", f"Note{N}: relisez"),  # the source forgot the space
        ("Quoi ? Oui ! Bon ; fin", f"Quoi{N}? Oui{N}! Bon{N}; fin"),
        ("Vraiment ?!", f"Vraiment{N}?!"),
        ("« Snowbunny »", f"«{N}Snowbunny{N}»"),
        ("«serré»", f"«{N}serré{N}»"),
        ("95% des projets", f"95{N}% des projets"),
        ("avant\u00a0: après", f"avant{N}: après"),  # a no-break space becomes a narrow one
        ("(voir plus bas)?", f"(voir plus bas){N}?"),
        ("près de 175 000 hôtes", f"près de 175{N}000 hôtes"),  # never « 175 » / « 000 »
        ("1 500 000,5 euros", f"1{N}500{N}000,5 euros"),
        ("Le Fil IA n°3 — GPT-5", f"Le Fil IA n°{N}3 — GPT-5"),  # « n° 3 », never apart
        ("le N° 12 et le n°\u00a04", f"le N°{N}12 et le n°{N}4"),
    ],
)
def test_french_sets_apostrophes_and_narrow_spaces(written: str, typeset: str) -> None:
    assert french(written) == typeset
    assert french(typeset) == typeset  # idempotent: a second pass changes nothing


@pytest.mark.parametrize(
    "kept",
    [
        "https://example.org/a?b=1&c=d:e;f=g!h's",
        "mailto:lettre@example.org?subject=Quoi?",
        "lettre@example.org",
        "`x = d['a']; y ? z : w`",
        "à 10:30",
        "un écran 16:9",
        "std::move",
        "C:\\Users",
        ":)",
        "en 2025 100 modèles",  # a year is no group of thousands
        "0,24 Wh et 3,5 100 fois",
    ],
)
def test_french_leaves_urls_code_and_times_alone(kept: str) -> None:
    assert french(kept) == kept


def test_a_url_keeps_its_text_and_the_sentence_its_spaces() -> None:
    assert french("Voir https://ex.org/a:b ! C'est") == f"Voir https://ex.org/a:b{N}! C’est"


def test_foreign_text_gets_its_apostrophes_only_and_no_mark_is_left() -> None:
    text = "Voir : " + foreign("What's next? A: b") + " ! fin"
    assert french(text) == f"Voir{N}: What’s next? A: b{N}! fin"
    page = f'<p title="{foreign("a : b")}">{text}</p>'
    assert french_html(page) == f'<p title="a : b">Voir{N}: What’s next? A: b{N}! fin</p>'


def test_hostile_text_holding_every_mark_is_left_as_it_came() -> None:
    hostile = "".join(chr(c) for c in range(0xE000, 0xE000 + 64)) + " l'IA ?"
    assert french(hostile) == hostile


def test_french_html_sets_text_only() -> None:
    page = (
        '<p style="color: red" title="l\'a : b">L\'IA : <a href="https://x.org/?a=1">lien</a>'
        " ! &amp; l&#39;a &lt;b&gt;</p><style>a:hover { color: red; }</style><pre>x : y</pre>"
        "<!--[if mso]><table><tr><td>a : b</td></tr></table><![endif]-->"
    )
    assert french_html(page) == (
        f'<p style="color: red" title="l\'a : b">L’IA{N}: <a href="https://x.org/?a=1">lien</a>'
        f"{N}! &amp; l’a &lt;b&gt;</p><style>a:hover {{ color: red; }}</style><pre>x : y</pre>"
        "<!--[if mso]><table><tr><td>a : b</td></tr></table><![endif]-->"
    )


@pytest.mark.parametrize(
    ("title", "article", "to", "of"),
    [
        ("Le Fil IA", "auto", "au Fil IA", "du Fil IA"),
        ("L'Hebdo", "auto", "à L’Hebdo", "de L’Hebdo"),
        ("La Croix", "auto", "à La Croix", "de La Croix"),
        ("Les Échos", "auto", "aux Échos", "des Échos"),
        ("Mediapart", "auto", "à Mediapart", "de Mediapart"),
        ("Usbek & Rica", "auto", "à Usbek & Rica", "d’Usbek & Rica"),
        ("Legend", "auto", "à Legend", "de Legend"),  # « Le » only as a word
        ("Fil IA", "le", "au Fil IA", "du Fil IA"),  # a name written without its article
        ("Hebdo", "l'", "à l’Hebdo", "de l’Hebdo"),
        ("Le Fil IA", "le", "au Fil IA", "du Fil IA"),  # declared and spelled: once
        ("Le Lab", "none", "à Le Lab", "de Le Lab"),  # « Le » is part of the name
    ],
)
def test_title_forms(title: str, article: str, to: str, of: str) -> None:
    forms = title_forms(title, article)
    assert (forms.to, forms.of) == (to, of)
    assert forms.name == title.replace("'", "’")


def test_the_first_of_the_month_is_1er() -> None:
    assert french_day(date(2026, 12, 1)) == "1er décembre 2026"
    assert french_day(date(2026, 12, 7)) == "7 décembre 2026"


def test_wrap_lines_keeps_indents_hangs_bullets_and_never_cuts_a_url() -> None:
    long_url = "https://example.org/" + "a" * 90
    text = "\n".join(
        [
            "  * " + "mot " * 30,
            f"  → {long_url}",
            "  [3] " + "titre " * 14 + long_url,
            "Un lien (valable deux jours) : " + long_url,
            "court",
        ]
    )
    lines = wrap_lines(french(text), 72).split("\n")
    assert all(len(line) <= 72 or URL.search(line) for line in lines)
    assert f"  → {long_url}" in lines  # one word after its bullet: kept whole
    assert f"      {long_url}" in lines  # under the reference's text
    assert f"Un lien (valable deux jours){N}:" in lines  # the colon stays with its word
    assert lines[1].startswith("    mot") and lines[-1] == "court"
    assert wrap_lines("- l’anti-progressisme " * 6, 72).split("\n")[1].startswith("  ")


def test_a_long_name_in_the_greeting_is_cut_too() -> None:
    assert greeting(None) == "Bonjour,"
    long = greeting("Marie-" + "Anne " * 40)
    assert long.startswith("Bonjour Marie-Anne") and max(map(len, long.split("\n"))) <= 72


# -- the rendered seed issue, as a subscriber reads it --------------------------------------


@dataclass(frozen=True)
class Rendered:
    text: str  # issue.txt: the text part of sample.eml's reader
    page: str  # issue.html: the web version
    tree: lxml_html.HtmlElement


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, seed_issue: SeedIssue) -> Rendered:
    folder = tmp_path_factory.mktemp("typography")
    settings = load_settings(REPO / "feeds.yaml", env={})
    store = seed_issue.copy(folder)
    issue = seed_issue.issue
    run_render(store, settings, issue.number, folder / "out", issue.created_at)
    store.close()
    page = (folder / "out" / "issue.html").read_text(encoding="utf-8")
    text = (folder / "out" / "issue.txt").read_text(encoding="utf-8")
    return Rendered(text, page, lxml_html.fromstring(page))


def french_problems(text: str) -> list[str]:
    """What French typography forbids in `text`, URLs aside: « à Le », « de Le », a straight
    apostrophe, an ordinary (or no) space before : ; ! ? or inside « »."""
    prose = URL.sub(" ", text)
    rules = {
        "à Le / de Le": r"\b(?:à|de) L(?:e|es)\b",
        "straight apostrophe": r"'",
        "space before : ; ! ?": r"(?:[ \u00a0]|(?<=\w))[:;!?](?=\s|$)",
        "space inside « »": rf"«(?!{N})|(?<!{N})»",
    }
    return [
        f"{name}: …{prose[max(0, m.start() - 30) : m.end() + 30]}…"
        for name, rule in rules.items()
        for m in re.finditer(rule, prose)
    ]


def test_the_text_part_is_french(rendered: Rendered) -> None:
    assert not french_problems(rendered.text)
    assert f"Lire en ligne{N}:" in rendered.text
    assert "L’essentiel de l’intelligence" in rendered.text


def test_the_html_is_french(rendered: Rendered) -> None:
    body = rendered.tree.find(".//body")
    assert body is not None
    visible = " ".join(body.itertext())
    assert not french_problems(visible)
    assert "L’essentiel de l’intelligence artificielle" in visible
    for link in rendered.tree.xpath("//a[@class='cite']"):  # attributes a reader hears
        assert not french_problems(link.get("aria-label") + " " + link.get("title"))


def test_the_text_part_is_cut_at_72_columns_and_personalised(rendered: Rendered) -> None:
    long = [
        line
        for line in rendered.text.splitlines()
        if len(line) > 78 and not re.fullmatch(rf"\s*(?:→ )?{URL.pattern}", line)
    ]
    assert not long, f"lines over 78 columns that are not a URL alone: {long[:3]}"
    assert max(len(line) for line in rendered.text.splitlines() if not URL.search(line)) <= 72
    assert GREETING_PLACEHOLDER not in rendered.text
    assert UNSUBSCRIBE_PLACEHOLDER not in rendered.text
    assert "Bonjour Lectrice Exemple," in rendered.text
    unsubscribe = rendered.text.split(f"Se désabonner{N}:\n", 1)[1].split("\n", 1)[0]
    assert re.fullmatch(r"http://127\.0\.0\.1:8080/u/[\w.-]+", unsubscribe)


def test_blurb_markers_are_numbered_links_listed_under_the_paragraph(rendered: Rendered) -> None:
    tree, text = rendered.tree, rendered.text
    ids = set(tree.xpath("//@id"))
    web = "http://127.0.0.1:8080/issues/1#"
    blurbs = tree.xpath("//p[@class='enjeux-text']")
    assert blurbs
    to_anchor = 0
    for paragraph in blurbs:
        markers = paragraph.xpath("./a[@class='cite']")
        listed = paragraph.xpath("following-sibling::ol[@class='refs'][1]/li")
        assert markers and len(markers) == len(paragraph.xpath("./*")), "every marker a link"
        references = {li.text_content().split("]")[0] + "]": li.find("a") for li in listed}
        numbers = [f"[{n}]" for n in range(1, len(listed) + 1)]
        assert list(references) == numbers, "the stories cited, numbered in order"
        for marker in markers:
            target = references[marker.text]
            assert target is not None and marker.get("href") == target.get("href")
            href = marker.get("href")
            if href.startswith(web):  # a document with no address: its place in the issue
                assert href.removeprefix(web) in ids
                to_anchor += 1
            assert marker.text in text_references(text, href)  # the text part lists it too
    assert to_anchor, "the seed's documents have no address: some markers lead to anchors"
    assert "\u00a0[1]" in text  # the marker tied to its sentence


def text_references(text: str, url: str) -> set[str]:
    """The markers (« [2] ») of the text part's references listed with `url` under them."""
    lines = text.splitlines()
    found = set()
    for at in (n for n, line in enumerate(lines) if line == f"      {url}"):
        heading = next(line for line in reversed(lines[:at]) if not line.startswith("      "))
        found.add(heading.split("]")[0].strip() + "]")
    return found


# -- the public pages and the confirmation mail ---------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    base = load_settings(REPO / "feeds.yaml", env={"DIGEST_SECRET_KEY": "test-secret"})
    return replace(base, mail=replace(base.mail, outbox_dir=tmp_path / "outbox"))


def test_the_public_pages_say_au_fil_ia_in_french(settings: Settings, store: Store, now) -> None:
    app = PublicApp(settings, store, clock=lambda: now)
    _, _, page = call(app, "GET", "/subscribe")
    assert "<h1>S’abonner au Fil IA</h1>" in page and "à Le Fil" not in page
    status, _, page = post_subscribe(app, b"email=a%40b%40c")
    assert status == "400 Bad Request" and "@-sign" not in page and "valide\u202f:" in page
    _, _, page = call(app, "GET", "/")
    assert not french_problems(" ".join(lxml_html.fromstring(page).find(".//body").itertext()))
    call(app, "POST", "/subscribe", b"email=zoe%40example.org")
    assert send_confirmations(store, settings, now).sent == 1
    _, _, page = call(app, "POST", confirmation_link(settings.mail.outbox_dir))
    assert f"Bienvenue{N}! Le prochain numéro du Fil IA arrivera" in page


def test_the_confirmation_mail_is_french(settings: Settings, now) -> None:
    message = confirmation_message(settings, "zoe@example.org", "tok.en-1", now)
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "Confirmez votre abonnement au Fil IA"
    body = parsed.get_content()
    assert not french_problems(body) and "(valable deux jours)\u202f:" in body
    assert "\nhttp://127.0.0.1:8080/confirm/tok.en-1\n" in body
    assert max(len(line) for line in body.splitlines()) <= 72


# -- a story in another language ------------------------------------------------------------


def story(item_id: int, title: str, text: str, language: str) -> StoredItem:
    when = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    return StoredItem(
        id=item_id,
        source_name="feed",
        source_kind=SourceKind.FEED,
        key=f"k{item_id}",
        title=title,
        text=text,
        html="",
        url=f"https://example.org/{item_id}",
        links=(),
        author=None,
        published_at=when,
        fetched_at=when,
        language=language,
        enjeux=None,
        section=None,
        position=item_id,
        kind=ItemKind.STORY,
        title_derived=False,
    )


def test_an_english_story_keeps_english_spacing_and_says_its_language() -> None:
    """French spaces belong to French text: an English feed's « What's next? » gets its
    apostrophe, not « next ? », and is marked lang="en" for screen readers."""
    english = story(1, "What's next? OpenAI: a roadmap", "It's here: GPT-6!", "en")
    french_story = story(2, "Quoi de neuf ? Le plan", "C'est là : GPT-6 !", "fr")
    entries = tuple(
        Entry(s.title, s.text, (Link(s.url or ""),), (s.id,), ("feed",))
        for s in (english, french_story)
    )
    blurb = (BlurbSentence("It's a plan: yes!", 1), BlurbSentence("C'est un plan : oui !", 2))
    section = Section("t", "Rubrique", blurb, entries)
    when = english.published_at
    issue = Issue(1, IssueStatus.DRAFT, when, when, when, (section,))
    settings = load_settings(REPO / "feeds.yaml", env={})
    rendered = render_issue(issue, {1: english, 2: french_story}, settings)
    tree = lxml_html.fromstring(rendered.html)
    (title,) = tree.xpath("//h3[@lang='en']")
    assert title.text_content() == "What’s next? OpenAI: a roadmap"
    assert tree.xpath("//p[@class='entry-summary'][@lang='en']")[0].text == "It’s here: GPT-6!"
    assert tree.xpath("//span[@lang='en']")[0].text == "It’s a plan: yes!"
    assert tree.xpath("//h3[not(@lang)]")[0].text == f"Quoi de neuf{N}? Le plan"
    assert tree.xpath("//a[@class='cite']")[0].get("title") == "What’s next? OpenAI: a roadmap"
    for part in (rendered.html, rendered.text):
        assert "It’s here: GPT-6!" in part and f"C’est là{N}: GPT-6{N}!" in part
        assert "It’s a plan: yes!" in part and f"C’est un plan{N}: oui{N}!" in part
        assert "\ue0fe" not in part and "\ue0ff" not in part  # no mark left behind
    assert f"Source{N}: " in rendered.html or f"Sources{N}: " in rendered.html
