"""Headlines for untitled stories, and an issue's subject and preheader (issue 11, items 4
and 6): constructed cases through the real French pipeline, then the seeds end to end."""

from __future__ import annotations

import email
import email.policy
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.app.render import run_render
from digest.config import load_settings
from digest.errors import ConfigError
from digest.models import Entry, Issue, IssueStatus, Link, Section
from digest.render import render_issue
from digest.sentences import count_words
from digest.settings import NewsletterSettings, Settings, template_problems
from digest.store import Store
from digest.summarize.headlines import write_headlines
from digest.summarize.subject import (
    MAX_SUBJECT_CHARS,
    issue_lines,
    opens_on_reference,
    preheader_sentence,
    write_issue_lines,
)
from digest.typography import french

from .conftest import REPO, SeedIssue

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

# (lede, the headline an editor would write from it)
LEDES = [
    (  # the issue's example: passé composé → present, date and participle clause dropped
        "Zilliz a publié le 30 janvier 2026 un modèle de semantic highlighting bilingue "
        "destiné à identifier automatiquement les phrases pertinentes dans les pipelines RAG.",
        "Zilliz publie un modèle de semantic highlighting bilingue",
    ),
    (  # an apposition (with its own date) between subject and verb; irregular verb kept
        "OpenClaw, un agent IA autonome lancé par un développeur indépendant en janvier 2026, "
        "a atteint 100 000 stars GitHub en quelques jours.",
        "OpenClaw a atteint 100 000 stars GitHub en quelques jours",
    ),
    (  # the apposition after the object goes
        "OpenAI a lancé Prism, un espace de travail LaTeX gratuit qui centralise rédaction, "
        "collaboration en temps réel et assistance GPT-5.2 pour scientifiques.",
        "OpenAI lance Prism",
    ),
    (  # « vient de » + a regular -er verb: the present
        "Fiverr vient de créer la mascotte la plus malheureuse d’internet.",
        "Fiverr crée la mascotte la plus malheureuse d’internet",
    ),
    (  # a leading circumstance goes; the main clause stays whole
        "Trois mois après un lancement de GPT-5 en demi-teinte, OpenAI revient sur le devant "
        "de la scène avec GPT-5.1.",
        "OpenAI revient sur le devant de la scène avec GPT-5.1",
    ),
    (  # a reporting verb whose finding does not fit with it: the finding alone
        "Une enquête conjointe de SentinelOne et Censys révèle que 175 000 serveurs d’IA "
        "ouverte fonctionnent sans protection en ligne.",
        "175 000 serveurs d’IA ouverte fonctionnent sans protection en ligne",
    ),
    (  # a gerund clause goes
        "ChatGPT accélère la rédaction contractuelle en transformant la page blanche en "
        "brouillon en quelques heures.",
        "ChatGPT accélère la rédaction contractuelle",
    ),
    (  # apposition, a date at the end and an amount: the amount stays
        "Mistral AI, la start-up française fondée en 2023, a levé 600 millions d’euros auprès "
        "de fonds américains le 11 juin.",
        "Mistral AI a levé 600 millions d’euros auprès de fonds américains",
    ),
    (  # révéler → « révèle » changes its stem: the passé composé is kept, « hier » goes
        "Apple a révélé hier qu’il travaillait sur un nouveau modèle.",
        "Apple a révélé qu’il travaillait sur un nouveau modèle",
    ),
    (  # a horizon (« d'ici 2027 ») is not a date of the event; the attribution goes
        "42 % de toutes les tâches professionnelles seront automatisées d’ici 2027, selon le WEF.",
        "42 % de toutes les tâches professionnelles seront automatisées d’ici 2027",
    ),
    # Real ledes from OrangeSum dev that went wrong on the way:
    (  # one comma before the verb: what precedes it is a title, the name is the subject;
        # the date goes and « qu’ » right after the verb keeps what it reports
        "La maire de Paris, Anne Hidalgo a révélé lundi 22 juin qu’elle avait contracté une "
        "forme bénigne du Covid-19.",
        "Anne Hidalgo a révélé qu’elle avait contracté une forme bénigne du Covid-19",
    ),
    (  # « est » after « l’ » is a noun (the east), not the verb « être »
        "Un bar de l’est parisien, emblématique de la mouvance antifasciste, a été attaqué "
        "dans la soirée par des militants d’extrême droite.",
        "Un bar de l’est parisien a été attaqué dans la soirée",
    ),
    (  # a lede that opens on a short quotation keeps it whole, quotes closed
        "« Nous n’avons aucune idée du motif », précise une source proche du dossier.",
        "« Nous n’avons aucune idée du motif »",
    ),
]


def test_a_relative_que_before_the_verb_is_not_the_main_clause() -> None:
    # « Un entretien que détaille Le Figaro »: Le Figaro details it, not the other way round.
    [headline] = write_headlines(["Un entretien que détaille le journal Le Figaro."])
    assert headline != "Un entretien détaille le journal Le Figaro"
    assert count_words(headline) <= 12


@pytest.mark.parametrize(("lede", "expected"), LEDES, ids=[e for _, e in LEDES])
def test_a_lede_becomes_a_headline(lede: str, expected: str) -> None:
    assert write_headlines([lede]) == [expected]


# Ledes with no usable main clause or far too long: the fallback must still give a clean,
# short headline.
HARD_LEDES = [
    "Il a publié hier un rapport de quatre-vingts pages sur les usages de l’intelligence "
    "artificielle générative dans les administrations européennes et leurs sous-traitants.",
    "Les chercheurs de l’université de Stanford et de l’École polytechnique fédérale de "
    "Lausanne associés aux ingénieurs de plusieurs laboratoires industriels européens publient.",
    "Intelligence artificielle générative multimodale souveraine européenne ouverte "
    "responsable frugale explicable robuste sécurisée auditée certifiée interopérable.",
    "Pourquoi ?",
]


def test_hard_ledes_still_give_short_whole_word_headlines() -> None:
    endless = " ".join(["OpenAI publie un modèle"] + ["très"] * 20_000)  # no full stop at all
    ledes = [*HARD_LEDES, endless]
    for lede, headline in zip(ledes, write_headlines(ledes), strict=True):
        assert headline, lede
        assert count_words(headline) <= 12, headline
        assert not headline.endswith(("…", "...")), headline
        words = re.findall(r"[\w’'-]+", lede)
        assert all(w in words for w in re.findall(r"[\w’'-]+", headline)), headline  # no cut
        assert headline[0].isupper()


# -- subject and preheader ---------------------------------------------------------------------


def test_subject_joins_the_strongest_stories_names_in_french() -> None:
    strongest = [
        (
            "OpenAI revient sur le devant de la scène avec GPT-5.1",
            "Trois mois après GPT-5, OpenAI revient avec GPT-5.1. GPT-5.1 est plus chaleureux.",
        ),
        ("Il faut sauver le soldat Garry", "Fiverr vient de créer Garry, sa mascotte."),
        ("Claude Code change le terminal", "Claude Code, développé par Anthropic, code seul."),
    ]
    newsletter = NewsletterSettings(title="Le Fil IA")
    lines = write_issue_lines(strongest, "", newsletter, 3)
    assert lines.subject == "Le Fil IA n°3 — GPT-5.1, Garry et Claude Code"


def test_subject_keeps_as_many_topics_as_fit_and_never_cuts_a_word() -> None:
    topics = ["Anthropic Claude Opus 5 Sonnet", "Google Gemini Ultra Deep Think", "Mistral Large"]
    lines = issue_lines(topics, "", title="Le Fil IA", number=12)
    # Three topics make 96 characters, two make 81: one is kept, whole.
    assert lines.subject == "Le Fil IA n°12 — Anthropic Claude Opus 5 Sonnet"
    two = issue_lines(topics[:1] + topics[2:], "", title="Le Fil IA", number=12)
    assert two.subject == "Le Fil IA n°12 — Anthropic Claude Opus 5 Sonnet et Mistral Large"
    very_long = ["Un nom " * 20]
    alone = issue_lines(very_long, "", title="Le Fil IA", number=1)
    assert alone.subject == "Le Fil IA n°1"  # no topic fits: no dangling « — », no cut word
    long_title = issue_lines([], "", title="Lettre " * 15, number=1, subject_template="{title}")
    assert len(long_title.subject) <= MAX_SUBJECT_CHARS
    assert long_title.subject.split()[-1] == "Lettre"  # whole words only


def test_hostile_story_text_cannot_break_the_subject_header() -> None:
    lines = issue_lines(
        ["GPT-5.1\r\nBcc: victime@example.org", "Claude\x00Code"],
        "Une phrase\u2028assez longue pour servir d’aperçu dans une boîte de réception, "
        "avec\x1b[31m des caractères de contrôle glissés dans le texte source.",
        title="Le Fil IA",
        number=2,
    )
    for line in (lines.subject, lines.preheader):
        assert not any(ord(ch) < 32 or ch in "\u2028\u2029\x7f" for ch in line), line
    assert lines.subject == "Le Fil IA n°2 — GPT-5.1 Bcc: victime@example.org et ClaudeCode"


def test_templates_override_subject_and_preheader() -> None:
    summary = (
        "Anthropic publie Claude Opus 5, qui dépasse GPT-5 sur la plupart des tests de code "
        "et coûte deux fois moins cher. Cela change la donne."
    )
    lines = issue_lines(
        ["Claude Opus 5", "Gemini"],
        summary,
        title="Le Fil IA",
        number=7,
        subject_template="{title} n°{number} : {topics}",
        preheader_template="Cette semaine : {lead}",
    )
    assert lines.subject == "Le Fil IA n°7 : Claude Opus 5 et Gemini"
    assert lines.preheader == "Cette semaine : " + summary.split(" Cela")[0]


def test_preheader_is_a_whole_sentence_that_stands_alone() -> None:
    summary = (
        "Cette stratégie révèle l’évolution des rapports de force entre les géants du secteur. "
        "Le MIT vient de publier une étude : 95 % des projets d’IA en entreprise échouent à "
        "générer des revenus. Après 300 déploiements, le constat est sans appel."
    )
    sentence = preheader_sentence(summary)
    assert sentence.startswith("Le MIT vient de publier") and sentence.endswith("revenus.")
    assert 90 <= len(sentence) <= 140
    # Two short sentences together when one alone is too short for an inbox preview.
    assert preheader_sentence("OpenAI lance Prism. Prism est gratuit pour les chercheurs.") == (
        "OpenAI lance Prism. Prism est gratuit pour les chercheurs."
    )
    for opening in ("Cela ouvre la voie.", "De l’autre, tout s’accélère.", "Il a dit non."):
        assert opens_on_reference(opening)
    assert not opens_on_reference("Le MIT publie une étude.")


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{title} n°{numero}", "unknown placeholder {numero}"),
        ("{title!r}", "no format or conversion"),
        ("{title:>40}", "no format or conversion"),
        ("{title", "unbalanced braces"),
        ("{title}\r\nBcc: x@example.org", "one line"),
    ],
)
def test_bad_templates_are_refused(template: str, problem: str) -> None:
    assert any(problem in p for p in template_problems(template))


def test_unknown_placeholder_is_refused_at_config_load(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "newsletter:\n  title: Test\n  subject_template: '{title} n°{number} : {sujets}'\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert "newsletter.subject_template: unknown placeholder {sujets}" in str(caught.value)
    assert caught.value.exit_code == 2


def test_stored_subject_and_preheader_are_what_render_and_mail_use() -> None:
    settings = load_settings(REPO / "feeds.yaml", env={})
    entry = Entry("Titre", "Résumé.", (Link("https://example.org/1"),), (1,), ("feed",))
    issue = Issue(
        1,
        IssueStatus.DRAFT,
        NOW,
        NOW,
        NOW,
        (Section("t", "Rubrique", (), (entry,)),),
        subject="Objet choisi par la rédaction",
        preheader="Aperçu choisi par la rédaction.",
    )
    rendered = render_issue(issue, {}, settings)
    assert rendered.subject == "Objet choisi par la rédaction"
    assert "<title>Objet choisi par la rédaction</title>" in rendered.html
    assert "Aperçu choisi par la rédaction." in rendered.html


# -- stored, and on the seeds ------------------------------------------------------------------


def test_subject_and_preheader_survive_the_store(store: Store) -> None:
    entry = Entry("Titre", "Résumé.", (), (1,), ("feed",))
    draft = Issue(
        4,
        IssueStatus.DRAFT,
        NOW - timedelta(days=7),
        NOW,
        NOW,
        (Section("t", "Rubrique", (), (entry,)),),
        subject="Le Fil IA n°4 — GPT-5.1 et Claude Code",
        preheader="OpenAI revient avec GPT-5.1, plus chaleureux et plus sûr.",
    )
    store.save_draft(draft, NOW)
    stored = store.get_issue(4)
    assert stored is not None
    assert (stored.subject, stored.preheader) == (draft.subject, draft.preheader)


@pytest.fixture(scope="module")
def seeds(
    tmp_path_factory: pytest.TempPathFactory, seed_issue: SeedIssue
) -> tuple[Settings, Store, Issue]:
    """The shipped documents built into issue 1 (SQLite: the build is what is tested)."""
    settings = load_settings(REPO / "feeds.yaml", env={})
    return settings, seed_issue.copy(tmp_path_factory.mktemp("seeds")), seed_issue.issue


def test_seed_headlines_are_short_and_never_cut(seeds: tuple[Settings, Store, Issue]) -> None:
    _, store, issue = seeds
    derived = {i.id for i in store.list_items() if i.title_derived}
    titles = [e.title for e in issue.entries]
    assert not [t for t in titles if t.endswith(("…", "..."))]
    untitled = [e.title for e in issue.entries if e.item_ids[0] in derived]
    assert len(untitled) >= 10
    assert all(count_words(t) <= 12 for t in untitled), untitled
    assert "Zilliz publie un modèle de semantic highlighting bilingue" in untitled
    assert all(not t[0].islower() and not t.endswith((",", ":", " de", " la")) for t in untitled)


def test_seed_subject_and_preheader(seeds: tuple[Settings, Store, Issue], tmp_path: Path) -> None:
    settings, store, issue = seeds
    assert issue.subject.startswith("Le Fil IA n°1 — ")
    assert len(issue.subject) <= MAX_SUBJECT_CHARS
    assert " et " in issue.subject  # two or three stories, joined in French
    assert 90 <= len(issue.preheader) <= 140 and issue.preheader.endswith((".", "»", "!", "?"))
    blurbs = {b.text for s in issue.sections for b in s.blurb}
    assert issue.preheader not in blurbs and not opens_on_reference(issue.preheader)
    assert any(issue.preheader in e.summary for e in issue.entries)  # a story's own words
    run_render(store, settings, issue.number, tmp_path, NOW)
    message = email.message_from_bytes(
        (tmp_path / "sample.eml").read_bytes(), policy=email.policy.default
    )
    # The stored subject as the editor wrote or the build made it; the mail typesets it.
    assert str(message["Subject"]) == french(issue.subject)
    assert str(message["Subject"]).startswith("Le Fil IA n°\u202f1 — ")
    document = json.loads((tmp_path / "issue.json").read_text(encoding="utf-8"))["issue"]
    assert (document["subject"], document["preheader"]) == (issue.subject, issue.preheader)


def test_blurb_references_cite_the_headline_readers_see(
    seeds: tuple[Settings, Store, Issue], tmp_path: Path
) -> None:
    """A blurb sentence's reference names its story by the headline of its entry: the
    stored lede cut with « … » must not come back through the footnotes."""
    settings, store, issue = seeds
    run_render(store, settings, issue.number, tmp_path, NOW)
    text = (tmp_path / "issue.txt").read_text(encoding="utf-8")
    html = (tmp_path / "issue.html").read_text(encoding="utf-8")
    assert "…\n" not in text and "semantic highlighting…" not in html
    document = json.loads((tmp_path / "issue.json").read_text(encoding="utf-8"))["issue"]
    for section in document["sections"]:
        headlines = {e["title"] for e in section["entries"]}
        assert all(b["title"] in headlines for b in section["blurb"]), section["title"]
