"""The application layer: one module per use case, the only thing the adapters (the
command line, the scheduler's jobs, the web apps) call. A use case loads what it needs
from the store, hands it to the stages (ingest, summarize, render, mail) and stores or
returns the result; it never parses input or prints (see docs/architecture.md)."""
