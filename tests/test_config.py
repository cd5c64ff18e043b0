"""feeds.yaml and DIGEST_* variables: valid files load, invalid ones list every problem."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError

from digest.cli import main
from digest.config import load_settings
from digest.config_yaml import FAST_LOADER, StrictLoader, YamlProblem, load_yaml
from digest.errors import ConfigError
from digest.settings import ENV_VARS

from .conftest import DOCUMENTS, REPO


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_configuration_is_valid() -> None:
    settings = load_settings(REPO / "feeds.yaml", env={})
    assert settings.newsletter.language == "fr"
    assert settings.timezone == "Europe/Paris"
    assert len(settings.feeds) >= 12
    assert {f.language for f in settings.feeds} == {"fr", "en"}
    assert all(f.url.startswith("https://") for f in settings.feeds)
    assert settings.documents[0].path == REPO / "documents"
    assert len(settings.themes) >= 8
    assert settings.database_url == f"sqlite:///{REPO / 'digest.db'}"


def test_every_problem_is_reported_at_once_with_its_key_path(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
newsletter: {language: fr}
timezone: Mars/Olympus
schedule: {ingest: "every hour"}
feds: []
fetch: {timeout_seconds: -1}
feeds:
  - {name: ok, url: "https://example.org/feed"}
  - {name: ok, url: "https://example.org/other"}
  - {name: "bad name", url: "ftp://example.org/feed"}
  - {name: nourl}
documents:
  - path: nowhere
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    problems = caught.value.problems
    expected = [
        r"^newsletter\.title: missing",
        r"^timezone: unknown time zone 'Mars/Olympus'",
        r"^schedule\.ingest: not a 5-field cron expression",
        r"^feds: unknown key \(did you mean 'feeds'\?\)",
        r"^fetch\.timeout_seconds: must be a number greater than 0",
        r"^feeds\[1\]\.name: 'ok' is used twice",
        r"^feeds\[2\]\.name: 'bad name' may hold only",
        r"^feeds\[2\]\.url: not an http\(s\) URL: 'ftp://example.org/feed'",
        r"^feeds\[3\]\.url: missing",
        r"^documents\[0\]\.path: 'nowhere' does not exist",
    ]
    for pattern in expected:
        assert any(re.search(pattern, p) for p in problems), (pattern, problems)
    assert len(problems) == len(expected)
    assert caught.value.exit_code == 2
    assert str(path) in str(caught.value)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "newsletter:\n  title: [unclosed\n")
    with pytest.raises(ConfigError, match=r"line \d+, column \d+"):
        load_settings(path, env={})


def test_missing_file_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DIGEST_CONFIG"):
        load_settings(tmp_path / "absent.yaml", env={})


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "newsletter: {title: T}\ndatabase_url: sqlite:///from-file.db\n")
    assert load_settings(path, env={}).database_url == "sqlite:///from-file.db"
    env = {"DIGEST_DATABASE_URL": "postgresql+psycopg://u@h/db", "DIGEST_OFFLINE": "1"}
    settings = load_settings(path, env=env)
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.offline


def test_bad_database_url_from_the_environment_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "newsletter: {title: T}\n")
    with pytest.raises(ConfigError, match="DIGEST_DATABASE_URL: use sqlite"):
        load_settings(path, env={"DIGEST_DATABASE_URL": "mysql://x"})


def test_every_environment_variable_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for var in ENV_VARS:
        assert f"`{var.name}`" in readme, var.name


def test_issue_summarizer_and_pins(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
newsletter: {title: T}
themes:
  - {id: securite, title: Sécurité, keywords: [faille]}
issue: {max_per_section: 3}
summarizer: {backend: openai, openai: {base_url: "http://127.0.0.1:8000/v1/", model: m}}
pins:
  - {theme: securite, keyword: "injection de prompts"}
  - {theme: en-bref, source: some-feed}
""",
    )
    settings = load_settings(path, env={"DIGEST_LLM_API_KEY": "sk-test"})
    assert settings.issue.max_per_section == 3 and settings.issue.max_entries == 30
    assert settings.summarizer.backend == "openai"
    assert settings.summarizer.openai.base_url == "http://127.0.0.1:8000/v1"
    assert settings.summarizer.openai.api_key == "sk-test"  # from the environment only
    assert [(p.theme, p.keyword, p.source) for p in settings.pins] == [
        ("securite", "injection de prompts", None),
        ("en-bref", None, "some-feed"),
    ]


def test_bad_pins_and_backend_are_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
newsletter: {title: T}
themes: [{id: a, title: A}]
summarizer: {backend: gpt}
pins: [{theme: zz, keyword: x}, {theme: a}]
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    text = "\n".join(caught.value.problems)
    assert "summarizer.backend: 'gpt' is not a backend" in text
    assert "pins[0].theme: unknown theme 'zz'" in text
    assert "pins[1]: give exactly one of source: or keyword:" in text


# Issue 10, item 12: values that crashed (exit 1, a traceback) instead of naming the key.
VALID = "newsletter: {title: T}\ndocuments: [docs]\n"
HOSTILE_CONFIGS = {
    "inf": (VALID + "fetch: {timeout_seconds: .inf}\n", "fetch.timeout_seconds: must be"),
    "nan": (VALID + "issue: {max_entries: .nan}\n", "issue.max_entries: must be"),
    "huge-int": (VALID + f"fetch: {{max_bytes: {10**400}}}\n", "fetch.max_bytes: must be"),
    "port": (VALID + "mail: {smtp: {port: 70000}}\n", "mail.smtp.port: must be"),
    "cron-range": (VALID + "schedule: {ingest: '99 99 * * *'}\n", "schedule.ingest: '99 99"),
    "cron-step": (VALID + "schedule: {build: '*/0 8 * * *'}\n", "schedule.build: '*/0"),
    "deep": (VALID + "themes: " + "[" * 50_000 + "]" * 50_000 + "\n", "nested deeper than 32"),
    "huge-file": (VALID + "# padding\n" * 2_200_000, "larger than 1024 KB"),
    "duplicate": (
        "newsletter:\n  title: T\n  title: U\ndocuments: [docs]\n",
        "line 3, column 3: duplicate key 'title' (first on line 2)",
    ),
    "crlf-title": (
        'newsletter: {title: "T\\r\\nBcc: x@example.org"}\ndocuments: [docs]\n',
        "newsletter.title: holds a line break",
    ),
    "lf-from": (VALID + 'mail: {from: "a@example.org\\nX-Injected: 1"}\n', "mail.from: holds"),
    "nul-keyword": (
        VALID + 'themes: [{id: a, title: A, keywords: ["x\\0y"]}]\n',
        "themes[0].keywords[0]: holds a control character",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_CONFIGS))
@pytest.mark.parametrize("command", ["status", "ingest"])
def test_hostile_values_exit_2_naming_the_key_and_nothing_is_applied(
    tmp_path: Path, case: str, command: str
) -> None:
    text, expected = HOSTILE_CONFIGS[case]
    (tmp_path / "docs").mkdir()
    shutil.copy(DOCUMENTS / "004_c8bb9166e346ef4b.txt", tmp_path / "docs")
    path = write(tmp_path, text)
    env = {"DIGEST_DATABASE_URL": None, "DIGEST_CONFIG": None, "DIGEST_SMTP_URL": None}
    result = CliRunner().invoke(main, ["--config", str(path), command], env=env)
    assert result.exit_code == 2, (result.output, result.exception)
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "digest.db").exists()  # no store opened, nothing ingested


def test_a_multi_line_theme_description_is_still_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "newsletter: {title: T}\nthemes:\n  - id: a\n    title: A\n    description: |\n"
        "      Première ligne.\n      Seconde ligne.\n",
    )
    assert load_settings(path, env={}).themes[0].description == "Première ligne.\nSeconde ligne."


def test_an_invalid_value_is_reported_once_not_also_as_missing(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'newsletter: {title: "T\\nU"}\n'
        'feeds: [{name: "a\\tb", url: "https://example.org/\\rX"}]\n'
        'themes: [{id: t, title: ""}]\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "newsletter.title",
        "feeds[0].name",
        "feeds[0].url",
        "themes[0].title",
    ], caught.value.problems


def test_a_secret_in_the_file_is_refused_naming_its_variable(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "newsletter: {title: T}\nmail: {smtp: {password: hunter2}}\n"
        "summarizer: {openai: {api_key: sk-x}}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert caught.value.problems == [
        "mail.smtp.password: a secret never goes in the file: set DIGEST_SMTP_PASSWORD instead",
        "summarizer.openai.api_key: a secret never goes in the file: set DIGEST_LLM_API_KEY "
        "instead",
    ]


def test_smtp_url_overrides_the_file_server_and_its_errors_name_it(tmp_path: Path) -> None:
    path = write(
        tmp_path, "newsletter: {title: T}\nmail: {smtp: {host: file.example, username: u}}\n"
    )
    env = {"DIGEST_SMTP_URL": "smtps://mx.example", "DIGEST_SMTP_PASSWORD": "pw"}
    smtp = load_settings(path, env=env).mail.smtp
    assert (smtp.host, smtp.port, smtp.security, smtp.username, smtp.password) == (
        "mx.example",
        465,
        "tls",
        "u",
        "pw",
    )
    with pytest.raises(ConfigError, match=r"DIGEST_SMTP_URL: 'ssl' is not a security mode"):
        load_settings(path, env={"DIGEST_SMTP_URL": "smtp://mx.example?tls=ssl"})


def test_replace_checks_the_new_values() -> None:
    settings = load_settings(REPO / "feeds.yaml", env={})
    assert replace(settings.mail, sender="a@example.org").sender == "a@example.org"
    with pytest.raises(ValidationError, match="must be a number greater than 0"):
        replace(settings.mail.smtp, port=70000)


def test_the_default_outbox_lies_beside_the_file_not_in_the_working_folder(
    tmp_path: Path,
) -> None:
    for text in ("newsletter: {title: T}\n", "newsletter: {title: T}\nmail: {from: a@b.org}\n"):
        assert load_settings(write(tmp_path, text), env={}).mail.outbox_dir == tmp_path / "outbox"


# -- issue 12, item 6: the configuration is read with libyaml's parser, checked as before --

YAML_SAMPLES = {
    "shipped": (REPO / "feeds.yaml").read_text(encoding="utf-8"),
    "anchors": "base: &b {timeout_seconds: 5}\nfetch:\n  <<: *b\n  retries: 2\n",
    "scalars": "a: [yes, no, ~, 0x1F, 1_000, 2026-11-20, '08:00', 1.5e3, .inf]\n",
    "multi-line": "d: |\n  one\n  two\ne: >-\n  folded\n  text\n",
    "unicode": "t: « Le monde de demAIn » — ’\n",
}


@pytest.mark.parametrize("case", sorted(YAML_SAMPLES))
def test_the_libyaml_reading_gives_what_the_pure_python_loader_gives(case: str) -> None:
    assert FAST_LOADER is not None, "PyYAML without libyaml: every command reads ~10 ms slower"
    text = YAML_SAMPLES[case]
    assert load_yaml(text) == yaml.load(text, Loader=StrictLoader)
    assert yaml.load(text, Loader=FAST_LOADER) == yaml.load(text, Loader=StrictLoader)


@pytest.mark.parametrize(
    "text",
    [
        "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 40)),  # deep, in blocks
        "a: [" * 40 + "]" * 40 + "\n",  # deep, in brackets (libyaml refuses past 1,000)
        "a: 1\na: 2\n",
        "a: *nowhere\n",
        "a: !!python/object/apply:os.system [true]\n",
        "a: [1, 2\n",
        "\tb: 1\n",
    ],
)
def test_a_fault_says_what_the_pure_python_loader_says(text: str) -> None:
    """A fault found by libyaml's reading is read again by PyYAML's, whose message and
    position the configuration's errors have always quoted."""
    with pytest.raises(yaml.YAMLError) as pure:
        yaml.load(text, Loader=StrictLoader)
    with pytest.raises(YamlProblem) as caught:
        load_yaml(text)
    assert caught.value.__cause__ is not None
    assert str(caught.value.__cause__) == str(pure.value)
