"""Script and markup left in plain text by a copy or a scrape, removed.

Takes a document's text; gives it without the lines that are JavaScript (a player's set-up
`window.pvp_… = new Pvp(…)`, an ad slot's `googletag.cmd.push(function() {…})`, a
`var x = {…};`), CSS rules, JSON-LD blobs, script and style elements and stray HTML
tags; a line that opens a block (`.player {`, `function init() {`) takes the block's lines
with it. A line is code when it
reads as a statement (a keyword or an assignment at its start, a statement's end), or
when code's punctuation is dense in it and French words are not; prose keeps its
parentheses, colons and semicolons. No I/O.
"""

from __future__ import annotations

import re

# A statement that opens a line: declarations, calls on the browser's objects, functions,
# assignments of objects, arrays, functions or constructed values.
_STATEMENT = re.compile(
    r"""^\s*(?:
        (?:var|let|const)\s+[\w$]+\s*=
      | (?:window|document|googletag|jQuery|console|navigator|localStorage)\s*[.\[(]
      | \$\s*\(
      | (?:async\s+)?function\b\s*[\w$]*\s*\(
      | \(\s*(?:function\b|\(\s*\)\s*=>|[\w$]+\s*=)
      | [\w$]+(?:\.[\w$]+|\[[^\]]*\])+\s*=[^=]
      | [\w$]+\s*=\s*(?:new\s+[\w$.]+\s*\(|function\b|\{|\[|\(\s*\)\s*=>)
      | (?:if|for|while|switch)\s*\(.*\)\s*\{
      | (?:return|try|catch|else|break)\b.*[;{}]\s*$
      | [})\]]+\s*[;,)]*\s*(?:else\b.*)?$
      | @(?:media|import|font-face|keyframes)\b
      | [.#]?[\w-]+(?:(?:\s*[,>+~]\s*|\s+)[.#]?[\w-]+)*\s*\{[^}]*:[^}]*\}?\s*$
      | [.#]?[\w-]+(?:(?:\s*[,>+~]\s*|\s+|::?)[.#]?[\w-]+)*\s*\{\s*$
      | \{\s*"@?(?:context|type)"\s*:
    )""",
    re.VERBOSE,
)
# A statement inside a line of text, up to its end (`);`) or, cut short as scrapes leave
# it, to the end of the line: `… d’Anne Hidalgo. window.pvp_79… = new Pvp('dmpublic', {…`
# (OrangeSum's article 13922).
_INLINE_STATEMENT = re.compile(
    r"(?:window|document)\.[\w$.]+\s*=\s*new\s+[\w$.]+\s*\([^\n]{0,4000}?(?:\)\s*;|$)",
    re.MULTILINE,
)
# A script or style element with what it holds, on one line or several (bounded: a
# lone opening tag is left to the line tests).
_SCRIPT_OR_STYLE = re.compile(
    r"<(script|style)\b[^>]{0,500}>.{0,20000}?</\1\s*>", re.IGNORECASE | re.DOTALL
)
# Inside a block a code line opened, the lines a program has: CSS declarations and
# statements end in ; , { or }; a writer's sentence ends otherwise and closes the block.
_BLOCK_LINE = re.compile(r"[;,{}]\s*$|^\s*[{}]")
_MAX_BLOCK_LINES = 200  # a block left open (a scrape cut short) swallows no more than this
_TAG = re.compile(
    r"</?[a-zA-Z][\w:-]*(?:\s+[\w:@-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*\s*/?>"
)
_LINK = re.compile(r"\[[^\]]*\]\(\S+?\)|https?://\S+")
_STRONG_CODE_CHARS = re.compile(r"[{};=$]")  # what prose hardly ever has, twice in a line
_CODE_CHARS = re.compile(r"[{}();=<>\[\]$&|+*/\\_]")
_WORD = re.compile(r"[a-zà-öø-ÿœ]{3,}", re.IGNORECASE)
_CODE_DENSITY = 0.12  # prose: under 0.03 even with parentheses and a URL


def drop_code(text: str) -> str:
    """The text without its script, style and markup lines, and without stray tags."""
    text = _SCRIPT_OR_STYLE.sub("", _INLINE_STATEMENT.sub("", text))
    kept: list[str] = []
    depth = inside = 0  # the braces a code line left open, and the lines read in them
    for line in text.split("\n"):
        if depth > 0 and inside < _MAX_BLOCK_LINES and _BLOCK_LINE.search(line):
            depth += line.count("{") - line.count("}")
            inside += 1
            continue
        depth = inside = 0
        if is_code(line):
            depth = line.count("{") - line.count("}")
            continue
        kept.append(_TAG.sub("", line))
    return "\n".join(kept)


def is_code(line: str) -> bool:
    """Whether a line is a program's, not a writer's."""
    stripped = line.strip()
    if not stripped:
        return False
    if _STATEMENT.match(stripped):
        return True
    # Addresses and markdown links are a writer's: their slashes and brackets do not count.
    rest = _LINK.sub(" ", stripped)
    if len(rest) < 20 or len(_STRONG_CODE_CHARS.findall(rest)) < 2:
        return False  # a table's cell (« 3/5/7 », « Effort (O/M/P) »), a short label
    density = len(_CODE_CHARS.findall(rest)) / len(rest)
    words = len(_WORD.findall(rest))
    return density >= _CODE_DENSITY and words < len(rest) / 12
