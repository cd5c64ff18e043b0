"""Story summaries built only from sentences that stand alone (issue 11).

One constructed story per rule, summarised with and without the standalone readings
(`fitness=None` is the summarizer before this rule, which picked the faulty sentence),
then the seed acceptance: no summary of the seed issue, themed or brief, opens on an
unresolved reference, holds an instruction or a placeholder, or is a fragment.
"""

from __future__ import annotations

import itertools
import logging
import re

import pytest

from digest.models import StoredItem
from digest.sentences import split_sentences
from digest.summarize.extractive import summarize_story
from digest.summarize.stakes import read
from digest.summarize.standalone import (
    has_placeholder,
    is_fragment,
    story_fitness,
    without_connective,
)

from .conftest import SeedsJson
from .test_blurbs import opens_on_reference


def summaries(text: str, title: str, **budget: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The summary without the standalone readings (before) and with them (after)."""
    before = summarize_story(text, title, **budget).sentences
    after = summarize_story(text, title, fitness=story_fitness([text])[0], **budget).sentences
    return before, after


LEDE = "L’assistant Copilot de Microsoft arrive dans les outils de gestion de la relation client."


def test_a_reference_without_its_antecedent_is_skipped() -> None:
    antecedent = "Le calendrier reste flou pour les petites structures européennes du secteur."
    leaning = (
        "Par exemple, il peut analyser une situation client dans la relation client de Copilot."
    )
    text = f"{LEDE} {antecedent} {leaning} Les prix restent inconnus."
    title = "Copilot pour la relation client"
    before, after = summaries(text, title, max_words=40, max_sentences=2)
    assert before == (LEDE, leaning)  # « il » is the antecedent's, which is left out
    assert after == (LEDE, antecedent)


def test_a_reference_right_after_its_antecedent_is_kept() -> None:
    antecedent = "Microsoft présente un agent Copilot dédié à la relation client."
    leaning = "Par exemple, il peut analyser une situation client et proposer une réponse."
    text = f"{antecedent} {leaning}"
    _before, after = summaries(text, "Copilot pour la relation client", max_words=40)
    assert after == (antecedent, leaning)


def test_a_demonstrative_pronoun_or_definite_opening_is_skipped_alone() -> None:
    other = "Des chercheurs publient du code sur des serveurs ouverts."
    cases = [
        "Au cœur de ce réseau décentralisé, les agents autonomes échangent des tâches.",
        "OpenClaw, lancé par Peter Steinberger en janvier 2026, l’a matérialisé pour les "
        "agents autonomes.",
        "L’objectif n’est plus de répondre à une question mais d’agir en agents autonomes.",
    ]
    for leaning in cases:
        before, after = summaries(f"{leaning} {other}", TITLE, max_words=20, max_sentences=1)
        assert before == (leaning,), leaning
        assert after == (other,)


TITLE = "Les agents autonomes"


def test_an_opening_connective_goes_when_the_rest_stands_alone() -> None:
    leaning = "En parallèle, OpenAI fait évoluer sa gamme de modèles pour les agents autonomes."
    text = f"{leaning} Des chercheurs publient du code sur des serveurs ouverts."
    before, after = summaries(text, TITLE, max_words=20, max_sentences=1)
    assert before == (leaning,)
    assert after == ("OpenAI fait évoluer sa gamme de modèles pour les agents autonomes.",)


def test_instructions_and_templates_are_never_used() -> None:
    template = (
        "Produis une WBS hiérarchisée jusqu’au niveau 3 pour [NOM DU PROJET] basé sur cette "
        "charte : [COLLE LA CHARTE ICI OU RÉSUMÉ]."
    )
    how_to = "Si les exceptions occupent plus de 5 % des cas, différez l’automatisation du projet."
    fact = "Les chefs de projet utilisent désormais des assistants pour planifier leurs projets."
    text = f"{template} {how_to} {fact}"
    before, after = summaries(text, "Planifier un projet avec une IA", max_words=60)
    assert template in before and how_to in before
    assert after == (fact,)


def test_capitalised_imperatives_and_heading_questions_are_never_used() -> None:
    fact = "Des juristes utilisent ChatGPT pour rédiger des brouillons de contrats."
    for bad in [
        "Évitez d’entrer des données confidentielles dans ChatGPT gratuit.",
        "Comment ChatGPT traite les données confidentielles des juristes.",
    ]:
        title = "ChatGPT et les données confidentielles"
        before, after = summaries(f"{bad} {fact}", title, max_words=20, max_sentences=1)
        assert before == (bad,)
        assert after == (fact,)


def test_fragments_are_never_used() -> None:
    no_verb = "175 000 serveurs Ollama accessibles via Internet dans 130+ pays"
    cut = "Les entreprises paient un surcoût contre les risques (erreurs non détectées."
    fact = "Des chercheurs ont recensé les serveurs Ollama exposés sur Internet cette année."
    text = f"{no_verb}. {cut} {fact}"
    before, after = summaries(text, "Serveurs Ollama exposés", max_words=60)
    assert any(s.startswith("175 000") for s in before) and cut in before
    assert after == (fact,)


def test_when_nothing_stands_alone_the_least_bad_is_kept_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = "Vous ouvrez l’application. Vous cliquez sur « Paramètres » puis activez le mode."
    with caplog.at_level(logging.INFO, logger="digest.summarize.extractive"):
        before, after = summaries(text, "Le mode sombre", max_words=30)
    assert after == before and after
    assert "stands alone" in caplog.text


def test_the_checks_on_a_sentence() -> None:
    assert has_placeholder("Pour [NOM DU PROJET] basé sur cette charte.")
    assert not has_placeholder("Frandroid le rapporte [1] et Numerama aussi.")
    assert is_fragment("175 000 serveurs Ollama accessibles via Internet dans 130+ pays")
    assert is_fragment("Un surcoût contre risques (erreurs non détectées.")
    assert not is_fragment("Il a dit « oui. »")


# The seed acceptance -----------------------------------------------------------------


# The blurbs' checker reads « La startup française Mistral AI a lancé » as a bare « la
# startup »: a name within its first words says which one.
_NAMED_ACTOR = re.compile(r"^(?:Les?|La|L’|L')\s*[\w-]+(?: [\w-]+){0,2} [A-ZÀ-Þ]")


def faults(summary: str, lead: StoredItem) -> list[str]:
    """What is wrong with a summary's sentences, each named with the sentence."""
    sentences = split_sentences(summary)
    readings, _ = read(sentences, [])
    story = set(itertools.pairwise(split_sentences(lead.text)))
    # The antecedent may be printed without its own opening connective.
    story |= {(without_connective(a), b) for a, b in story}
    found = []
    for i, (sentence, facts) in enumerate(zip(sentences, readings, strict=True)):
        if facts.instruction or has_placeholder(sentence):
            found.append(f"instruction: {sentence}")
        if facts.fragment or is_fragment(sentence):
            found.append(f"fragment: {sentence}")
        if _NAMED_ACTOR.match(sentence):
            continue  # « La startup française Mistral AI a lancé… » says which startup
        if opens_on_reference(sentence) and (i == 0 or (sentences[i - 1], sentence) not in story):
            found.append(f"unresolved reference: {sentence}")
    return found


def test_seed_summaries_stand_alone(seeds_json: SeedsJson) -> None:
    issue, items = seeds_json.issue, seeds_json.items
    entries = [e for s in issue["sections"] for e in s["entries"]]
    assert len(entries) >= 20
    assert all(e["summary"] for e in entries)
    bad = {e["title"]: f for e in entries if (f := faults(e["summary"], items[e["item_ids"][0]]))}
    assert bad == {}
