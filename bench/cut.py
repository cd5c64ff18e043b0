"""The dump cutter on real French articles: how many of the articles come out as stories.

Builds dumps of 8 (--articles) unrelated articles pasted one after the other, no FAQ or
heading between them, from /work/shared/corpora/orangesum/dev.jsonl (real French news):
each dump takes one article of 8 different sections (rotating over the sections and their
articles, with articles of at least 250, 300 and 350 words: 60 dumps), each article as
paragraphs of three sentences. The articles come from one of two disjoint halves of the
corpus (--split): the cutter's parameters were tuned on `tune` only, `held-out` says how
far that generalises. A section's articles recur across dumps (the small sections have a
handful), so one hard article weighs on several dumps. Cuts them with:

- window: the vocabulary-window cuts alone (TextTiling, similarity < 0.15), the cutter
  before issue 15;
- before: the window cuts where sure and the subject-and-names cuts of topics.py, the
  cutter before issue 15 item 6 (kept for spans of sectioned articles);
- cutter: `dump.cut_articles` now (boundaries.py on these plain-prose spans);
- digest: what `documents.read_document` does now (the text cleaned, the document's shape
  recognised: under 2000 words, a text is not read as a dump).

Prints boundary precision and recall (a story starting where an article starts, compared
on the first six words), how many dumps gave 8 stories, and how many gave the 8 articles
exactly; and, each article counted once however many dumps it is in, the share of its
dumps in which it came out whole, one story from its first to its last word. A report,
not a test: it exits 0. Run from the repository root:
`.venv/bin/python bench/cut.py [--split tune|held-out] [--articles N] [--corpus FILE]`.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path

from digest.ingest import dump
from digest.ingest.documents import stories_from_document
from digest.ingest.segment import blocks_of

_SENTENCE = re.compile(r"(?<=[.!?])\s*(?=[A-ZÀ-Ý«])")
Article = dict[str, str]
SPLITS = ("tune", "held-out")
ROTATIONS = 20  # dumps per minimum length: 60 dumps a split


def paragraphs(article: str, size: int = 3) -> list[str]:
    sentences = _SENTENCE.split(article)
    return [" ".join(sentences[i : i + size]) for i in range(0, len(sentences), size)]


def split(records: list[Article], name: str) -> list[Article]:
    """One of two disjoint halves of the corpus: in each section, taken by id, the articles
    of even rank are `tune`, the others `held-out` (both halves keep every section)."""
    sections: dict[tuple[str, str], list[Article]] = collections.defaultdict(list)
    for record in sorted(records, key=lambda r: int(r["id"])):
        sections[(record["category"], record["subcategory"])].append(record)
    rank = {record["id"]: i for members in sections.values() for i, record in enumerate(members)}
    return [record for record in records if rank[record["id"]] % 2 == SPLITS.index(name)]


def dumps(records: list[Article], size: int = 8) -> list[list[Article]]:
    chosen = []
    for min_words in (250, 300, 350):
        sections: dict[tuple[str, str], list[Article]] = collections.defaultdict(list)
        for record in records:
            if len(record["article"].split()) >= min_words:
                sections[(record["category"], record["subcategory"])].append(record)
        names = sorted(sections, key=lambda s: (-len(sections[s]), s))
        for k in range(ROTATIONS):
            picked = [names[(k + j) % len(names)] for j in range(size)]
            # past the number of sections, a section gives its next article
            chosen.append(
                [
                    sections[s][(k + j // len(names)) % len(sections[s])]
                    for j, s in enumerate(picked)
                ]
            )
    return chosen


def digest_starts(text: str) -> list[str]:
    return [story.text for story in stories_from_document(text.encode())]


def window_starts(text: str) -> list[str]:
    span = blocks_of(text)
    terms = [dump._terms(block) for block in span]
    return _pieces(span, dump._window_cuts(span, terms, 0.15))


def cutter_starts(text: str) -> list[str]:
    return [segment.text for segment in dump.cut_articles(blocks_of(text))]


def sectioned_starts(text: str) -> list[str]:
    span = blocks_of(text)
    return _pieces(span, dump._structured_cuts(span, [dump._terms(block) for block in span]))


def _pieces(span: list[str], cuts: set[int]) -> list[str]:
    bounds = sorted({0, *cuts, len(span)})
    return ["\n\n".join(span[a:b]) for a, b in itertools.pairwise(bounds)]


def _head(text: str) -> str:
    return " ".join(text.split()[:6])


def _tail(text: str) -> str:
    return " ".join(text.split()[-6:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    default = Path("/work/shared/corpora/orangesum/dev.jsonl")
    parser.add_argument("--corpus", type=Path, default=default)
    parser.add_argument("--split", choices=SPLITS, default="tune")
    parser.add_argument("--articles", type=int, default=8, help="articles in a dump")
    args = parser.parse_args()
    records = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines()]
    size = args.articles
    sets = dumps(split(records, args.split), size)
    cutters: dict[str, Callable[[str], list[str]]] = {
        "window": window_starts,
        "before": sectioned_starts,
        "cutter": cutter_starts,
        "digest": digest_starts,
    }
    print(f"{len(sets)} dumps of {size} OrangeSum articles ({args.split}), no FAQ between them")
    print(
        f"{'cutter':<8} {'P':>5} {'R':>5}   {size} stories   the {size} articles"
        "   articles whole (each article once)"
    )
    for name, cut in cutters.items():
        tp = fp = fn = eight = exact = 0
        whole: dict[str, list[bool]] = collections.defaultdict(list)
        for articles in sets:
            text = "\n\n".join("\n\n".join(paragraphs(a["article"])) for a in articles)
            starts = {_head(a["article"]) for a in articles}
            stories = cut(text)
            got = {_head(story) for story in stories}
            tp, fp, fn = tp + len(got & starts), fp + len(got - starts), fn + len(starts - got)
            eight += len(stories) == size
            exact += len(stories) == size and got == starts
            ends = {(_head(story), _tail(story)) for story in stories}
            for a in articles:
                whole[a["id"]].append(
                    (_head(a["article"]), _tail(" ".join(paragraphs(a["article"])))) in ends
                )
        # A small section's articles recur in many dumps: each article counts once here.
        per_article = sum(sum(w) / len(w) for w in whole.values()) / len(whole)
        print(
            f"{name:<8} {tp / max(1, tp + fp):5.2f} {tp / (tp + fn):5.2f}   "
            f"{eight:>2}/{len(sets)}       {exact:>2}/{len(sets)}"
            f"           {per_article:4.2f} of {len(whole)}"
        )


if __name__ == "__main__":
    main()
