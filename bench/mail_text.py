"""bench/mail_text.py: a newsletter's HTML made text, ours against general extractors.

Each extractor turns the same newsletter emails into text; the text then goes through the
project's document cutter, as an ingested mail would. Counted per extractor:

- kept: the newsletter's own paragraphs found whole in the text (recall of the content),
- chrome: phrases of the mail's chrome that survived (« Voir dans le navigateur », the
  unsubscribe and legal footer, the ad, the social row; fewer is better),
- stories: stories the cutter made, and how many of them carry a chrome phrase,
- ms: time per email.

The emails: seed 003 sent as an HTML newsletter with French chrome (tests/mails.py), the
same with an English Mailchimp-like chrome, and a real promotional mail
(tests/data/emails/en-vitamart-promo.eml, whose own paragraphs are listed below).
The alternatives (html2text, inscriptis, trafilatura) are not dependencies of digest:
install them in the venv to compare (`pip install html2text inscriptis trafilatura`);
a missing one is reported and skipped. A report, not a test: it always exits 0.

    .venv/bin/python bench/mail_text.py
"""

from __future__ import annotations

import email
import email.policy
import importlib.util
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digest.ingest.documents import read_document  # noqa: E402
from digest.ingest.mail_text import mail_html_to_text  # noqa: E402
from digest.ingest.sanitize import html_to_text  # noqa: E402
from tests.mails import CHROME_PHRASES, SEED_003, seed_html  # noqa: E402

VITAMART = REPO / "tests" / "data" / "emails" / "en-vitamart-promo.eml"
VITAMART_CONTENT = (
    "Ever feel overwhelmed by the selection of multivitamins out there?",
    "The good news is there are 5 key things you can look for",
    "Why buying a generic one a day multivitamin is not a good idea",
    "Buy $150+ of Multivitamins & get $15 Off.",
    "Sorry no rainchecks.",
    "We honestly can't thank you enough for all your ongoing support.",
)
VITAMART_CHROME = (
    "Having trouble viewing",
    "don't want to receive",
    "PO Box 4950",
    "Share:",
    "Follow:",
)
ENGLISH_CHROME = {
    "Voir dans le navigateur": "View this email in your browser",
    "Problème d’affichage ?": "Having trouble reading this email?",
    "Se désabonner": "Unsubscribe",
    "Gérer mes préférences": "Update your preferences",
    "Vous recevez cet e-mail car vous êtes abonné à Le monde de demAIn.": (
        "You are receiving this email because you opted in via our website."
    ),
    "Tous droits réservés": "All rights reserved",
    "Suivez-nous :": "Follow us:",
    "Transférer à un ami": "Forward to a friend",
    "Publicité": "Sponsored",
}


@dataclass(frozen=True)
class Mail:
    name: str
    html: str
    content: tuple[str, ...]  # paragraphs the text must keep
    chrome: tuple[str, ...]  # phrases it must lose


def _normalize(text: str) -> str:
    return " ".join(text.replace("’", "'").split())


def corpus() -> list[Mail]:
    seed = SEED_003.read_text(encoding="utf-8")
    paragraphs = tuple(p.strip() for p in seed.split("\n\n") if len(p.strip()) >= 80)
    french = seed_html(seed)
    english = french
    for fr, en in ENGLISH_CHROME.items():
        english = english.replace(fr, en)
    message = email.message_from_bytes(VITAMART.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("html",))  # type: ignore[attr-defined]
    return [
        Mail("seed003-fr", french, paragraphs, CHROME_PHRASES),
        Mail(
            "seed003-en",
            english,
            paragraphs,
            (
                *(ENGLISH_CHROME.get(p, p) for p in CHROME_PHRASES),
                *("View this email", "Unsubscribe", "Sponsored"),
            ),
        ),
        Mail("vitamart", body.get_content(), VITAMART_CONTENT, VITAMART_CHROME),
    ]


def extractors() -> dict[str, Callable[[str], str]]:
    found: dict[str, Callable[[str], str]] = {
        "digest mail_text": mail_html_to_text,
        "digest html_to_text": html_to_text,  # what a .html document gets: no mail chrome rules
    }
    if importlib.util.find_spec("html2text"):
        import html2text

        def with_html2text(html: str) -> str:
            converter = html2text.HTML2Text()
            converter.ignore_links = converter.ignore_images = converter.ignore_emphasis = True
            converter.body_width = 0
            return re.sub(r"^#+ ", "", converter.handle(html), flags=re.M)

        found["html2text"] = with_html2text
    if importlib.util.find_spec("inscriptis"):
        from inscriptis import get_text

        found["inscriptis"] = get_text
    if importlib.util.find_spec("trafilatura"):
        import trafilatura

        # Without tables it keeps a table layout's paragraphs apart (with them, it flattens
        # each cell into one line); favor_precision keeps nothing of a table layout.
        def with_trafilatura(html: str) -> str:
            return trafilatura.extract(html, include_comments=False, include_tables=False) or ""

        found["trafilatura"] = with_trafilatura
    return found


def _paragraphs(text: str) -> str:
    """Blank-line paragraphs, as the cutter wants them (some tools break with one \\n)."""
    return re.sub(r"\n{2,}", "\n\n", text) if "\n\n" in text else text.replace("\n", "\n\n")


def measure(extract: Callable[[str], str], mail: Mail, rounds: int = 5) -> dict[str, float]:
    start = time.perf_counter()
    for _ in range(rounds):
        text = extract(mail.html)
    elapsed = (time.perf_counter() - start) / rounds
    flat = _normalize(text)
    kept = sum(1 for p in mail.content if _normalize(p) in flat)
    chrome = sum(1 for c in mail.chrome if _normalize(c) in flat)
    drafts = read_document(_paragraphs(text).encode(), ".txt").drafts
    stories = [_normalize(f"{d.title} {d.text} {d.enjeux or ''}") for d in drafts]
    dirty = sum(1 for story in stories if any(_normalize(c) in story for c in mail.chrome))
    return {
        "kept": kept / len(mail.content),
        "chrome": chrome,
        "chrome_of": len(mail.chrome),
        "stories": len(drafts),
        "dirty": dirty,
        "ms": elapsed * 1000,
    }


def main() -> None:
    mails = corpus()
    tools = extractors()
    missing = {"html2text", "inscriptis", "trafilatura"} - set(tools)
    if missing:
        print(f"not installed (skipped): {', '.join(sorted(missing))}")
    print(
        f"{'extractor':22} {'mail':11} {'kept':>6} {'chrome':>8} {'stories':>8} {'dirty':>6}",
        end="",
    )
    print(f" {'ms':>7}")
    for name, extract in tools.items():
        for mail in mails:
            m = measure(extract, mail)
            chrome = f"{m['chrome']:>3.0f}/{m['chrome_of']:<4.0f}"
            print(
                f"{name:22} {mail.name:11} {m['kept']:6.0%} {chrome}"
                f" {m['stories']:8.0f} {m['dirty']:6.0f} {m['ms']:7.1f}"
            )


if __name__ == "__main__":
    main()
