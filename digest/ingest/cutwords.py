"""Words an export cut before a citation: completed when the lexicon is clear, else removed.

Seed 001 is a chat export that dropped the last letters of the word before each citation
(« dans la révolutio ([…](…)) »). `strip_citations` leaves a `SITE` mark where a citation
was; `mend_cut_words` looks at the word before each mark. A word is cut when the document
never uses it elsewhere and a longer word that starts with it is far more frequent in
French (wordfreq); it is then completed when one completion stands out (the document's own
words count extra), else its clause, or failing that its sentence, is taken out. A rare
word with no frequent completion (a brand, a term of art) is left alone.

The lexicon is wordfreq's French list (maintained, bundled in the wheel, no model to load:
a third of a second once per process), rather than spaCy's vocabulary, which would cost
seconds at every ingest.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

SITE = "\ue000"  # a private-use mark: a citation was removed here

LEXICON_SIZE = 100_000  # French words by frequency; rarer ones read as unknown
UNKNOWN_ZIPF = 3.0  # below this (about once per million words) a word is rare
CUT_MARGIN = 1.0  # a completion this much more frequent (zipf) shows the word was cut
SHORT_CUT_MARGIN = 0.7  # for words of up to four letters (« lo », « mar », « sécu »)
CLEAR_MARGIN = 0.6  # the best completion must lead the next one by this much
DOCUMENT_BONUS = 0.5  # per doubling of its count: a word the document uses is a strong completion
MIN_REPAIR_LETTERS = 4  # « ré », « v », « pa »: too short to guess what followed
MIN_NAME_LETTERS = 3  # « GP »: GPT or GPU? Too short to tell
MIN_CLAUSE_WORDS = 5  # what is left of a sentence after a clause is cut

_WORD = re.compile(r"[^\W\d_]+")
_TOKEN = re.compile(r"\w+")  # « v7 » is a token of its own, not the word « v »
_TOKEN_BEFORE_SITE = re.compile(r"\w+(?=" + SITE + ")")
_SENTENCE_END = re.compile(r"[.!?…](?=[\s»”*_)]|$)|\n")
_SENTENCE_START = re.compile(r"(?:[.!?…][»”*_)]*\s+|\n)(?=[^\n]*$)")
_ELISION_BEFORE = re.compile(r"(?<![^\W\d_])(?:[ldjmnst]|qu|jusqu|lorsqu|puisqu)[’']$", re.I)
# Words a French sentence never ends on: an article, a preposition, « d’ici » (« … par
# l’IA physique d’ici ([…]). » in seed 001 lost its year with the citation).
_DANGLING_END = re.compile(
    r"(?<![^\W\d_])(?:d[’']ici|de|des|du|la|le|les|un|une|à|au|aux|en|par|pour|sur|avec"
    r"|dans|et|ou|vers|chez|entre|sans|sous|selon)\s*$",
    re.IGNORECASE,
)
_SENTENCE_CLOSE_AFTER = re.compile(r"[\s*_»”" + SITE + r"]*(?:[.!?…)]|$)")
_CLAUSE_BREAK = re.compile(r"[,;:—–(]")
_SINGULAR = frozenset(
    "le la l un une du au ce cet cette son sa mon ma ton ta notre votre leur".split()
)
_PLURAL = frozenset("les des aux ces ses mes tes nos vos leurs plusieurs quelques".split())


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The document's own words, counted outside citation sites: lowercase (`words`) and
    as written (`names`, for capitalised names: « Nvidia », « API »)."""

    words: Counter[str]
    names: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, text: str) -> Vocabulary:
        tokens = _TOKEN.findall(_TOKEN_BEFORE_SITE.sub(" ", text))
        names = Counter(t for t in tokens if t[0].isupper() and t.isalpha())
        return cls(Counter(t.lower() for t in tokens), names)


def mend_cut_words(text: str, vocabulary: Vocabulary) -> str:
    """The text with every citation site resolved and no `SITE` mark left."""
    while (pos := text.find(SITE)) >= 0:
        text = _mend_site(text, pos, vocabulary)
    return text


def _mend_site(text: str, pos: int, vocabulary: Vocabulary) -> str:
    if _ELISION_BEFORE.search(text[:pos]) or _dangles(text, pos):
        return _remove_clause(text, pos, pos)  # « par l’ », « d’ici . »: a whole word went
    word = re.search(r"[^\W\d_]+$", text[:pos])
    if word is not None and word[0][0].isupper():
        return _mend_name(text, word, pos, vocabulary)
    if word is None or not is_cut(word[0], vocabulary):
        return text[:pos] + text[pos + 1 :]
    completion = complete(word[0], vocabulary, text[: word.start()])
    if completion is not None:
        return text[: word.start()] + completion + text[pos + 1 :]
    return _remove_clause(text, word.start(), pos)


def _mend_name(text: str, word: re.Match[str], pos: int, vocabulary: Vocabulary) -> str:
    """A capitalised fragment (« Nvid », « AP ») of a name the document writes in full
    elsewhere: completed when one such name is clearly the most used, else taken out. A
    name the document writes as is, or that starts no longer name of it, stays."""
    name = word[0]
    longer = Counter(
        {n: c for n, c in vocabulary.names.items() if n.startswith(name) and n != name}
    )
    if len(name) < 2 or vocabulary.names[name] or vocabulary.words[name.lower()] or not longer:
        return text[:pos] + text[pos + 1 :]
    (best, count), *rest = longer.most_common(2)
    if len(name) >= MIN_NAME_LETTERS and (not rest or count >= 2 * rest[0][1]):
        return text[: word.start()] + best + text[pos + 1 :]
    return _remove_clause(text, word.start(), pos)


def _dangles(text: str, pos: int) -> bool:
    """True when the sentence ends at the site on a word no French sentence ends on."""
    if not _SENTENCE_CLOSE_AFTER.match(text, pos + 1):
        return False
    return bool(_DANGLING_END.search(text[:pos]))


def is_cut(word: str, vocabulary: Vocabulary) -> bool:
    """True when the word is a fragment: unused elsewhere, far rarer than a completion."""
    word = word.lower()
    if vocabulary.words[word] > 0:
        return False
    frequency = zipf(word)
    if frequency >= UNKNOWN_ZIPF and len(word) > 4:
        return False
    margin = CUT_MARGIN if frequency < UNKNOWN_ZIPF else SHORT_CUT_MARGIN
    ranked = _completions(word, vocabulary)
    return bool(ranked) and ranked[0][0] >= frequency + margin


def complete(word: str, vocabulary: Vocabulary, before: str) -> str | None:
    """The one clear completion of a cut word, or None when there is none."""
    if len(word) < MIN_REPAIR_LETTERS:
        return None
    ranked = _agreeing(_completions(word.lower(), vocabulary), before)
    if not ranked:
        return None
    if len(ranked) == 1 or ranked[0][0] - ranked[1][0] >= CLEAR_MARGIN:
        return ranked[0][1]
    return None


def _completions(word: str, vocabulary: Vocabulary) -> list[tuple[float, str]]:
    """Longer words that start with `word`, best first: (score, word)."""
    found = {w: zipf(w) for w in _lexicon_prefixed(word)}
    for w, count in vocabulary.words.items():
        if w.startswith(word) and w != word and w.isalpha():
            bonus = DOCUMENT_BONUS * math.log2(1 + count)
            found[w] = max(found.get(w, 0.0), UNKNOWN_ZIPF) + bonus
    return sorted(((score, w) for w, score in found.items()), reverse=True)


def _agreeing(ranked: list[tuple[float, str]], before: str) -> list[tuple[float, str]]:
    """The completions in the number of the nearest determiner (« la révolutio », « ses
    créat »), when one stands within four words; all of them otherwise."""
    for previous in reversed(_WORD.findall(before.lower())[-4:]):
        if previous in _SINGULAR or previous in _PLURAL:
            plural = previous in _PLURAL
            return [(score, w) for score, w in ranked if w.endswith(("s", "x")) == plural]
    return ranked


def _remove_clause(text: str, start: int, pos: int) -> str:
    """Cut the clause the fragment ends, or drop its whole sentence."""
    opening = _SENTENCE_START.search(text[:start])
    sentence_start = opening.end() if opening else 0
    closing = _SENTENCE_END.search(text, pos + 1)
    sentence_end = closing.start() if closing else len(text)
    clauses = list(_CLAUSE_BREAK.finditer(text, sentence_start, start))
    ends_sentence = not text[pos + 1 : sentence_end].strip(" *_»”)" + SITE)
    if ends_sentence and clauses:
        kept = text[sentence_start : clauses[-1].start()]
        if len(_WORD.findall(kept)) >= MIN_CLAUSE_WORDS:
            return text[: clauses[-1].start()].rstrip() + text[sentence_end:]
    after = sentence_end + 1 if closing and closing[0] != "\n" else sentence_end
    return (text[:sentence_start] + text[after:].lstrip(" ")).rstrip(" ")


def zipf(word: str) -> float:
    """How common a word is in French, on wordfreq's zipf scale (0 = unknown, 7 = « de »)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "fr"))


def _lexicon_prefixed(prefix: str, keep: int = 6) -> list[str]:
    """The `keep` most frequent lexicon words that start with `prefix` (and are longer)."""
    words, ranks = _lexicon()
    start = bisect.bisect_left(words, prefix)
    end = bisect.bisect_left(words, prefix + "\U0010ffff", start)
    found = sorted(range(start, end), key=ranks.__getitem__)[: keep + 1]
    return [words[i] for i in found if words[i] != prefix][:keep]


@cache
def _lexicon() -> tuple[list[str], list[int]]:
    """wordfreq's French words in alphabetical order, and each one's frequency rank."""
    from wordfreq import top_n_list

    ranked = top_n_list("fr", LEXICON_SIZE)
    order = sorted(range(len(ranked)), key=ranked.__getitem__)
    return [ranked[i] for i in order], order
