"""The editor's desk on the command line (issue 13): `digest edit`."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from digest.cli._common import Context, handle_errors, opened_store, utcnow
from digest.errors import EditError, UsageError


@click.command()
@click.argument("number", type=int)
@click.option(
    "--file",
    "path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Apply this edited view instead of opening $EDITOR.",
)
@click.option("--print", "show", is_flag=True, help="Print the YAML view; change nothing.")
@click.pass_obj
@handle_errors
def edit(obj: Context, number: int, path: Path | None, show: bool) -> None:
    """Edit a draft in $EDITOR: subject, preheader, note, stories (all or nothing)."""
    from digest.app.edit import check_edits, edit_issue, open_desk  # lazy: the store (SQLAlchemy)
    from digest.app.edit_report import report_edit  # lazy: with the store
    from digest.app.edit_view import edits_from_yaml, issue_yaml  # lazy: with the store
    from digest.app.overrides import refuse_unless_draft  # lazy: with the store

    settings = obj.settings()
    with opened_store(settings) as store:
        desk = open_desk(store, number)
        view = issue_yaml(desk)
        if show:
            click.echo(view, nl=False)
            return
        refuse_unless_draft(desk.built)
        if path is not None:
            text: str | None = path.read_text(encoding="utf-8")
        else:
            text = _edited(view, number)
        if text is None:
            click.echo(f"issue {number}: nothing changed (the editor was closed without saving)")
            return
        try:
            asked = edits_from_yaml(text, desk)
            edits = check_edits(asked.edits)
            if edits != desk.edits:
                edit_issue(store, number, edits, utcnow())
        except EditError as exc:
            if path is None:  # the editor's work is not lost with the error
                exc.hint = (
                    f"{exc.hint}; your edit is kept: digest edit {number} --file {_keep(text)}"
                )
            raise
    report = report_edit(desk.built, desk.edits, edits, asked.not_applied)
    if edits == desk.edits:
        click.echo(f"issue {number}: nothing changed")
    else:
        applied = ", ".join(report.applied)
        click.echo(f"issue {number}: applied: {applied}; see it with: digest show {number}")
    for line in report.not_applied:
        click.echo(f"  not applied: {line}")


def _edited(view: str, number: int) -> str | None:
    """The view as the editor saved it; None when it was closed without saving."""
    try:
        return click.edit(view, extension=".yaml", require_save=True)
    except click.ClickException as exc:  # no such program, or it exited with an error
        raise UsageError(
            f"the editor failed, nothing was applied: {exc.message}",
            hint="set $EDITOR (or $VISUAL) to an editor that waits until the file is closed "
            f"(code --wait); or digest edit {number} --print > view.yaml, edit view.yaml, "
            f"then digest edit {number} --file view.yaml",
        ) from exc


def _keep(text: str) -> Path:
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", suffix=".yaml", prefix="digest-edit-", delete=False
    ) as kept:
        kept.write(text)
    return Path(kept.name)


COMMANDS = (edit,)
