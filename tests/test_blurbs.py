"""« Enjeux et perspectives » that read as a paragraph (issue 11, item 2).

A checker for sentences that open on a reference the reader has not seen, run over the
seed issue, then one small constructed section per rule of the blurb writer.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from digest.app.build import run_build
from digest.config import load_settings
from digest.models import BRIEF_THEME_ID, BlurbSentence, ItemKind, SourceKind, StoredItem
from digest.sentences import split_sentences
from digest.serialize import issue_json
from digest.settings import Settings
from digest.store import Store
from digest.summarize.blurbs import SectionStories, write_blurbs
from digest.summarize.stakes import introduces, read

from .conftest import REPO, SeedsJson

# The checker's own opening patterns, kept apart from the writer's so one does not hide a
# miss of the other: demonstratives, pronouns, possessives, connectives that continue a
# previous sentence, a « Reste » that lost its subject, a bare « le modèle / l’entreprise »
# followed by its verb (« le modèle cloud crée… » says which model).
_OPENS_ON_REFERENCE = re.compile(
    r"^(?:(?:(?:dans|durant|pendant|pour|avec|après|depuis|sur|reste à savoir si)\s)?"
    r"(?:ce|cet|cette|ces|cela|ça|ceci)\b"
    r"|(?:il|elle|ils|elles|son|sa|ses|leur|leurs|c['’])\b"
    r"|(?:de l['’]autre|d['’]autre part|en revanche|pourtant|mais|et|or|enfin|"
    r"en parallèle|par exemple|un autre|une autre)\b"
    r"|restent? (?!à |que |qu['’])"
    r"|(?:[^,]{0,30}, )?(?:le |la |les |l['’])(?:modèle|entreprise|société|groupe|startup|"
    r"firme|outil|chercheurs|auteurs)\s+(?:a|ont|est|sont|va|vont|peut|doit|n['’]|ne|se|s['’]|"
    r"\w+(?:e|ent))\b)",
    re.IGNORECASE,
)
_IMPERSONAL = re.compile(r"^il (?:y a|faut|est temps|reste|semble)\b", re.IGNORECASE)

# Today's examples (main's `make run`, issue 11): each opens on something not in it.
MAIN_EXAMPLES = [
    "Cette stratégie révèle l’évolution des rapports de force.",
    "Le 18 mars, l’entreprise a annoncé Stable Virtual Camera, un nouveau modèle génératif "
    "capable de transformer une ou plusieurs images 2D en une vidéo 3D immersive.",
    "Reste un défi pour les modèles multimodaux actuels, qui excel davantage avec les images "
    "matricielles.",
    "Le modèle souffre d’un problème d’image autant que de capacités réelles.",
    "De l’autre, une dynamique s’accélère : plus d’articles, moins de temps pour les examiner.",
    "Cela ouvre la voie à une IA véritablement embarquée, plus respectueuse de la "
    "confidentialité de nos données.",
    "Cela permet par exemple à un agent conversationnel de retenir des faits sur l’utilisateur.",
    "Cette bataille des métriques révèle l’embarras des géants face à l’impact environnemental "
    "de l’IA.",
    "Cette différence transforme radicalement le profil de risque.",
    "Il ne comprend ni votre contexte métier spécifique, ni vos risques sectoriels.",
    "Ces contrats impliquent multi-parties, négociations, risques légaux élevés.",
    "Reste à savoir si cette stratégie du « tout azimuts » suffira à combler un retard.",
    "Durant ce sommet, une déclaration commune a été signée.",
]


def opens_on_reference(sentence: str) -> bool:
    """The checker: by the patterns above, or by the French pipeline's reading."""
    by_pattern = bool(_OPENS_ON_REFERENCE.match(sentence)) and not _IMPERSONAL.match(sentence)
    readings, _ = read([sentence], [])
    return by_pattern or readings[0].reference is not None


def unresolved_openings(section: dict[str, Any], items: dict[int, StoredItem]) -> list[str]:
    """Blurb sentences opening on a reference without their antecedent right before them
    (the previous sentence of the same story) and without an explicit subject."""
    blurb, bad = section["blurb"], []
    for i, sentence in enumerate(blurb):
        if sentence.get("explicit_subject") or not opens_on_reference(sentence["text"]):
            continue
        item = items[sentence["item_id"]]
        before = blurb[i - 1]["text"] if i else None
        if before is None or not _follows(item, before, sentence["text"]):
            bad.append(sentence["text"])
    return bad


def _follows(item: StoredItem, before: str, sentence: str) -> bool:
    for text in (item.text, item.enjeux or ""):
        sentences = split_sentences(text)
        if (before, sentence) in itertools.pairwise(sentences):
            return True
    return False


@pytest.fixture
def settings() -> Settings:
    return load_settings(REPO / "feeds.yaml", env={})


def test_checker_flags_todays_examples() -> None:
    assert [s for s in MAIN_EXAMPLES if not opens_on_reference(s)] == []
    standalone = [
        "GPT-5 souffre d’un problème d’image autant que de capacités réelles.",
        "Il y a dix ans, la Silicon Valley incarnait l’innovation, la disruption, l’avenir.",
        "Reste à savoir si Meta saura combler un retard qui se creuse chaque jour.",
        "L’IA n’est plus cette technologie révolutionnaire qui transforme tout instantanément.",
    ]
    assert [s for s in standalone if opens_on_reference(s)] == []


def test_seed_blurbs_open_on_no_unresolved_reference(seeds_json: SeedsJson) -> None:
    issue, items = seeds_json.issue, seeds_json.items
    themed = [s for s in issue["sections"] if s["theme"] != BRIEF_THEME_ID]
    assert len(themed) >= 5
    bad = {s["title"]: unresolved_openings(s, items) for s in themed}
    assert {title: b for title, b in bad.items() if b} == {}
    for section in themed:
        assert 2 <= len(section["blurb"]) <= 4
        per_story: dict[int, int] = {}
        for sentence in section["blurb"]:
            per_story[sentence["item_id"]] = per_story.get(sentence["item_id"], 0) + 1
        assert max(per_story.values()) <= 2, section["title"]  # the section's stories named


# Constructed sections, one rule each -------------------------------------------------

_NOW = datetime(2026, 11, 30, tzinfo=UTC)


def item(item_id: int, text: str, enjeux: str | None = None, title: str = "") -> StoredItem:
    return StoredItem(
        id=item_id,
        source_name="veille",
        source_kind=SourceKind.FEED,
        key=f"k{item_id}",
        title=title or f"Histoire {item_id}",
        text=text,
        html="",
        url=None,
        links=(),
        author=None,
        published_at=_NOW,
        fetched_at=_NOW,
        language="fr",
        enjeux=enjeux,
        section=None,
        position=item_id,
        kind=ItemKind.STORY,
        title_derived=False,
    )


def blurb_of(
    settings: Settings, theme: str, *stories: StoredItem, used: tuple[str, ...] = ()
) -> tuple[BlurbSentence, ...]:
    section = SectionStories(theme, [(s,) for s in stories], frozenset(used))
    return write_blurbs([section], settings.themes)[0]


LEDE_GPT5 = "GPT-5 traverse une mauvaise passe depuis sa sortie en août dernier."


def test_a_reference_comes_right_after_its_antecedent(settings: Settings) -> None:
    before = "Les développeurs reprochent au nouveau modèle de langage des réponses plates."
    after = "Cette défiance pourrait coûter cher à OpenAI face à Gemini et à Claude."
    story = item(1, f"{LEDE_GPT5} {before} {after}")
    texts = [b.text for b in blurb_of(settings, "modeles", story, used=(LEDE_GPT5,))]
    assert after in texts and texts[texts.index(after) - 1] == before


def test_a_reference_without_its_antecedent_is_left_out(settings: Settings) -> None:
    first = "Les développeurs reprochent au nouveau modèle de langage des réponses plates."
    dependent = "Cette défiance pourrait coûter cher à OpenAI face à Gemini et à Claude."
    other = "L’enjeu du raisonnement est devenu central pour les modèles de langage ouverts."
    more = "Les modèles de langage ouverts pourraient bientôt rattraper les modèles fermés."
    story = item(1, f"{LEDE_GPT5} {first} {dependent} {other} {more}")
    # The antecedent is printed above, as the entry's summary: the reference is left out.
    texts = [b.text for b in blurb_of(settings, "modeles", story, used=(LEDE_GPT5, first))]
    assert texts == [other, more]


def test_a_definite_subject_is_made_explicit_from_the_story(settings: Settings) -> None:
    enjeux = "Le modèle souffre d’un problème d’image autant que de capacités réelles."
    other = "L’enjeu du raisonnement est devenu central pour les modèles de langage ouverts."
    story = item(1, f"{LEDE_GPT5} {other}", enjeux=enjeux)
    blurb = blurb_of(settings, "modeles", story, used=(LEDE_GPT5,))
    explicit = next(b for b in blurb if b.original)
    assert explicit.text == "GPT-5 souffre d’un problème d’image autant que de capacités réelles."
    assert explicit.original == enjeux and explicit.subject == "GPT-5" and explicit.item_id == 1
    assert blurb[0] == explicit  # the source's own « Enjeux et perspectives » first


def test_a_subject_is_not_made_explicit_with_the_wrong_kind_of_name(settings: Settings) -> None:
    # « Le modèle » cannot be OpenAI: the lede's subject is a company, not a model.
    lede = "La startup OpenAI a présenté lundi ses résultats trimestriels à ses investisseurs."
    dependent = "Le modèle souffre d’un problème d’image autant que de capacités réelles."
    stakes = "L’enjeu du raisonnement est devenu central pour les modèles de langage ouverts."
    story = item(1, f"{lede} Les analystes restent partagés. {dependent} {stakes}")
    blurb = blurb_of(settings, "modeles", story, used=(lede,))
    assert not any("souffre" in b.text for b in blurb)


def test_instructions_fragments_and_other_themes_are_left_out(settings: Settings) -> None:
    how_to = (
        "Si le modèle rate une dépendance, ajoutez-la manuellement dans le projet avant l’étape 4."
    )
    you = "Le modèle ne comprend ni votre contexte métier, ni vos risques sectoriels."
    fragment = "Nvidia évalue à 50 000 milliards le potentiel des modèles de langage d’ici."
    off_theme = (
        "Le tribunal devra juger la conformité des contrats au droit d’auteur et à l’AI Act."
    )
    good = "L’enjeu du raisonnement est devenu central pour les modèles de langage ouverts."
    outlook = "Les modèles de langage ouverts pourraient bientôt rattraper les modèles fermés."
    prompt = "La prochaine fois, lancez : « Le modèle de langage a 30 paramètres et un benchmark."
    text = " ".join([LEDE_GPT5, how_to, good, you, fragment, off_theme, prompt, outlook])
    texts = [b.text for b in blurb_of(settings, "modeles", item(1, text), used=(LEDE_GPT5,))]
    assert texts == [good, outlook]  # and stakes before outlook


def test_stakes_then_outlook_and_every_story_named(settings: Settings) -> None:
    a_outlook = "Mistral AI devrait à terme proposer ses modèles de langage aux administrations."
    a_stakes = "L’enjeu pour Mistral AI est la souveraineté face aux modèles de langage américains."
    a_more = "Le risque pour Mistral AI reste la dépendance aux puces et au cloud des concurrents."
    b_stakes = "Pour DeepSeek, le défi est de garder l’avance de ses modèles de raisonnement."
    a = item(1, f"Mistral AI publie un modèle ouvert. {a_outlook} {a_stakes} {a_more}")
    b = item(2, f"DeepSeek publie un modèle ouvert de raisonnement. {b_stakes}")
    blurb = blurb_of(settings, "modeles", a, b)
    assert {s.item_id for s in blurb} == {1, 2}  # both stories, not one story four times
    assert sum(s.item_id == 1 for s in blurb) <= 2
    texts = [s.text for s in blurb]
    assert texts[-1] == a_outlook and b_stakes in texts  # stakes first, outlook last
    for sentence in blurb:  # provenance: each sentence is from the item it names
        source = a if sentence.item_id == 1 else b
        assert sentence.text in split_sentences(source.text)


def test_explicit_subject_is_stored_and_shown(
    store: Store, settings: Settings, now: datetime
) -> None:
    from digest.models import ItemDraft

    fetched = now - timedelta(minutes=5)
    store.ensure_source("veille", SourceKind.FEED, "https://veille.example/feed", fetched)
    enjeux = "Le modèle souffre d’un problème d’image autant que de capacités réelles."
    text = (
        f"{LEDE_GPT5} Les critiques pleuvent sur le modèle de langage d’OpenAI depuis l’été. "
        "L’enjeu du raisonnement est devenu central pour les modèles de langage ouverts. "
        "OpenAI pourrait publier GPT-6 dès l’année prochaine pour tourner la page."
    )
    draft = ItemDraft(key="gpt5", title="GPT-5 en difficulté", text=text, enjeux=enjeux)
    store.add_items("veille", [draft], fetched)
    run_build(store, settings, now)
    stored = store.get_issue(1)
    assert stored is not None
    items = {i.id: i for i in store.list_items()}
    blurb = issue_json(stored, items)["issue"]["sections"][0]["blurb"]
    explicit = [b for b in blurb if b["explicit_subject"]]
    assert explicit == [
        {
            "text": "GPT-5 souffre d’un problème d’image autant que de capacités réelles.",
            "item_id": explicit[0]["item_id"],
            "source": "veille",
            "title": "GPT-5 en difficulté",
            "url": None,
            "original": enjeux,
            "explicit_subject": "GPT-5",
            "edited_by": None,
        }
    ]
    assert all(b["original"] is None for b in blurb if not b["explicit_subject"])


# A demonstrative needs a sentence before it that introduces what it points to ---------

# Seed 046: the sentence before « Cette guerre des chiffres » speaks of Google's scale, not
# of a war of figures; seed 052 and the GPT-5 story pair a demonstrative with a sentence
# that says what it is (« reproche » → « défiance », « reste floue » → « incertitude »).
LOOSE = (
    "Google a l’échelle, mais choisit ses périmètres de calcul.",
    "Cette guerre des chiffres masque une autre réalité : personne ne sait vraiment "
    "mesurer l’impact de l’IA.",
)
INTRODUCED = [
    (
        "Les développeurs reprochent au nouveau modèle de langage des réponses plates.",
        "Cette défiance pourrait coûter cher à OpenAI face à Gemini et à Claude.",
    ),
    (
        "La frontière entre créativité et mémorisation reste floue, même pour les experts.",
        "Cette incertitude nourrit les doutes.",
    ),
    ("C’est un choix architectural explicite.", "Et ce choix crée des problèmes concrets."),
]


def test_a_demonstrative_follows_only_a_sentence_that_introduces_it() -> None:
    pairs = [LOOSE, *INTRODUCED]
    readings, _ = read([s for pair in pairs for s in pair], [])
    verdicts = [introduces(readings[2 * i], readings[2 * i + 1]) for i in range(len(pairs))]
    assert verdicts == [False, True, True, True]


def test_a_loosely_paired_demonstrative_is_left_out(settings: Settings) -> None:
    lede = "Google vient de publier un rapport sur la consommation énergétique de Gemini."
    stakes = "L’enjeu climatique de l’IA reste la consommation électrique des data centers."
    outlook = "Les data centers de l’IA pourraient doubler leur consommation d’électricité."
    story = item(1, f"{lede} {LOOSE[0]} {LOOSE[1]} {stakes} {outlook}")
    texts = [b.text for b in blurb_of(settings, "societe", story, used=(lede,))]
    assert LOOSE[1] not in texts and stakes in texts


# A reference inside the main clause, not only at its opening ----------------------------

INSIDE = [
    "Reste à savoir si les intéressés s’en rendront compte, ou s’ils continueront à offrir "
    "des disques en verre.",
    "L’acquisition de Pollen s’inscrit dans cette vision de la robotique ouverte et abordable.",
    "Les chiffres du MIT le confirment : 67 % de réussite avec des partenaires spécialisés.",
    "Wu Jia, vice-président d’Alibaba, a annoncé ce chiffre lors d’un événement à Hangzhou.",
    "Altman assure pourtant qu’OpenAI dévoilera la semaine prochaine un modèle de raisonnement.",
    "L’entreprise qui s’engage à atteindre la neutralité carbone d’ici 2030 découvre soudain "
    "que son IA pollue moins que prévu.",
]
STANDS_ALONE = [
    "La génération d’images haute performance ne restera pas éternellement propriétaire.",
    "Il y a dix ans, la Silicon Valley incarnait l’innovation, la disruption, l’avenir.",
    "À l’heure de la transition écologique, l’IA devra prouver qu’elle peut être une partie "
    "de la solution.",
    "OpenClaw a changé la conversation sur ce que les agents IA pourraient être.",
    "Du côté des modèles ouverts, Meta a continué sur sa lancée de l’open science.",
    "L’IA n’est plus cette technologie révolutionnaire qui transforme tout instantanément.",
    "Quand South Park s’attaque à un phénomène, c’est que ce phénomène a franchi le point de "
    "non-retour culturel.",
    "Quand South Park s’attaque à un phénomène, c’est généralement que ce phénomène a franchi "
    "le point de non-retour culturel.",
    "La révision par un juriste n’est pas optionnelle : c’est votre seule protection.",
]


def test_references_inside_the_main_clause_are_found() -> None:
    readings, _ = read([*INSIDE, *STANDS_ALONE], [])
    found = [s for s, r in zip([*INSIDE, *STANDS_ALONE], readings, strict=True) if r.reference]
    assert found == INSIDE


def test_a_sentence_about_an_unnamed_referent_is_left_out(settings: Settings) -> None:
    lede = "South Park vient de signer l’acte de décès de la respectabilité tech."
    stakes = "La satire de South Park marque un tournant dans la perception de la Silicon Valley."
    outlook = "Les patrons de la Silicon Valley pourraient bientôt perdre leur crédit culturel."
    story = item(1, f"{lede} {stakes} Les satires se suivent. {INSIDE[0]} {outlook}")
    texts = [b.text for b in blurb_of(settings, "societe", story, used=(lede,))]
    assert INSIDE[0] not in texts and outlook in texts


# The story says what its subject is ---------------------------------------------------

STABILITY_LEDE = (
    "Stability AI, pionnier de l’open source visuel, a élargi le champ de la génération "
    "au-delà de l’image fixe."
)
ANNOUNCED = (
    "Le 18 mars, l’entreprise a annoncé Stable Virtual Camera, un nouveau modèle génératif "
    "capable de transformer une photo en une vidéo 3D immersive."
)


def test_the_story_says_its_subject_is_a_company(settings: Settings) -> None:
    # The recogniser reads « Stability AI » as a product; the lede calls it a pioneer.
    outlook = "La génération de vidéo 3D pourrait transformer la production d’images et de films."
    story = item(1, f"{STABILITY_LEDE} {ANNOUNCED} {outlook}")
    blurb = blurb_of(settings, "creation", story, used=(STABILITY_LEDE,))
    explicit = [b for b in blurb if b.original]
    assert [(b.text, b.original, b.subject) for b in explicit] == [
        (ANNOUNCED.replace("l’entreprise", "Stability AI"), ANNOUNCED, "Stability AI")
    ]


def test_story_cues_name_the_kind_only_when_unambiguous() -> None:
    lede = "Runway a dévoilé lundi Gen-4 devant la presse spécialisée."
    stories = [
        "",  # the recogniser alone
        "La startup new-yorkaise Runway prépare une levée de fonds.",
        "Runway, une société new-yorkaise, prépare une levée de fonds.",
        # two kinds: the story does not settle it, the recogniser does
        "La startup Runway prépare une levée de fonds. Le modèle Runway plaît aux studios.",
        "L’outil de Runway plaît aux studios.",  # Runway's tool, not Runway
        "« Les studios adorent », assure Cristóbal Valenzuela, CEO de Runway.",
    ]
    _, subjects = read([], [lede] * len(stories), stories)
    kinds = [s.kind if s is not None else None for s in subjects]
    recognised = kinds[0]
    assert kinds[1:] == ["org", "org", recognised, recognised, "org"]


def test_a_sentence_opening_on_its_verb_is_an_order_unless_the_subject_follows() -> None:
    """« Adapte les estimations… » (a prompt's tutoiement, read as an indicative by the
    tagger) reached the Outils blurb; « Reste un défi… » puts its subject after the verb."""
    orders = [
        "Adapte les estimations à la taille du client et les risques à son contexte.",
        "Vérifie chaque clause avec un juriste avant de signer le contrat.",
    ]
    statements = [
        "Reste un défi pour les modèles multimodaux actuels.",
        "Vient ensuite la question du prix des abonnements.",
        "Mistral adapte ses modèles à la taille des entreprises clientes.",
        "ChatGPT excelle dans trois domaines précis.",  # tagged verb-first by the parser
    ]
    readings, _ = read(orders + statements, [])
    assert [r.instruction for r in readings] == [True, True, False, False, False, False]
