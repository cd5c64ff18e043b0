"""The preferences page of the public site (issue 14, item 4): `/preferences/<token>`, the
unsubscribe link's token. GET shows the forms and changes nothing (mail scanners fetch
links); POST applies one choice: pause for 2, 4 or 8 weeks, resume now, unsubscribe.

A post is acted on only when it carries the token of its own URL (a page of another site
cannot know it) and, when the browser sends them, an Origin naming this site and a
Sec-Fetch-Site of same-origin. Every field is checked where it enters: an unknown action,
a number of weeks not offered, a control character are a 400 that changes nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from digest.app.preferences import (
    PAUSE_WEEKS,
    Applied,
    Choice,
    Outcome,
    apply_choice,
    subscriber_for_preferences,
)
from digest.localtime import local
from digest.models import Subscriber, SubscriberStatus
from digest.settings import Settings
from digest.store import Store
from digest.typography import french_day, title_forms
from digest.web.forms import Refused, check_provenance, read_fields
from digest.web.masking import mask_address
from digest.web.routing import Response

FORM_MAX_BYTES = 4 * 1024  # three short fields; anything longer is not our form
DEFAULT_WEEKS = 4

Render = Callable[..., Response]  # (status, template, **context) -> Response


class PreferencesPages:
    """The two handlers; `render` and `bad_link` are the public app's (its look, its 404)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        secret: str,
        clock: Callable[[], datetime],
        render: Render,
        bad_link: Callable[[], Response],
    ) -> None:
        self.settings, self.store, self.secret, self.clock = settings, store, secret, clock
        self.render, self.bad_link = render, bad_link
        base = urlsplit(settings.newsletter.base_url).netloc.lower()
        self.hosts = {base} if base else set()

    def page(self, environ: Mapping[str, Any], token: str) -> Response:
        person = subscriber_for_preferences(self.store, self.secret, token)
        if person is None:
            return self.bad_link()
        return self._show("200 OK", token, person, done="")

    def post(self, environ: Mapping[str, Any], token: str) -> Response:
        try:
            choice, weeks = self._read(environ, token)
        except Refused as refused:
            return self._refused(token, refused)
        applied = apply_choice(self.store, self.secret, token, choice, weeks, self.clock())
        if applied is None:
            return self.bad_link()
        status = "409 Conflict" if applied.outcome is Outcome.NOT_ACTIVE else "200 OK"
        return self._show(status, token, applied.subscriber, done=self._done(applied))

    def _read(self, environ: Mapping[str, Any], token: str) -> tuple[Choice, int | None]:
        host = (environ.get("HTTP_HOST") or "").lower()
        check_provenance(environ, self.hosts | {host}, "de ce site", no_referrer=True)
        fields = read_fields(environ, FORM_MAX_BYTES)
        if not hmac.compare_digest(fields.get("token", "").encode(), token.encode()):
            raise Refused("403 Forbidden", "Ce formulaire ne correspond pas à ce lien.")
        try:
            choice = Choice(fields.get("action", ""))
        except ValueError:
            raise Refused("400 Bad Request", "Ce choix n’existe pas.") from None
        if choice is not Choice.PAUSE:
            return choice, None
        raw = fields.get("weeks", "")
        if raw not in {str(w) for w in PAUSE_WEEKS}:  # digits only: no « 4\r\n », no « .inf »
            offered = ", ".join(map(str, PAUSE_WEEKS))
            raise Refused("400 Bad Request", f"Choisissez une pause de {offered} semaines.")
        return choice, int(raw)

    def _refused(self, token: str, refused: Refused) -> Response:
        person = subscriber_for_preferences(self.store, self.secret, token)
        if person is None:
            return self.bad_link()
        return self._show(refused.status, token, person, done=refused.message)

    def _done(self, applied: Applied) -> str:
        person = applied.subscriber
        if applied.outcome is Outcome.PAUSED and person.paused_until is not None:
            return f"C’est fait : pause jusqu’au {self._day(person.paused_until)}."
        if applied.outcome is Outcome.RESUMED:
            return "C’est fait : vous recevrez le prochain numéro."
        if applied.outcome is Outcome.UNSUBSCRIBED:
            return "Désabonnement confirmé : vous ne recevrez plus rien."
        return "Cet abonnement n’est plus actif : il n’y a rien à mettre en pause."

    def _show(self, status: str, token: str, person: Subscriber, done: str) -> Response:
        now = self.clock()
        active = person.status is SubscriberStatus.ACTIVE
        return self.render(
            status,
            "preferences.html.j2",
            noindex=True,
            done=done,
            state=self._state(person, now, mask_address(person.email)),
            active=active,
            paused=active and person.paused(now),
            token=token,
            action=f"/preferences/{token}",
            pause_weeks=PAUSE_WEEKS,
            default_weeks=DEFAULT_WEEKS,
        )

    def _day(self, moment: datetime) -> str:
        return french_day(local(moment, self.settings.timezone).date())

    def _state(self, person: Subscriber, now: datetime, address: str) -> str:
        title = title_forms(self.settings.newsletter.title, self.settings.newsletter.title_article)
        if person.status is SubscriberStatus.ACTIVE and person.paused(now):
            until = self._day(person.paused_until or now)
            return (
                f"L’abonnement de {address} {title.to} est en pause jusqu’au {until} : "
                "vous recevrez le premier numéro qui paraîtra ensuite."
            )
        if person.status is SubscriberStatus.ACTIVE:
            return f"L’abonnement de {address} {title.to} est actif."
        return f"{address} ne reçoit plus {title.name}."
