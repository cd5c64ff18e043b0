"""Make feed and document HTML safe for an email, and derive what the later stages read.

Takes HTML fragments, URLs and text as publishers wrote them; gives an allow-listed HTML
fragment (nh3), its plain text, one-line text for titles and authors, and canonical URLs
without tracking parameters. No I/O. (Languages: digest.ingest.language; derived titles:
digest.sentences.)
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

log = logging.getLogger(__name__)

# What an article needs, nothing that can run or restyle the email. `div` is inert once
# its attributes are gone and keeps paragraph structure (Ghost and Medium content is
# div-based; unwrapping it would run paragraphs together). h1/h5/h6 are unwrapped to text:
# an h1 inside an issue would compete with the issue's own headings. The block-level ones
# are also where the plain text breaks paragraphs (_BLOCK_TAGS).
_KEPT_BLOCKS = frozenset(
    "p div hr ul ol li dl dt dd blockquote pre h2 h3 h4 figure figcaption table caption tr".split()
)
ALLOWED_TAGS = _KEPT_BLOCKS | frozenset(
    "br a strong em b i u s del sub sup cite q code img thead tbody tfoot th td".split()
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
# Removed with everything inside them. noscript must be here: html5ever parses its
# content as raw text, so an unwrapped <noscript><img></noscript> would show the markup
# as visible text (seen in lazy-loading WordPress themes).
DROPPED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "form",
        "noscript",
        "template",
        "svg",
        "math",
        "button",
        "select",
        "textarea",
        "video",
        "audio",
        "canvas",
        "map",
        "head",
        "title",
    }
)
URL_SCHEMES = frozenset({"http", "https", "mailto"})

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "ref_src",
        "_hsenc",
        "_hsmi",
        "yclid",
    }
)

# Images that only count readers: feedburner's ~r/~ff beacons (pt_jn_latin1.xml), Medium's
# /_/stat (fr_medium_lavertygrenoble.xml), VG-Wort, WordPress stats, pixel hosts and paths.
_PIXEL_SRC = re.compile(
    r"feeds\.feedburner\.com/~(?:r|ff)/|//pixel\.|/pixel(?:[./?]|$)|medium\.com/_/stat"
    r"|vgwort\.de/|stats\.wordpress\.com/|google-analytics\.com/",
    re.IGNORECASE,
)
_PIXEL_SIZES = frozenset({"0", "1", "0px", "1px"})
# nh3's serializer escapes '>' and '"' inside attribute values, so on its output a tag
# ends at the first '>' and every attribute is name="value": these patterns are exact.
_IMG_TAG = re.compile(r"<img\b[^>]*>")
_ATTR = re.compile(r'([\w:-]+)="([^"]*)"')
_EMPTY_ANCHOR = re.compile(r"<a\b[^>]*>\s*</a>")


def sanitize_html(fragment: str, base_url: str | None = None) -> str:
    """Allow-listed HTML: no scripts, handlers, styles or non-http(s) URLs; no pixels."""
    import nh3

    if not fragment.strip():
        return ""
    relative: Any = ("rewrite_with_base", base_url) if _is_web_url(base_url) else "deny"
    cleaned = nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
        url_relative=relative,
    )
    cleaned = _IMG_TAG.sub(_keep_real_image, cleaned)
    return _EMPTY_ANCHOR.sub("", cleaned).strip()


def _keep_real_image(match: re.Match[str]) -> str:
    """The <img> tag unchanged, or "" for a tracking pixel or an image with no usable src."""
    attrs = dict(_ATTR.findall(match.group(0)))
    src = attrs.get("src", "")
    if not src.lower().startswith(("http://", "https://")) or _PIXEL_SRC.search(src):
        return ""
    if attrs.get("width", "").strip() in _PIXEL_SIZES:
        return ""
    if attrs.get("height", "").strip() in _PIXEL_SIZES:
        return ""
    return match.group(0)


def _is_web_url(url: str | None) -> bool:
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


# -- plain text --------------------------------------------------------------------------

# Plain text is also read from HTML that was never sanitized (an HTML title, a document):
# the blocks the allow-list would unwrap break paragraphs too.
_BLOCK_TAGS = _KEPT_BLOCKS | frozenset(
    "h1 h5 h6 section article header footer aside nav address".split()
)
_SKIPPED_TAGS = frozenset({"script", "style", "template", "noscript"})
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
# Collapses spaces but keeps the no-break spaces of French typography (« x », x : y).
_SPACES = re.compile(r"[^\S\n\u00a0\u202f]+")


class _TextExtractor(HTMLParser):
    """Collects text; block elements become paragraph breaks and <br> a line break."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities come out decoded
        self.parts: list[str] = []
        self._skipping = 0
        self._preformatted = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self._preformatted += 1
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        elif tag in {"td", "th"}:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._preformatted = max(0, self._preformatted - 1)
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        # A newline in HTML source is a space, except in <pre> (code, poems).
        self.parts.append(data if self._preformatted else data.replace("\n", " "))


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: paragraphs separated by a blank line, spaces collapsed."""
    extractor = _TextExtractor()
    extractor.feed(fragment)
    extractor.close()
    paragraphs = []
    for block in _PARAGRAPH_BREAK.split("".join(extractor.parts)):
        lines = (_SPACES.sub(" ", line).strip() for line in block.split("\n"))
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def one_line(text: str) -> str:
    """Text on one line with single spaces (titles, authors)."""
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()


# -- URLs --------------------------------------------------------------------------------

_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str, base: str | None = None) -> str | None:
    """Absolute http(s) URL without tracking parameters or fragment; None if not a web URL."""
    url = url.strip()
    if not url:
        return None
    try:
        parts = urlsplit(urljoin(base, url) if base else url)
        netloc = _canonical_netloc(parts.scheme.lower(), parts)
    except ValueError:  # a bad port or an unbalanced IPv6 bracket
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not netloc:
        return None
    # Filter the raw query segments rather than re-encode them: the kept parameters stay
    # byte for byte as the publisher wrote them, in their order.
    query = "&".join(seg for seg in parts.query.split("&") if seg and not _is_tracking(seg))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _canonical_netloc(scheme: str, parts: Any) -> str:
    host = parts.hostname or ""  # urlsplit lowercases it
    if not host:
        return ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    return f"{userinfo}@{host}" if at else host


def _is_tracking(segment: str) -> bool:
    name = unquote_plus(segment.split("=", 1)[0]).strip().lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS
