"""The Atom feed of sent issues (RFC 4287), for readers who prefer a feed reader."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from xml.etree import ElementTree as ET

from digest.models import Issue
from digest.render import french_date, issue_url, lead_title
from digest.settings import Settings
from digest.typography import french

ATOM = "http://www.w3.org/2005/Atom"
MAX_ISSUES = 20


def atom_feed(settings: Settings, issues: Sequence[Issue], now: datetime) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": settings.newsletter.language})
    base = settings.newsletter.base_url
    recent = sorted(issues, key=lambda i: i.number, reverse=True)[:MAX_ISSUES]
    _text(feed, "title", settings.newsletter.title)
    if settings.newsletter.tagline:
        _text(feed, "subtitle", french(settings.newsletter.tagline))
    _text(feed, "id", f"{base}/")
    _text(feed, "updated", (recent[0].period_end if recent else now).isoformat())
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": f"{base}/feed.xml"})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "href": f"{base}/"})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", settings.newsletter.title)
    for issue in recent:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        url = issue_url(settings, issue.number)
        lead = lead_title(issue)
        _text(entry, "title", french(f"{settings.newsletter.title} n°{issue.number} — {lead}"))
        _text(entry, "id", url)
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": url})
        _text(entry, "updated", issue.period_end.isoformat())
        titles = " · ".join(e.title for s in issue.sections for e in s.entries[:2])
        _text(entry, "summary", french(f"Numéro du {french_date(issue)} : {titles}"))
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def _text(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = value
