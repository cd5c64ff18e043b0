"""The preview's forms (issue 13): what an editor posts from an issue's page, checked, then
handed to one use case. No JavaScript is needed: each form posts `action` and its fields
to /issues/N/edit, and the answer is a redirect back to the page (or the page again with
the problem in it).

The preview listens on 127.0.0.1, but the editor's browser also runs other sites' pages,
which can post to it. So a post is accepted only when it carries the token written into
the preview's own forms (an HMAC of the issue number under a secret the preview draws at
start, which another site cannot read), and its Origin / Sec-Fetch-Site headers, when the
browser sends them, say it came from the preview itself. Bodies are capped.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from digest.app.add_back import SentChoice, add_back
from digest.app.edit import Desk, edit_issue, open_desk
from digest.app.issues import unapprove
from digest.app.overrides import blurb_keys
from digest.app.send import approve
from digest.app.test_send import send_test
from digest.errors import DigestError, TestSendLimited
from digest.models import AddedLink, BlurbEdit, IssueEdits
from digest.settings import Settings
from digest.store import Store
from digest.web.forms import Refused, check_provenance, read_fields

FORM_MAX_BYTES = 64 * 1024  # the longest form is a note of 3,000 characters, encoded
ITEM_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits: int() would take « ١٢ », « 1_2 », « +1 »


def not_done(exc: DigestError, heading: str = "La demande n’a pas abouti.") -> Refused:
    """What the page says of a use case's refusal: 429 for a test send over the limit."""
    detail = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
    if isinstance(exc, TestSendLimited):
        return Refused("429 Too Many Requests", "L’e-mail de test n’est pas parti.", detail)
    return Refused("400 Bad Request", heading, detail)


def form_token(secret: bytes, number: int) -> str:
    """The token the forms of issue `number` carry."""
    return hmac.new(secret, f"preview-edit:{number}".encode(), hashlib.sha256).hexdigest()


def read_form(environ: Mapping[str, Any], secret: bytes, number: int) -> Mapping[str, str]:
    """The posted fields, once the post is known to come from the preview's own form."""
    host = (environ.get("HTTP_HOST") or "").lower()
    check_provenance(environ, {host}, "de l’aperçu")
    fields = read_fields(environ, FORM_MAX_BYTES)
    token = fields.get("token", "")
    if not hmac.compare_digest(token.encode(), form_token(secret, number).encode()):
        raise Refused(
            "403 Forbidden",
            "Ce formulaire n’est plus valable (l’aperçu a redémarré) : rechargez la page.",
        )
    return fields


# -- what each form does ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Form:
    fields: Mapping[str, str]

    def __getitem__(self, name: str) -> str:
        value = self.fields.get(name)
        if value is None:
            raise Refused("400 Bad Request", f"Le champ « {name[:40]} » manque au formulaire.")
        return value


Change = Callable[[Desk, Form], IssueEdits]


def _lines(desk: Desk, form: Form) -> IssueEdits:
    subject, preheader = form["subject"], form["preheader"]
    return replace(
        desk.edits,
        subject=None if subject.strip() == desk.built.subject else subject,
        preheader=None if preheader.strip() == desk.built.preheader else preheader,
    )


def _note(desk: Desk, form: Form) -> IssueEdits:
    return replace(desk.edits, note=form["note"])


def _story(desk: Desk, form: Form) -> IssueEdits:
    key = form["story"]
    link = _link(desk, key)
    if link is not None:
        changed = replace(link, title=form["title"], summary=form["summary"])
        return _with_link(desk.edits, key, changed)
    built = next((e for e in desk.built.entries if e.has_key(key)), None)
    if built is None:
        raise _missing("d’article", key)
    titles, summaries = dict(desk.edits.titles), dict(desk.edits.summaries)
    for texts, value, original in (
        (titles, form["title"], built.title),
        (summaries, form["summary"], built.summary),
    ):
        texts.pop(key, None)
        if value.strip() != original:
            texts[key] = value
    return replace(desk.edits, titles=titles, summaries=summaries)


def _drop(desk: Desk, form: Form) -> IssueEdits:
    key = form["story"]
    lead = None if desk.edits.lead == key else desk.edits.lead
    if _link(desk, key) is not None:
        return replace(_with_link(desk.edits, key, None), lead=lead)
    return replace(desk.edits, dropped=desk.edits.dropped | {key}, lead=lead)


def _restore(desk: Desk, form: Form) -> IssueEdits:
    return replace(desk.edits, dropped=desk.edits.dropped - {form["story"]})


def _move(desk: Desk, form: Form) -> IssueEdits:
    key, theme = form["story"], form["section"]
    link = _link(desk, key)
    if link is not None:
        return _with_link(desk.edits, key, replace(link, theme_id=theme))
    return replace(desk.edits, moves={**desk.edits.moves, key: theme})


def _lead(desk: Desk, form: Form) -> IssueEdits:
    return replace(desk.edits, lead=form["story"])


def _shift(step: int) -> Change:
    """Move a story one place up (-1) or down (+1) in its section."""

    def change(desk: Desk, form: Form) -> IssueEdits:
        key = form["story"]
        for section in desk.edited.sections:
            keys = [e.key for e in section.entries]
            if key in keys:
                order = dict(desk.edits.entry_order)
                order[section.theme_id] = tuple(_swapped(keys, keys.index(key), step))
                return replace(desk.edits, entry_order=order)
        raise _missing("d’article", key)

    return change


def _shift_section(step: int) -> Change:
    def change(desk: Desk, form: Form) -> IssueEdits:
        themes = [s.theme_id for s in desk.edited.sections]
        theme = form["section"]
        if theme not in themes:
            raise _missing("de rubrique", theme)
        order = tuple(_swapped(themes, themes.index(theme), step))
        return replace(desk.edits, section_order=order)

    return change


def _blurb(desk: Desk, form: Form) -> IssueEdits:
    key, text = form["sentence"], form["text"]
    built = {
        k: sentence.text
        for section in desk.built.sections
        for k, sentence in zip(blurb_keys(section), section.blurb, strict=True)
    }
    if key not in built:
        raise _missing("de phrase", key)
    blurbs = {k: v for k, v in desk.edits.blurbs.items() if k != key}
    if text.strip() != built[key]:
        blurbs[key] = BlurbEdit(text, built[key])
    return replace(desk.edits, blurbs=blurbs)


def _add_link(desk: Desk, form: Form) -> IssueEdits:
    link = AddedLink(form["url"].strip(), form["title"], form["summary"], form["section"])
    if _link(desk, link.key) is not None:
        raise Refused("400 Bad Request", "Ce lien est déjà dans le numéro.")
    return replace(desk.edits, links=(*desk.edits.links, link))


def _reset(desk: Desk, form: Form) -> IssueEdits:
    return IssueEdits()


def _missing(what: str, name: str) -> Refused:
    return Refused("400 Bad Request", f"Il n’y a pas {what} « {name[:40]} » dans ce numéro.")


def _link(desk: Desk, key: str) -> AddedLink | None:
    return next((link for link in desk.edits.links if link.key == key), None)


def _with_link(edits: IssueEdits, key: str, link: AddedLink | None) -> IssueEdits:
    """`edits` with the added link `key` replaced by `link` (removed when None)."""
    links = [link if old.key == key else old for old in edits.links]
    return replace(edits, links=tuple(x for x in links if x is not None))


def _swapped(keys: list[str], index: int, step: int) -> list[str]:
    other = index + step
    if 0 <= other < len(keys):
        keys[index], keys[other] = keys[other], keys[index]
    return keys


EDITS: dict[str, tuple[Change, str]] = {
    "lines": (_lines, "Objet et texte d’aperçu enregistrés."),
    "note": (_note, "Mot de la rédaction enregistré."),
    "story": (_story, "Article enregistré."),
    "drop": (_drop, "Article retiré du numéro."),
    "restore": (_restore, "Article remis dans le numéro."),
    "move": (_move, "Article déplacé."),
    "lead": (_lead, "Article mis à la une."),
    "up": (_shift(-1), "Article remonté."),
    "down": (_shift(+1), "Article descendu."),
    "section-up": (_shift_section(-1), "Rubrique remontée."),
    "section-down": (_shift_section(+1), "Rubrique descendue."),
    "blurb": (_blurb, "Phrase enregistrée."),
    "link": (_add_link, "Lien ajouté."),
    "reset": (_reset, "Toutes les corrections sont annulées."),
}
Release = Callable[[Store, Settings, int, Form, datetime], object]


def _approve(store: Store, settings: Settings, number: int, form: Form, now: datetime) -> None:
    approve(store, number, now)


def _unapprove(store: Store, settings: Settings, number: int, form: Form, now: datetime) -> None:
    unapprove(store, number, now)


def _send_test(store: Store, settings: Settings, number: int, form: Form, now: datetime) -> None:
    send_test(store, settings, number, form["address"], now)


def _add_back(store: Store, settings: Settings, number: int, form: Form, now: datetime) -> None:
    value = form["item"]
    if ITEM_ID.fullmatch(value) is None:
        shown = "".join(c for c in value[:40] if c.isprintable())
        raise Refused("400 Bad Request", f"« {shown} » n’est pas un numéro d’article.")
    try:
        add_back(store, settings, number, int(value), now)
    except DigestError as exc:
        raise not_done(exc, "L’article n’a pas été remis dans le numéro.") from exc


RELEASES: dict[str, tuple[Release, str]] = {
    "approve": (_approve, "Numéro approuvé : il partira au prochain envoi."),
    "unapprove": (_unapprove, "Numéro remis en brouillon : il peut de nouveau être modifié."),
    "test": (_send_test, "E-mail de test envoyé (« [TEST] » en tête de l’objet)."),
    # Not an override: the draft is built again, with the story (digest build --add-back).
    "add-back": (
        _add_back,
        "Article déjà paru remis dans le numéro : le brouillon a été reconstruit avec lui, "
        "vos corrections et les articles remis avant lui sont gardés.",
    ),
}
DONE = {name: message for name, (_, message) in [*EDITS.items(), *RELEASES.items()]}


def perform(
    store: Store, settings: Settings, number: int, fields: Mapping[str, str], now: datetime
) -> str:
    """Do what the form asks; the name of what was done (a key of DONE). EditError and
    DigestError pass through for the page to show."""
    form = Form(fields)
    action = form["action"]
    if action in RELEASES:
        RELEASES[action][0](store, settings, number, form, now)
        return action
    if action not in EDITS:
        raise Refused("400 Bad Request", f"Action inconnue : « {action[:40]} ».")
    change, _ = EDITS[action]
    edit_issue(store, number, change(open_desk(store, number), form), now)
    return action


# -- what the page shows ------------------------------------------------------------------


def desk_context(desk: Desk, secret: bytes, done: str | None) -> dict[str, Any]:
    """What templates/web/desk.html.j2 shows: the forms of an issue, filled in."""
    issue, edits = desk.edited, desk.edits
    themes = [{"id": s.theme_id, "title": s.title} for s in desk.built.sections]
    sections = []
    for i, section in enumerate(issue.sections):
        keys = blurb_keys(section)
        sections.append(
            {
                "theme": section.theme_id,
                "title": section.title,
                "first": i == 0,
                "last": i == len(issue.sections) - 1,
                "sentences": [
                    {"key": key, "text": b.text, "edited": b.edited}
                    for key, b in zip(keys, section.blurb, strict=True)
                ],
                "entries": [
                    {
                        "key": e.key,
                        "title": e.title,
                        "summary": e.summary,
                        "edited": bool(e.edited),
                        "added": not e.item_ids,
                        "lead": e.key == edits.lead,
                        "first": j == 0,
                        "last": j == len(section.entries) - 1,
                    }
                    for j, e in enumerate(section.entries)
                ],
            }
        )
    kept = {e.key for e in issue.entries}
    return {
        "editable": issue.status.value == "draft",
        "approvable": issue.status.value == "draft",
        "unapprovable": issue.status.value == "approved",
        "testable": issue.status.value in ("draft", "approved"),
        "token": form_token(secret, issue.number),
        "post_to": f"/issues/{issue.number}/edit",
        "subject": issue.subject,
        "preheader": issue.preheader,
        "note": issue.note,
        "sections": sections,
        "themes": themes,
        "dropped": [
            {"key": e.key, "title": e.title} for e in desk.built.entries if e.key not in kept
        ],
        "stale": desk.stale,
        "done": DONE.get(done or ""),
        "edited": bool(issue.edited),
    }


def sent_context(choice: SentChoice, zone: ZoneInfo, period: str, number: int) -> dict[str, Any]:
    """What the desk's « Articles déjà parus » panel shows: the stories it offers to add
    back, and what they are (those of the draft's `period`, or a search's)."""
    found = choice.found
    if choice.search is None:
        heading = f"Parus pendant la période de ce brouillon ({period}) :"
    elif choice.search:
        heading = f"Titres qui contiennent « {choice.search} » :"
    else:
        heading = "Les derniers parus :"
    return {
        "search": choice.search or "",
        "search_at": f"/issues/{number}#deja-parus",
        "heading": heading,
        "stories": [
            {
                "id": story.item.id,
                "title": story.item.title,
                "source": story.item.reader_source,
                "date": f"{story.item.published_at.astimezone(zone):%d/%m/%Y}",
                "issue": story.issue_number,
            }
            for story in found.stories
        ],
        "more": found.matched - len(found.stories),
    }
