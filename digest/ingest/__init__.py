"""The ingest stage: documents, feeds and newsletter inboxes into the store (run.py)."""

import sys

# httpx's own __init__ imports its command-line client, httpx._main, whose click, rich.progress,
# rich.syntax and pygments cost a fifth of importing httpx (15-20 ms of an unchanged
# re-ingest, issue 12 item 6), and falls back to a stub `main` when that import fails.
# digest never runs httpx's command line: a None in sys.modules makes importing that one
# module fail (the import system's documented rule). setdefault: an httpx already imported
# whole is left as it is.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # typeshed: modules only
