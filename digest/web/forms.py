"""Posted forms, read the same way by the preview and the public site: where the post came
from (Origin and Sec-Fetch-Site, when the browser sends them: another site's page must not
post in the visitor's name), then a capped URL-encoded body, each field given once.

Each application adds its own proof on top (the preview's HMAC, the public pages' signed
subscriber token); a `Refused` carries the HTTP status and a French message for the page.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIELD_MAX = 20_000  # characters; every use case's own limits are far below


class Refused(Exception):
    """A post that is not acted on: its HTTP status and a French message for the page."""

    def __init__(self, status: str, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.detail = status, message, detail


def check_provenance(
    environ: Mapping[str, Any], hosts: Collection[str], here: str, *, no_referrer: bool = False
) -> None:
    """Refuse (403) a post another site's page made: `Sec-Fetch-Site` other than
    same-origin (or none: typed by the user), an `Origin` naming none of `hosts` (the
    lower-cased host[:port] the application answers as). `here` ends the French message:
    « ne vient pas de l’aperçu ». `no_referrer`: the pages are served with
    `Referrer-Policy: no-referrer` (the public site's: a token path must not leak), under
    which browsers send `Origin: null` even on the page's own form (Fetch, « serializing a
    request origin »); `Sec-Fetch-Site: same-origin`, which no page can forge, then says
    where it came from."""
    site = environ.get("HTTP_SEC_FETCH_SITE")
    origin = environ.get("HTTP_ORIGIN")
    if site is not None and site not in ("same-origin", "none"):
        raise Refused("403 Forbidden", f"Cette demande ne vient pas {here} : refusée.")
    if no_referrer and origin == "null" and site == "same-origin":
        return
    if origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() not in hosts):
        raise Refused("403 Forbidden", "Cette demande vient d’un autre site : refusée.")


def read_fields(environ: Mapping[str, Any], max_bytes: int) -> dict[str, str]:
    """The fields of a URL-encoded body of at most `max_bytes` (413 beyond, read no
    further), each given once and at most FIELD_MAX characters long."""
    kind = (environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise Refused("415 Unsupported Media Type", "Ce formulaire n’est pas lisible.", kind)
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        raise Refused("411 Length Required", "La longueur du formulaire manque.") from None
    if length > max_bytes or length < 0:
        raise Refused(
            "413 Content Too Large",
            f"Le formulaire est trop long ({length} octets, au plus {max_bytes}).",
        )
    body = environ["wsgi.input"].read(length)
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refused("400 Bad Request", "Le formulaire n’est pas lisible.", str(exc)) from None
    fields: dict[str, str] = {}
    for name, values in parsed.items():
        if len(values) > 1:
            raise Refused("400 Bad Request", f"Le champ « {name[:40]} » est donné plusieurs fois.")
        if len(values[0]) > FIELD_MAX:
            raise Refused("400 Bad Request", f"Le champ « {name[:40]} » est trop long.")
        fields[name] = values[0]
    return fields
