"""bench/render.py: rendering an issue, and building personalised messages from it.

The seed issue (the shipped documents, built in a temporary SQLite store) is rendered
several times (Jinja2 + premailer, median reported). Then N personalised messages are
built two ways, side by side in the same run: digest's way (placeholders substituted into
the pre-rendered, pre-encoded issue: `build_message`) and the naive way (a new
`EmailMessage` with `set_content` / `add_alternative` per recipient, serialised).

    .venv/bin/python bench/render.py [--recipients 2000]

Target (the issue's): digest's way >= 25x the naive rate. A report: exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digest.app.build import run_build  # noqa: E402
from digest.config import load_settings  # noqa: E402
from digest.ingest.documents import document_files, ingest_documents  # noqa: E402
from digest.mail.message import MessageTemplate, Recipient, build_message  # noqa: E402
from digest.render import personalize, render_issue  # noqa: E402
from digest.store import open_store  # noqa: E402


def recipient(n: int) -> Recipient:
    return Recipient(
        f"reader{n}@example.org",
        f"Lecteur {n}",
        f"https://lettre.example.org/u/token{n}",
        f"mailto:lettre@example.org?subject=unsubscribe%20token{n}",
        f"<digest.1.s{n}@example.org>",
        f"https://lettre.example.org/preferences/token{n}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--renders", type=int, default=7)
    args = parser.parse_args()
    settings = load_settings(REPO / "feeds.yaml", env={})
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/bench.db")
        ingest_documents(store, document_files(settings.documents), now - timedelta(hours=1))
        built = run_build(store, settings, now).issue
        assert built is not None
        issue, items = store.load_issue(built.number)
        store.close()

    timings = []
    for _ in range(args.renders):
        started = time.perf_counter()
        rendered = render_issue(issue, items, settings)
        timings.append(time.perf_counter() - started)
    print(
        f"render the seed issue ({len(issue.entries)} entries, "
        f"{len(rendered.html.encode()) // 1000} KB of HTML): median "
        f"{statistics.median(timings) * 1000:.0f} ms over {args.renders} renders"
    )

    template = MessageTemplate.prepare(
        rendered,
        sender=settings.mail.sender,
        reply_to=settings.mail.reply_to,
        list_id="le-fil-ia.example.org",
        list_name=settings.newsletter.title,
    )
    started = time.perf_counter()
    for n in range(args.recipients):
        build_message(template, recipient(n), now)
    fast = args.recipients / (time.perf_counter() - started)
    print(f"digest: {fast:,.0f} personalised messages/s ({args.recipients} built)")

    naive_count = max(50, args.recipients // 20)
    started = time.perf_counter()
    for n in range(naive_count):
        person = recipient(n)
        html, text = personalize(
            rendered, person.unsubscribe_url, person.name, person.preferences_url
        )
        message = EmailMessage()
        message["From"], message["To"] = settings.mail.sender, person.email
        message["Subject"] = rendered.subject
        message["List-Unsubscribe"] = f"<{person.unsubscribe_url}>, <{person.unsubscribe_mailto}>"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        message.as_bytes()
    naive = naive_count / (time.perf_counter() - started)
    print(f"naive EmailMessage: {naive:,.0f} messages/s ({naive_count} built)")
    ratio = fast / naive
    print(f"speed-up: {ratio:.0f}x (target >= 25x): {'MET' if ratio >= 25 else 'NOT MET'}")


if __name__ == "__main__":
    main()
