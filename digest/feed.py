"""The Atom feed of sent issues (RFC 4287), for readers who prefer a feed reader.

Takes the newest sent issues and their web versions' articles; gives the feed's bytes.
Each entry carries the whole issue (content type="html", relative links resolved through
xml:base), so a reader shows it as the archive does. What the W3C validator asks for is
here: one id per feed and entry (the issues' URLs: they were the ids from the first feed
on, and a new id would show every issue again as new in readers), `updated` on both,
an author, a self link of the feed's own type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from xml.etree import ElementTree as ET

from digest.models import Issue
from digest.render import issue_url, subject_lines
from digest.settings import Settings

ATOM = "http://www.w3.org/2005/Atom"
XML = "http://www.w3.org/XML/1998/namespace"
MAX_ISSUES = 20
# What XML 1.0 forbids (its Char production): a feed holding one is not well-formed, and
# every reader drops the whole of it.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def atom_feed(
    settings: Settings, issues: Sequence[Issue], articles: Mapping[int, str], now: datetime
) -> bytes:
    """The feed of `issues` (the newest MAX_ISSUES), `articles[number]` as their content."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {f"{{{XML}}}lang": settings.newsletter.language})
    base = settings.newsletter.base_url
    recent = sorted(issues, key=lambda i: i.number, reverse=True)[:MAX_ISSUES]
    _text(feed, "title", settings.newsletter.title)
    if settings.newsletter.tagline:
        _text(feed, "subtitle", settings.newsletter.tagline)
    _text(feed, "id", f"{base}/")
    _text(feed, "updated", max((_when(i) for i in recent), default=now).isoformat())
    _link(feed, "self", f"{base}/feed.xml", "application/atom+xml")
    _link(feed, "alternate", f"{base}/", "text/html")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", settings.newsletter.title)
    _text(author, "uri", f"{base}/")
    for issue in recent:
        _entry(feed, settings, issue, articles.get(issue.number, ""))
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _entry(feed: ET.Element, settings: Settings, issue: Issue, article: str) -> None:
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    url = issue_url(settings, issue.number)
    subject, preheader = subject_lines(issue, settings)
    _text(entry, "title", subject)
    _text(entry, "id", url)
    _link(entry, "alternate", url, "text/html")
    _text(entry, "published", _when(issue).isoformat())
    _text(entry, "updated", _when(issue).isoformat())
    if preheader:
        _text(entry, "summary", preheader)
    content = _text(entry, "content", article)
    content.set("type", "html")
    content.set(f"{{{XML}}}base", url)  # the table of contents links to #s1, #s2…


def _when(issue: Issue) -> datetime:
    return issue.sent_at or issue.period_end


def _link(parent: ET.Element, rel: str, href: str, kind: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}link", {"rel": rel, "href": href, "type": kind})


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = _NOT_XML.sub("", value)
    return element
