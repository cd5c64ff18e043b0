"""digest subscribers add / import / list / remove through the CLI, on a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.models import SubscriberStatus
from digest.store import open_store


@pytest.fixture
def run(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    config = tmp_path / "feeds.yaml"
    config.write_text("newsletter: {title: Test}\n", encoding="utf-8")

    def invoke(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            main, ["--config", str(config), *args], env={"DIGEST_DATABASE_URL": database_url}
        )
        return result.exit_code, result.stdout, result.stderr

    return invoke


def test_add_validates_and_is_unique_whatever_the_case(run, database_url: str) -> None:  # type: ignore[no-untyped-def]
    assert run("subscribers", "add", "ada@example.org", "--name", "Ada")[0] == 0
    code, _, err = run("subscribers", "add", "ADA@Example.org")
    assert code == 1 and "already subscribed" in err
    code, _, err = run("subscribers", "add", "not-an-address")
    assert code == 1 and "not a valid address" in err
    store = open_store(database_url)
    assert [(s.email, s.name, s.status) for s in store.list_subscribers()] == [
        ("ada@example.org", "Ada", SubscriberStatus.ACTIVE)
    ]
    store.close()


def test_import_with_bad_lines_imports_nothing(run, tmp_path: Path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    run("subscribers", "add", "old@example.org")
    store = open_store(database_url)
    gone = store.add_subscribers(
        [("gone@example.org", None)],
        SubscriberStatus.ACTIVE,
        store.list_subscribers()[0].created_at,
    )[0]
    store.set_subscriber_status(gone.id, SubscriberStatus.UNSUBSCRIBED, gone.created_at)
    csv = tmp_path / "people.csv"
    csv.write_text(
        "email,name\nnew@example.org,New\nnope,Bad\nnew@EXAMPLE.org,Twice\n"
        "old@example.org,Old\ngone@example.org,Gone\n",
        encoding="utf-8",
    )
    code, _, err = run("subscribers", "import", str(csv))
    assert code == 1 and "4 bad line(s), nothing imported" in err
    assert "line 3: nope: invalid" in err
    assert "line 4: new@EXAMPLE.org: duplicate of line 2" in err
    assert "line 5: old@example.org: already a subscriber (active)" in err
    assert "line 6: gone@example.org: unsubscribed: never re-added by an import" in err
    assert len(store.list_subscribers()) == 2  # nothing half-imported
    good = tmp_path / "good.csv"
    good.write_text("name,email\nZoë,zoe@example.org\n,yann@example.org\n", encoding="utf-8")
    code, out, _ = run("subscribers", "import", str(good))
    assert code == 0 and "imported 2 subscribers" in out
    assert {s.email for s in store.list_subscribers()} >= {"zoe@example.org", "yann@example.org"}
    store.close()


def test_list_filters_and_json_and_remove(run) -> None:  # type: ignore[no-untyped-def]
    run("subscribers", "add", "a@example.org")
    run("subscribers", "add", "p@example.org", "--pending")
    code, out, _ = run("subscribers", "list", "--status", "pending")
    assert code == 0 and out.split() == ["p@example.org", "pending"]
    code, out, _ = run("subscribers", "list", "--json")
    data = json.loads(out)
    assert data["version"] == 1 and {s["email"] for s in data["subscribers"]} == {
        "a@example.org",
        "p@example.org",
    }
    assert run("subscribers", "remove", "A@example.org")[0] == 0
    code, _, err = run("subscribers", "remove", "a@example.org")
    assert code == 1 and "no subscriber" in err
