"""bench/editorial.py: what a subscriber would object to in an issue, counted (issue 11).

Reads an issue as `digest show ISSUE --json` prints it, and the rendered text and HTML
parts when given, and counts the acceptance criteria of issue 11:

- blurb sentences that open on a reference the reader has not seen (a pronoun, a
  demonstrative, or « le/la/les + noun » whose noun the sentence never names otherwise),
- words cut by an export (a lowercase word unknown to the French lexicon, at the end of a
  clause or before a citation mark),
- internal file names shown as sources,
- titles ending in an ellipsis, and summaries that start by repeating their title.

It prints each offending text so a person can read them: the counts are a guide, the
sentences are the evidence. A report, not a test: it always exits 0.

    .venv/bin/digest show 1 --json > /tmp/issue.json
    .venv/bin/python bench/editorial.py /tmp/issue.json [--text issue.txt] [--html issue.html]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digest.nlp import french  # noqa: E402

FILE_NAME = re.compile(r"\b[\w-]+\.(?:txt|md|html?|eml|pdf)\b", re.IGNORECASE)
ELLIPSIS = re.compile(r"(?:…|\.\.\.)\s*$")
# Openers that always point back: a reader needs what they refer to.
REFERRING_LEMMAS = {
    "ce",
    "cela",
    "ceci",
    "ça",
    "celui",
    "celle",
    "ceux",
    "il",
    "elle",
    "ils",
    "elles",
}
DEMONSTRATIVE = {"ce", "cet", "cette", "ces"}
DEFINITE = {"le", "la", "les", "l’", "l'"}
IMPERSONAL = {"y", "faut", "est", "semble", "reste", "suffit", "s’agit", "s'agit"}  # « Il y a »
CONNECTIVES = ("de l’autre", "de l'autre", "d’un côté", "d'un côté", "en revanche", "par ailleurs")


def blurb_sentences(issue: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for section in issue["sections"]:
        for sentence in section.get("blurb", []):
            yield section["title"], sentence["text"]


def reference_openings(issue: dict[str, Any]) -> Iterator[tuple[bool, str]]:
    """Blurb sentences that open on a reference, each with whether the sentence right before
    it comes from the same story (where its antecedent may be: a person judges that)."""
    for section in issue["sections"]:
        previous = None
        for sentence in section.get("blurb", []):
            why = opens_on_reference(sentence["text"])
            if why:
                after_own = sentence.get("item_id") == previous
                yield after_own, f"[{section['title']}] {why}: {sentence['text']}"
            previous = sentence.get("item_id")


def opens_on_reference(text: str) -> str | None:
    """Why this sentence leans on something outside it, or None when it stands alone."""
    lowered = text.lower()
    if lowered.startswith(CONNECTIVES):
        return "opens on a connective"
    doc = french()(text)
    words = [t for t in doc if not t.is_punct]
    if not words:
        return None
    first = words[0]
    refers = first.lower_ in DEMONSTRATIVE or first.lemma_.lower() in REFERRING_LEMMAS
    impersonal = first.lower_ == "il" and len(words) > 1 and words[1].lower_ in IMPERSONAL
    if refers and first.pos_ in {"PRON", "DET"} and not impersonal:
        return f"opens on « {first.text} »"
    if first.lower_ in DEFINITE and len(words) > 1 and words[1].pos_ == "NOUN":
        head = words[1]
        # « Le modèle souffre… », « l’entreprise a annoncé… »: a definite common noun as
        # the subject, with no name in the sentence to say which one.
        # « La génération d’images haute performance… » says which one: a modified noun
        # phrase is generic or self-contained, not a pointer back.
        modified = any(c.dep_ in {"nmod", "amod", "acl", "acl:relcl"} for c in head.children)
        named = any(t.pos_ == "PROPN" for t in doc)
        if head.dep_.startswith("nsubj") and not named and not modified:
            return f"opens on « {first.text} {head.text} » with no name"
    return None


def cut_words(text: str) -> list[str]:
    """Lowercase words unknown to the model's lexicon that end a clause: likely cut."""
    found = []
    pattern = r"(?<![\w-])([a-zàâçéèêëîïôûùüÿœ-]{3,})(?=\s*(?:[.,;:!?)】]|$))"
    for match in re.finditer(pattern, text):
        word = match.group(1)
        if not all(_known(part) for part in word.split("-") if part):
            found.append(word)
    return found


def _known(word: str) -> bool:
    lexeme = french().vocab[word]
    return lexeme.has_vector or lexeme.is_stop


def titles_and_summaries(issue: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for section in issue["sections"]:
        for entry in section.get("entries", []):
            yield entry["title"], entry.get("summary", "")


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def report(issue: dict[str, Any], parts: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {
        "blurb sentences opening on a reference": [],
        "… of which after a sentence of their own story": [],
        "… with no such sentence before them": [],
        "cut words": [],
        "file names shown": [],
        "titles ending in an ellipsis": [],
        "summaries repeating their title": [],
    }
    for after_own, case in reference_openings(issue):
        key = (
            "… of which after a sentence of their own story"
            if after_own
            else "… with no such sentence before them"
        )
        found["blurb sentences opening on a reference"].append(case)
        found[key].append(case)
    for title, summary in titles_and_summaries(issue):
        for text in (title, summary):
            found["cut words"] += [f"« {w} » in: {text[:90]}" for w in cut_words(text)]
        if ELLIPSIS.search(title):
            found["titles ending in an ellipsis"].append(title)
        title_key = _key(title.rstrip("…. "))
        if title_key and _key(summary).startswith(title_key):
            found["summaries repeating their title"].append(title)
    for _, text in blurb_sentences(issue):
        found["cut words"] += [f"« {w} » in: {text[:90]}" for w in cut_words(text)]
    for part in parts:
        found["file names shown"] += sorted(set(FILE_NAME.findall(part)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("issue_json", type=Path, help="output of digest show ISSUE --json")
    parser.add_argument("--text", type=Path, help="the rendered text part (issue.txt)")
    parser.add_argument("--html", type=Path, help="the rendered HTML (issue.html)")
    args = parser.parse_args()
    issue = json.loads(args.issue_json.read_text(encoding="utf-8"))["issue"]
    parts = [p.read_text(encoding="utf-8") for p in (args.text, args.html) if p]
    entries = sum(len(s.get("entries", [])) for s in issue["sections"])
    blurbs = sum(1 for _ in blurb_sentences(issue))
    print(f"issue {issue['number']}: {entries} entries, {blurbs} blurb sentences")
    for criterion, cases in report(issue, parts).items():
        print(f"\n{criterion}: {len(cases)}")
        for case in cases:
            print(f"  - {case}")


if __name__ == "__main__":
    main()
