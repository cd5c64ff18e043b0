"""An email lint on Can I email's data (../shared/caniemail): which HTML elements and CSS
properties an email uses, and whether the clients our readers use support them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

# Gmail, Outlook, Apple Mail, Yahoo and the French webmails (their keys in the data).
CLIENTS = ("gmail", "outlook", "apple-mail", "yahoo", "orange", "sfr", "laposte", "free-fr")
# Elements with a feature page of a different name (h1…h6 share one; ul/ol/li are "lists").
_TAG_FEATURES = {
    **{f"h{n}": "html-h1-h6" for n in range(1, 7)},
    "ul": "html-lists",
    "ol": "html-lists",
    "li": "html-lists",
    "td": "html-table",
    "tr": "html-table",
    "th": "html-table",
}


@dataclass(frozen=True, slots=True)
class Support:
    feature: str
    unsupported: tuple[str, ...]  # "outlook/windows 2019: n", … (latest version per platform)

    @property
    def ok(self) -> bool:
        return not self.unsupported


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.properties: set[str] = set()
        self.style_blocks: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name == "style" and value:
                self.properties.update(_declared(value))

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style_blocks.append(data)


def _declared(css: str) -> set[str]:
    return {m.group(1).lower() for m in re.finditer(r"(?:^|[;{\s])([a-z-]+)\s*:", css)}


def features_used(html: str, data: Path) -> set[str]:
    """Can I email feature names for what the HTML uses (those the data describes)."""
    collector = _Collector()
    collector.feed(html)
    properties = set(collector.properties)
    features = set()
    for block in collector.style_blocks:
        properties |= _declared(re.sub(r"@media[^{]+\{", "", block))
        if "@media" in block:
            features.add("css-at-media")
        if "prefers-color-scheme" in block:
            features.add("css-at-media-prefers-color-scheme")
    for prop in properties:
        feature = _css_feature(prop, data)
        if feature:
            features.add(feature)
    for tag in collector.tags:
        feature = _TAG_FEATURES.get(tag, f"html-{tag}")
        if (data / f"{feature}.md").exists():
            features.add(feature)
    return features


def _css_feature(prop: str, data: Path) -> str | None:
    """css-padding-left → css-padding: the longest feature page the property belongs to."""
    if prop.startswith("mso-"):
        return None  # Outlook's own properties: meant for Outlook, ignored by the others
    parts = prop.split("-")
    for size in range(len(parts), 0, -1):
        name = "css-" + "-".join(parts[:size])
        if (data / f"{name}.md").exists():
            return name
    return None


def support(feature: str, data: Path) -> Support:
    stats = _stats(data / f"{feature}.md")
    unsupported = []
    for client in CLIENTS:
        for platform, versions in (stats.get(client) or {}).items():
            if not versions:
                continue
            latest = list(versions.items())[-1]
            value = str(latest[1]).split()[0]
            if value == "n":
                unsupported.append(f"{client}/{platform} {latest[0]}: n")
    return Support(feature, tuple(unsupported))


@cache
def _stats(path: Path) -> dict[str, Any]:
    front = path.read_text(encoding="utf-8").split("---")[1]
    block = front[front.index("stats:") :].replace("\t", "    ")
    # The stats mapping is JSON-like flow YAML that ends where the next key starts.
    end = re.search(r"\n[a-z_]+:", block[len("stats:") :])
    text = block if end is None else block[: len("stats:") + end.start()]
    parsed = yaml.safe_load(text)
    return dict(parsed.get("stats") or {})
