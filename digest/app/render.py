"""Use case: render an issue, to files (`digest render`, `digest run`) or for the sample
reader the preview shows. One render path (digest.render.render_issue) behind all of them."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from digest.mail.identity import SAMPLE_KEY, message_template, recipient
from digest.mail.message import Recipient, build_message
from digest.models import Issue
from digest.output import make_folder, write_whole
from digest.render import RenderedIssue, neutral, personalize, render_issue
from digest.serialize import issue_json
from digest.settings import Settings
from digest.store import Store
from digest.web_version import render_web_version


@dataclass(frozen=True, slots=True)
class RenderOutput:
    folder: Path
    files: tuple[Path, ...]
    html_bytes: int
    trimmed: int


def run_render(
    store: Store, settings: Settings, number: int, out: Path, now: datetime
) -> RenderOutput:
    """issue.html (the web version), issue.txt (the text part sample.eml's reader gets),
    issue.json and sample.eml, written whole or not at all: every file is written beside
    its final name, then renamed."""
    issue, items = store.load_issue(number)
    rendered = render_issue(issue, items, settings)
    store.keep_issue_page(number, render_web_version(rendered, items, settings), now)
    template = message_template(rendered, settings)
    reader = sample_recipient(settings, number, SAMPLE_KEY)
    sample = build_message(template, reader, now)
    _, text = personalize(rendered, reader.unsubscribe_url, reader.name, reader.preferences_url)
    contents = {
        "issue.html": neutral(rendered, settings.newsletter.base_url + "/").encode("utf-8"),
        "issue.txt": text.encode("utf-8"),
        "issue.json": json.dumps(issue_json(issue, items), ensure_ascii=False, indent=2).encode(),
        "sample.eml": sample,
    }
    make_folder(out, "--out")
    files = {out / name: data for name, data in contents.items()}
    write_whole(files, "--out")
    return RenderOutput(out, tuple(files), len(rendered.html.encode()), rendered.trimmed)


def sample_recipient(settings: Settings, number: int, fallback_key: str) -> Recipient:
    """A reader as `sample.eml` shows one: a real signed unsubscribe link for subscriber 0."""
    secret = os.environ.get("DIGEST_SECRET_KEY") or fallback_key
    return recipient(
        settings,
        secret,
        number,
        0,
        "lecteur@example.org",
        "Lectrice Exemple",
        "sample",
        nonce="sample",  # id 0 is no subscriber's: the sample link unsubscribes no one
    )


@dataclass(frozen=True, slots=True)
class SampleReading:
    """An issue as the sample reader receives it: the shared rendering, then their copy."""

    issue: Issue
    rendered: RenderedIssue
    html: str
    text: str


def render_for_sample_reader(
    store: Store, settings: Settings, number: int, templates: Path | None = None
) -> SampleReading | None:
    """The issue personalised for the reader of sample.eml (what the preview shows, from
    `templates` when given), or None when there is no such issue."""
    if store.get_issue(number) is None:
        return None
    issue, items = store.load_issue(number)
    rendered = render_issue(issue, items, settings, templates)
    reader = sample_recipient(settings, number, SAMPLE_KEY)
    html, text = personalize(rendered, reader.unsubscribe_url, reader.name, reader.preferences_url)
    return SampleReading(issue, rendered, html, text)
