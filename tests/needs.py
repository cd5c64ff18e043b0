"""What a test does when a system tool it drives (Chromium, SpamAssassin, openssl) is not
installed: skip on a developer's machine, fail in CI. `.ci/run` installs the tools and sets
DIGEST_TESTS_REQUIRE_TOOLS=1, so there a missing tool can never pass as a skipped test."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing_tool(reason: str) -> NoReturn:
    if os.environ.get("DIGEST_TESTS_REQUIRE_TOOLS") == "1":
        pytest.fail(f"{reason} (CI requires every tool-driven test to run)")
    pytest.skip(reason)
