"""The command line: the composition root. Parses, loads the settings once, sets up logging,
opens the store, calls one use case of digest.app, prints. Errors the user can fix are
caught here and turned into a message and an exit code: 0 success, 1 the job failed, 2 bad
usage or configuration.

The group is here; the commands live in issues.py (ingest, items, build, show, render,
summarize), mail.py (subscribers, approve, send, send-confirmations), ops.py (run,
status, preview, serve), desk.py (edit) and stats.py (stats). The group imports a
command's module only when that command runs (`COMMAND_MODULES`), and a command imports a
use case that is slow to import (the summarizer, the renderer, the mail stage) in its
body, so that `digest status` never pays for them (bench/startup.py).
"""

from __future__ import annotations

import importlib
import os

import click

from digest.cli._common import Context, setup_logging

# The module of digest.cli that declares each command (in its COMMANDS). Importing all five
# cost `digest status` the mail commands' smtplib, ssl and email modules; from this map
# the group imports the one module a command needs. tests/test_cli.py checks that it
# names every command of every module, and nothing else.
COMMAND_MODULES = {
    **dict.fromkeys(("ingest", "items", "build", "show", "summarize", "render"), "issues"),
    **dict.fromkeys(
        ("subscribers", "approve", "unapprove", "send", "send-confirmations", "read-mailbox"),
        "mail",
    ),
    **dict.fromkeys(("run", "status", "preview", "serve", "check"), "ops"),
    "edit": "desk",
    "stats": "stats",
}


class LazyGroup(click.Group):
    """A click group whose commands are imported when one is looked up (to run it, or for
    --help to list them all), from `COMMAND_MODULES`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMAND_MODULES.get(cmd_name)
        if module_name is None:
            return None
        # By name: which module to import is what this group decides at run time. The
        # modules are digest.cli's own (the top layer), so the import contracts lose nothing.
        module = importlib.import_module(f"digest.cli.{module_name}")
        commands: tuple[click.Command, ...] = module.COMMANDS
        return next((command for command in commands if command.name == cmd_name), None)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    metavar="PATH",
    help="Configuration file (default: $DIGEST_CONFIG, else ./feeds.yaml).",
)
@click.option("--offline", is_flag=True, help="Skip network sources; read documents only.")
@click.option(
    "--log-level",
    default=lambda: os.environ.get("DIGEST_LOG_LEVEL", "WARNING"),
    show_default="WARNING, or $DIGEST_LOG_LEVEL",
    help="Logging threshold.",
)
@click.version_option(package_name="digest")
@click.pass_context
def main(ctx: click.Context, config: str | None, offline: bool, log_level: str) -> None:
    """digest: builds and mails a French AI-news newsletter."""
    setup_logging(log_level)
    ctx.obj = Context(config=config, offline=offline)
