"""Headless Chromium for the tests: Debian's `chromium` package, driven by Playwright for
Python (its own browser downloads are never used: `playwright install` is not needed).

`browser` is a session fixture; the helpers measure what a reader would notice: sideways
scrolling, text too small to read, links that go nowhere. `served` runs a WSGI application
under waitress on a free port of 127.0.0.1, as `digest preview` does. Where Chromium or
Playwright is missing, the tests that use `browser` skip, saying what to install.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .needs import missing_tool

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No traffic of its own (updates, sync, field trials): the tests' only network is
    # 127.0.0.1, and file:// pages.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MIN_FONT_PX = 14.0

# Elements that hold text of their own (not only children's), with a computed size below
# the minimum. Elements that never show (script, style, title) are left out.
_SMALL_TEXT_JS = """
(minimum) => {
  const skip = new Set(["SCRIPT", "STYLE", "TITLE", "NOSCRIPT", "TEMPLATE"]);
  const small = [];
  for (const element of [document.body, ...document.body.querySelectorAll("*")]) {
    if (skip.has(element.tagName)) continue;
    const text = Array.from(element.childNodes)
      .filter((node) => node.nodeType === Node.TEXT_NODE)
      .map((node) => node.textContent.trim())
      .join(" ")
      .trim();
    if (!text) continue;
    const size = parseFloat(getComputedStyle(element).fontSize);
    if (size < minimum) {
      small.push(`<${element.tagName.toLowerCase()} class="${element.className}"> ` +
        `${size}px: ${text.slice(0, 50)}`);
    }
  }
  return small;
}
"""

# Links whose href is empty or not http(s)/mailto (as the browser resolved it).
_BAD_LINKS_JS = """
() => Array.from(document.querySelectorAll("a"))
  .filter((a) => !(a.getAttribute("href") || "").trim() ||
    !["http:", "https:", "mailto:"].includes(new URL(a.href, document.baseURI).protocol))
  .map((a) => `${a.textContent.trim().slice(0, 40)} -> ${a.getAttribute("href")}`)
"""

_WIDTHS_JS = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"


# Named apart from its fixture name, so a test module imports it without shadowing it.
@pytest.fixture(scope="session", name="browser")
def browser_fixture() -> Iterator[Any]:
    """Chromium, launched once for the session."""
    if not CHROMIUM.exists():
        missing_tool(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_tool("Playwright for Python is missing: pip install playwright")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


@contextmanager
def opened(
    browser: Any,
    url: str,
    width: int,
    height: int = 900,
    color_scheme: str = "light",
    bypass_csp: bool = False,
) -> Iterator[Any]:
    """A page at `url` in a window `width` CSS pixels wide, in the reader's light or dark
    mode; fails on any console error (a script blocked by the page's
    Content-Security-Policy shows up there). `bypass_csp` lets a test inject a script of
    its own (axe-core) into a page whose policy allows none."""
    context = browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme=color_scheme,
        bypass_csp=bypass_csp,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(url, wait_until="load")
        yield page
        assert not errors, f"console errors on {url}: {errors}"
    finally:
        context.close()


def overflow(frame: Any) -> tuple[int, int]:
    """(scroll width, window width): the first larger means sideways scrolling."""
    scroll_width, window_width = frame.evaluate(_WIDTHS_JS)
    return int(scroll_width), int(window_width)


def small_text(frame: Any, minimum: float = MIN_FONT_PX) -> list[str]:
    return list(frame.evaluate(_SMALL_TEXT_JS, minimum))


def bad_links(frame: Any) -> list[str]:
    return list(frame.evaluate(_BAD_LINKS_JS))


def check_readable(frame: Any, where: str) -> None:
    """No sideways scrolling, no text under 14 px, every link http(s) or mailto."""
    scroll_width, window_width = overflow(frame)
    assert scroll_width <= window_width, f"{where}: {scroll_width}px wide in {window_width}px"
    assert not small_text(frame), f"{where}: text under {MIN_FONT_PX}px: {small_text(frame)}"
    assert not bad_links(frame), f"{where}: links that go nowhere: {bad_links(frame)}"


@contextmanager
def served(app: Callable[..., Any]) -> Iterator[str]:
    """`app` under waitress on a free port of 127.0.0.1; yields its base URL."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)
