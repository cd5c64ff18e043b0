"""What `digest edit` says an edit did (digest/app/edit_report.py): the overrides before
and after, in the words of the draft the editor sees. Pure: the seed issue as built."""

from __future__ import annotations

import pytest

from digest.app.edit_report import QUOTED_MAX, quoted, report_edit
from digest.app.overrides import blurb_keys
from digest.models import AddedLink, BlurbEdit, Issue, IssueEdits

from .conftest import SeedIssue


@pytest.fixture
def built(seed_issue: SeedIssue) -> Issue:
    return seed_issue.issue


def test_undoing_each_override_is_said_as_such(built: Issue) -> None:
    first, second = built.sections[0], built.sections[1]
    a, b = first.entries[0], first.entries[1]
    sentence_key = blurb_keys(first)[0]
    link = AddedLink("https://ex.org/a", "Un lien", "", first.theme_id)
    before = IssueEdits(
        subject="Objet",
        note="Bonjour.",
        dropped=frozenset({a.key}),
        moves={b.key: second.theme_id},
        lead=b.key,
        titles={b.key: "Titre"},
        summaries={b.key: "Résumé"},
        blurbs={sentence_key: BlurbEdit("Phrase.", first.blurb[0].text)},
        links=(link,),
    )
    report = report_edit(built, before, IssueEdits())
    assert report.applied == (
        "subject back to the build's",
        "note back to the build's",
        f"1 story put back ({quoted(a.title)})",
        f"1 story moved back ({quoted(b.title)})",
        "lead unpinned",
        f"title of {quoted(b.title)} back to the build's",
        f"summary of {quoted(b.title)} back to the build's",
        f"blurb sentence {quoted(first.blurb[0].text)} back to the build's",
        "link « Un lien » removed",
    )
    assert report.not_applied == ()


def test_a_changed_link_and_a_moved_story_name_their_section(built: Issue) -> None:
    first, second = built.sections[0], built.sections[1]
    story = first.entries[0]
    link = AddedLink("https://ex.org/a", "Un lien", "", first.theme_id)
    before = IssueEdits(links=(link,))
    after = IssueEdits(
        links=(AddedLink(link.url, "Un autre titre", "", first.theme_id),),
        moves={story.key: second.theme_id},
    )
    assert report_edit(built, before, after).applied == (
        f"1 moved ({quoted(story.title)} to {quoted(second.title)})",
        "link « Un autre titre » changed",
    )


def test_overrides_the_draft_cannot_apply_are_listed_as_kept(built: Issue) -> None:
    """A story a rebuild lost: its override stays for a later build, and the editor is
    told it does nothing now, after what the view itself could not apply."""
    after = IssueEdits(dropped=frozenset({"999999"}), titles={"999998": "Titre"})
    report = report_edit(built, IssueEdits(), after, ["sections[1].title: …"])
    assert report.applied == (
        "1 story dropped (story 999999)",
        "title of « Titre » rewritten",
    )
    assert report.not_applied == (
        "sections[1].title: …",
        "drop 999999: no such story in this build (kept)",
        "title 999998: no such story in this build (kept)",
    )


def test_an_override_with_no_visible_effect_is_not_a_silent_line(built: Issue) -> None:
    """The order of a section given again as the build has it: the overrides differ, the
    email does not; the report says so rather than « applied: » and nothing."""
    section = built.sections[0]
    same = IssueEdits(entry_order={section.theme_id: tuple(e.key for e in section.entries)})
    assert report_edit(built, IssueEdits(), same).applied == ("no visible change",)
    assert report_edit(built, same, same).applied == ()


def test_a_long_title_is_cut_where_it_is_quoted() -> None:
    long = "x" * 100
    assert quoted(long) == f"« {'x' * (QUOTED_MAX - 1)}… »"
    assert quoted("court") == "« court »"
