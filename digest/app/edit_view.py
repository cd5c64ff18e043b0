"""The YAML view of an issue that `digest edit` opens in the editor's $EDITOR (issue 13),
and the overrides read back from it.

The view is the issue as edited: subject, preheader, note, then each section with its
« Enjeux et perspectives » sentences and its stories (by their stable key), then the
stories dropped. Reading it back compares each value with the draft as built, so only
what the editor changed becomes an override; anything it cannot read is an EditError
naming the line and the key, and nothing is applied. What it reads but no override can
hold (a section's title, a story's sources, a sentence left out) is listed as not applied.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import yaml

from digest.app.edit import Desk
from digest.app.edit_report import quoted
from digest.app.overrides import apply_edits, blurb_keys
from digest.errors import EditError
from digest.models import AddedLink, BlurbEdit, Entry, Issue, IssueEdits

HEADER = """\
# Issue {number}: edit, save and close; the changes are applied all at once, or not at all.
# - subject, preheader, note (short Markdown: paragraphs, *emphasis*, [links](https://…)).
# - Reorder sections and stories by moving their blocks; move a story to another section
#   by moving its block there; drop one by moving it under `dropped` (or deleting it).
# - Rewrite a title, a summary or an « Enjeux et perspectives » sentence in place.
# - Add a story by its link: a block with `url:`, `title:` and `summary:` in a section.
# - `lead: KEY` pins a story first. Section titles come from the configuration.
"""

_TOP = {"subject", "preheader", "note", "lead", "sections", "dropped"}
_SECTION = {"section", "title", "blurb", "entries"}
_ENTRY = {"story", "url", "title", "summary", "sources"}
_SENTENCE = {"sentence", "text"}


class _Dumper(yaml.SafeDumper):
    """Multi-line text as a block (`|`), which reads like what the editor wrote."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def issue_yaml(desk: Desk) -> str:
    """The view of `desk`'s edited issue."""
    issue = desk.edited
    view: dict[str, Any] = {
        "subject": issue.subject,
        "preheader": issue.preheader,
        "note": issue.note,
    }
    if desk.edits.lead:
        view["lead"] = desk.edits.lead
    view["sections"] = [
        {
            "section": sec.theme_id,
            "title": sec.title,
            "blurb": [
                {"sentence": key, "text": sentence.text}
                for key, sentence in zip(blurb_keys(sec), sec.blurb, strict=True)
            ],
            "entries": [_entry_view(e) for e in sec.entries],
        }
        for sec in issue.sections
    ]
    kept = {e.key for e in issue.entries}
    view["dropped"] = [
        {"story": e.key, "title": e.title} for e in desk.built.entries if e.key not in kept
    ]
    body = yaml.dump(view, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1_000_000)
    header = HEADER.format(number=issue.number)
    if desk.stale:
        header += "# Overrides this build no longer applies:\n"
        header += "".join(f"#   {line}\n" for line in desk.stale)
    return header + body


def _entry_view(entry: Entry) -> dict[str, Any]:
    if not entry.item_ids:  # a story the editor added by its link
        url = entry.links[0].url if entry.links else ""
        return {"url": url, "title": entry.title, "summary": entry.summary}
    return {
        "story": entry.key,
        "title": entry.title,
        "summary": entry.summary,
        "sources": _sources(entry),
    }


def _sources(entry: Entry) -> str:
    return ", ".join(entry.sources) or ", ".join(link.url for link in entry.links)


# -- reading it back ----------------------------------------------------------------------


def _fail(node: yaml.Node, where: str, problem: str) -> EditError:
    return EditError(
        f"line {node.start_mark.line + 1}, {where}: {problem}",
        hint="fix it and save again: nothing was applied",
    )


def _mapping(node: yaml.Node, where: str, keys: set[str]) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise _fail(node, where, "expected keys and values")
    found: dict[str, yaml.Node] = {}
    for key_node, value in node.value:
        key = str(key_node.value)
        if key not in keys:
            raise _fail(
                key_node, f"{where}.{key}", f"unknown key (known: {', '.join(sorted(keys))})"
            )
        if key in found:
            raise _fail(key_node, f"{where}.{key}", "given twice")
        found[key] = value
    return found


def _list(node: yaml.Node | None, where: str) -> list[yaml.Node]:
    if node is None or _is_null(node):
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise _fail(node, where, "expected a list (lines starting with -)")
    return list(node.value)


def _string(node: yaml.Node | None, where: str) -> str | None:
    if node is None or _is_null(node):
        return None
    if not isinstance(node, yaml.ScalarNode):
        raise _fail(node, where, "expected a text")
    return str(node.value)


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


class _Reader:
    """Reads the view back against the draft as built."""

    def __init__(self, desk: Desk) -> None:
        self.built = desk.built
        self.old = desk.edits
        self.themes = [sec.theme_id for sec in desk.built.sections]
        self.placed: dict[str, str] = {}  # story key -> theme
        self.order: dict[str, list[str]] = {}
        self.titles: dict[str, str] = {}
        self.summaries: dict[str, str] = {}
        self.blurbs: dict[str, BlurbEdit] = {}
        self.links: list[AddedLink] = []
        self.dropped: set[str] = set()
        self.sentences: dict[str, tuple[str, list[str]]] = {}  # theme -> (where, keys listed)
        self.ignored: list[str] = []  # read, but no override holds it: "not applied"

    def built_entry(self, key: str) -> Entry | None:
        return next((e for e in self.built.entries if e.has_key(key)), None)

    def section(self, node: yaml.Node, where: str) -> str:
        fields = _mapping(node, where, _SECTION)
        theme = _string(fields.get("section"), f"{where}.section")
        if theme not in self.themes:
            raise _fail(
                fields.get("section", node),
                f"{where}.section",
                f"no section {theme!r} in this issue (sections: {', '.join(self.themes)})",
            )
        if theme in self.order:
            raise _fail(node, f"{where}.section", f"section {theme!r} is listed twice")
        self.order[theme] = []
        self.sentences[theme] = (f"{where}.blurb", [])
        title = _string(fields.get("title"), f"{where}.title")
        built = next(s for s in self.built.sections if s.theme_id == theme)
        if title is not None and title.strip() != built.title:
            self.ignored.append(
                f"{where}.title: a section's title comes from the configuration (themes), "
                f"it stays {quoted(built.title)}"
            )
        for i, sentence in enumerate(_list(fields.get("blurb"), f"{where}.blurb")):
            self.sentence(theme, sentence, f"{where}.blurb[{i + 1}]")
        for i, entry in enumerate(_list(fields.get("entries"), f"{where}.entries")):
            self.entry(theme, entry, f"{where}.entries[{i + 1}]")
        return theme

    def sentence(self, theme: str, node: yaml.Node, where: str) -> None:
        fields = _mapping(node, where, _SENTENCE)
        key = _string(fields.get("sentence"), f"{where}.sentence") or ""
        built = next(s for s in self.built.sections if s.theme_id == theme)
        sentences = dict(zip(blurb_keys(built), built.blurb, strict=True))
        if key not in sentences:
            raise _fail(node, f"{where}.sentence", f"no sentence {key!r} in section {theme!r}")
        self.sentences[theme][1].append(key)
        text = _string(fields.get("text"), f"{where}.text") or ""
        if text.strip() != sentences[key].text:
            self.blurbs[key] = BlurbEdit(text, sentences[key].text)

    def entry(self, theme: str, node: yaml.Node, where: str) -> None:
        fields = _mapping(node, where, _ENTRY)
        title = _string(fields.get("title"), f"{where}.title")
        summary = _string(fields.get("summary"), f"{where}.summary")
        url = _string(fields.get("url"), f"{where}.url")
        if url is not None:
            link = AddedLink(url.strip(), title or "", summary or "", theme)
            if link.key in self.placed:
                raise _fail(node, f"{where}.url", "this link is listed twice")
            self.links.append(link)
            self.placed[link.key] = theme
            self.order[theme].append(link.key)
            return
        key = _string(fields.get("story"), f"{where}.story")
        built = self.built_entry(key or "")
        if key is None or built is None:
            raise _fail(node, f"{where}.story", f"no story {key!r} in this issue")
        if key in self.placed:
            raise _fail(node, f"{where}.story", f"story {key} is listed twice")
        self.placed[key] = theme
        self.order[theme].append(key)
        if title is not None and title.strip() != built.title:
            self.titles[key] = title
        if summary is not None and summary.strip() != built.summary:
            self.summaries[key] = summary
        sources = _string(fields.get("sources"), f"{where}.sources")
        if sources is not None and sources.strip() != _sources(built):
            self.ignored.append(f"{where}.sources: a story's sources come from the build")

    def dropped_story(self, node: yaml.Node, where: str) -> None:
        fields = _mapping(node, where, {"story", "title"})
        key = _string(fields.get("story"), f"{where}.story") or ""
        built = self.built_entry(key)
        if built is None:
            raise _fail(node, f"{where}.story", f"no story {key!r} in this issue")
        if key in self.placed:
            raise _fail(node, f"{where}.story", f"story {key} is also in a section")
        self.dropped.add(key)
        title = _string(fields.get("title"), f"{where}.title")
        if title is not None and title.strip() != built.title:
            self.ignored.append(
                f"{where}.title: a dropped story's title is not kept "
                "(put the story back in a section to rewrite it)"
            )

    def edits(self, top: dict[str, yaml.Node]) -> IssueEdits:
        for i, node in enumerate(_list(top.get("dropped"), "dropped")):
            self.dropped_story(node, f"dropped[{i + 1}]")
        # A story left out of every section is dropped; an override whose story this
        # build lacks is kept for the next one.
        self.dropped.update(e.key for e in self.built.entries if not self._placed(e))
        self.dropped.update(k for k in self.old.dropped if self.built_entry(k) is None)
        lead = _string(top.get("lead"), "lead")
        if lead is not None and lead not in self.placed:
            raise _fail(top["lead"], "lead", f"story {lead!r} is in no section")
        edits = IssueEdits(
            subject=self._changed(_string(top.get("subject"), "subject"), self.built.subject),
            preheader=self._changed(
                _string(top.get("preheader"), "preheader"), self.built.preheader
            ),
            note=_string(top.get("note"), "note"),
            lead=lead,
            dropped=frozenset(self.dropped),
            moves={
                key: theme
                for key, theme in self.placed.items()
                if not key.startswith("lien-") and self._built_theme(key) != theme
            },
            titles=self.titles,
            summaries=self.summaries,
            blurbs=self.blurbs,
            links=tuple(self.links),
        )
        edits = self._with_order(edits)
        self._check_sentences(apply_edits(self.built, edits).issue)
        return edits

    def _check_sentences(self, edited: Issue) -> None:
        """Sentences left out of a section's list, or listed in another order, are not
        applied: a sentence goes with its story (drop the story) and keeps its place."""
        for section in edited.sections:
            where, listed = self.sentences.get(section.theme_id, ("", None))
            if listed is None:
                continue
            keys = blurb_keys(section)
            missing = [key for key in keys if key not in listed]
            if missing:
                self.ignored.append(
                    f"{where}: {', '.join(missing)} left out: a sentence goes with its story "
                    "(drop the story), it stays"
                )
            if [key for key in listed if key in keys] != [k for k in keys if k in listed]:
                self.ignored.append(f"{where}: the sentences keep the build's order")

    @staticmethod
    def _changed(value: str | None, built: str) -> str | None:
        """The editor's value, or None (the build's) when it is the build's."""
        return None if value is None or value.strip() == built else value

    def _placed(self, entry: Entry) -> bool:
        return any(entry.has_key(key) for key in self.placed)

    def _built_theme(self, key: str) -> str:
        return next(
            s.theme_id for s in self.built.sections if any(e.has_key(key) for e in s.entries)
        )

    def _with_order(self, edits: IssueEdits) -> IssueEdits:
        """The section and story orders, where they differ from what the build gives."""
        wanted = list(self.order)
        unordered = apply_edits(self.built, edits).issue
        orders = {
            theme: tuple(keys)
            for theme, keys in self.order.items()
            if keys != _keys(unordered, theme)
        }
        themes = [s.theme_id for s in unordered.sections]
        section_order = tuple(wanted) if [t for t in wanted if t in themes] != themes else ()
        return replace(edits, entry_order=orders, section_order=section_order)


def _keys(issue: Issue, theme: str) -> list[str]:
    section = next((s for s in issue.sections if s.theme_id == theme), None)
    return [e.key for e in section.entries] if section else []


@dataclass(frozen=True, slots=True)
class ViewEdits:
    """The overrides an edited view asks for, and what in it no override can hold."""

    edits: IssueEdits
    not_applied: tuple[str, ...]


def edits_from_yaml(text: str, desk: Desk) -> ViewEdits:
    """The overrides the edited view `text` asks for; EditError naming the line and key of
    the first thing it cannot read."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else "?"
        raise EditError(
            f"line {line}: not valid YAML ({exc.problem or exc.context})",
            hint="fix it and save again: nothing was applied",
        ) from exc
    if root is None:
        raise EditError("the file is empty", hint="nothing was applied")
    top = _mapping(root, "issue", _TOP)
    reader = _Reader(desk)
    for i, node in enumerate(_list(top.get("sections"), "sections")):
        reader.section(node, f"sections[{i + 1}]")
    edits = reader.edits(top)
    return ViewEdits(edits, tuple(reader.ignored))
