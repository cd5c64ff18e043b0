"""README.md's configuration tables are the ones the settings declarations write."""

from __future__ import annotations

from digest.settings import ENV_VARS, Settings
from digest.settings.doc import COMMAND, settings_table, with_tables
from digest.settings.registry import declared

from .conftest import REPO


def test_the_readme_tables_are_current() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert with_tables(readme) == readme, f"README.md is out of date: run `{COMMAND}`"


def test_every_key_of_the_file_has_a_row_with_its_doc() -> None:
    table = settings_table()
    for setting in declared(Settings, into_lists=True):
        assert setting.doc, f"{setting.key}: declared without a doc string"
        if setting.in_file and setting.block is None:
            assert f"| `{setting.key}` | {setting.doc} |" in table, setting.key


def test_secrets_are_in_the_environment_table_only() -> None:
    table = settings_table()
    for name in ("DIGEST_SMTP_PASSWORD", "DIGEST_SECRET_KEY", "DIGEST_LLM_API_KEY"):
        assert name in {var.name for var in ENV_VARS}
        assert name not in table
