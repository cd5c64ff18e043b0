"""The render stage: an issue becomes an HTML email (CSS inlined) and its plain-text twin.

Takes an `Issue`, the items its blurbs cite and the settings; gives a `RenderedIssue`.
Jinja2 (autoescape on) fills templates/, premailer inlines the CSS **once per issue**, and
the per-subscriber values are placeholders replaced afterwards (`personalize`), so a
personalised message costs a string replace, not a re-render. The preview, the archive
and the sender all call `render_issue`: there is one render path.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from markupsafe import Markup

from digest.errors import RenderError
from digest.models import (
    BRIEF_THEME_ID,
    BRIEF_THEME_TITLE,
    Entry,
    Issue,
    Section,
    SourceKind,
    StoredItem,
)
from digest.note import note_html, note_text
from digest.package_data import package_folder
from digest.settings import Settings
from digest.typography import (
    foreign,
    french,
    french_day,
    french_html,
    title_forms,
    wrap_lines,
)

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger(__name__)

UNSUBSCRIBE_PLACEHOLDER = "__DIGEST_UNSUBSCRIBE_URL__"
GREETING_PLACEHOLDER = "__DIGEST_GREETING__"
# The reader's preferences page (pause, unsubscribe), behind the unsubscribe link's token.
PREFERENCES_PLACEHOLDER = "__DIGEST_PREFERENCES_URL__"
# Gmail clips a message whose HTML passes ~102 KB and hides the rest — the footer and its
# unsubscribe link first. Keep a margin for the personalised values.
MAX_HTML_BYTES = 100_000
BRIEF_KEEP = 8  # briefs kept when an issue must shrink
TEXT_WIDTH = 72  # columns of the text part; only a URL longer than a line passes it


@dataclass(frozen=True, slots=True)
class RenderedIssue:
    number: int
    subject: str
    preheader: str
    html: str  # CSS inlined, placeholders in place
    text: str
    web_url: str
    issue: Issue  # as rendered: shrunk to fit when it had to be (the web version shows it)
    trimmed: int = 0  # entries moved or dropped to stay under MAX_HTML_BYTES


def templates_dir() -> Path:
    """templates/: the checkout's top-level folder, or digest/_templates in a wheel."""
    return package_folder("templates", "_templates", "email.html.j2")


@cache
def jinja_environment(folder: Path) -> jinja2.Environment:
    """The one Jinja environment of a templates folder (the email's, the preview's web/,
    the public pages' public/), built once: a new one per request compiled every template
    again."""
    import jinja2  # lazy: Jinja costs start-up to commands that never render

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html")),
        undefined=jinja2.StrictUndefined,  # a typo in a template is an error, not a blank
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,  # the preview picks up template edits without a restart
    )


def issue_url(settings: Settings, number: int) -> str:
    return f"{settings.newsletter.base_url}/issues/{number}"


def render_issue(
    issue: Issue,
    items: Mapping[int, StoredItem],
    settings: Settings,
    templates: Path | None = None,
) -> RenderedIssue:
    """Render once; shrink the issue (briefs first) if the HTML would be clipped by Gmail."""
    folder = templates or templates_dir()
    trimmed = 0
    while True:
        rendered = _render(issue, items, settings, folder, trimmed)
        if len(rendered.html.encode("utf-8")) <= MAX_HTML_BYTES:
            return rendered
        smaller = _shrink(issue)
        if smaller is None:
            raise RenderError(
                f"issue {issue.number} renders to {len(rendered.html.encode()) // 1000} KB "
                "even with no briefs",
                hint="lower issue.max_entries in the configuration",
            )
        removed = len(issue.entries) - len(smaller.entries) or 1
        issue, trimmed = smaller, trimmed + removed
        log.info(
            "issue %d: over %d bytes, trimmed %d entries", issue.number, MAX_HTML_BYTES, trimmed
        )


def personalize(
    rendered: RenderedIssue, unsubscribe_url: str, name: str | None, preferences_url: str
) -> tuple[str, str]:
    """The (html, text) one subscriber gets: string replaces on the rendered issue."""
    values = reader_values(unsubscribe_url, name, preferences_url)
    body, text = rendered.html, rendered.text
    for placeholder, value in values.items():
        body = body.replace(placeholder, html.escape(value))
        text = text.replace(placeholder, value)
    return body, text


def reader_values(unsubscribe_url: str, name: str | None, preferences_url: str) -> dict[str, str]:
    """What each per-reader placeholder becomes for one reader."""
    return {
        UNSUBSCRIBE_PLACEHOLDER: unsubscribe_url,
        PREFERENCES_PLACEHOLDER: preferences_url,
        GREETING_PLACEHOLDER: greeting(name),
    }


def greeting(name: str | None) -> str:
    """« Bonjour Lectrice Exemple, », cut at TEXT_WIDTH too: a name may be 200 characters
    long (in the HTML, the line break is a space)."""
    return wrap_lines(f"Bonjour {name}," if name else "Bonjour,", TEXT_WIDTH)


def neutral(rendered: RenderedIssue, subscribe_url: str) -> str:
    """The HTML with no subscriber's values in it: their unsubscribe and preferences links
    point to `subscribe_url` instead."""
    body = rendered.html.replace(UNSUBSCRIBE_PLACEHOLDER, html.escape(subscribe_url))
    body = body.replace(PREFERENCES_PLACEHOLDER, html.escape(subscribe_url))
    return body.replace(GREETING_PLACEHOLDER, greeting(None))


def _render(
    issue: Issue, items: Mapping[int, StoredItem], settings: Settings, folder: Path, trimmed: int
) -> RenderedIssue:
    context = issue_context(issue, items, settings)
    page, text = render_mail(folder, "email", context)
    return RenderedIssue(
        number=issue.number,
        subject=context["subject"],
        preheader=context["preheader"],
        html=page,
        text=text,
        web_url=context["web_url"],
        issue=issue,
        trimmed=trimmed,
    )


def render_mail(folder: Path, name: str, context: dict[str, Any]) -> tuple[str, str]:
    """The HTML (CSS inlined) and text parts of the mail `name` (`name.html.j2`,
    `name.txt.j2`): an issue, or the welcome, which shares the issue's stylesheets."""
    css = _read(folder / "styles.css")
    media_css = _read(folder / "email_media.css")
    page = _fill(folder, f"{name}.html.j2", context | {"css": css, "media_css": media_css})
    # French typography over every word the reader sees, ours and the sources' (issue 14);
    # then the text part is cut at TEXT_WIDTH, after the no-break spaces are in.
    page = french_html(page)
    text = wrap_lines(french(_fill(folder, f"{name}.txt.j2", context)), TEXT_WIDTH)
    return _inline(page), _tidy_text(text)


def reader_placeholders() -> dict[str, str]:
    """The template variables replaced per reader (`personalize`, the message builder)."""
    return {
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
        "preferences_url": PREFERENCES_PLACEHOLDER,
        "greeting": GREETING_PLACEHOLDER,
    }


def _fill(folder: Path, name: str, context: dict[str, Any]) -> str:
    import jinja2  # lazy: see jinja_environment

    try:
        return str(jinja_environment(folder).get_template(name).render(**context))
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(
            f"template {exc.filename or name}, line {exc.lineno}: {exc.message}",
            hint="fix the template (nothing was written or sent)",
        ) from exc
    except jinja2.UndefinedError as exc:
        raise RenderError(
            f"template {name}: {exc.message}", hint="a variable the template uses is not provided"
        ) from exc
    except jinja2.TemplateNotFound as exc:
        raise RenderError(
            f"template {name} is missing from {folder}",
            hint="restore templates/",
        ) from exc


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"cannot read {path}: {exc.strerror}", hint="restore templates/") from exc


def _inline(page: str) -> str:
    import logging as std_logging

    from premailer import Premailer

    # No network and no files: a template must not make the render fetch anything.
    return str(
        Premailer(
            page,
            allow_network=False,
            allow_loading_external_files=False,
            keep_style_tags=False,
            remove_classes=False,  # the media queries select on classes
            strip_important=False,
            disable_validation=True,
            cssutils_logging_level=std_logging.CRITICAL,
        ).transform()
    )


def _tidy_text(text: str) -> str:
    """Trailing spaces gone and at most two blank lines in a row (templates leave more)."""
    lines = [line.rstrip() for line in text.splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or len(tidy) < 2 or tidy[-1] or tidy[-2]:
            tidy.append(line)
    return "\n".join(tidy).strip() + "\n"


def _shrink(issue: Issue) -> Issue | None:
    """One step smaller: first briefs beyond BRIEF_KEEP, then the last entry of the longest
    themed section becomes a brief, then briefs go one by one."""
    sections = list(issue.sections)
    briefs = next((s for s in sections if s.theme_id == BRIEF_THEME_ID), None)
    if briefs is not None and len(briefs.entries) > BRIEF_KEEP:
        return _with(issue, replace(briefs, entries=briefs.entries[:BRIEF_KEEP]))
    themed = [s for s in sections if s.theme_id != BRIEF_THEME_ID and len(s.entries) > 1]
    if themed:
        longest = max(themed, key=lambda s: len(s.entries))
        moved = longest.entries[-1]
        issue = _with(issue, replace(longest, entries=longest.entries[:-1]))
        kept = briefs.entries[: BRIEF_KEEP - 1] if briefs else ()
        brief = replace(moved, summary="")
        section = Section(BRIEF_THEME_ID, BRIEF_THEME_TITLE, (), (brief, *kept))
        return (
            _with(issue, section) if briefs else replace(issue, sections=(*issue.sections, section))
        )
    if briefs is not None and briefs.entries:
        return _with(issue, replace(briefs, entries=briefs.entries[:-1]))
    return None


def _with(issue: Issue, section: Section) -> Issue:
    return replace(
        issue,
        sections=tuple(section if s.theme_id == section.theme_id else s for s in issue.sections),
    )


# -- template context ----------------------------------------------------------------------


def french_date(issue: Issue) -> str:
    return french_day(issue.period_end)


def issue_context(
    issue: Issue, items: Mapping[int, StoredItem], settings: Settings
) -> dict[str, Any]:
    """What the templates know of an issue: the email's and the web version's alike."""
    web_url = issue_url(settings, issue.number)
    sections = [_section_context(i, s, items, web_url) for i, s in enumerate(issue.sections)]
    subject, preheader = subject_lines(issue, settings)
    newsletter = settings.newsletter
    return {
        "newsletter": newsletter,
        "title_forms": title_forms(newsletter.title, newsletter.title_article),
        "tagline": french(newsletter.tagline),
        "issue": {"number": issue.number, "date": french_date(issue)},
        # Set here, not only by the page's pass: they are attributes too (aria-label).
        "subject": french(subject),
        "preheader": french(preheader),
        "sections": sections,
        "web_url": web_url,
        **reader_placeholders(),
        # The editor's note (issue 13): sanitised by note_html, so safe to insert as is.
        "note_html": Markup(note_html(issue.note)),
        "note_text": note_text(issue.note),
        "logo": None,
        "subscriber_email": None,
    }


def subject_lines(issue: Issue, settings: Settings) -> tuple[str, str]:
    """The subject and preheader stored on the issue at build time (an editor may have
    changed them); an issue built before they were stored gets its lead entry's title."""
    lead = lead_title(issue)
    title = settings.newsletter.title
    fallback = f"{title} n°{issue.number} — {lead}" if lead else f"{title} n°{issue.number}"
    return issue.subject or fallback, issue.preheader or lead


def lead_title(issue: Issue) -> str:
    """The title of the issue's first entry, which names it in lists and feeds."""
    return next((e.title for e in issue.entries), "")


def _section_context(
    index: int, section: Section, items: Mapping[int, StoredItem], web_url: str
) -> dict[str, Any]:
    anchor = f"s{index + 1}"
    anchors = [f"{anchor}e{n}" for n in range(1, len(section.entries) + 1)]
    blurb, references = _references(section, items, anchors, web_url)
    return {
        "anchor": anchor,
        "title": section.title,
        "is_brief": section.theme_id == BRIEF_THEME_ID,
        "blurb": blurb,
        # A no-break space ties each marker to its sentence: no « [4] » alone on a line.
        "blurb_text": " ".join(f"{b['text']}\u00a0[{b['ref']}]" for b in blurb),
        "references": references,
        "entries": [
            _entry_context(e, items, a) for e, a in zip(section.entries, anchors, strict=True)
        ],
    }


def _references(
    section: Section, items: Mapping[int, StoredItem], anchors: list[str], web_url: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The blurb's sentences, each with the number of its story, and the stories cited, in
    order (issue 14): a story cited twice keeps its number."""
    blurb: list[dict[str, Any]] = []
    references: dict[str, dict[str, Any]] = {}
    for sentence in section.blurb:
        item = items.get(sentence.item_id)
        at = next((n for n, e in enumerate(section.entries) if sentence.item_id in e.item_ids), -1)
        key = anchors[at] if at >= 0 else f"item {sentence.item_id}"
        if key not in references:
            entry = section.entries[at] if at >= 0 else None
            anchor = f"{web_url}#{anchors[at]}" if at >= 0 else None
            references[key] = _reference(len(references) + 1, item, entry, items, anchor)
        reference = references[key]
        language = _other_language([item] if item else [])
        text = _typeset(sentence.text, language)
        sentence_context = {"text": text, "source_title": reference["title"], "lang": language}
        blurb.append(reference | sentence_context)
    return blurb, list(references.values())


def _reference(
    number: int,
    item: StoredItem | None,
    entry: Entry | None,
    items: Mapping[int, StoredItem],
    anchor: str | None,
) -> dict[str, Any]:
    """A story cited: its title, and where it is read: its article's address or, for a
    document with none, its place in the issue's web version (`anchor`)."""
    url = (item.url or (item.links[0].url if item.links else None)) if item else None
    if entry is not None:
        title, language = entry.title, _other_language(_behind(entry, items))
    else:
        title, language = (item.title, _other_language([item])) if item else ("source", None)
    # Beside the link, where it leads: the article's site, or this issue online.
    where = _label(url) if url else "dans ce numéro" if anchor else ""
    return {
        "ref": number,
        "title": _typeset(title, language),
        "lang": language,
        "url": url or anchor,
        "where": where,
    }


def _entry_context(entry: Entry, items: Mapping[int, StoredItem], anchor: str) -> dict[str, Any]:
    links = [{"url": link.url, "label": _label(link.url)} for link in entry.links[:4]]
    behind = _behind(entry, items)
    language = _other_language(behind)
    # A document's story names its publication or the source it credits; a feed's story
    # is named by its links already. Issues built before items carried names fall back
    # on the entry's own list.
    credits = list(
        dict.fromkeys(i.reader_source for i in behind if i.source_kind is not SourceKind.FEED)
    )
    if not behind:
        credits = list(entry.sources) if not links else []
    return {
        "anchor": anchor,
        "lang": language,
        "title": _typeset(entry.title, language),
        "summary": _typeset(entry.summary, language),
        "links": links,
        "source_word": "Sources" if len(links) + len(credits) > 1 else "Source",
        "credit": ", ".join(credits),
        "date": entry_date(entry, items),
    }


def _behind(entry: Entry, items: Mapping[int, StoredItem]) -> list[StoredItem]:
    return [items[i] for i in entry.item_ids if i in items]


_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}")


def _other_language(behind: list[StoredItem]) -> str | None:
    """The language of a story told only in another language than French (an English
    feed's), as an HTML lang value; None for French, mixed or unknown."""
    languages = {i.language for i in behind}
    if len(languages) != 1:
        return None
    (language,) = languages
    if language is None or language == "fr" or not _LANGUAGE_TAG.fullmatch(language):
        return None
    return language


def _typeset(text: str, language: str | None) -> str:
    """Source text as the reader gets it: French typography, or for another language's
    text only its apostrophes (« What’s next? », not « next ? »)."""
    return foreign(text) if language else french(text)


def entry_date(entry: Entry, items: Mapping[int, StoredItem]) -> str | None:
    """The date the documents give for the story's event, in French (« 18 mars 2025 »)."""
    dates = [items[i].event_date for i in entry.item_ids if i in items]
    day = next((d for d in dates if d is not None), None)
    return french_day(day) if day else None


def _label(url: str) -> str:
    host = urlsplit(url).netloc.lower()
    return host.removeprefix("www.") or url
