"""What a test does when something it needs beyond the Python packages is missing: a system
tool it drives (Chromium, SpamAssassin, openssl), Playwright, root (to mount a small
tmpfs), the shared data beside the checkout (../shared). Skip on a developer's machine,
fail in CI: `.ci/run` (as root, in the layout with ../shared) installs the tools and sets
DIGEST_TESTS_REQUIRE_TOOLS=1, so there a missing need can never pass as a skipped test.
Every such skip goes through `missing_tool`; no test calls pytest.skip itself."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing_tool(reason: str) -> NoReturn:
    if os.environ.get("DIGEST_TESTS_REQUIRE_TOOLS") == "1":
        pytest.fail(f"{reason} (CI requires every tool-driven test to run)")
    pytest.skip(reason)
