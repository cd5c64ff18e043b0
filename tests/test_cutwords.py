"""Words an export cut before a citation never reach a reader (issue 11, item 3)."""

from __future__ import annotations

import itertools
import re
from functools import cache

from wordfreq import top_n_list

from digest.ingest.clean import _CITATION, decode_bytes, repair_text, strip_citations
from digest.ingest.cutwords import Vocabulary, is_cut, zipf
from digest.ingest.documents import ingest_documents

from .conftest import DOCUMENTS

SEED_001 = next(DOCUMENTS.glob("001_*.txt"))


def cite(word: str) -> str:
    """`word` followed by a citation the way the chat export writes one."""
    return f"{word} ([Un article](https://example.org/a#:~:text=x))】"


def clean(text: str, document: str = "") -> str:
    vocabulary = Vocabulary.of(document) if document else None
    return strip_citations(text, vocabulary).text


@cache
def french_words() -> tuple[str, ...]:
    return tuple(top_n_list("fr", 100_000))


def cut_fragments(raw: str) -> set[str]:
    """The checker: a lowercase word right before a citation, rare in French, used nowhere
    else in the document, and the start of a French word ten times as frequent (zipf + 1),
    is a word the export cut (« révolutio »); « immersive » or « tokens » are not."""
    elsewhere = _CITATION.sub(" ", raw)
    fragments = set()
    for citation in _CITATION.finditer(raw):
        word = re.search(r"[^\W\d_]+$", raw[: citation.start()])
        if word is None or not word[0][0].islower() or zipf(word[0]) >= 3.0:
            continue
        if len(re.findall(rf"(?<!\w){word[0]}(?!\w)", elsewhere)) > 1:
            continue  # the document uses the word elsewhere: it is whole
        longer = (w for w in french_words() if w.startswith(word[0]) and w != word[0])
        if any(zipf(w) >= zipf(word[0]) + 1 for w in itertools.islice(longer, 5)):
            fragments.add(word[0])
    return fragments


def test_the_checker_knows_the_five_cut_words_of_seed_001() -> None:
    raw = repair_text(decode_bytes(SEED_001.read_bytes()))
    assert {"révolutio", "autono", "chimi", "économiq", "innova"} <= cut_fragments(raw)


def test_no_stored_story_holds_a_cut_word(store, now) -> None:
    raw = repair_text(decode_bytes(SEED_001.read_bytes()))
    fragments = cut_fragments(raw)
    ingest_documents(store, sorted(DOCUMENTS.glob("*.txt")), now)
    items = store.list_items()
    assert items
    for item in items:
        for field in (item.title, item.text, item.enjeux or ""):
            for fragment in fragments:
                found = re.search(rf"(?<![\w-]){fragment}(?!\w)|-{fragment}(?!\w)", field)
                assert found is None, (item.title, fragment, field[found.start() - 60 :][:90])


def test_seed_001_cut_words_are_completed_where_the_lexicon_is_clear() -> None:
    from digest.ingest.documents import stories_from_document

    text = "\n".join(d.text for d in stories_from_document(SEED_001.read_bytes()))
    assert "le rôle central du matériel dans la révolution." in text
    assert "la gestion des risques et la prévision économique." in text
    assert "contrer les abus et ne pas freiner l’innovation." in text


def test_a_clear_completion_repairs_the_word() -> None:
    assert clean(f"Le sommet a confirmé le rôle du matériel dans la {cite('révolutio')}.") == (
        "Le sommet a confirmé le rôle du matériel dans la révolution."
    )


def test_the_document_own_words_count() -> None:
    # « autono » could be autonomie or autonome; the document says « autonome » elsewhere.
    document = "Un agent autonome agit. Un robot autonome aussi. Une voiture autonome enfin."
    text = clean(f"Manus est un agent conversationnel vraiment {cite('autono')}.", document)
    assert text == "Manus est un agent conversationnel vraiment autonome."


def test_the_nearest_determiner_picks_singular_or_plural() -> None:
    assert clean(f"Elle améliore la prévision {cite('économiq')}.").endswith("économique.")


def test_an_ambiguous_cut_word_loses_its_clause() -> None:
    # chimie or chimique: as frequent as each other, and « une » agrees with both.
    text = clean(f"Le modèle décrit la scène en détail, avec une rigueur physico-{cite('chimi')}.")
    assert text == "Le modèle décrit la scène en détail."


def test_the_determiner_settles_the_completion() -> None:
    text = clean(f"Le modèle décrit la scène, avec des règles physico-{cite('chimi')}.")
    assert text == "Le modèle décrit la scène, avec des règles physico-chimiques."


def test_an_ambiguous_cut_word_without_a_clause_drops_its_sentence() -> None:
    text = clean(f"Premier point clair. Il a une {cite('chimi')}. Dernier point clair.")
    assert text == "Premier point clair. Dernier point clair."


def test_a_cut_word_mid_sentence_drops_the_sentence() -> None:
    text = clean(f"Avant. Les {cite('ré')} sont là, dit-il. Après.")
    assert text == "Avant. Après."


def test_a_lone_elided_article_is_cut_too() -> None:
    text = clean(f"Des bulles spéculatives se forment vite, amplifiées par l’{cite('')}. Fin.")
    assert text == "Des bulles spéculatives se forment vite. Fin."


def test_a_sentence_ending_on_a_preposition_lost_its_last_word() -> None:
    text = clean(f"Un marché de milliers de milliards, estimé par Nvidia d’ici {cite('')}. Fin.")
    assert text == "Un marché de milliers de milliards. Fin."
    assert clean(f"Il en parle {cite('ici')}.") == "Il en parle ici."  # « ici » alone ends well


def test_real_words_before_a_citation_stay() -> None:
    for sentence in (
        f"Le modèle tourne sur {cite('Hugging')} Face.",  # a capitalised name
        f"Il excelle sur plusieurs {cite('benchmarks')}.",  # a known word
        f"Il parle de {cite('tokens')}.",  # rare, but no frequent word starts with it
        f"On mesure la {cite('zorblax')}.",  # a made-up brand: nothing to complete it
    ):
        assert "】" not in clean(sentence)
        assert clean(sentence) == re.sub(r" \(\[.*】", "", sentence)


def test_a_word_the_document_uses_elsewhere_is_not_cut() -> None:
    vocabulary = Vocabulary.of("Le projet innova en 2024. Il innova encore.")
    assert not is_cut("innova", vocabulary)
    assert is_cut("innova", Vocabulary.of(""))


def test_a_cut_name_is_completed_from_the_document() -> None:
    document = "Nvidia publie. Nvidia vend des GPU et des GPT. Les GPU et GPT chauffent."
    text = clean(f"Runway est soutenu par Google et {cite('Nvid')}, dit-il.", document)
    assert text == "Runway est soutenu par Google et Nvidia, dit-il."
    text = clean(f"Il sort des modèles pour ses plateformes, dont les {cite('GP')}.", document)
    assert text == "Il sort des modèles pour ses plateformes."  # GPU or GPT: not a guess


def test_a_name_the_document_writes_as_is_stays() -> None:
    document = "Gemini 2.5 sort. Gemini est rapide. Geminus est un autre nom."
    assert clean(f"Google a présenté {cite('Gemini')}.", document) == "Google a présenté Gemini."
    assert clean(f"On teste {cite('Claude')}.", document) == "On teste Claude."
