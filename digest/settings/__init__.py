"""Typed settings: every key of feeds.yaml and every DIGEST_* variable, declared once.

Each field carries its type (a checked kind from `digest.settings.values`), its default,
its environment variable when it has one, and its doc string; the loader
(`digest.config.load_settings`), its error messages and the README's configuration table
(`python -m digest.settings.doc`) all derive from these declarations. The classes are
pydantic dataclasses: real frozen dataclasses (`dataclasses.replace` works, and checks
the new values), validated with `extra="forbid"`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass as stdlib_dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, model_validator
from pydantic.config import JsonDict
from pydantic.dataclasses import dataclass

from digest.settings.registry import declared
from digest.settings.values import (
    BaseUrl,
    Count,
    CountOrZero,
    Cron,
    DatabaseUrl,
    DisplayName,
    ExistingFile,
    ExistingPath,
    Flag,
    Folder,
    Line,
    LineOrEmpty,
    LineTemplate,
    Name,
    Network,
    Number,
    NumberOrZero,
    Port,
    Text,
    TimeZoneName,
    Url,
    one_of,
    refuse,
    template_problems,
    unknown_key,
)
from digest.typography import ARTICLES

__all__ = [
    "ENV_VARS",
    "DkimSettings",
    "DocumentSource",
    "EnvVar",
    "FeedSource",
    "FetchSettings",
    "ImapConnection",
    "InboxSource",
    "IssueSettings",
    "MailSettings",
    "MailboxSettings",
    "NamedSource",
    "NewsletterSettings",
    "OpenAISettings",
    "Pin",
    "Settings",
    "SmtpSettings",
    "SummarizerSettings",
    "Theme",
    "WebSettings",
    "setting",
    "template_problems",
]

# validate_by_name: code builds settings by attribute name (`MailSettings(sender=…)`,
# `replace()`); the loader validates the file by its keys only (`from:`), see digest.config.
# validate_default: a default goes through the same checks as a value from the file (the
# default outbox, like a given one, lies beside the configuration file, not in the cwd).
# defer_build: a class's validator is built when first used, not when `digest --help`
# imports it.
CONFIG = ConfigDict(
    extra="forbid",
    validate_by_name=True,
    validate_by_alias=True,
    validate_default=True,
    defer_build=True,
)


def setting(
    default: Any = ...,
    doc: str = "",
    *,
    env: str | None = None,
    in_file: bool = True,
    secret: bool = False,
    key: str | None = None,
    shown: str | None = None,
    factory: Any = None,
) -> Any:
    """Declare one setting: its default (`...`: required), doc string and where it comes from.

    `env`: the DIGEST_* variable that sets it (over the file); `in_file=False`: only that
    variable can (secrets: `secret=True`); `key`: its name in the file when the attribute
    cannot have it (`from`); `shown`: the default as the README states it, when computed.
    """
    extra: JsonDict = {"env": env, "in_file": in_file, "secret": secret, "shown": shown}
    if factory is not None:
        return Field(default_factory=factory, description=doc, json_schema_extra=extra)
    return Field(default, description=doc, validation_alias=key, json_schema_extra=extra)


@stdlib_dataclass(frozen=True, slots=True)
class EnvVar:
    name: str
    help: str


# Variables that set no single field; the others are read from the fields' `env`.
PROCESS_ENV_VARS = (
    EnvVar("DIGEST_CONFIG", "path of the configuration file (default `./feeds.yaml`)"),
    EnvVar(
        "DIGEST_LOG_LEVEL",
        "`DEBUG`, `INFO`, `WARNING` (default) or `ERROR`; logs go to stderr, one line per event",
    ),
    EnvVar(
        "DIGEST_SMTP_URL",
        "`smtp://user:pass@host:587?tls=starttls` or `smtps://…`: selects the smtp transport "
        "and overrides `mail.smtp`",
    ),
)

DEFAULT_USER_AGENT = "digest/0.1 (French AI-news newsletter; +https://github.com/digest-newsletter)"
DEFAULT_SUBJECT_TEMPLATE = "{title} n°{number} — {topics}"
DEFAULT_PREHEADER_TEMPLATE = "{lead}"


@dataclass(frozen=True, slots=True, config=CONFIG)
class FetchSettings:
    """How feeds are fetched over HTTP."""

    timeout_seconds: Number = setting(20.0, "timeout of one feed request")
    # A cap on the *decoded* body: a gzip bomb stops here.
    max_bytes: Count = setting(10 * 1024 * 1024, "cap on a feed's decoded body, in bytes")
    max_redirects: CountOrZero = setting(5, "redirects followed per request")
    concurrency: Count = setting(8, "feeds fetched at once")
    user_agent: Line = setting(DEFAULT_USER_AGENT, "User-Agent header", shown="`digest/0.1 (…)`")
    backoff_base_minutes: Number = setting(
        15.0, "retry delay of a failing feed: base × 2^(failures−1) ± 20 %, capped"
    )
    backoff_max_hours: Number = setting(24.0, "the cap of that retry delay")


# The shared blocks below have no slots of their own (`__slots__ = ()`): a class may then
# have two of them as bases (two slotted bases cannot share an instance layout), and the
# @dataclass(slots=True) of each class that uses them gives it the slots of every field.
# A subclass's fields come after its bases', in reverse order of the bases: so the order
# of the keys (the README's table, the order of the loader's errors) is the bases' order.


@dataclass(frozen=True, config=CONFIG)
class NamedSource:
    """A source named for `--source` and its row in the store (a feed, an inbox)."""

    __slots__ = ()

    name: Name = setting(doc="a short unique name, used by --source")


@dataclass(frozen=True, slots=True, config=CONFIG)
class FeedSource(NamedSource):
    """One RSS or Atom feed."""

    url: Url = setting(doc="the feed's RSS or Atom address")
    weight: Number = setting(1.0, "how much its stories count when ranking")
    language: Line | None = setting(None, "language of its items, when the feed does not say")
    enabled: Flag = setting(True, "false to skip it without deleting it")
    timeout_seconds: Number | None = setting(None, "overrides fetch.timeout_seconds")
    full_text: Flag = setting(
        False,
        "true for a feed of teasers: fetch each item's page (robots.txt respected, 2 requests "
        "at once per site, each page once) and keep its main text",
    )


@dataclass(frozen=True, slots=True, config=CONFIG)
class DocumentSource:
    """A file or a folder of documents (every .txt, .md, .html, .pdf, .eml, .mbox file in it)."""

    path: ExistingPath = setting(doc="a file or a folder of documents, relative to the file")
    weight: Number = setting(1.0, "how much its stories count when ranking")
    name: DisplayName | None = setting(
        None, "what readers see as the source (one line, at most 100 characters)"
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_path(cls, value: Any) -> Any:
        """`- documents` is short for `- {path: documents}`."""
        return {"path": value} if isinstance(value, str) else value


ImapSecurity = Annotated[Line, one_of("a security mode", "tls", "starttls")]


def imap_timeout() -> Any:
    """The timeout of an IMAP block, declared here once: it is the block's last key, after
    the block's own, so it cannot be a field of ImapConnection, whose keys come first."""
    return setting(30.0, "timeout of one IMAP exchange")


@dataclass(frozen=True, config=CONFIG)
class ImapConnection:
    """Where an IMAP mailbox is and how to log in (over TLS): what a newsletter inbox and
    the bounce mailbox share (digest.ingest.imap connects with it)."""

    __slots__ = ()

    host: Line = setting(doc="the IMAP server's host name")
    user: Line = setting(doc="the login name")
    port: Port = setting(993, "the server's port")
    folder: Line = setting("INBOX", "the folder to read")
    security: ImapSecurity = setting(
        "tls", "`tls` (implicit TLS, port 993) or `starttls` (port 143, then TLS)"
    )
    ca_file: ExistingFile | None = setting(
        None,
        "a PEM certificate to trust instead of the system's (a self-signed server), "
        "relative to the file",
    )


@dataclass(frozen=True, slots=True, config=CONFIG)
class InboxSource(ImapConnection, NamedSource):  # the name first, then the connection
    """A mailbox other newsletters are sent to (IMAP over TLS): each ingest reads its unseen
    messages as newsletters, then marks them seen; it never deletes one."""

    folder: Line = setting("INBOX", "the folder the newsletters arrive in")
    password_env: Line = setting(
        "DIGEST_INBOX_PASSWORD",
        "the environment variable that holds the password (never the file)",
    )
    password: str | None = setting(
        None, "read from the variable `password_env` names", in_file=False, secret=True
    )
    weight: Number = setting(1.0, "how much its stories count when ranking")
    enabled: Flag = setting(True, "false to skip it without deleting it")
    max_messages: Count = setting(50, "unseen messages read per ingest; the rest wait")
    max_message_bytes: Count = setting(
        5 * 1024 * 1024, "a larger message is marked seen unread (an attachment, not a letter)"
    )
    timeout_seconds: Number = imap_timeout()


@dataclass(frozen=True, slots=True, config=CONFIG)
class Theme:
    """A section of an issue."""

    id: Name = setting(doc="a short unique id, which pins name")
    title: Line = setting(doc="the section title shown in the email")
    description: Text = setting("", "what belongs here; compared with each story's words")
    keywords: tuple[Line, ...] = setting((), "words that place a story here (triple in a title)")


@dataclass(frozen=True, slots=True, config=CONFIG)
class Pin:
    """An editor's rule: stories from this source, or mentioning this keyword, go to theme."""

    theme: Line = setting(doc="the id of the theme to pin to, or en-bref")
    source: Line | None = setting(None, "a feed name or a document file name")
    keyword: Line | None = setting(None, "a word or phrase in the story")

    @model_validator(mode="after")
    def _source_or_keyword(self) -> Pin:
        if (self.source is None) == (self.keyword is None):
            refuse("give exactly one of source: or keyword:")
        return self


@dataclass(frozen=True, slots=True, config=CONFIG)
class IssueSettings:
    """The shape of an issue."""

    period_days: Count = setting(7, "the first issue's period; later ones start at the last sent")
    max_per_section: Count = setting(5, "entries per themed section")
    max_entries: Count = setting(30, "themed entries in all; the rest go to « En bref »")
    max_briefs: Count = setting(15, "entries of « En bref »")
    summary_words: Count = setting(40, "words of an entry's summary")


@dataclass(frozen=True, slots=True, config=CONFIG)
class OpenAISettings:
    """The OpenAI-compatible chat API of the `openai` summarizer backend."""

    base_url: BaseUrl = setting("http://127.0.0.1:11434/v1", "the API's base URL")
    model: Line = setting("mistral", "the model name the API knows")
    timeout_seconds: Number = setting(60.0, "timeout of one request")
    api_key: str | None = setting(
        None,
        "API key of the optional OpenAI-compatible summarizer backend",
        env="DIGEST_LLM_API_KEY",
        in_file=False,
        secret=True,
    )


@dataclass(frozen=True, slots=True, config=CONFIG)
class SummarizerSettings:
    """How summaries and blurbs are written."""

    backend: Annotated[Line, one_of("a backend", "extractive", "openai")] = setting(
        "extractive", "`extractive` (embedded, offline) or `openai` (a chat API)"
    )
    openai: OpenAISettings = setting(doc="the chat API", factory=OpenAISettings)


@dataclass(frozen=True, slots=True, config=CONFIG)
class NewsletterSettings:
    """Identity of the newsletter."""

    title: Line = setting(doc="the newsletter's name, shown in every issue")
    title_article: Annotated[Line, one_of("an article", *ARTICLES)] = setting(
        "auto",
        "the article of the name after « à » and « de » (« au Fil IA »): `auto` reads it from "
        "the name; `le`, `la`, `les`, `l’` for a name written without it; `none`",
    )
    language: Line = setting("fr", "language of the issues")
    tagline: LineOrEmpty = setting("", "a line under the title")
    base_url: BaseUrl = setting("http://127.0.0.1:8080", "public address of the web endpoints")
    subject_template: LineTemplate = setting(
        DEFAULT_SUBJECT_TEMPLATE,
        "an issue's subject; placeholders {title} {number} {topics} (the strongest stories' "
        "names, as many as fit) {lead}",
    )
    preheader_template: LineTemplate = setting(
        DEFAULT_PREHEADER_TEMPLATE, "an issue's inbox preview; same placeholders"
    )


@dataclass(frozen=True, slots=True, config=CONFIG)
class SmtpSettings:
    """The SMTP server of the smtp transport (no secrets here)."""

    host: Line = setting("127.0.0.1", "server host name")
    port: Port = setting(587, "server port")
    security: Annotated[Line, one_of("a security mode", "starttls", "tls", "none")] = setting(
        "starttls", "`starttls`, `tls` (implicit, port 465) or `none`"
    )
    username: Line | None = setting(None, "login name")
    password: str | None = setting(
        None,
        "the password of `mail.smtp.username`",
        env="DIGEST_SMTP_PASSWORD",
        in_file=False,
        secret=True,
    )
    connections: Count = setting(2, "connections open at once")
    rate_per_second: NumberOrZero = setting(0.0, "messages per second (0: as fast as it takes)")
    # Like listmonk's sliding window.
    window_messages: CountOrZero = setting(0, "at most this many per window (0: no window)")
    window_seconds: Number = setting(3600.0, "length of that window")
    timeout_seconds: Number = setting(30.0, "timeout of one SMTP exchange")


@dataclass(frozen=True, slots=True, config=CONFIG)
class DkimSettings:
    """DKIM signing of outgoing mail."""

    domain: Line = setting(doc="the signing domain, d= in the signature")
    selector: Line = setting(doc="the DNS selector, s= in the signature")
    key_file: ExistingFile = setting(doc="a PEM private key, relative to the file")


@dataclass(frozen=True, slots=True, config=CONFIG)
class MailboxSettings(ImapConnection):
    """The mailbox bounces and `mailto:` unsubscribe requests come back to (IMAP over TLS)."""

    password: str | None = setting(
        None,
        "the password of `mail.mailbox.user`",
        env="DIGEST_MAILBOX_PASSWORD",
        in_file=False,
        secret=True,
    )
    unparsed_folder: Line = setting(
        "digest-unparsed", "where messages that are neither a bounce nor a request are moved"
    )
    every_minutes: Number = setting(15.0, "how often `digest serve` reads it")
    max_messages: Count = setting(200, "unseen messages read per pass; the rest wait")
    max_message_bytes: Count = setting(
        1024 * 1024, "a larger message is filed unread (a bounce report is a few KB)"
    )
    timeout_seconds: Number = imap_timeout()


@dataclass(frozen=True, slots=True, config=CONFIG)
class MailSettings:
    """Delivery (no secrets here: they come from the environment)."""

    transport: Annotated[Line, one_of("a transport", "outbox", "smtp")] = setting(
        "outbox", "`outbox` (.eml files) or `smtp`"
    )
    outbox_dir: Folder = setting(Path("outbox"), "folder of the outbox transport")
    sender: LineOrEmpty = setting("", "the From address", key="from")
    reply_to: LineOrEmpty = setting("", "the Reply-To address")
    smtp: SmtpSettings = setting(doc="the SMTP server", factory=SmtpSettings)
    max_attempts: Count = setting(5, "4xx answers before a delivery is given up")
    retry_base_seconds: Number = setting(60.0, "first retry delay after a 4xx answer")
    auto_approve: Flag = setting(
        False,
        "send drafts without `digest approve` (off: an editor releases each issue; only the "
        "offline quick start approves its own draft, and says so)",
    )
    demo_subscriber: Line | None = setting(
        None,
        "an address the offline quick start (`digest --offline run` with the outbox) keeps "
        "subscribed; never added anywhere else",
    )
    welcome: Flag = setting(
        True,
        "mail a welcome (with the unsubscribe and preferences links) to whoever confirms "
        "their subscription; false: the first issue is the first mail",
    )
    dkim: DkimSettings | None = setting(None, "DKIM signing: domain, selector and key_file")
    mailbox: MailboxSettings | None = setting(
        None, "read bounces and `mailto:` unsubscribes from this IMAP mailbox (host, user…)"
    )
    secret_key: str | None = setting(
        None,
        "the secret that signs unsubscribe and confirmation links, at least 16 characters: "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`. `digest serve` "
        "(with its web endpoints) and any SMTP send (`send`, `run`, the scheduled send) refuse "
        "to start without it (exit 2): with the public sample key anyone could forge links. "
        "Only the outbox and the 127.0.0.1 `preview` sign with the sample key, and say so",
        env="DIGEST_SECRET_KEY",
        in_file=False,
        secret=True,
    )


@dataclass(frozen=True, slots=True, config=CONFIG)
class WebSettings:
    """`digest serve`'s public endpoints: waitress limits and the subscribe form's caps."""

    threads: Count = setting(4, "waitress worker threads")
    connection_limit: Count = setting(100, "open connections; beyond it waitress stops accepting")
    channel_timeout_seconds: Number = setting(30.0, "an idle or trickling client is dropped after")
    # The largest form is a few hundred bytes.
    max_request_body_bytes: Count = setting(64 * 1024, "largest request body")
    max_request_header_bytes: Count = setting(16 * 1024, "largest request headers")
    # Without one, a client could name any address and escape the per-client cap.
    trusted_proxies: tuple[Network, ...] = setting(
        (), "addresses or networks of reverse proxies whose X-Forwarded-For is believed"
    )
    subscribes_per_client_per_hour: Count = setting(10, "per-client cap of the subscribe form")
    confirm_every_seconds: Number = setting(15.0, "how often the worker mails confirmations")


def _job_name(value: Any) -> str:
    if value not in SCHEDULED_JOBS:
        refuse(unknown_key(str(value), SCHEDULED_JOBS))
    return str(value)


SCHEDULED_JOBS = ("ingest", "build", "send")
JobName = Annotated[str, BeforeValidator(_job_name)]


@dataclass(frozen=True, slots=True, config=CONFIG)
class Settings:
    """Everything the configuration file and the environment say."""

    config_path: Path = setting(doc="the file these settings came from", in_file=False)
    newsletter: NewsletterSettings = setting(doc="identity of the newsletter; title: is required")
    timezone: TimeZoneName = setting("Europe/Paris", "IANA zone for the schedule and dates")
    database_url: DatabaseUrl = setting(
        doc="SQLAlchemy URL (sqlite:///PATH or postgresql+psycopg://USER@HOST/DB)",
        env="DIGEST_DATABASE_URL",
        shown="SQLite `digest.db` beside the file",
    )
    schedule: Mapping[JobName, Cron] = setting(
        doc="5-field cron expressions for ingest, build and send, in the timezone", factory=dict
    )
    fetch: FetchSettings = setting(doc="HTTP limits", factory=FetchSettings)
    feeds: tuple[FeedSource, ...] = setting((), "RSS and Atom feeds; names are unique")
    documents: tuple[DocumentSource, ...] = setting(
        (), "documents: a path, or {path, weight, name}"
    )
    inboxes: tuple[InboxSource, ...] = setting(
        (), "IMAP mailboxes of newsletters: {name, host, user, folder…}; names are unique"
    )
    themes: tuple[Theme, ...] = setting((), "the sections of an issue; ids are unique")
    mail: MailSettings = setting(doc="delivery", factory=MailSettings)
    offline: Flag = setting(
        False,
        "`1` to skip network sources (feeds); documents are still read",
        env="DIGEST_OFFLINE",
        in_file=False,
    )
    issue: IssueSettings = setting(doc="the shape of an issue", factory=IssueSettings)
    summarizer: SummarizerSettings = setting(doc="summaries and blurbs", factory=SummarizerSettings)
    pins: tuple[Pin, ...] = setting((), "{theme, source} or {theme, keyword}: editors' overrides")
    web: WebSettings = setting(doc="public endpoints of `digest serve`", factory=WebSettings)

    def source_weight(self, name: str) -> float:
        """The configured weight of a feed or a document file (1.0 when not set)."""
        for feed in self.feeds:
            if feed.name == name:
                return feed.weight
        for inbox in self.inboxes:
            if inbox.name == name:
                return inbox.weight
        for document in self.documents:
            if document.path.name == name or (document.path / name).is_file():
                return document.weight
        return 1.0


# Every DIGEST_* variable: the process-wide ones, then each setting's own.
ENV_VARS: tuple[EnvVar, ...] = PROCESS_ENV_VARS + tuple(
    EnvVar(setting.env, setting.doc + (f"; overrides `{setting.key}`" if setting.in_file else ""))
    for setting in declared(Settings)
    if setting.env
)
