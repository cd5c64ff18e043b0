"""The web version of a sent issue (issue 14): the archive's page at /issues/N and the
Atom feed's content.

Takes the issue as the email rendered it (`RenderedIssue.issue`: shrunk when Gmail's limit
made it, so the web shows what readers got), the items its blurbs cite and the settings;
gives an `IssuePage`. The same sections, blurbs and entries as the email, from the same
template context (`render.issue_context`), with no greeting and no subscriber's footer;
each section and story has a stable anchor (#s2, #s2e3). Jinja only: a web page reads its
<style> block, so premailer has no part here. Rendered once per issue and kept; the links
to the previous and next issue, which change when the next one goes out, are a
placeholder that `with_navigation` fills on each request (a string replace).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from digest.models import IssuePage, StoredItem
from digest.render import RenderedIssue, issue_context, jinja_environment, templates_dir
from digest.settings import Settings

if TYPE_CHECKING:
    import jinja2

NAVIGATION_PLACEHOLDER = "<!-- digest:issue-navigation -->"


def public_templates() -> jinja2.Environment:
    """The Jinja environment of templates/public/, every public page's."""
    return jinja_environment(templates_dir() / "public")


def render_web_version(
    rendered: RenderedIssue, items: Mapping[int, StoredItem], settings: Settings
) -> IssuePage:
    """The issue's web page and its article alone, both free of any subscriber's values."""
    context = issue_context(rendered.issue, items, settings)
    pages = public_templates()
    article = pages.get_template("issue_article.html.j2").render(**context)
    page = pages.get_template("issue.html.j2").render(
        **context,
        article=article,
        navigation=NAVIGATION_PLACEHOLDER,
        published=(rendered.issue.sent_at or rendered.issue.period_end).isoformat(),
    )
    return IssuePage(page=page, article=article)


def with_navigation(page: str, previous: int | None, following: int | None) -> str:
    """The kept page with its links to the neighbouring issues that have gone out."""
    links = public_templates().get_template("issue_navigation.html.j2")
    return page.replace(NAVIGATION_PLACEHOLDER, links.render(previous=previous, next=following))
