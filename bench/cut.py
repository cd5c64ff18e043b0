"""The dump cutter on real French articles: how many of the articles come out as stories.

Builds dumps of 8 (--articles) unrelated articles pasted one after the other, no FAQ or
heading between them, from /work/shared/corpora/orangesum/dev.jsonl (real French news), each
article as paragraphs of three sentences. The articles come from one of two disjoint halves
of the corpus (--split): the cutter's parameters were tuned on `tune` only, `held-out` says
how far that generalises. The dumps (60, --dumps) draw on the split's articles of at least
250 words with a fixed seed: an article is in at most ceil(dumps × articles / available)
dumps, the least used first (--seed), so no one article weighs on the result; a dump takes its
articles from as many sections as it can, and two neighbours never share a section when
another is left. Cuts them with:

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
not a test: it exits 0. --show N prints the first N dumps `cutter` does not cut into their
articles exactly: each story's first words, marked + where no article starts there, and the
article starts it missed. Run from the repository root:
`.venv/bin/python bench/cut.py [--split tune|held-out] [--articles N] [--dumps N] [--show N]`.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import itertools
import json
import math
import random
import re
from collections.abc import Callable
from pathlib import Path

from digest.ingest import dump
from digest.ingest.documents import stories_from_document
from digest.ingest.segment import blocks_of
from digest.sentences import count_words

# A sentence ends on . ! ? before a capital or «, the space often lost by the corpus's
# parser (« domestique.Consternant »), but not after a title or an initial: « M. Macron »,
# « George W. Bush » (an initial only before a space: « la Formula E.Darren Turner » ends).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s*(?=[A-ZÀ-Ý«])")
_TITLE = re.compile(r"(?:^|[\s(«\"'’])(?:M|MM|Mme|Mmes|Mlle|Mlles|Me|Dr|Pr|Ste?)\.$")
_INITIAL = re.compile(r"(?:^|[\s(«\"'’-])[A-Z]\.$")
Article = dict[str, str]
SPLITS = ("tune", "held-out")
MIN_WORDS = 250


def sentences(article: str) -> list[str]:
    out, start = [], 0
    for end in _SENTENCE_END.finditer(article):
        before = article[max(start, end.start() - 8) : end.start()]
        if _TITLE.search(before) or (end.group() and _INITIAL.search(before)):
            continue
        out.append(article[start : end.start()])
        start = end.end()
    return [*out, article[start:]]


def paragraphs(article: str, size: int = 3) -> list[str]:
    parts = sentences(article)
    return [" ".join(parts[i : i + size]) for i in range(0, len(parts), size)]


def split(records: list[Article], name: str) -> list[Article]:
    """One of two disjoint halves of the corpus: in each section, taken by id, the articles
    of even rank are `tune`, the others `held-out` (both halves keep every section)."""
    sections: dict[tuple[str, str], list[Article]] = collections.defaultdict(list)
    for record in sorted(records, key=lambda r: int(r["id"])):
        sections[(record["category"], record["subcategory"])].append(record)
    rank = {record["id"]: i for members in sections.values() for i, record in enumerate(members)}
    return [record for record in records if rank[record["id"]] % 2 == SPLITS.index(name)]


def dumps(records: list[Article], count: int, size: int, seed: int) -> list[list[Article]]:
    """`count` dumps of `size` articles, each article in at most ceil(count × size / available)."""
    pool = sorted(
        (r for r in records if len(r["article"].split()) >= MIN_WORDS), key=lambda r: int(r["id"])
    )
    random.Random(seed).shuffle(pool)
    cap = math.ceil(count * size / len(pool))
    uses = collections.Counter[str]()
    chosen = []
    for _ in range(count):
        dump_: list[Article] = []
        for _ in range(size):
            taken = collections.Counter(_section(a) for a in dump_)
            last = _section(dump_[-1]) if dump_ else None
            left = [r for r in pool if uses[r["id"]] < cap and r not in dump_]
            # sections new to the dump first, then a section other than the last article's,
            # then the least used article; the shuffled order breaks the ties
            pick = min(
                left,
                key=lambda r: (taken[_section(r)], _section(r) == last, uses[r["id"]]),
            )
            uses[pick["id"]] += 1
            dump_.append(pick)
        chosen.append(dump_)
    return chosen


def _section(record: Article) -> str:
    return f"{record['category']}/{record['subcategory']}"


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


@dataclasses.dataclass
class Tally:
    """One cutter's counts over the dumps."""

    size: int
    tp: int = 0
    fp: int = 0
    fn: int = 0
    right_count: int = 0
    exact: int = 0
    whole: dict[str, list[bool]] = dataclasses.field(
        default_factory=lambda: collections.defaultdict(list)
    )

    def add(self, articles: list[Article], stories: list[str]) -> bool:
        """Counts one dump; whether it was cut into its articles exactly."""
        starts = {_head(_dumped(a)) for a in articles}
        got = {_head(story) for story in stories}
        self.tp += len(got & starts)
        self.fp += len(got - starts)
        self.fn += len(starts - got)
        self.right_count += len(stories) == self.size
        exact = len(stories) == self.size and got == starts
        self.exact += exact
        ends = {(_head(story), _tail(story)) for story in stories}
        for a in articles:
            self.whole[a["id"]].append((_head(_dumped(a)), _tail(_dumped(a))) in ends)
        return exact

    def row(self, name: str, dumps_: int) -> str:
        # each article counts once, however many dumps it is in; and every slot of every dump
        per_article = sum(sum(w) / len(w) for w in self.whole.values()) / len(self.whole)
        slots = [w for ws in self.whole.values() for w in ws]
        return (
            f"{name:<8} {self.tp / max(1, self.tp + self.fp):5.2f} "
            f"{self.tp / (self.tp + self.fn):5.2f}   {self.right_count:>2}/{dumps_}"
            f"        {self.exact:>2}/{dumps_}        {per_article:4.2f}"
            f"        {sum(slots) / len(slots):4.2f}"
        )


def _dumped(article: Article) -> str:
    return "\n\n".join(paragraphs(article["article"]))


def show(articles: list[Article], stories: list[str]) -> None:
    """One dump the cutter got wrong: its stories, + where no article starts, and the misses."""
    starts = {_head(_dumped(a)): a for a in articles}
    print(f"--- {len(stories)} stories for {len(articles)} articles")
    for story in stories:
        article = starts.get(_head(story))
        label = f"{article['id']:>6} {_section(article)}" if article else "     +"
        print(f"  {label:<28} {count_words(story):>4}w  {_head(story)}")
    for head, article in starts.items():
        if head not in {_head(story) for story in stories}:
            print(f"  missed {article['id']:>6} {_section(article):<20} {head}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    default = Path("/work/shared/corpora/orangesum/dev.jsonl")
    parser.add_argument("--corpus", type=Path, default=default)
    parser.add_argument("--split", choices=SPLITS, default="tune")
    parser.add_argument("--articles", type=int, default=8, help="articles in a dump")
    parser.add_argument("--dumps", type=int, default=60, help="dumps to build")
    parser.add_argument("--seed", type=int, default=15, help="the dumps' draw (15: issue 15)")
    parser.add_argument("--show", type=int, default=0, help="dumps `cutter` gets wrong to print")
    args = parser.parse_args()
    records = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines()]
    size = args.articles
    sets = dumps(split(records, args.split), args.dumps, size, args.seed)
    used = collections.Counter(a["id"] for articles in sets for a in articles)
    cutters: dict[str, Callable[[str], list[str]]] = {
        "window": window_starts,
        "before": sectioned_starts,
        "cutter": cutter_starts,
        "digest": digest_starts,
    }
    print(
        f"{len(sets)} dumps of {size} OrangeSum articles ({args.split}), no FAQ between them: "
        f"{len(used)} distinct articles, each in {min(used.values())} to {max(used.values())}"
    )
    print(
        f"{'cutter':<8} {'P':>5} {'R':>5}   {size} stories   the {size} articles"
        "   whole: per article, per slot"
    )
    shown = 0
    for name, cut in cutters.items():
        tally = Tally(size)
        for articles in sets:
            stories = cut("\n\n".join(_dumped(a) for a in articles))
            if not tally.add(articles, stories) and name == "cutter" and shown < args.show:
                show(articles, stories)
                shown += 1
        print(tally.row(name, len(sets)))


if __name__ == "__main__":
    main()
