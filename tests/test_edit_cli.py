"""`digest edit` (issue 13, item 3): the YAML view in $EDITOR, applied all or nothing, or
an error naming the line and the key. The editor is a real program (a Python script
given as $EDITOR), run by click as it runs vim."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from digest.app.edit_report import quoted
from digest.cli import main

from .conftest import REPO, SeedIssue


@pytest.fixture
def database(seed_issue: SeedIssue, tmp_path: Path) -> str:
    seed_issue.copy(tmp_path).close()
    return f"sqlite:///{tmp_path / 'digest.db'}"


def digest(database: str, *args: str, editor: Path | None = None) -> tuple[int, str, str]:
    env = {
        "DIGEST_DATABASE_URL": database,
        "EDITOR": f"{sys.executable} {editor}" if editor else "",
    }
    result = CliRunner().invoke(main, ["--config", str(REPO / "feeds.yaml"), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def editor(tmp_path: Path, body: str) -> Path:
    """A program that edits the YAML view as `body` says (doc: the parsed view)."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, yaml\n"
        "path = sys.argv[1]\n"
        "doc = yaml.safe_load(open(path, encoding='utf-8'))\n"
        f"{body}\n"
        "yaml.safe_dump(doc, open(path, 'w', encoding='utf-8'), allow_unicode=True,"
        " sort_keys=False)\n",
        encoding="utf-8",
    )
    return script


def shown(database: str) -> dict[str, Any]:
    code, out, _ = digest(database, "show", "1", "--json")
    assert code == 0
    return json.loads(out)["issue"]


def test_the_view_names_every_story_by_its_key(database: str) -> None:
    code, out, _ = digest(database, "edit", "1", "--print")
    assert code == 0
    view = yaml.safe_load(out)
    issue = shown(database)
    assert view["subject"] == issue["subject"]
    assert [s["section"] for s in view["sections"]] == [s["theme"] for s in issue["sections"]]
    assert [e["story"] for s in view["sections"] for e in s["entries"]] == [
        e["key"] for s in issue["sections"] for e in s["entries"]
    ]
    assert view["dropped"] == []


def test_an_edit_in_the_editor_is_applied(database: str, tmp_path: Path) -> None:
    before = shown(database)
    first, second = before["sections"][0], before["sections"][1]
    dropped, moved, retitled = (e["key"] for e in first["entries"][:3])
    script = editor(
        tmp_path,
        f"""
doc["subject"] = "L’objet de la rédaction"
doc["note"] = "Bonjour *à tous*."
first, second = doc["sections"][0], doc["sections"][1]
entries = {{e["story"]: e for e in first["entries"]}}
doc["dropped"].append({{"story": "{dropped}"}})
second["entries"].insert(0, entries["{moved}"])
entries["{retitled}"]["title"] = "Un titre de la rédaction"
first["entries"] = [e for e in first["entries"] if e["story"] not in ("{dropped}", "{moved}")]
second["entries"].append({{"url": "https://ex.org/a", "title": "Un lien", "summary": "À lire."}})
""",
    )
    code, out, err = digest(database, "edit", "1", editor=script)
    assert code == 0, err
    titles = {e["key"]: e["title"] for e in first["entries"]}
    assert out == (
        f"issue 1: applied: subject, note, 1 story dropped ({quoted(titles[dropped])}), "
        f"1 moved ({quoted(titles[moved])} to {quoted(second['title'])}), "
        f"title of {quoted(titles[retitled])} rewritten, link « Un lien » added; "
        "see it with: digest show 1\n"
    )
    after = shown(database)
    assert (after["subject"], after["note"]) == ("L’objet de la rédaction", "Bonjour *à tous*.")
    keys = {s["theme"]: [e["key"] for e in s["entries"]] for s in after["sections"]}
    assert dropped not in {k for ks in keys.values() for k in ks}
    assert keys[second["theme"]][0] == moved
    assert keys[second["theme"]][-1].startswith("lien-")
    retitled_entry = next(e for e in after["sections"][0]["entries"] if e["key"] == retitled)
    assert retitled_entry["title"] == "Un titre de la rédaction"
    assert retitled_entry["edited_by"] == {"title": "editor"}
    # Opening it again and saving nothing changes nothing.
    code, out, _ = digest(database, "edit", "1", editor=editor(tmp_path, "pass"))
    assert (code, out) == (0, "issue 1: nothing changed\n")
    assert shown(database) == after


def test_a_mistake_names_its_line_and_key_and_applies_nothing(
    database: str, tmp_path: Path
) -> None:
    before = shown(database)
    script = editor(
        tmp_path,
        'doc["subject"] = "Changé"\ndoc["sections"][0]["entries"][1]["titel"] = "Faute"',
    )
    code, _, err = digest(database, "edit", "1", editor=script)
    assert code == 2
    view = next(Path(p) for p in err.split() if p.endswith(".yaml"))
    line = next(i for i, text in enumerate(view.read_text().splitlines(), 1) if "titel:" in text)
    assert f"error: line {line}, sections[1].entries[2].titel: unknown key" in err
    assert shown(database) == before  # not even the subject
    # The kept file, fixed, applies with --file.
    fixed = [text for text in view.read_text().splitlines() if "titel:" not in text]
    view.write_text("\n".join(fixed), encoding="utf-8")
    code, _, err = digest(database, "edit", "1", "--file", str(view))
    assert code == 0, err
    assert shown(database)["subject"] == "Changé"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('doc["sections"][0]["entries"][0]["story"] = "999999"', "no story '999999' in this issue"),
        ('doc["sections"][0]["section"] = "cuisine"', "no section 'cuisine' in this issue"),
        ('doc["subject"] = "deux\\nlignes"', "subject: line breaks or control characters (U+000A)"),
        (
            'doc["sections"][0]["entries"].append({"url": "javascript:alert(1)"})',
            "is not a web address",
        ),
    ],
)
def test_what_cannot_apply_is_refused(
    database: str, tmp_path: Path, change: str, message: str
) -> None:
    before = shown(database)
    code, _, err = digest(database, "edit", "1", editor=editor(tmp_path, change))
    assert code == 2 and message in err, err
    assert shown(database) == before


def test_invalid_yaml_names_its_line(database: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("subject: x\nsections: [\n", encoding="utf-8")
    code, _, err = digest(database, "edit", "1", "--file", str(broken))
    assert code == 2 and "error: line 3: not valid YAML" in err


def test_an_approved_issue_says_to_unapprove_first(database: str) -> None:
    assert digest(database, "approve", "1")[0] == 0
    code, _, err = digest(database, "edit", "1")
    assert code == 2
    assert "issue 1 is approved" in err and "digest unapprove 1 first" in err


@pytest.mark.parametrize("program", ["false", "no-such-editor-anywhere"])
def test_an_editor_that_fails_is_a_usage_error_and_applies_nothing(
    database: str, program: str
) -> None:
    """An editor quit with an error (vim's :cq) or not installed: exit 2 with the way out,
    not click's bare « Error: Editing failed » and exit 1."""
    before = shown(database)
    env = {"DIGEST_DATABASE_URL": database, "EDITOR": program, "VISUAL": ""}
    args = ["--config", str(REPO / "feeds.yaml"), "edit", "1"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 2, result.output
    assert "error: the editor failed, nothing was applied:" in result.stderr
    assert "digest edit 1 --file view.yaml" in result.stderr
    assert shown(database) == before


def test_the_summary_names_each_change_and_what_was_not_applied(
    database: str, tmp_path: Path
) -> None:
    """Issue 13's leftover: the line after an edit says what changed on the stories and
    sections, not only the issue's fields, and lists what the view asked for that no
    override can hold (it is not silently dropped)."""
    script = editor(
        tmp_path,
        """
creation, modeles = doc["sections"][0], doc["sections"][1]
doc["sections"][0], doc["sections"][1] = modeles, creation
creation["entries"] = [e for e in creation["entries"] if e["story"] not in ("51", "52")]
modeles["entries"][0], modeles["entries"][1] = modeles["entries"][1], modeles["entries"][0]
doc["lead"] = doc["sections"][2]["entries"][0]["story"]
modeles["entries"][2]["summary"] = "Le résumé de la rédaction."
modeles["entries"][2]["sources"] = "Une autre source"
modeles["blurb"][0]["text"] = "Une phrase de la rédaction."
modeles["blurb"] = [s for s in modeles["blurb"] if s["sentence"] != "modeles/38/0"]
modeles["title"] = "Les modèles de la semaine"
""",
    )
    before = shown(database)
    lead = before["sections"][2]["entries"][0]["title"]
    code, out, err = digest(database, "edit", "1", editor=script)
    assert code == 0, err
    assert out.splitlines() == [
        "issue 1: applied: 2 stories dropped (« Il faut sauver le soldat Garry », "
        f"« La mélodie du bonheur »), {quoted(lead)} pinned as the lead, sections reordered, "
        "stories reordered in « Modèles », summary of « Tencent publie HunyuanImage 3.0 » "
        "rewritten, blurb sentence « La rumeur Snowbunny repose sur un docum… » rewritten; "
        "see it with: digest show 1",
        "  not applied: sections[1].title: a section's title comes from the configuration "
        "(themes), it stays « Modèles »",
        "  not applied: sections[1].entries[3].sources: a story's sources come from the build",
        "  not applied: sections[1].blurb: modeles/38/0 left out: a sentence goes with its "
        "story (drop the story), it stays",
    ]
    after = shown(database)
    modeles = next(s for s in after["sections"] if s["theme"] == "modeles")
    assert modeles["title"] == "Modèles"
    assert "Des intégrations secondaires" in " ".join(s["text"] for s in modeles["blurb"])


def test_a_view_with_only_what_cannot_apply_changes_nothing_and_says_why(
    database: str, tmp_path: Path
) -> None:
    before = shown(database)
    script = editor(tmp_path, 'doc["dropped"] = []\ndoc["sections"][0]["title"] = "Autre"')
    code, out, _ = digest(database, "edit", "1", editor=script)
    assert code == 0
    assert out.splitlines() == [
        "issue 1: nothing changed",
        "  not applied: sections[1].title: a section's title comes from the configuration "
        f"(themes), it stays {quoted(before['sections'][0]['title'])}",
    ]
    assert shown(database) == before
