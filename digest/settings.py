"""Typed settings: what the configuration file and the environment say, once validated.

Built by `digest.config.load_settings`; the command line hands each stage its slice.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class EnvVar:
    name: str
    help: str


# The one registry of environment variables: the README documents each (a test checks).
ENV_VARS: tuple[EnvVar, ...] = (
    EnvVar("DIGEST_CONFIG", "path of the configuration file (default ./feeds.yaml)"),
    EnvVar("DIGEST_DATABASE_URL", "SQLAlchemy database URL; overrides the file's database_url"),
    EnvVar("DIGEST_OFFLINE", "1 to skip network sources (feeds); documents are still read"),
    EnvVar("DIGEST_LOG_LEVEL", "DEBUG, INFO, WARNING (default) or ERROR"),
    EnvVar("DIGEST_LLM_API_KEY", "API key of the OpenAI-compatible summarizer backend"),
    EnvVar("DIGEST_SECRET_KEY", "secret that signs unsubscribe and confirmation links"),
    EnvVar(
        "DIGEST_SMTP_URL",
        "smtp://user:pass@host:587?tls=starttls; selects SMTP, overrides the file",
    ),
    EnvVar("DIGEST_SMTP_PASSWORD", "password of mail.smtp.username"),
)

DEFAULT_USER_AGENT = "digest/0.1 (French AI-news newsletter; +https://github.com/digest-newsletter)"


@dataclass(frozen=True, slots=True)
class FetchSettings:
    timeout_seconds: float = 20.0
    max_bytes: int = 10 * 1024 * 1024  # cap on the *decoded* body: a gzip bomb stops here
    max_redirects: int = 5
    concurrency: int = 8
    user_agent: str = DEFAULT_USER_AGENT
    backoff_base_minutes: float = 15.0
    backoff_max_hours: float = 24.0


@dataclass(frozen=True, slots=True)
class FeedSource:
    name: str
    url: str
    weight: float = 1.0
    language: str | None = None
    enabled: bool = True
    timeout_seconds: float | None = None  # per-feed override of fetch.timeout_seconds


@dataclass(frozen=True, slots=True)
class DocumentSource:
    path: Path  # a file or a folder (every .txt, .md, .html file in it)
    weight: float = 1.0
    name: str | None = None  # what readers see as the source, over the title found inside


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    title: str
    description: str = ""
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Pin:
    """An editor's rule: stories from this source, or mentioning this keyword, go to theme."""

    theme: str
    source: str | None = None
    keyword: str | None = None


@dataclass(frozen=True, slots=True)
class IssueSettings:
    period_days: int = 7  # the first issue's period; later ones start at the last sent issue
    max_per_section: int = 5
    max_entries: int = 30  # themed entries in all; the rest go to « En bref »
    max_briefs: int = 15
    summary_words: int = 40


@dataclass(frozen=True, slots=True)
class OpenAISettings:
    base_url: str = "http://127.0.0.1:11434/v1"
    model: str = "mistral"
    timeout_seconds: float = 60.0
    api_key: str | None = None  # from DIGEST_LLM_API_KEY, never from the file


@dataclass(frozen=True, slots=True)
class SummarizerSettings:
    backend: str = "extractive"  # or "openai": an OpenAI-compatible chat API
    openai: OpenAISettings = field(default_factory=OpenAISettings)


DEFAULT_SUBJECT_TEMPLATE = "{title} n°{number} — {topics}"
DEFAULT_PREHEADER_TEMPLATE = "{lead}"

# What subject_template and preheader_template may name; filled at build time by
# summarize/subject.py. Declared here, beside the defaults, so that loading the
# configuration checks the templates without importing the summarizer.
TEMPLATE_PLACEHOLDERS = ("title", "number", "topics", "lead")


def template_problems(template: str) -> list[str]:
    """What is wrong with a subject or preheader template ([] when it is usable)."""
    if any(ch in template for ch in "\r\n\x00"):
        return ["must be one line (a line break in a mail header would split it)"]
    try:
        fields = [f for _, f, spec, conv in string.Formatter().parse(template) if f is not None]
        specs = [(spec, conv) for _, f, spec, conv in string.Formatter().parse(template) if f]
    except ValueError:
        return ["unbalanced braces (write {{ or }} for a literal brace)"]
    allowed = ", ".join("{" + p + "}" for p in TEMPLATE_PLACEHOLDERS)
    problems = [
        f"unknown placeholder {{{f}}} (use {allowed})"
        for f in fields
        if f not in TEMPLATE_PLACEHOLDERS
    ]
    if any(spec or conv for spec, conv in specs):
        problems.append(f"placeholders take no format or conversion (use {allowed})")
    return problems


@dataclass(frozen=True, slots=True)
class NewsletterSettings:
    title: str
    language: str = "fr"
    tagline: str = ""
    base_url: str = "http://127.0.0.1:8080"
    # An issue's subject and preheader; placeholders: {title} {number} {topics} {lead}
    # (digest.summarize.subject). {topics}: the strongest stories' names, as many as fit.
    subject_template: str = DEFAULT_SUBJECT_TEMPLATE
    preheader_template: str = DEFAULT_PREHEADER_TEMPLATE


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 587
    security: str = "starttls"  # starttls, tls (implicit, port 465) or none
    username: str | None = None
    password: str | None = None  # DIGEST_SMTP_PASSWORD or DIGEST_SMTP_URL, never the file
    connections: int = 2
    rate_per_second: float = 0.0  # 0: as fast as the server takes them
    window_messages: int = 0  # at most this many per window (0: no window), like listmonk
    window_seconds: float = 3600.0
    timeout_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class DkimSettings:
    domain: str
    selector: str
    key_file: Path


@dataclass(frozen=True, slots=True)
class MailSettings:
    transport: str = "outbox"
    outbox_dir: Path = Path("outbox")
    sender: str = ""
    reply_to: str = ""
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    max_attempts: int = 5  # 4xx answers before a delivery is given up
    retry_base_seconds: float = 60.0
    auto_approve: bool = False  # send drafts without `digest approve`
    demo_subscriber: str | None = None  # ensured active by `digest run` (the quick start)
    dkim: DkimSettings | None = None
    secret_key: str | None = None  # DIGEST_SECRET_KEY: signs unsubscribe links


@dataclass(frozen=True, slots=True)
class WebSettings:
    """`digest serve`'s public endpoints: waitress limits and the subscribe form's caps."""

    threads: int = 4
    connection_limit: int = 100  # open connections; beyond it waitress stops accepting
    channel_timeout_seconds: float = 30.0  # an idle or trickling client is dropped after it
    max_request_body_bytes: int = 64 * 1024  # the largest form is a few hundred bytes
    max_request_header_bytes: int = 16 * 1024
    # Reverse proxies (addresses or networks) whose X-Forwarded-For is believed; without
    # one, a client could name any address and escape the per-client cap.
    trusted_proxies: tuple[str, ...] = ()
    subscribes_per_client_per_hour: int = 10
    confirm_every_seconds: float = 15.0  # how often the worker mails queued confirmations


@dataclass(frozen=True, slots=True)
class Settings:
    config_path: Path
    newsletter: NewsletterSettings
    timezone: str
    database_url: str
    schedule: Mapping[str, str] = field(default_factory=dict)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    feeds: tuple[FeedSource, ...] = ()
    documents: tuple[DocumentSource, ...] = ()
    themes: tuple[Theme, ...] = ()
    mail: MailSettings = field(default_factory=MailSettings)
    offline: bool = False
    issue: IssueSettings = field(default_factory=IssueSettings)
    summarizer: SummarizerSettings = field(default_factory=SummarizerSettings)
    pins: tuple[Pin, ...] = ()
    web: WebSettings = field(default_factory=WebSettings)

    def source_weight(self, name: str) -> float:
        """The configured weight of a feed or a document file (1.0 when not set)."""
        for feed in self.feeds:
            if feed.name == name:
                return feed.weight
        for document in self.documents:
            if document.path.name == name or (document.path / name).is_file():
                return document.weight
        return 1.0
