"""The stable JSON shapes of stories and issues: `digest items --json`, `digest show --json`
and the `issue.json` the renderer writes (documented in the README). Bump JSON_VERSION on
any incompatible change; a new field is compatible."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from digest.models import Issue, Section, StoredItem

JSON_VERSION = 1
EDITOR = "editor"  # who wrote a field marked `edited_by` (issue 13)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, or None."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def items_json(items: list[StoredItem]) -> dict[str, Any]:
    return {"version": JSON_VERSION, "items": [item_json(i) for i in items]}


def item_json(item: StoredItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "source": item.source_name,
        "source_kind": item.source_kind.value,
        "key": item.key,
        "kind": item.kind.value,
        "position": item.position,
        "section": item.section,
        "title": item.title,
        "title_derived": item.title_derived,
        "text": item.text,
        "enjeux": item.enjeux,
        "links": [{"url": link.url, "title": link.title} for link in item.links],
        "url": item.url,
        "author": item.author,
        "language": item.language,
        "published_at": iso(item.published_at),
        "fetched_at": iso(item.fetched_at),
        "credit": item.reader_source,  # the source name readers see
        "origin": item.origin,
        "event_date": item.event_date.isoformat() if item.event_date else None,
    }


def issue_json(issue: Issue, items: dict[int, StoredItem]) -> dict[str, Any]:
    """The structured issue: what `digest show --json` prints and the renderer writes as
    issue.json. Each blurb sentence names the item it came from and that item's source."""

    def cite(section: Section, item_id: int) -> dict[str, Any]:
        item = items.get(item_id)
        return {
            "item_id": item_id,
            "source": item.reader_source if item else None,  # as readers see it
            "title": section.headline_of(item_id) or (item.title if item else None),
            "url": (item.url or (item.links[0].url if item.links else None)) if item else None,
        }

    return {
        "version": JSON_VERSION,
        "issue": {
            "number": issue.number,
            "status": issue.status.value,
            "period": {"start": iso(issue.period_start), "end": iso(issue.period_end)},
            "created_at": iso(issue.created_at),
            "subject": issue.subject,
            "preheader": issue.preheader,
            "note": issue.note,  # the editor's note, Markdown ("" when none)
            # Which of the issue's fields the editor wrote: subject, preheader, note, sections.
            "edited": list(issue.edited),
            "sections": [
                {
                    "theme": section.theme_id,
                    "title": section.title,
                    "blurb": [
                        # original/explicit_subject: set when the subject was made explicit
                        {
                            "text": b.text,
                            **cite(section, b.item_id),
                            "original": b.original,
                            "explicit_subject": b.subject,
                            "edited_by": EDITOR if b.edited else None,
                        }
                        for b in section.blurb
                    ],
                    "entries": [
                        {
                            "title": e.title,
                            "summary": e.summary,
                            "links": [{"url": link.url, "title": link.title} for link in e.links],
                            "sources": list(e.sources),
                            "date": _event_day(e.item_ids, items),
                            "item_ids": list(e.item_ids),
                            "key": e.key,  # the story's stable key (digest edit)
                            # The fields the editor wrote; the others are the build's.
                            "edited_by": dict.fromkeys(e.edited, EDITOR),
                        }
                        for e in section.entries
                    ],
                }
                for section in issue.sections
            ],
        },
    }


def _event_day(item_ids: tuple[int, ...], items: dict[int, StoredItem]) -> str | None:
    """The first date the story's items give for its event (ISO), if any."""
    dates = (items[i].event_date for i in item_ids if i in items)
    day = next((d for d in dates if d is not None), None)
    return day.isoformat() if day else None
