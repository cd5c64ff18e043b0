"""A story already sent is never built again unless an editor adds it back (issue 13,
item 4), on a real store through the command line: the trap of the issue (nothing new,
`--since` widened, issue 2 built with all of issue 1's stories and mailed under the same
subject) and what keeps it shut (a re-ingest, an approved issue, a rebuilt draft)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.app.build import rebuild_draft, run_build
from digest.cli import main
from digest.config import load_settings
from digest.errors import UsageError
from digest.models import IssueStatus
from digest.store import Store, open_store, utcnow

from .conftest import DOCUMENTS, REPO
from .test_overrides import STORIES, add_story

DOCS = ("003_186302cdc7413e06.txt", "004_c8bb9166e346ef4b.txt")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    folder.mkdir()
    for name in DOCS:
        shutil.copy(DOCUMENTS / name, folder / name)
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "newsletter: {title: Le Fil IA}\n"
        "documents: [documents]\n"
        "mail: {from: 'Le Fil IA <lettre@example.org>', outbox_dir: out}\n",
        encoding="utf-8",
    )
    return path


def digest(config: Path, database_url: str, *args: str) -> tuple[int, str, str]:
    env = {"DIGEST_DATABASE_URL": database_url, "DIGEST_OFFLINE": "1"}
    result = CliRunner().invoke(main, ["--config", str(config), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def sent_first_issue(config: Path, database_url: str) -> None:
    """Ingest, build, approve and send issue 1 to one reader (the outbox)."""
    for args in (
        ("ingest",),
        ("build",),
        ("approve", "1"),
        ("subscribers", "add", "ed@example.org"),
        ("send", "1"),
    ):
        code, out, err = digest(config, database_url, *args)
        assert code == 0, (args, out, err)


def test_since_cannot_resurrect_the_stories_already_sent(
    config: Path, migrated_database_url: str, tmp_path: Path
) -> None:
    sent_first_issue(config, migrated_database_url)
    code, out, _ = digest(config, migrated_database_url, "build")
    assert code == 0 and "nothing new" in out
    code, out, _ = digest(config, migrated_database_url, "build", "--since", "2020-01-01")
    assert code == 0, out
    assert "10 stories went out in an earlier issue; no issue built" in out
    assert "--add-back ITEM_ID" in out
    store = open_store(migrated_database_url)
    try:
        assert [i.number for i in store.list_issues()] == [1]  # no issue 2
    finally:
        store.close()
    code, out, _ = digest(config, migrated_database_url, "approve", "2")
    assert code != 0  # nothing to approve, so nothing to mail under issue 1's subject
    assert len(list((tmp_path / "out" / "issue-1").glob("*.eml"))) == 1


def test_a_story_added_back_is_built_and_a_repeated_subject_is_told(
    config: Path, migrated_database_url: str
) -> None:
    sent_first_issue(config, migrated_database_url)
    store = open_store(migrated_database_url)
    try:
        first = store.get_issue(1)
        assert first is not None and first.status is IssueStatus.SENT
        carried = sorted({i for e in first.entries for i in e.item_ids})
    finally:
        store.close()
    code, out, err = digest(config, migrated_database_url, "build", "--add-back", str(carried[0]))
    assert code == 0 and "built draft issue 2: 1 sections, 1 entries" in out
    assert "warning" not in err  # one story: another subject
    add_back = [arg for item in carried for arg in ("--add-back", str(item))]
    code, out, err = digest(config, migrated_database_url, "build", *add_back)
    assert code == 0, err
    assert "rebuilt draft issue 2" in out and f"{len(first.entries)} entries" in out
    assert "warning: issue 2 would go out under the subject of issue 1" in err
    # A rebuild of the draft, `--since` widened and nothing added back, keeps them all.
    code, out, err = digest(config, migrated_database_url, "build", "--since", "2020-01-01")
    assert code == 0 and f"rebuilt draft issue 2: 1 sections, {len(first.entries)} entries" in out
    for missing in ("999999", "99999999999"):  # the second is past PostgreSQL's INTEGER
        code, _, err = digest(config, migrated_database_url, "build", "--add-back", missing)
        assert code == 2 and f"--add-back: no item {missing}" in err


def test_sent_stories_stay_out_after_a_changed_document_is_ingested_again(
    config: Path, migrated_database_url: str
) -> None:
    sent_first_issue(config, migrated_database_url)
    document = config.parent / "documents" / DOCS[0]
    # A changed file: its stories are replaced by new rows with new ids.
    document.write_text(document.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    store = open_store(migrated_database_url)
    try:
        before = {i.id for i in store.list_items()}
        code, _, err = digest(config, migrated_database_url, "ingest")
        assert code == 0, err
        after = store.list_items()
        assert before.isdisjoint(i.id for i in after if i.source_name == DOCS[0])
        settings = load_settings(config, env={"DIGEST_DATABASE_URL": migrated_database_url})
        result = run_build(store, settings, utcnow(), since=utcnow() - timedelta(days=3650))
        assert result.issue is None and result.already_sent == len(after)
    finally:
        store.close()


def test_an_approved_issue_s_stories_are_not_built_again_and_a_rebuild_keeps_added_back(
    store: Store, config: Path
) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    code, _, err = digest(config, url, "ingest")
    assert code == 0, err
    settings = load_settings(config, env={"DIGEST_DATABASE_URL": url})
    now = utcnow()
    first = run_build(store, settings, now).issue
    assert first is not None
    store.approve_issue(first.number, now)  # approved, not sent yet: its stories are taken
    assert run_build(store, settings, now).issue is None
    item = first.entries[0].item_ids[0]
    second = run_build(store, settings, now, added_back=[item]).issue
    assert second is not None and [i for e in second.entries for i in e.item_ids] == [item]
    rebuilt = rebuild_draft(store, settings, now)  # the preview's rebuild on a config change
    assert rebuilt is not None and rebuilt.issue is not None
    assert [i for e in rebuilt.issue.entries for i in e.item_ids] == [item]
    with pytest.raises(UsageError):
        run_build(store, settings, now, added_back=[item + 10_000])


def test_the_migration_records_the_stories_of_issues_sent_before_it(
    config: Path, database_url: str
) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from digest.store import alembic_dir

    sent_first_issue(config, database_url)
    engine = create_engine(database_url)
    alembic = Config()
    alembic.set_main_option("script_location", str(alembic_dir()))
    with engine.begin() as conn:  # back to before sent stories were recorded
        alembic.attributes["connection"] = conn
        command.downgrade(alembic, "0011_issue_pages")
    engine.dispose()
    code, out, _ = digest(config, database_url, "build", "--since", "2020-01-01")
    assert code == 0 and "10 stories went out in an earlier issue" in out


def test_a_rebuild_on_a_configuration_change_keeps_the_draft_s_own_start(
    store: Store,
) -> None:
    """A draft built with --since holds older stories; the preview's rebuild (a changed
    configuration) once started it again at the default period and lost them."""
    settings = load_settings(REPO / "feeds.yaml", env={})
    now = utcnow()
    old = add_story(store, now - timedelta(days=30), "mistral", *STORIES["mistral"])
    draft = run_build(store, settings, now, since=now - timedelta(days=40)).issue
    assert draft is not None and old in {i for e in draft.entries for i in e.item_ids}
    new = add_story(store, now, "faille", *STORIES["faille"])
    rebuilt = rebuild_draft(store, settings, now)
    assert rebuilt is not None and rebuilt.issue is not None
    assert rebuilt.issue.number == draft.number
    assert {old, new} <= {i for e in rebuilt.issue.entries for i in e.item_ids}
