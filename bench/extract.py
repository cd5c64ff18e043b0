"""Main-text extraction of saved web pages: digest's extractor vs the whole page's text.

Reads /work/shared/pages/zyte (121 real pages of the Zyte article-extraction benchmark,
`html/<id>.html.gz`, and `ground-truth.json`: each page's article body as people wrote it
down) and scores, side by side on the same pages:

- whole page: the page's text flattened whole (`sanitize.html_to_text`), what a saved
  `.html` document gave before issue 15;
- main text: `webpage.extract_page` alone (trafilatura, as digest calls it);
- digest: what a saved page gives now as stories (`documents.read_document`: main text,
  then cleaning and cutting), the text of its stories.

The metric is the benchmark's own (its evaluate.py): word tokens (`\\w+`), shingles of 4
tokens, per page tp/fp/fn counted on shingles and normalised to sum 1 (a long page weighs
no more than a short one); precision = mean over pages, recall = mean over pages, F1 =
their harmonic mean. Token (unigram) scores are printed too. Target: digest F1 >= 0.95.

A report, not a test: it exits 0 whatever the figures. Run from the repository root:
`.venv/bin/python bench/extract.py [--pages DIR] [--worst N]`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from digest.errors import DocumentError
from digest.ingest.documents import read_document
from digest.ingest.sanitize import html_to_text
from digest.ingest.webpage import extract_page

_TOKEN = re.compile(r"\w+")
TpFpFn = tuple[float, float, float]


def shingles(text: str, n: int) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    return Counter(
        tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n]
    )


def matching(true: str, pred: str, n: int) -> TpFpFn:
    """The benchmark's normalised tp/fp/fn over shingles of n tokens."""
    t, p = shingles(true, n), shingles(pred, n)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def _f1(tp: float, fp: float, fn: float) -> float:
    precision, recall = _precision(tp, fp, fn), _recall(tp, fp, fn)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def scores(counts: list[TpFpFn]) -> tuple[float, float, float]:
    """Mean precision, mean recall and their harmonic mean, as evaluate.py computes them."""
    precision = statistics.mean([_precision(*c) for c in counts if c[0] + c[1] > 0] or [0.0])
    recall = statistics.mean([_recall(*c) for c in counts if c[0] + c[2] > 0] or [0.0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def whole_page(html: str) -> str:
    return html_to_text(html)


def digest_extractor(html: str) -> str:
    """The stories a saved page gives, as stored: extraction, cleaning and cutting."""
    try:
        drafts = read_document(html.encode("utf-8"), ".html", name="page").drafts
    except DocumentError:  # no article found: nothing stored
        return ""
    return "\n\n".join(d.text for d in drafts)


def main_text(html: str) -> str:
    page = extract_page(html)
    return page.text if page else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", type=Path, default=Path("/work/shared/pages/zyte"))
    parser.add_argument("--worst", type=int, default=5, help="list digest's N worst pages")
    args = parser.parse_args()
    truth = json.loads((args.pages / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {
        path.name.removesuffix(".html.gz"): gzip.decompress(path.read_bytes()).decode(
            "utf-8", errors="replace"
        )
        for path in sorted((args.pages / "html").glob("*.html.gz"))
    }
    extractors: dict[str, Callable[[str], str]] = {
        "whole page": whole_page,
        "main text": main_text,
        "digest": digest_extractor,
    }
    print(f"{len(pages)} pages of {args.pages}")
    print(f"{'extractor':<12} {'P':>6} {'R':>6} {'F1':>6}   {'token F1':>8}   {'s/page':>7}")
    per_page: dict[str, float] = {}
    for name, extract in extractors.items():
        counts4: list[TpFpFn] = []
        counts1: list[TpFpFn] = []
        started = time.perf_counter()
        for page_id, html in pages.items():
            body = truth[page_id]["articleBody"]
            text = extract(html)
            counts4.append(matching(body, text, 4))
            counts1.append(matching(body, text, 1))
            if name == "digest":
                per_page[page_id] = _f1(*counts4[-1])
        elapsed = (time.perf_counter() - started) / len(pages)
        precision, recall, f1 = scores(counts4)
        token_f1 = scores(counts1)[2]
        print(
            f"{name:<12} {precision:6.3f} {recall:6.3f} {f1:6.3f}   {token_f1:8.3f}   "
            f"{elapsed:7.3f}"
        )
        if name == "digest":
            print(f"  target F1 >= 0.95: {'met' if f1 >= 0.95 else 'NOT met'}")
    worst = sorted(per_page.items(), key=lambda kv: kv[1])[: args.worst]
    for page_id, value in worst:
        print(f"  worst: {value:.3f} {truth[page_id]['url']}")


if __name__ == "__main__":
    main()
