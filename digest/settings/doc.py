"""Writes README.md's configuration tables from the declarations in `digest.settings`.

`python -m digest.settings.doc [README.md]` rewrites the text between the markers; a test
fails when the README is not what this would write.
"""

from __future__ import annotations

import sys
from pathlib import Path

from digest.settings import ENV_VARS, Settings
from digest.settings.registry import Declared, declared

COMMAND = "python -m digest.settings.doc"
BEGIN = "<!-- settings table: written by `{command}`, do not edit -->"
END = "<!-- end of settings table -->"


def _row(setting: Declared) -> str:
    env = f"`{setting.env}`" if setting.env else ""
    return f"| `{setting.key}` | {setting.doc} | {setting.default_markdown} | {env} |"


def settings_table() -> str:
    """One row per key of the file: what it does, its default, the variable that sets it."""
    rows = [
        _row(setting)
        for setting in declared(Settings, into_lists=True)
        if setting.in_file and (setting.block is None or setting.is_list)
    ]
    header = ["| key | meaning | default | environment |", "| --- | --- | --- | --- |"]
    return "\n".join(header + rows)


def environment_table() -> str:
    rows = [f"| `{var.name}` | {var.help} |" for var in ENV_VARS]
    return "\n".join(["| variable | meaning |", "| --- | --- |", *rows])


def tables() -> str:
    return (
        f"{settings_table()}\n\n"
        "Environment variables (secrets only ever come from here):\n\n"
        f"{environment_table()}"
    )


def with_tables(readme: str) -> str:
    """`readme` with the text between the markers replaced by the current tables."""
    begin = BEGIN.format(command=COMMAND)
    head, found, rest = readme.partition(begin)
    _, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise SystemExit(f"README: markers not found ({begin} … {END})")
    return f"{head}{begin}\n{tables()}\n{END}{tail}"


def main(argv: list[str]) -> None:
    path = Path(argv[0] if argv else "README.md")
    text = path.read_text(encoding="utf-8")
    updated = with_tables(text)
    if updated != text:
        path.write_text(updated, encoding="utf-8")
    print(f"{path}: {'updated' if updated != text else 'already current'}")


if __name__ == "__main__":
    main(sys.argv[1:])
