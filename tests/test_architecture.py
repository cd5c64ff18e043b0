"""The architecture's rules, checked (docs/architecture.md): the import contracts hold, every
function-local import of a digest module says why it is lazy, the commands that only
read (status, items, show) never import the heavy stages, and no block of code is
written twice in digest/ (issue 12)."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import tokenize
from collections import defaultdict
from pathlib import Path

import pytest

from .conftest import REPO
from .feedserver import FeedServer, Route

PACKAGE = REPO / "digest"

# Function-local digest imports without a `# lazy:` reason, in files other branches of
# issue 12 own (the summarizer, the ingest stage, the configuration, the public web app):
# each count may only go down; the lead removes an entry once its file is clean.
NOT_YET_CLEAN = {
    "ingest/clean.py": 1,
    "ingest/documents.py": 2,
    "ingest/segment.py": 1,
    "summarize/build.py": 1,
    "summarize/headlines.py": 1,
    "summarize/llm.py": 1,
    "summarize/stakes.py": 1,
    "summarize/subject.py": 1,
}
HEAVY = ("spacy", "sklearn", "premailer", "httpx", "feedparser", "jinja2")
# Issue 12: no block of six or more lines stands twice in digest/ (the `duplicates` tool's
# threshold). Blank lines, comments, imports and lines of lone brackets do not count.
DUPLICATE_LINES = 6
_NOT_CODE = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}


def test_the_import_contracts_hold() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint), "--config", str(REPO / "pyproject.toml")],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def unexplained_lazy_imports(path: Path) -> list[int]:
    """Lines of function-local `digest` imports with no `# lazy:` comment on their line,
    on the line above, or above the block of imports they belong to."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for function in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        found.extend(
            node.lineno
            for node in ast.walk(function)
            if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("digest")
            and not _explained(lines, node.lineno - 1)
        )
    return found


def _explained(lines: list[str], index: int) -> bool:
    if "# lazy:" in lines[index]:
        return True
    above = index - 1
    while above >= 0 and lines[above].strip().startswith(("from ", "import ")):
        above -= 1  # the block's first import carries the comment above it
    return above >= 0 and lines[above].strip().startswith("# lazy:")


def test_function_local_imports_of_digest_modules_say_why() -> None:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        lines = unexplained_lazy_imports(path)
        if len(lines) > NOT_YET_CLEAN.get(name, 0):
            problems.append(f"digest/{name}: lines {lines}")
    assert problems == [], "function-local imports without a '# lazy: <reason>' comment"


def test_the_checker_sees_an_unexplained_import(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        "def explained():\n"
        "    # lazy: slow\n"
        "    from digest.app.build import run_build\n"
        "    from digest.app.render import run_render\n"
        "\n"
        "def trailing():\n"
        "    from digest.app.send import send_issue  # lazy: slow\n"
        "\n"
        "def unexplained():\n"
        "    from digest.app.build import run_build\n",
        encoding="utf-8",
    )
    assert unexplained_lazy_imports(module) == [10]


def test_reading_commands_import_no_heavy_stage(tmp_path: Path) -> None:
    """`digest status`, `items` and `show` cost only the store: no summarizer, renderer,
    fetcher or parser is imported (issue 12: they take ≤ 0.25 s on a warm store)."""
    config = tmp_path / "feeds.yaml"
    config.write_text("newsletter: {title: Test}\ndocuments: []\n", encoding="utf-8")
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from digest.cli import main\n"
        f"for args in (['status'], ['items'], ['show', '1']):\n"
        f"    done = CliRunner().invoke(main, ['--config', {str(config)!r}, *args])\n"
        "    print(done.exit_code)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    # status and items succeed; show 1 reads the store and finds no issue 1 (exit 2)
    assert result.stdout.split() == ["0", "0", "2", "[]"]


# What `status`, `items` and `show` must not import on a store whose schema is current:
# the heavy stages, Alembic (the schema check is one query, digest.store.migrations), the
# ORM (their reads are Core: digest.store.reader; the ORM and its classes were two thirds
# of their start-up), the progress bars, and the command modules they do not live in
# (digest.cli's lazy group).
NOT_FOR_READING = (
    *HEAVY,
    "alembic",
    "sqlalchemy.orm",
    "digest.store.schema",
    "digest.store.repository",
    "rich.progress",
    "smtplib",
    "digest.cli.mail",
    "digest.cli.desk",
    "digest.cli.stats",
)


@pytest.mark.parametrize("args", [("status",), ("items",), ("show", "1")])
def test_a_reading_command_on_a_current_schema_imports_no_alembic(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """Each reading command alone, in a process of its own, on a store already migrated
    (issue 12, item 6: the migration check must not import Alembic when the schema is
    current). Timed in bench/startup.py; here only what cannot regress unseen."""
    config = tmp_path / "feeds.yaml"
    config.write_text("newsletter: {title: Test}\ndocuments: []\n", encoding="utf-8")
    digest = [sys.executable, "-m", "digest.cli", "--config", str(config)]
    subprocess.run([*digest, "status"], capture_output=True, check=True, cwd=tmp_path)
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from digest.cli import main\n"
        f"done = CliRunner().invoke(main, ['--config', {str(config)!r}, *{args!r}])\n"
        "print(done.exit_code)\n"
        f"print(sorted(m for m in {NOT_FOR_READING!r} if m in sys.modules))\n"
        "print('sqlalchemy' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    # show 1 reads the store and finds no issue 1 (exit 2); the store was opened all the same
    code = "2" if args[0] == "show" else "0"
    assert result.stdout.split() == [code, "[]", "True"], result.stderr


# What a re-ingest whose feeds all answer 304 must not import (issue 12, item 6: it is to
# cost a tenth of the first ingest): the parsers and page extractors only a changed feed
# needs (and digest's modules wrapping them), the parser processes' multiprocessing, the
# document stage of a configuration without documents, the progress bar nobody sees, and
# httpx's own command line.
NOT_FOR_UNCHANGED_INGEST = (
    "feedparser",
    "ftfy",
    "nh3",
    "trafilatura",
    "spacy",
    "sklearn",
    "multiprocessing",
    "digest.ingest.documents",
    "digest.ingest.parse",
    "digest.ingest.fulltext",
    "rich.progress",
    "pygments",
)
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Le Labo IA</title><link>https://labo.example.fr/</link>
<item><title>Un modèle ouvert</title><link>https://labo.example.fr/{n}</link>
<guid>labo-{n}</guid><description>Un texte sur le modèle {n}.</description></item>
</channel></rss>
"""


def test_an_unchanged_re_ingest_imports_no_parser(tmp_path: Path, feed_server: FeedServer) -> None:
    """`digest ingest` again, every feed answering 304, in a process of its own, with its
    output piped (as from cron): none of NOT_FOR_UNCHANGED_INGEST is imported. Timed in
    bench/ingest.py; here only what cannot regress unseen."""
    feeds = "".join(
        f"  - {{name: labo{n}, url: '{feed_server.add(f'/{n}.xml', route)}'}}\n"
        for n, route in enumerate(
            Route(body=FEED.format(n=n).encode(), etag=f'"v{n}"') for n in range(2)
        )
    )
    config = tmp_path / "feeds.yaml"
    config.write_text(f"newsletter: {{title: Test}}\ndocuments: []\nfeeds:\n{feeds}", "utf-8")
    digest = [sys.executable, "-m", "digest.cli", "--config", str(config), "ingest"]
    first = subprocess.run(digest, capture_output=True, text=True, check=True, cwd=tmp_path)
    assert "2 new items" in first.stdout, first.stdout + first.stderr
    probe = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from digest.cli import main\n"
        f"done = CliRunner().invoke(main, ['--config', {str(config)!r}, 'ingest'])\n"
        "print(done.exit_code, '2 unchanged' in done.output)\n"
        f"print(sorted(m for m in {NOT_FOR_UNCHANGED_INGEST!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert result.stdout.split() == ["0", "True", "[]"], result.stderr
    assert [r.status for r in feed_server.requests_for("/0.xml")] == [200, 304]


def code_lines(source: str) -> list[tuple[int, str]]:
    """(line number, tokens joined by one space) of each line of code in `source`, the
    lines of import statements and of lone brackets left out."""
    lines: dict[int, list[str]] = defaultdict(list)
    statement: list[tokenize.TokenInfo] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in _NOT_CODE:
            continue
        if token.type not in (tokenize.NEWLINE, tokenize.ENDMARKER):
            statement.append(token)
            continue
        if statement and statement[0].string not in ("import", "from"):
            for t in statement:
                lines[t.start[0]].append(t.string)
        statement = []
    return [
        (number, " ".join(tokens))
        for number, tokens in sorted(lines.items())
        if not all(t in "()[]{},:" for t in tokens)
    ]


def repeated_blocks(files: dict[str, str]) -> list[str]:
    """Each run of DUPLICATE_LINES lines of code that stands in two places or more, as
    `a.py:10-16 ~ b.py:40-46` (overlapping runs of one repeat each listed)."""
    places: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name, source in sorted(files.items()):
        lines = code_lines(source)
        for start in range(len(lines) - DUPLICATE_LINES + 1):
            run = lines[start : start + DUPLICATE_LINES]
            places[tuple(text for _, text in run)].append(f"{name}:{run[0][0]}-{run[-1][0]}")
    return [" ~ ".join(found) for found in places.values() if len(found) > 1]


def test_no_block_of_code_is_written_twice() -> None:
    files = {
        path.relative_to(PACKAGE).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(PACKAGE.rglob("*.py"))
        if "_alembic" not in path.parts  # migrations, if a build copied them in: not code we edit
    }
    assert repeated_blocks(files) == [], "one helper, called from both places (STYLE.md)"


def test_the_checker_sees_a_copied_block() -> None:
    block = (
        "def {name}(row):\n"
        "    # a comment and a blank line do not hide a copy\n"
        "\n"
        "    return Issue(\n"
        "        id=row.id,\n"
        "        number=row.number,\n"
        "        status=row.status,\n"
        "        subject=row.subject or '',\n"
        "        sent_at=row.sent_at,\n"
        "    )\n"
    )
    copy = "from x import (\n    a,\n    b,\n)\n" + block.format(name="head").replace("    ", "\t")
    files = {"a.py": block.format(name="issue"), "b.py": copy}
    assert repeated_blocks(files) == ["a.py:4-9 ~ b.py:8-13"]
    five_lines = block.format(name="head").replace("        sent_at=row.sent_at,\n", "")
    assert repeated_blocks({"a.py": block.format(name="issue"), "b.py": five_lines}) == []
