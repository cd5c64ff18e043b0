"""Optional LLM backend: an OpenAI-compatible chat API rewrites what the extractive path chose.

Ollama, vLLM, llama.cpp's server and Mistral's API all speak `POST {base}/chat/completions`.
The model never sees more than the extracted sentences, so it stays grounded in the
sources; a blurb is rewritten sentence by sentence (same count, same order), so every
sentence keeps the item it came from. Any error — network, timeout, HTTP status, an
answer that is not what was asked — falls back to the extractive text with a warning.
Answers are cached on disk, keyed by model and input, so a rebuild costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from digest.models import BRIEF_THEME_ID, Issue, Section
from digest.sentences import split_sentences
from digest.settings import OpenAISettings
from digest.summarize.build import BRIEF_WORDS

log = logging.getLogger(__name__)

SYSTEM = (
    "Tu es secrétaire de rédaction d'une lettre d'information française sur l'intelligence "
    "artificielle. Tu réécris en français clair et neutre, sans rien inventer : n'utilise que "
    "les faits des phrases fournies. Réponds uniquement en JSON."
)
SUMMARY_PROMPT = (
    "Titre : {title}\nPhrases extraites de l'article :\n{sentences}\n\n"
    'Écris un résumé de 1 à 3 phrases, au plus {words} mots. Réponds : {{"summary": "..."}}'
)
BLURB_PROMPT = (
    "Rubrique : {title}\nPhrases « Enjeux et perspectives », chacune tirée d'un article :\n"
    "{sentences}\n\nRéécris chaque phrase pour qu'elles se lisent comme un paragraphe, dans le "
    "même ordre, une phrase réécrite par phrase donnée ({count} au total), sans ajouter de fait. "
    'Réponds : {{"sentences": ["...", "..."]}}'
)
MAX_GROWTH = 1.5  # a rewrite may be somewhat longer than its input, not a new article


def rewrite_issue(issue: Issue, rewriter: ChatRewriter, summary_words: int) -> Issue:
    """The issue with summaries and blurbs rewritten where the backend succeeded."""
    return replace(
        issue, sections=tuple(_rewrite(s, rewriter, summary_words) for s in issue.sections)
    )


def _rewrite(section: Section, rewriter: ChatRewriter, summary_words: int) -> Section:
    words = BRIEF_WORDS if section.theme_id == BRIEF_THEME_ID else summary_words
    entries = tuple(
        replace(
            e, summary=rewriter.summary(e.title, split_sentences(e.summary), words) or e.summary
        )
        for e in section.entries
    )
    new = rewriter.blurb(section.title, [b.text for b in section.blurb])
    blurb = (
        tuple(replace(b, text=text) for text, b in zip(new, section.blurb, strict=True))
        if new
        else section.blurb
    )
    return replace(section, entries=entries, blurb=blurb)


class LLMError(Exception):
    """The backend did not give a usable answer (the caller falls back)."""


class ChatRewriter:
    """Rewrites summaries and blurbs through an OpenAI-compatible chat completion API."""

    def __init__(self, settings: OpenAISettings, cache_dir: Path | None = None) -> None:
        self.settings = settings
        self.cache_dir = cache_dir

    def summary(self, title: str | None, sentences: Sequence[str], max_words: int) -> str | None:
        """The rewritten summary, or None (extractive text kept) on any failure."""
        if not sentences:
            return None
        prompt = SUMMARY_PROMPT.format(
            title=title or "(sans titre)", sentences=_numbered(sentences), words=max_words
        )
        try:
            answer = self._ask(prompt)
            text = str(_field(answer, "summary", str))
            _check_length(text, max_words * MAX_GROWTH)
        except LLMError as exc:
            log.warning("LLM summary of %r failed, keeping the extractive one: %s", title, exc)
            return None
        return text

    def blurb(self, section_title: str, sentences: Sequence[str]) -> tuple[str, ...] | None:
        """One rewritten sentence per given sentence, or None on any failure."""
        if not sentences:
            return None
        prompt = BLURB_PROMPT.format(
            title=section_title, sentences=_numbered(sentences), count=len(sentences)
        )
        try:
            answer = self._ask(prompt)
            rewritten = _field(answer, "sentences", list)
            if len(rewritten) != len(sentences) or not all(isinstance(s, str) for s in rewritten):
                raise LLMError(f"expected {len(sentences)} sentences, got {len(rewritten)}")
            for old, new in zip(sentences, rewritten, strict=True):
                _check_length(new, len(old.split()) * MAX_GROWTH + 5)
        except LLMError as exc:
            log.warning(
                "LLM blurb of %r failed, keeping the extractive one: %s", section_title, exc
            )
            return None
        return tuple(s.strip() for s in rewritten)

    def _ask(self, prompt: str) -> dict[str, Any]:
        key = hashlib.sha256(f"{self.settings.model}\n{SYSTEM}\n{prompt}".encode()).hexdigest()
        cached = self._cached(key)
        if cached is not None:
            return cached
        content = self._complete(prompt)
        answer = _parse_json(content)
        self._store(key, answer)
        return answer

    def _complete(self, prompt: str) -> str:
        import httpx

        headers = {"Content-Type": "application/json"}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        body = {
            "model": self.settings.model,
            "temperature": 0,  # same input, same output, as far as the server allows
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": prompt},
            ],
        }
        url = f"{self.settings.base_url}/chat/completions"
        try:
            response = httpx.post(
                url, json=body, headers=headers, timeout=self.settings.timeout_seconds
            )
            response.raise_for_status()
            return str(response.json()["choices"][0]["message"]["content"])
        except httpx.TimeoutException as exc:
            raise LLMError(f"{url} timed out after {self.settings.timeout_seconds:g} s") from exc
        except httpx.HTTPStatusError as exc:
            raise LLMError(f"{url} answered HTTP {exc.response.status_code}") from exc
        except httpx.HTTPError as exc:
            raise LLMError(f"{url}: {exc}") from exc
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"{url} did not answer like a chat completion API") from exc

    def _cached(self, key: str) -> dict[str, Any] | None:
        if self.cache_dir is None:
            return None
        path = self.cache_dir / f"{key}.json"
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def _store(self, key: str, answer: dict[str, Any]) -> None:
        if self.cache_dir is None:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        path = self.cache_dir / f"{key}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
        temporary.replace(path)  # atomic: a crash never leaves half a cache entry


def _numbered(sentences: Sequence[str]) -> str:
    return "\n".join(f"{i}. {s}" for i, s in enumerate(sentences, 1))


def _parse_json(content: str) -> dict[str, Any]:
    # Models often wrap JSON in a ```json fence or add a sentence around it.
    match = re.search(r"\{.*\}", content, re.DOTALL)
    if not match:
        raise LLMError("the answer holds no JSON object")
    try:
        value = json.loads(match.group())
    except ValueError as exc:
        raise LLMError("the answer's JSON does not parse") from exc
    if not isinstance(value, dict):
        raise LLMError("the answer's JSON is not an object")
    return value


def _field(answer: dict[str, Any], name: str, kind: type) -> Any:
    value = answer.get(name)
    if not isinstance(value, kind) or not value:
        raise LLMError(f"the answer has no usable {name!r}")
    return value


def _check_length(text: str, max_words: float) -> None:
    words = len(text.split())
    if not words or words > max_words:
        raise LLMError(f"answer of {words} words, expected 1 to {int(max_words)}")
