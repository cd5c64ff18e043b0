"""The readable text of a newsletter's HTML email, without what only the mail needs.

Takes the HTML part of a newsletter as its sender wrote it; gives plain text, paragraphs
separated by a blank line, for the story cutter (digest.ingest.segment). Removed on the
way: hidden preheaders, tracking pixels, « view in browser » lines, unsubscribe and
preference links, legal footers, social buttons, « forward to a friend », and blocks
labelled as ads. No I/O.

Why not a generic extractor (trafilatura, inscriptis, html2text): they are built for web
pages, and a newsletter's boilerplate is a mail's own (see bench/mail_text.py for the
measured difference). A block is removed only when it is short (a footer line, a button
row); a story that merely mentions « se désabonner » in a long paragraph is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html

from digest.ingest.sanitize import html_to_text

# A block longer than this is content, whatever words it holds: a footer line, a button
# row or an ad label is a few dozen to a few hundred characters.
MAX_BOILERPLATE_CHARS = 400
# What a block left by such a removal needs to stay: less is a footer's remainder (an
# address, a « | »), not a story paragraph (the cutter wants 120 characters of substance).
MIN_CONTENT_CHARS = 120
# Inputs past this many characters are cut before parsing (a real newsletter is under
# 300 KB of HTML; a mail's size is capped before it comes here, this bounds the parse).
MAX_HTML_CHARS = 3_000_000

_DROPPED_TAGS = (
    "head",
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "form",
    "iframe",
    "object",
    "button",
)
_BLOCKS = frozenset("p div td th li tr table tbody h1 h2 h3 h4 h5 h6 center footer".split())

# Lines only a mail has. French and English, as newsletters write them.
_BOILERPLATE = re.compile(
    "|".join(
        (
            # « view in browser »
            r"voir (?:la version |cet e-?mail |ce message |ce mail )?(?:dans|sur) (?:le|votre|"
            r"un) navigateur",
            r"(?:afficher|lire|consulter|ouvrir) (?:la version |cette newsletter |ce message |"
            r"cet e-?mail )?(?:en ligne|dans (?:le|votre) navigateur)",
            r"version (?:en ligne|web|navigateur)",
            r"(?:problème|difficultés?) (?:d['’]affichage|pour (?:lire|afficher))",
            r"(?:view|read|open) (?:this |it |the )?(?:e-?mail |newsletter |issue )?(?:in|on) "
            r"(?:your |a |the )?(?:web )?browser",
            r"(?:view|read) (?:it |this )?online",
            r"having trouble (?:viewing|reading)",
            r"web version",
            # unsubscribe and preferences
            r"(?:se|vous|me) (?:désinscrire|désabonner)|désinscription|désabonnement",
            r"ne plus recevoir|ne (?:souhaitez|voulez|désirez) plus recevoir",
            r"(?:don['’]t|do not|no longer) (?:want|wish) to receive",
            r"unsubscribe|opt[ -]out",
            r"(?:gérer|modifier|mettre à jour) (?:mes |vos |tes )?(?:préférences|abonnements?)",
            r"(?:update|manage|change) (?:your |my )?(?:preferences|subscription|e-?mail "
            r"settings)",
            r"email preferences|préférences (?:d['’]abonnement|de communication|e-?mail)",
            # why you get this, legal
            r"(?:vous recevez|tu reçois|vous avez reçu) (?:cet?|ce|cette) (?:e-?mail|message|"
            r"mail|newsletter|lettre)",
            r"(?:vous êtes|tu es) (?:inscrit|abonné)",
            r"(?:you(?: are|'re)? receiv(?:ing|ed)|you (?:signed up|subscribed))",
            r"this (?:e-?mail|message) was sent to",
            r"(?:cet?|ce) (?:e-?mail|message) (?:a été )?envoyé à",
            r"©|\(c\) ?\d{4}|copyright",
            r"tous droits réservés|all rights reserved",
            r"mentions légales|politique de confidentialité",
            r"privacy policy|terms of (?:use|service)",
            r"données personnelles|rgpd|gdpr|cnil",
            r"add us to your address book|ajoutez[- ]nous à votre carnet",
            # sharing
            r"(?:transférer|transmettre|faire suivre) (?:à|a) un(?:e)? ami",
            r"forward (?:this |it )?to a friend",
            r"(?:suivez|retrouvez)[- ]nous|follow us|find us on|rejoignez-nous sur",
            r"(?:partager|share)(?: (?:sur|on|this))? (?:facebook|twitter|x|linkedin|bluesky)",
            r"^\s*(?:share|follow|partager|suivre|like|tweet)\s*:?\s*$",
        )
    ),
    re.IGNORECASE,
)
# Phrases no story paragraph holds: why the reader gets the mail, copyright.
_LEGAL = re.compile(
    r"©|copyright|tous droits réservés|all rights reserved|(?:vous recevez|vous avez reçu) "
    r"(?:cet?|ce|cette) (?:e-?mail|message|mail|newsletter)|this (?:e-?mail|message) was sent "
    r"to|you(?: are|'re)? receiving this",
    re.IGNORECASE,
)
# A short label that says its block is paid for.
_AD_LABEL = re.compile(
    r"^\s*(?:publicité|pub|sponsoris[ée]e?|contenu sponsorisé|partenaire|annonce|"
    r"advertisement|advertising|sponsored|sponsor|ad|présenté par|presented by|"
    r"brought to you by|en partenariat avec|in partnership with)\b[^.!?]{0,60}$",
    re.IGNORECASE,
)
_SOCIAL_HOSTS = re.compile(
    r"(?:^|\.)(?:facebook\.com|fb\.com|twitter\.com|x\.com|linkedin\.com|instagram\.com|"
    r"youtube\.com|tiktok\.com|threads\.net|bsky\.app|mastodon\.social|pinterest\.com|"
    r"whatsapp\.com)$",
    re.IGNORECASE,
)
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all|max-height\s*:\s*0(?:px)?"
    r"\s*(?:;|$)|font-size\s*:\s*0(?:px)?\s*(?:;|$)|opacity\s*:\s*0(?:\.0+)?\s*(?:;|$)",
    re.IGNORECASE,
)
_PIXEL_SIZE = re.compile(r"^\s*[0-2](?:px)?\s*$")
_PIXEL_SRC = re.compile(r"pixel|beacon|track|open\.gif|/o/|/open/|/wf/open|spacer", re.IGNORECASE)
# Links whose address says what they are, whatever their text (« click here »).
_UNSUBSCRIBE_HREF = re.compile(
    r"unsub|opt-?out|d[ée]sinscri|d[ée]sabonn|list-manage\.com/profile|/preferences|"
    r"^mailto:[^?]*\?(?:.*&)?subject=(?:unsubscribe|d[ée]sinscri)",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"^[\s|·•\-–—_/*]*$")


@dataclass(slots=True)
class Removed:
    """What the cleaning took out, by kind (for logs, tests and the bench)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n


def mail_html_to_text(html: str, removed: Removed | None = None) -> str:
    """The newsletter's own text: paragraphs separated by a blank line, boilerplate gone."""
    removed = removed if removed is not None else Removed()
    if not html.strip():
        return ""
    try:
        root = lxml_html.document_fromstring(html[:MAX_HTML_CHARS])
    except (etree.ParserError, ValueError):
        return html_to_text(html[:MAX_HTML_CHARS])
    for tag in _DROPPED_TAGS:
        for element in list(root.iter(tag)):
            _drop(element)
    etree.strip_elements(root, etree.Comment, with_tail=False)
    _drop_all(root, _hidden, "hidden", removed)
    _drop_all(root, _pixel, "pixel", removed)
    _drop_all(root, _social_link, "social", removed)
    _drop_ads(root, removed)
    _drop_boilerplate(root, removed)
    _drop_empty_blocks(root)
    body = root.find("body")
    text = html_to_text(etree.tostring(body if body is not None else root, encoding="unicode"))
    return "\n\n".join(p for p in text.split("\n\n") if not _SEPARATORS.match(p))


def _elements(root: etree._Element) -> Iterator[etree._Element]:
    """Every element (comments and processing instructions left out), a copy of the list."""
    return iter([e for e in root.iter() if isinstance(e.tag, str)])


def _drop_all(root: etree._Element, test: object, kind: str, removed: Removed) -> None:
    assert callable(test)
    for element in _elements(root):
        if element.getparent() is not None and test(element):
            _drop(element)
            removed.add(kind)


def _hidden(element: etree._Element) -> bool:
    """A preheader or an element only some clients show (Outlook's mso-hide)."""
    if element.tag in {"html", "body"}:
        return False
    style = element.get("style") or ""
    return element.get("hidden") is not None or bool(_HIDDEN_STYLE.search(style))


def _pixel(element: etree._Element) -> bool:
    if element.tag != "img":
        return False
    width, height = element.get("width") or "", element.get("height") or ""
    style = (element.get("style") or "").replace(" ", "").lower()
    tiny = bool(_PIXEL_SIZE.match(width) or _PIXEL_SIZE.match(height))
    tiny = tiny or "width:1px" in style or "height:1px" in style or "width:0" in style
    return tiny or (not element.get("alt") and bool(_PIXEL_SRC.search(element.get("src") or "")))


def _social_link(element: etree._Element) -> bool:
    """A link to a social network whose text is a name or an icon, not a sentence."""
    if element.tag != "a":
        return False
    try:
        host = urlsplit((element.get("href") or "").strip()).hostname or ""
    except ValueError:
        return False
    return bool(_SOCIAL_HOSTS.search(host)) and len(_text(element)) <= 40


def _drop_ads(root: etree._Element, removed: Removed) -> None:
    """A short « Publicité » / « Sponsored » label takes its block with it: the nearest
    ancestor holding more than the label, when that block is still short."""
    for element in _elements(root):
        if element.getparent() is None or element.tag in {"html", "body"}:
            continue
        own = _text(element)
        if not own or not _AD_LABEL.match(own) or len(own) > 80:
            continue
        if any(_AD_LABEL.match(_text(child)) for child in element if isinstance(child.tag, str)):
            continue  # the label is a child's; that child is the one to start from
        block = element
        while block.getparent() is not None and _text(block) == own:
            block = block.getparent()
        if block.tag not in {"html", "body"} and len(_text(block)) <= MAX_BOILERPLATE_CHARS * 3:
            _drop(block)
            removed.add("ad")


def _drop_boilerplate(root: etree._Element, removed: Removed) -> None:
    """Remove the smallest short block around each boilerplate phrase, deepest first; then
    its ancestors while what is left in them is too short to be a story's paragraph (the
    postal address beside « se désabonner » in a footer cell)."""
    for element in reversed(list(_elements(root))):
        if element.tag not in _BLOCKS or not _attached(element, root):
            continue
        text = _text(element)
        if len(text) > MAX_BOILERPLATE_CHARS or not _chrome(element, text):
            continue
        parent = element.getparent()
        _drop(element)
        removed.add("boilerplate")
        while (
            parent is not None
            and parent.tag in _BLOCKS
            and len(_text(parent)) < MIN_CONTENT_CHARS
            and not _chrome(parent, _text(parent))  # its own turn will come
        ):
            above = parent.getparent()
            _drop(parent)
            parent = above


def _chrome(element: etree._Element, text: str) -> bool:
    """An unsubscribe link however it is worded; or a phrase only a mail's chrome has, in a
    block too short for a story's paragraph, or beside a link, or with a legal notice (a
    story saying its readers « se désabonnent » is none of these)."""
    links = list(element.iter("a"))
    if any(_UNSUBSCRIBE_HREF.search(link.get("href") or "") for link in links):
        return True
    if not _BOILERPLATE.search(text):
        return False
    return len(text) < MIN_CONTENT_CHARS or bool(links) or bool(_LEGAL.search(text))


def _attached(element: etree._Element, root: etree._Element) -> bool:
    return any(ancestor is root for ancestor in element.iterancestors()) or element is root


def _drop_empty_blocks(root: etree._Element) -> None:
    """Blocks that the removals left with nothing but separators (« | », « · »)."""
    for element in reversed(list(_elements(root))):
        if (
            element.tag in _BLOCKS
            and element.getparent() is not None
            and _SEPARATORS.match(_text(element))
            and element.find(".//img") is None
        ):
            _drop(element)


def _text(element: etree._Element) -> str:
    return " ".join(str(element.text_content()).split())


def _drop(element: etree._Element) -> None:
    """Remove an element and its content, keeping the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail and tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def is_boilerplate(text: str) -> bool:
    """Whether a paragraph holds a phrase only a mail's chrome has (check its length too)."""
    return bool(_BOILERPLATE.search(text))
