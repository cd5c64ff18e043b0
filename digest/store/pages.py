"""The page cache of teaser feeds (issue 15, `full_text`): article pages' main text by URL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select

from digest.store.schema import PageRow
from digest.store.session import StoreCore

_CHUNK = 500  # bound parameters per IN query (SQLite's historical limit is 999)


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", errors="surrogatepass")).hexdigest()


class PageQueries:
    def cached_pages(self: StoreCore, urls: Iterable[str]) -> dict[str, str | None]:
        """The pages fetched before among `urls`: their text (None: the page had none)."""
        by_hash = {url_hash(url): url for url in urls}
        hashes = list(by_hash)
        found: dict[str, str | None] = {}
        with self.session() as s:
            for start in range(0, len(hashes), _CHUNK):
                rows = s.execute(
                    select(PageRow.url_hash, PageRow.text).where(
                        PageRow.url_hash.in_(hashes[start : start + _CHUNK])
                    )
                )
                for digest, text in rows:
                    found[by_hash[digest]] = text
        return found

    def cache_pages(
        self: StoreCore, pages: Sequence[tuple[str, str | None]], now: datetime
    ) -> None:
        """Remember the pages just fetched (url, text or None); a page already there stays."""
        if not pages:
            return
        known = set(PageQueries.cached_pages(self, [url for url, _ in pages]))
        with self.write_lock, self.session() as s:
            for url, text in dict(pages).items():
                if url not in known:
                    known.add(url)
                    s.add(PageRow(url_hash=url_hash(url), url=url, text=text, fetched_at=now))
