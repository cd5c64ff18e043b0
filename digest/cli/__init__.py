"""The command line: the composition root. Parses, loads the settings once, sets up logging,
opens the store, calls one use case of digest.app, prints. Errors the user can fix are
caught here and turned into a message and an exit code: 0 success, 1 the job failed, 2 bad
usage or configuration.

The group is here; the commands live in issues.py (ingest, items, build, show, render,
summarize), mail.py (subscribers, approve, send, send-confirmations), ops.py (run,
status, preview, serve), desk.py (edit) and stats.py (stats). A command imports a use case
that is slow to import (the summarizer, the renderer, the mail stage) in its body, so that
`digest status` never pays for them.
"""

from __future__ import annotations

import os

import click

from digest.cli import desk, issues, mail, ops, stats
from digest.cli._common import Context, setup_logging


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


for module in (issues, mail, ops, desk, stats):
    for command in module.COMMANDS:
        main.add_command(command)
