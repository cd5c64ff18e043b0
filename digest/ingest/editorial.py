"""Cut a short editorial without headings (seed 000) into its stories.

An editorial walks through a few topics, one to four paragraphs each, then lists briefs
as bullets. A paragraph continues the topic before it when it opens with an anaphora
(« Leur secret… », « Les implications de cette innovation… », « Mais… ») or when its first
sentence names nothing the previous paragraph did not; it opens a new topic when its first
sentence brings new names (« Si GPT-5.1 est une évolution, les Tiny Recursive Models… »).
Each bullet is a brief of its own. The opening and closing groups that name the topics of
two or more other stories are the editorial's frame (intro, conclusion): context.
"""

from __future__ import annotations

import re
from dataclasses import replace

from digest.ingest.segment import Credit, Segment, parse_reference
from digest.models import ItemKind
from digest.sentences import split_sentences

_BULLET = re.compile(r"^\s*[•·▪‣◦]\s*(.*)$")
_REFERENCE = re.compile(r"^\[\d+\]\s")
_BRIEF = re.compile(r"^(?P<title>[^:]{3,90}?)\s:\s(?P<text>.+)$", re.DOTALL)
_CONTINUATION = re.compile(
    r"^(?:mais|et|or|donc|ainsi|pourtant|cependant|en effet|de plus|en outre|par ailleurs|"
    r"concrètement|enfin|leur|leurs|son|sa|ses|il|elle|ils|elles|ce|cet|cette|ces)\b"
    r"|^\W*\w+(?:\s+\w+){0,4}\s+(?:de\s+)?(?:cette|cet|ces|ce)\s",
    re.IGNORECASE,
)
_NAME = re.compile(r"\b(?:[A-Z][\w.-]*[A-Z0-9][\w.-]*|\w+-\d[\w.]*|[A-Z][a-zà-ÿ]+)\b")
_GENERIC_NAMES = frozenset({"IA", "AI", "LLM", "LLMs", "API", "Il", "Elle", "Les", "Le", "La"})
# Reference markers after a word ("… mesurés 1.") when the text has a numbered reference list.
_REFERENCE_MARKER = re.compile(r"(?<=[\w)»\"])\s\d{1,2}(?=\s*(?:[.;,]|$))")


def cut_editorial(blocks: list[str]) -> list[Segment]:
    references = dict(r for b in blocks if (r := parse_reference(b)) is not None)
    has_references = any(_REFERENCE.match(b) for b in blocks)
    groups: list[tuple[bool, list[str]]] = []  # (is_brief, paragraphs)
    credits: list[Credit | None] = []  # the first reference each group cites
    for block in blocks:
        if _REFERENCE.match(block):
            continue  # the numbered reference list: sources, not stories
        cited = None
        if has_references:
            cited = _first_cited(block, references)
            block = _REFERENCE_MARKER.sub("", block)
        bullet = _BULLET.match(block)
        if bullet:
            groups.append((True, [bullet[1]]))
            credits.append(cited)
        elif groups and not groups[-1][0] and _continues(groups[-1][1][-1], block):
            groups[-1][1].append(block)
            credits[-1] = credits[-1] or cited
        else:
            groups.append((False, [block]))
            credits.append(cited)
    names = [_names(" ".join(paragraphs)) for _, paragraphs in groups]
    return [
        replace(_segment(is_brief, paragraphs, _is_frame(i, names, groups)), credit=credits[i])
        for i, (is_brief, paragraphs) in enumerate(groups)
    ]


def _first_cited(block: str, references: dict[int, Credit]) -> Credit | None:
    """The first listed reference a paragraph's markers (« … mesurés 1. ») point to."""
    for marker in _REFERENCE_MARKER.finditer(block):
        credit = references.get(int(marker[0]))
        if credit is not None:
            return credit
    return None


def _continues(previous: str, paragraph: str) -> bool:
    if _CONTINUATION.match(paragraph):
        return True
    first = split_sentences(paragraph)[:1]
    return bool(first) and _names(first[0]) <= _names(previous)


def _names(text: str) -> set[str]:
    """Proper names and model names, minus each sentence's capitalised first word."""
    found: set[str] = set()
    for sentence in split_sentences(text):
        for match in _NAME.finditer(sentence):
            if match.start() == 0 and not re.search(r"[A-Z0-9].*[A-Z0-9]|\d", match[0][1:]):
                continue
            name = match[0].rstrip(".")
            if name not in _GENERIC_NAMES:
                found.add(name)
    return found


def _is_frame(i: int, names: list[set[str]], groups: list[tuple[bool, list[str]]]) -> bool:
    if i not in (0, len(groups) - 1) or groups[i][0] or len(groups) < 3:
        return False
    others = [n for j, n in enumerate(names) if j != i and not groups[j][0]]
    return sum(1 for other in others if names[i] & other) >= 2


def _segment(is_brief: bool, paragraphs: list[str], is_frame: bool) -> Segment:
    text = "\n\n".join(paragraphs)
    if is_brief:
        brief = _BRIEF.match(text)
        if brief:
            return Segment(text=brief["text"].strip(), title=brief["title"].strip())
    return Segment(text=text, kind=ItemKind.CONTEXT if is_frame else ItemKind.STORY)
