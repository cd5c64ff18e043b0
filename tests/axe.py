"""axe-core, the accessibility engine specialists use, run in headless Chromium (issue 16).

`make test` installs axe-core from npm into `.ci/node` (git-ignored; the version is pinned
in the Makefile). `audit` injects it into a page opened with `bypass_csp=True` (our pages
allow no script), runs the WCAG 2.0 / 2.1 A and AA rules on the top document and returns
what it found (an embedded email is audited on its own file: the preview's frame is
sandboxed, so no script runs there, axe's included); `assert_accessible` fails on
any serious or critical violation and on any lesser one that `ACCEPTED` does not explain.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .needs import missing_tool

REPO = Path(__file__).resolve().parent.parent
AXE = Path(os.environ.get("DIGEST_AXE_JS", REPO / ".ci/node/node_modules/axe-core/axe.min.js"))
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}

# Moderate or minor findings we accept, each with its reason. Any other fails the test.
ACCEPTED: dict[str, str] = {}


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:3]) + (" …" if len(self.targets) > 3 else "")
        return f"{self.rule} ({self.impact}, {len(self.targets)}×): {self.help} [{shown}]"


def axe_script() -> Path:
    """The axe-core bundle, or a skip (a failure in CI) saying how to install it."""
    if not AXE.is_file():
        missing_tool(f"no axe-core at {AXE}: run `make test` (npm install --prefix .ci/node)")
    return AXE


_RUN_JS = """
async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                          resultTypes: ["violations"], iframes: false});
  return result.violations.map((v) => ({rule: v.id, impact: v.impact || "minor",
    help: v.help, targets: v.nodes.map((n) => n.target.join(" "))}));
}
"""


def audit(page: Any) -> list[Violation]:
    """axe's violations of the WCAG A/AA rules on `page`, opened with `bypass_csp=True`."""
    page.add_script_tag(path=str(axe_script()))
    found = page.evaluate(_RUN_JS, WCAG_TAGS)
    return [Violation(v["rule"], v["impact"], v["help"], tuple(v["targets"])) for v in found]


def assert_accessible(page: Any, where: str) -> list[Violation]:
    """No serious or critical violation, no unexplained lesser one; returns the accepted
    ones (printed, so the test output lists them with their reasons)."""
    violations = audit(page)
    blocking = [v for v in violations if v.impact in BLOCKING or v.rule not in ACCEPTED]
    assert not blocking, f"{where}: " + "; ".join(map(str, blocking))
    for violation in violations:
        print(f"{where}: accepted {violation}: {ACCEPTED[violation.rule]}")
    return violations
