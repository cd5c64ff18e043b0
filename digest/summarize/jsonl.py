"""Batch summaries for evaluation: JSON lines of texts in, JSON lines of summaries out.

Takes lines `{"id": …, "text": …}` (optionally `"title"`), gives lines `{"id": …,
"summary": …}` written by the very summarizer `build` uses, so a score measured on the
output is the newsletter's. Streams: a summary is written as soon as its line is read.
"""

from __future__ import annotations

import json
from typing import IO, Any

from digest.errors import DigestError
from digest.summarize.extractive import summarize_story

_HINT = 'each line must be a JSON object like {"id": 1, "text": "…", "title": "…"}'


def summarize_jsonl(source: IO[str], sink: IO[str], *, max_words: int = 40) -> int:
    """Summarize each `{"id", "text"[, "title"]}` line of source into sink; returns the count."""
    name = getattr(source, "name", "<input>")
    count = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue  # a blank line (often the last one) carries no record
        story_id, text, title = _parse(line, f"{name}, line {number}")
        summary = summarize_story(text, title, max_words=max_words)
        record = {"id": story_id, "summary": summary.text}
        sink.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _parse(line: str, where: str) -> tuple[Any, str, str | None]:
    """The id, text and title of one line, or a DigestError saying where and what is wrong."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DigestError(
            f"{where}: not valid JSON ({exc.msg}, column {exc.colno})", _HINT
        ) from exc
    if not isinstance(row, dict):
        raise DigestError(f"{where}: expected a JSON object, got {type(row).__name__}", _HINT)
    story_id = row.get("id")
    if not isinstance(story_id, str | int) or isinstance(story_id, bool):
        raise DigestError(f'{where}: "id" is missing or not a string or an integer', _HINT)
    text = row.get("text")
    if not isinstance(text, str):
        raise DigestError(f'{where}: "text" is missing or not a string', _HINT)
    title = row.get("title")
    if title is not None and not isinstance(title, str):
        raise DigestError(f'{where}: "title" must be a string when given', _HINT)
    return story_id, text, title
