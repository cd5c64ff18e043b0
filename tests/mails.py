"""Newsletter emails for the tests: seed 003 sent as an HTML mail, with what real ones add.

The seed's paragraphs become <h2> and <p> in a table layout, as newsletter tools write
them; around them, the parts a mail's chrome adds and the ingest must remove: a hidden
preheader, « Voir dans le navigateur », a tracking pixel, social buttons, an ad and a legal
footer with its unsubscribe link. Also the messages of the mailbox tests (DSN bounces,
mailto: unsubscribe requests) and hostile ones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape
from pathlib import Path

from digest.ingest.segment import is_heading

REPO = Path(__file__).resolve().parent.parent
SEED_003 = REPO / "documents" / "003_186302cdc7413e06.txt"
SENDER = "Le monde de demAIn <lettre@demain.example>"
SENT_AT = datetime(2025, 8, 25, 7, 0, tzinfo=UTC)

# Phrases of the chrome; none may reach a story.
CHROME_PHRASES = (
    "Voir dans le navigateur",
    "Se désabonner",
    "Gérer mes préférences",
    "Vous recevez cet e-mail",
    "Tous droits réservés",
    "12 rue des Lilas",
    "Suivez-nous",
    "Offre spéciale Cloudinox",
    "Transférer à un ami",
)

_PREHEADER = (
    '<div style="display:none;max-height:0;overflow:hidden;mso-hide:all">'
    "Meta a encore faim, Google et ses chiffres, et la suite de l’actualité.</div>"
)
_TOP = (
    '<table width="100%"><tr><td align="center" style="font-size:11px">'
    "Problème d’affichage ? "
    '<a href="https://demain.example/v/123">Voir dans le navigateur</a></td></tr></table>'
)
_AD = (
    '<table width="100%" class="ad"><tr><td style="background:#eee">'
    '<p style="font-size:10px">Publicité</p>'
    '<p><a href="https://ads.example/c/1">Offre spéciale Cloudinox : vos GPU à moitié prix '
    "tout l’été, sans engagement.</a></p>"
    '<img src="https://ads.example/banner.png" width="600" height="200" alt="Cloudinox">'
    "</td></tr></table>"
)
_SOCIAL = (
    "<table><tr><td>Suivez-nous :</td>"
    '<td><a href="https://www.linkedin.com/company/demain"><img src="https://demain.example/in.png"'
    ' alt="LinkedIn" width="24" height="24"></a></td>'
    '<td><a href="https://x.com/demain"><img src="https://demain.example/x.png" alt="X" width="24"'
    ' height="24"></a></td>'
    '<td><a href="https://demain.example/fwd">Transférer à un ami</a></td></tr></table>'
)
_FOOTER = (
    '<table width="100%"><tr><td style="font-size:10px;color:#777">'
    "<p>Vous recevez cet e-mail car vous êtes abonné à Le monde de demAIn.</p>"
    '<p><a href="https://demain.example/u/abc">Se désabonner</a> · '
    '<a href="https://demain.example/p/abc">Gérer mes préférences</a></p>'
    "<p>© 2025 Demain Médias SAS. Tous droits réservés.<br>12 rue des Lilas, 75011 Paris</p>"
    "</td></tr></table>"
    '<img src="https://t.demain.example/open/abc.gif" width="1" height="1" alt="">'
)


def seed_html(text: str) -> str:
    """Seed 003's paragraphs as a newsletter tool's HTML body."""
    blocks = []
    for paragraph in (p.strip() for p in text.split("\n\n")):
        if not paragraph:
            continue
        if "\n" not in paragraph and is_heading(paragraph):
            blocks.append(f'<h2 style="font-size:20px">{escape(paragraph)}</h2>')
        else:
            blocks.append(
                f'<p style="line-height:1.5">{escape(paragraph)}</p>'.replace("\n", "<br>")
            )
    half = len(blocks) // 2
    story = "".join(blocks[:half]) + _AD + "".join(blocks[half:])
    return (
        "<!DOCTYPE html><html><head><style>p{margin:0}</style></head><body>"
        f"{_PREHEADER}{_TOP}"
        f'<table width="600" align="center"><tr><td>{story}</td></tr></table>'
        f"{_SOCIAL}{_FOOTER}</body></html>"
    )


def newsletter_message(
    html: str | None = None,
    text: str | None = None,
    *,
    sender: str = SENDER,
    subject: str = "Le monde de demAIn — la lettre du lundi",
    sent_at: datetime = SENT_AT,
    to: str = "veille@fil-ia.example",
) -> EmailMessage:
    """A multipart/alternative newsletter (text, then HTML), as mailing tools send one."""
    if html is None and text is None:
        seed = SEED_003.read_text(encoding="utf-8")
        html, text = seed_html(seed), seed + "\n\nSe désabonner : https://demain.example/u/abc\n"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = make_msgid(domain="demain.example")
    message.set_content(text or "")
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def newsletter_eml(**kwargs: object) -> bytes:
    return bytes(newsletter_message(**kwargs))  # type: ignore[arg-type]
