"""The command line, run in-process with click's CliRunner on a real store."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.app.build import run_build
from digest.cli import main
from digest.config import load_settings
from digest.ingest.documents import ingest_documents
from digest.store import Store

from .conftest import DOCUMENTS, REPLAYS, REPO, SEED_NOW, SeedIssue, build_key

# Read where they are shipped, not copied into each test's folder: the sources stored are
# then the same in every test, so a build from them can be replayed (REPLAYS).
TWO_DOCUMENTS = [DOCUMENTS / "003_186302cdc7413e06.txt", DOCUMENTS / "004_c8bb9166e346ef4b.txt"]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "newsletter: {title: Test}\n"
        f"documents: {json.dumps([str(document) for document in TWO_DOCUMENTS])}\n"
        "feeds:\n  - {name: nowhere, url: 'http://127.0.0.1:9/feed.xml'}\n",
        encoding="utf-8",
    )
    return path


def run(config: Path, database_url: str, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    env = {"DIGEST_DATABASE_URL": database_url, "DIGEST_OFFLINE": ""}
    result = runner.invoke(main, ["--config", str(config), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_ingest_lists_each_source_and_where_the_data_went(
    config: Path, migrated_database_url: str
) -> None:
    code, out, _ = run(config, migrated_database_url, "--offline", "ingest")
    assert code == 0, out
    assert "003_186302cdc7413e06.txt" in out and "nowhere" in out and "offline" in out
    assert "10 new items" in out and "stored in" in out
    code, out, _ = run(config, migrated_database_url, "--offline", "ingest")
    assert code == 0 and "0 new items" in out and "2 unchanged" in out


def test_a_dead_feed_is_listed_and_the_run_still_succeeds(
    config: Path, migrated_database_url: str
) -> None:
    code, out, _ = run(config, migrated_database_url, "ingest")
    assert code == 0
    assert "failed" in out and "nowhere" in out
    code, out, _ = run(config, migrated_database_url, "status", "--json")
    sources = {s["name"]: s for s in json.loads(out)["sources"]}
    assert sources["nowhere"]["consecutive_failures"] == 1
    assert sources["nowhere"]["next_attempt_at"] is not None
    assert sources["004_c8bb9166e346ef4b.txt"]["items"] == 1


def test_items_json_is_the_documented_shape(config: Path, migrated_database_url: str) -> None:
    run(config, migrated_database_url, "--offline", "ingest")
    code, out, _ = run(
        config, migrated_database_url, "items", "--source", "003_186302cdc7413e06.txt", "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["version"] == 1
    assert len(data["items"]) == 9
    boss = data["items"][2]
    assert set(boss) == {
        "id",
        "source",
        "source_kind",
        "key",
        "kind",
        "position",
        "section",
        "title",
        "title_derived",
        "text",
        "enjeux",
        "links",
        "url",
        "author",
        "language",
        "published_at",
        "fetched_at",
        "credit",
        "origin",
        "event_date",
    }
    assert boss["title"] == "Le boss démâte" and boss["enjeux"] and boss["kind"] == "story"
    assert boss["published_at"].endswith("Z")


def test_unknown_source_is_a_usage_error(config: Path, database_url: str) -> None:
    code, _, err = run(config, database_url, "ingest", "--source", "nope")
    assert code == 2
    assert "--source nope: no such source" in err and "nowhere" in err


def test_bad_config_exits_2_with_every_problem(tmp_path: Path, database_url: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("newsletter: {}\nfeeds: [{name: x, url: nope}]\n", encoding="utf-8")
    code, _, err = run(path, database_url, "ingest")
    assert code == 2
    assert "newsletter.title: missing" in err and "feeds[0].url: not an http(s) URL" in err


def test_unreachable_database_exits_1_with_a_hint(config: Path) -> None:
    code, _, err = run(config, "postgresql+psycopg://nobody@127.0.0.1:1/none", "status")
    assert code == 1
    assert "cannot open database" in err and "hint:" in err


def test_help_does_not_import_heavy_libraries() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from digest.cli import main\n"
        "heavy = {'feedparser', 'httpx', 'sqlalchemy', 'ftfy', 'py3langid', 'nh3'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_the_group_knows_the_module_of_every_command() -> None:
    """The group imports a command's module from COMMAND_MODULES only when the command
    runs: the map names every command each module of digest.cli declares, and no other."""
    import importlib
    import pkgutil

    import digest.cli
    from digest.cli import COMMAND_MODULES

    declared = {}
    for module_info in pkgutil.iter_modules(digest.cli.__path__):
        if module_info.name == "__main__":  # runs the command line when imported
            continue
        module = importlib.import_module(f"digest.cli.{module_info.name}")
        for command in getattr(module, "COMMANDS", ()):
            declared[command.name] = module_info.name
    assert declared == COMMAND_MODULES
    help_text = CliRunner().invoke(main, ["--help"]).stdout
    assert all(f"  {name} " in help_text for name in COMMAND_MODULES)


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["stauts"])
    assert result.exit_code == 2
    assert "No such command 'stauts'" in result.stderr


# -- issue 13, item 6: dates and issue numbers --------------------------------------------


def test_since_after_until_is_a_usage_error_in_the_newsletter_s_timezone(
    config: Path, migrated_database_url: str
) -> None:
    code, _, err = run(
        config, migrated_database_url, "build", "--since", "2026-11-20", "--until", "2026-11-19"
    )
    assert code == 2
    assert "the period is empty: it starts at 2026-11-20 00:00 Europe/Paris (--since)" in err
    assert "its end 2026-11-19 00:00 Europe/Paris (--until)" in err


def test_the_build_echoes_its_period_in_the_newsletter_s_timezone(
    config: Path, migrated_database_url: str
) -> None:
    # 23:00 UTC on 19 November is midnight in Paris: the operator typed 2026-11-20.
    code, out, _ = run(
        config,
        migrated_database_url,
        "build",
        "--since",
        "2026-11-20",
        "--until",
        "2026-11-21T08:00",
    )
    assert code == 0
    assert "between 2026-11-20 00:00 Europe/Paris and 2026-11-21 08:00 Europe/Paris" in out
    assert "UTC" not in out


def built_issue(store: Store, config: Path, now: datetime) -> int:
    """The config's documents ingested and built into an issue, its number returned: only
    the arrangement of the tests below (the commands `ingest` and `build` have their own
    tests above), so after the first build its rows are written back (REPLAYS)."""

    def ingest_and_build() -> int:
        ingest_documents(store, TWO_DOCUMENTS, now - timedelta(hours=1))
        issue = run_build(store, settings, now).issue
        assert issue is not None
        return issue.number

    settings = load_settings(config, env={})
    return REPLAYS.run(store, build_key(settings, now, TWO_DOCUMENTS), ingest_and_build)


@pytest.mark.parametrize(
    "args",
    [
        ("show", "7"),
        ("show", "7", "--json"),
        ("render", "7", "--out", "rendered"),
        ("approve", "7"),
        ("unapprove", "7"),
        ("send", "7"),
        ("send", "7", "--dry-run"),
        ("send", "7", "--test", "ed@example.org"),
    ],
)
def test_an_unknown_issue_exits_2_with_the_issues_there_are(
    config: Path, store: Store, database_url: str, args: tuple[str, ...], now: datetime
) -> None:
    assert built_issue(store, config, now) == 1
    code, _, err = run(config, database_url, *args)
    assert code == 2, err
    assert "no issue 7 (issues: 1)" in err and "Traceback" not in err


# -- issue 13's leftovers: a command the issue's status refuses exits 2, like a wrong ISSUE --


def seed_issue_at(seed_issue: SeedIssue, tmp_path: Path, status: str) -> str:
    """The seed issue's database, with issue 1 taken to `status` the way a send takes it
    (approved, its deliveries opened, closed: no subscriber, so nothing is left to send)."""
    store = seed_issue.copy(tmp_path)
    try:
        if status != "draft":
            store.approve_issue(1, SEED_NOW)
        if status in ("sending", "sent"):
            store.open_deliveries(1, SEED_NOW)
        if status == "sent":
            assert store.close_issue_if_done(1, SEED_NOW)
    finally:
        store.close()
    return f"sqlite:///{tmp_path / 'digest.db'}"


@pytest.mark.parametrize(
    ("status", "args", "message"),
    [
        ("sent", ("approve", "1"), "issue 1 is sent; only a draft can be approved"),
        ("sending", ("approve", "1"), "issue 1 is sending; only a draft can be approved"),
        ("sent", ("unapprove", "1"), "issue 1 is sent: its send has started"),
        ("sending", ("unapprove", "1"), "issue 1 is sending: its send has started"),
        ("sent", ("edit", "1"), "issue 1 is sent: it has gone out and cannot change"),
        ("sending", ("edit", "1"), "issue 1 is sending: it has gone out and cannot change"),
        ("approved", ("edit", "1"), "issue 1 is approved: it cannot be edited"),
        ("draft", ("send", "1"), "issue 1 is a draft, not approved"),
    ],
)
def test_a_command_the_issues_status_refuses_exits_2(
    seed_issue: SeedIssue, tmp_path: Path, status: str, args: tuple[str, ...], message: str
) -> None:
    """One rule for every command (README, exit codes): the command was given an issue it
    cannot act on, as with an ISSUE that names no issue; nothing is changed."""
    database = seed_issue_at(seed_issue, tmp_path, status)
    config = str(REPO / "feeds.yaml")
    env = {"DIGEST_DATABASE_URL": database, "EDITOR": "false"}  # edit must refuse before it
    result = CliRunner().invoke(main, ["--config", config, *args], env=env)
    assert result.exit_code == 2, result.output
    assert f"error: {message}" in result.stderr and "Traceback" not in result.stderr
    shown = CliRunner().invoke(main, ["--config", config, "show", "1", "--json"], env=env)
    assert json.loads(shown.stdout)["issue"]["status"] == status


# -- issue 13, item 5: safe defaults; the offline quick start still sends its demo issue ----


def quick_start_config(tmp_path: Path) -> Path:
    docs = tmp_path / "documents"
    docs.mkdir(exist_ok=True)
    shutil.copy(DOCUMENTS / "004_c8bb9166e346ef4b.txt", docs / "004.txt")
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "newsletter: {title: Test}\ndocuments: [documents]\n"
        "mail: {from: 'T <t@example.org>', outbox_dir: outbox, auto_approve: false, "
        "demo_subscriber: 'Lectrice <lecteur@example.org>'}\n",
        encoding="utf-8",
    )
    return path


def test_the_offline_quick_start_approves_its_draft_and_mails_the_demo_reader(
    tmp_path: Path, database_url: str
) -> None:
    config = quick_start_config(tmp_path)
    code, out, err = run(config, database_url, "--offline", "run")
    assert code == 0, err
    assert "quick start: issue 1 approved for the offline outbox" in out
    assert len(list((tmp_path / "outbox" / "issue-1").glob("*.eml"))) == 1
    code, out, _ = run(config, database_url, "subscribers", "list")
    assert "lecteur@example.org" in out


def test_outside_the_quick_start_a_draft_waits_and_no_demo_reader_is_added(
    tmp_path: Path, database_url: str
) -> None:
    config = quick_start_config(tmp_path)
    code, out, err = run(config, database_url, "run")  # not --offline: not the quick start
    assert code == 0, err
    assert "issue 1 is a draft: review it (digest preview), then digest approve 1" in out
    assert "quick start" not in out
    assert list((tmp_path / "outbox" / "issue-1").glob("*.eml")) == []
    code, out, _ = run(config, database_url, "status", "--json")
    assert json.loads(out)["issue"]["status"] == "draft"
    code, out, _ = run(config, database_url, "subscribers", "list")
    assert "lecteur@example.org" not in out
