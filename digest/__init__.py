"""digest: builds and mails a French AI-news newsletter on a schedule."""

__version__ = "0.1.0"
