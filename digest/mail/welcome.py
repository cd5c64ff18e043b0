"""The welcome: the mail whoever confirms their subscription gets next (issue 14, item 4;
`mail.welcome`, on by default).

It is queued in the transaction that confirms them (digest.store.events) and sent by the
confirmations' worker, so a slow or failing SMTP server never touches the confirmation
itself, and a second click, which confirms nothing, queues nothing. It goes through the
issue's message builder: the same List-Unsubscribe and One-Click headers, a safe `To:`,
and the unsubscribe and preferences links signed for its reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from digest.mail.identity import message_template, reader, sender_domain
from digest.mail.message import MessageTemplate, build_message
from digest.render import reader_placeholders, render_mail, templates_dir
from digest.settings import Settings
from digest.store.confirmations import QueuedConfirmation
from digest.typography import french, title_forms


@dataclass(frozen=True, slots=True)
class RenderedWelcome:
    """The welcome as every newcomer's copy shares it, placeholders in place."""

    subject: str
    html: str
    text: str


def render_welcome(settings: Settings, templates: Path | None = None) -> RenderedWelcome:
    newsletter = settings.newsletter
    forms = title_forms(newsletter.title, newsletter.title_article)
    subject = french(f"Bienvenue {forms.to} !")
    context = {
        "newsletter": newsletter,
        "title_forms": forms,
        "tagline": french(newsletter.tagline),
        "subject": subject,
        "preheader": french("Votre abonnement est confirmé : voici ce qui vous attend."),
        "archive_url": f"{newsletter.base_url}/",
        **reader_placeholders(),
    }
    html, text = render_mail(templates or templates_dir(), "welcome", context)
    return RenderedWelcome(subject=subject, html=html, text=text)


def welcome_template(settings: Settings) -> MessageTemplate:
    """The welcome's shared message parts: rendered once per batch of newcomers."""
    return message_template(render_welcome(settings), settings)


def welcome_message(
    settings: Settings, template: MessageTemplate, queued: QueuedConfirmation, now: datetime
) -> bytes:
    """One newcomer's welcome, ready for SMTP; `queued.token` is their unsubscribe token.
    Its Message-ID is the queue row's: a retry after a crash sends the same message."""
    msgid = f"<digest.welcome.{queued.id}@{sender_domain(settings)}>"
    return build_message(
        template, reader(settings, queued.token, queued.email, queued.name, msgid), now
    )
