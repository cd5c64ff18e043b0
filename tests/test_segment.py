"""Document shapes on small hand-made texts: the rules are general, not tied to the seeds."""

from __future__ import annotations

from digest.ingest.clean import drop_boilerplate, repair_text, strip_citations, strip_markdown
from digest.ingest.documents import stories_from_document
from digest.ingest.segment import cut_document
from digest.models import ItemKind

LONG = "Une phrase d'actualité assez longue pour faire un vrai paragraphe de la lettre. " * 3


def test_newsletter_source_lines_with_addresses_become_links() -> None:
    text = (
        f"Lettre\nde test\n\nPremier titre\n\n{LONG}\n\nEnjeux et perspectives\n\n{LONG}\n\n"
        f"Source : https://example.org/a\n\nSecond titre\n\n{LONG}\n\nSource\n\n"
        "Promo du jour\n\nInscrivez-vous vite"
    )
    drafts = stories_from_document(text.encode())
    assert [d.title for d in drafts] == ["Premier titre", "Second titre"]  # promo dropped
    assert [link.url for link in drafts[0].links] == ["https://example.org/a"]
    assert drafts[0].enjeux and not drafts[1].enjeux
    assert drafts[0].section == "Lettre de test"


def test_markdown_report_bullets_and_context() -> None:
    text = (
        "# Rapport\n\n## Synthèse\nUn paragraphe de synthèse.\n\n## Faits\n"
        "### Groupe A\n- **Titre un** : texte un ([Src](https://a.example/x#:~:text=y))】.\n"
        "- Sans titre en gras, juste du texte.\n"
    )
    cut = cut_document(text)
    assert cut.shape == "report" and cut.title == "Rapport"
    kinds = [(s.kind, s.title, s.section) for s in cut.segments]
    assert kinds == [
        (ItemKind.CONTEXT, "Synthèse", "Synthèse"),
        (ItemKind.STORY, "Titre un", "Groupe A"),
        (ItemKind.STORY, None, "Groupe A"),
    ]


def test_single_article_with_subheadings_is_one_story() -> None:
    text = f"Le grand titre\n\n{LONG}\n\nUn intertitre\n\n{LONG}\n\nLaisser un commentaire\n\nNom"
    drafts = stories_from_document(text.encode())
    assert len(drafts) == 1 and drafts[0].title == "Le grand titre"
    assert "Laisser" not in drafts[0].text and "Un intertitre" in drafts[0].text


def test_citations_become_links_and_markdown_goes() -> None:
    cleaned = strip_citations("Fait **important** ([Titre [x]](https://e.org/a#:~:text=b))L12】.")
    assert strip_markdown(cleaned.text) == "Fait important."
    assert [(link.url, link.title) for link in cleaned.links] == [("https://e.org/a", "Titre [x]")]


def test_repair_leaves_clean_text_alone() -> None:
    clean = "Déjà propre : « guillemets » et “anglais” † dague."
    assert repair_text(clean) == clean


def test_boilerplate_lines_go_and_the_rest_stays() -> None:
    text = "Vrai texte.\nFélicitation votre demande à été approuvée\nSuite du texte."
    assert drop_boilerplate(text) == "Vrai texte.\nSuite du texte."
