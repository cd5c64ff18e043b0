"""Story summarizer quality on OrangeSum: ROUGE against the journalists' abstracts.

Reads /work/shared/corpora/orangesum/dev.jsonl (477 French news articles with their title
and their 1–2 sentence chapô, the `abstract`; the article body does not contain it) and
scores, on the same documents:

- digest: `summarize_story(article, title)`, the newsletter's default summarizer;
- digest without the title (the build has titles, but not every item has a good one);
- digest with the hand-set scorer (`learned=False`, the sentence scorer before issue 11);
  the learned weights were trained on this very sample, so their row here is in-sample:
  the honest comparison is bench/train_scorer.py's cross-validation;
- Lead-1, Lead-2, Lead-3: the first k sentences of the article, by the same splitter;
- with --oracle, the greedy extractive oracle (sentences picked to maximise ROUGE-1+2
  against the abstract, same word budget): the ceiling of any sentence picker.

ROUGE-1/2/L F1 from the `rouge-score` package, no stemming, with a Unicode tokenizer
(lowercase, split on non-word characters): rouge-score's default tokenizer keeps only
[a-z0-9], which would cut French words at every accent. Scores are x100, the convention
of the BARThez paper (OrangeSum Abstract, test set: BARThez 31.44 / 12.77 / 22.23),
though that paper's tokenization differs, so compare orders of magnitude, not decimals.

A report, not a test: it always exits 0. Run from the repo root:
`.venv/bin/python bench/orangesum.py [--limit N] [--words N] [--oracle]`.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rouge_score import rouge_scorer

from digest.sentences import count_words, split_sentences
from digest.summarize.extractive import summarize_story

CORPUS = Path("/work/shared/corpora/orangesum/dev.jsonl")
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


class UnicodeTokenizer:
    """Lowercase, split on non-word characters (Unicode \\w): « évolué » stays one token.

    rouge-score only calls `tokenize()` (the rouge_score.tokenizers.Tokenizer interface);
    not subclassing keeps the untyped package out of mypy's way.
    """

    _word = re.compile(r"\w+")

    def tokenize(self, text: str) -> list[str]:
        return self._word.findall(text.lower())


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    abstract: str
    text: str


@dataclass(slots=True)
class Scores:
    name: str
    rouge: dict[str, list[float]]
    words: list[int]
    seconds: float = 0.0


def load_articles(path: Path, limit: int | None) -> list[Article]:
    articles = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            articles.append(Article(str(row["id"]), row["title"], row["abstract"], row["article"]))
    return articles[:limit] if limit else articles


def lead(k: int) -> Callable[[Article], str]:
    def system(article: Article) -> str:
        return " ".join(split_sentences(article.text)[:k])

    return system


def score_system(
    name: str,
    system: Callable[[Article], str],
    articles: Sequence[Article],
    scorer: rouge_scorer.RougeScorer,
) -> Scores:
    # CPU time of this process: other work on the machine does not inflate it.
    started = time.process_time()
    summaries = [system(a) for a in articles]
    seconds = time.process_time() - started
    scores = Scores(name, {t: [] for t in ROUGE_TYPES}, [count_words(s) for s in summaries])
    scores.seconds = seconds
    for article, summary in zip(articles, summaries, strict=True):
        result = scorer.score(article.abstract, summary)
        for rouge_type in ROUGE_TYPES:
            scores.rouge[rouge_type].append(result[rouge_type].fmeasure)
    return scores


def greedy_oracle(scorer: rouge_scorer.RougeScorer, max_words: int) -> Callable[[Article], str]:
    """Add the sentence that most raises ROUGE-1+2 F1, while it fits the budget and helps."""

    def system(article: Article) -> str:
        sentences = split_sentences(article.text)
        chosen: list[int] = []
        best = 0.0
        while True:
            candidates = []
            for i, sentence in enumerate(sentences):
                used = sum(count_words(sentences[j]) for j in chosen)
                if i in chosen or used + count_words(sentence) > max_words:
                    continue
                text = " ".join(sentences[j] for j in sorted([*chosen, i]))
                result = scorer.score(article.abstract, text)
                candidates.append((result["rouge1"].fmeasure + result["rouge2"].fmeasure, i))
            if not candidates or max(candidates)[0] <= best:
                return " ".join(sentences[j] for j in sorted(chosen))
            best, pick = max(candidates)
            chosen.append(pick)

    return system


def print_table(rows: Sequence[Scores], abstracts: Sequence[Article]) -> None:
    print(f"{'system':<26} {'R-1':>6} {'R-2':>6} {'R-L':>6} {'words':>6} {'CPU ms/item':>12}")
    for row in rows:
        means = [100 * statistics.fmean(row.rouge[t]) for t in ROUGE_TYPES]
        per_item = 1000 * row.seconds / len(row.words)
        print(
            f"{row.name:<26} {means[0]:6.2f} {means[1]:6.2f} {means[2]:6.2f} "
            f"{statistics.fmean(row.words):6.1f} {per_item:12.3f}"
        )
    words = statistics.fmean(count_words(a.abstract) for a in abstracts)
    print(f"{'abstracts (reference)':<26} {'':>6} {'':>6} {'':>6} {words:6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="first N articles only")
    parser.add_argument("--words", type=int, default=40, help="summary word budget")
    parser.add_argument("--oracle", action="store_true", help="also the greedy oracle")
    args = parser.parse_args()

    articles = load_articles(args.corpus, args.limit)
    scorer = rouge_scorer.RougeScorer(
        list(ROUGE_TYPES), use_stemmer=False, tokenizer=UnicodeTokenizer()
    )
    words = args.words
    systems: list[tuple[str, Callable[[Article], str]]] = [
        ("digest (title)", lambda a: summarize_story(a.text, a.title, max_words=words).text),
        ("digest (no title)", lambda a: summarize_story(a.text, max_words=words).text),
        (
            "digest (hand scorer)",
            lambda a: summarize_story(a.text, a.title, max_words=words, learned=False).text,
        ),
        ("Lead-1", lead(1)),
        ("Lead-2", lead(2)),
        ("Lead-3", lead(3)),
    ]
    if args.oracle:
        systems.append((f"oracle (greedy, {words} w)", greedy_oracle(scorer, words)))
    print(f"OrangeSum {args.corpus.name}: {len(articles)} articles, budget {words} words")
    print("ROUGE F1 x100, no stemming, tokenizer: lowercase + Unicode \\w+ (accents kept)")
    summarize_story(articles[0].text, articles[0].title)  # warm up: compiled regexes, caches
    rows = [score_system(n, s, articles, scorer) for n, s in systems]
    print_table(rows, articles)
    print_verdict(rows[0], next(r for r in rows if r.name == "Lead-3"))


def print_verdict(ours: Scores, lead3: Scores) -> None:
    """The acceptance: the summarizer beats Lead-3 on ROUGE-1 and ROUGE-2."""
    gains = {
        t: 100 * (statistics.fmean(ours.rouge[t]) - statistics.fmean(lead3.rouge[t]))
        for t in ("rouge1", "rouge2")
    }
    met = all(gain > 0 for gain in gains.values())
    print(
        f"{ours.name} vs Lead-3: R-1 {gains['rouge1']:+.2f}, R-2 {gains['rouge2']:+.2f} "
        f"-> target (beat Lead-3 on R-1 and R-2) {'met' if met else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
