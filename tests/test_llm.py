"""The optional LLM backend against a real local HTTP server speaking the OpenAI chat API.

The hosted model itself cannot run on this machine (no network, no weights): the server
answers like one would, and each test decides what it answers. Everything else is real:
HTTP, JSON, timeouts, the on-disk cache, the fallback to the extractive text.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from digest.models import BlurbSentence, Entry, Issue, IssueStatus, Link, Section
from digest.settings import OpenAISettings
from digest.summarize.llm import ChatRewriter, rewrite_issue

Answer = Callable[[dict[str, Any]], tuple[int, str, float]]  # request -> status, content, delay


class FakeChatServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer: Answer = lambda request: (200, "{}", 0.0)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"), **body}
                )
                status, content, delay = outer.answer(body)
                time.sleep(delay)
                payload = json.dumps(
                    {"choices": [{"message": {"role": "assistant", "content": content}}]}
                ).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture
def chat() -> Iterator[FakeChatServer]:
    server = FakeChatServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def rewriter(chat: FakeChatServer, tmp_path: Path, timeout: float = 5.0) -> ChatRewriter:
    settings = OpenAISettings(
        base_url=chat.base_url, model="test-model", timeout_seconds=timeout, api_key="sk-local"
    )
    return ChatRewriter(settings, cache_dir=tmp_path / "cache")


def issue() -> Issue:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    entry = Entry(
        "Mistral lève des fonds",
        "Mistral a levé 600 millions. Les fonds sont européens.",
        (Link("https://example.org/m"),),
        (1,),
        ("feed",),
    )
    blurb = (
        BlurbSentence("La souveraineté européenne est en jeu.", 1),
        BlurbSentence("Les concurrents américains pourraient répondre.", 2),
    )
    section = Section("business", "Business et marché", blurb, (entry,))
    return Issue(1, IssueStatus.DRAFT, now, now, now, (section,))


def smart_answer(request: dict[str, Any]) -> tuple[int, str, float]:
    prompt = request["messages"][-1]["content"]
    if '"sentences"' in prompt:
        return 200, '```json\n{"sentences": ["Première réécrite.", "Seconde réécrite."]}\n```', 0
    return 200, '{"summary": "Mistral obtient 600 millions d\'euros de fonds européens."}', 0


def test_success_rewrites_and_keeps_provenance(chat: FakeChatServer, tmp_path: Path) -> None:
    chat.answer = smart_answer
    result = rewrite_issue(issue(), rewriter(chat, tmp_path), summary_words=40)
    section = result.sections[0]
    assert section.entries[0].summary == "Mistral obtient 600 millions d'euros de fonds européens."
    assert [(b.text, b.item_id) for b in section.blurb] == [
        ("Première réécrite.", 1),
        ("Seconde réécrite.", 2),
    ]
    first = chat.requests[0]
    assert first["path"] == "/v1/chat/completions" and first["model"] == "test-model"
    assert first["auth"] == "Bearer sk-local" and first["temperature"] == 0
    assert "Mistral a levé 600 millions." in first["messages"][-1]["content"]  # grounded


def test_answers_are_cached_by_input(chat: FakeChatServer, tmp_path: Path) -> None:
    chat.answer = smart_answer
    rewrite_issue(issue(), rewriter(chat, tmp_path), summary_words=40)
    asked = len(chat.requests)
    again = rewrite_issue(issue(), rewriter(chat, tmp_path), summary_words=40)
    assert len(chat.requests) == asked == 2  # one summary, one blurb; none the second time
    assert again.sections[0].blurb[0].text == "Première réécrite."


def test_timeout_falls_back_to_extractive(
    chat: FakeChatServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    chat.answer = lambda request: (200, '{"summary": "trop tard"}', 2.0)
    with caplog.at_level(logging.WARNING):
        started = time.monotonic()
        result = rewrite_issue(issue(), rewriter(chat, tmp_path, timeout=0.3), summary_words=40)
        elapsed = time.monotonic() - started
    assert result == issue()
    assert elapsed < 1.8  # two calls, each cut at the timeout
    assert "timed out after 0.3 s" in caplog.text


@pytest.mark.parametrize(
    "status, content, why",
    [
        (200, "Voici un résumé sans JSON.", "holds no JSON object"),
        (200, '{"summary": ""}', "no usable 'summary'"),
        (200, '{"summary": "' + "mot " * 200 + '"}', "answer of 200 words"),
        (500, "{}", "answered HTTP 500"),
    ],
)
def test_garbage_answers_fall_back(
    chat: FakeChatServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    status: int,
    content: str,
    why: str,
) -> None:
    chat.answer = lambda request: (status, content, 0.0)
    with caplog.at_level(logging.WARNING):
        result = rewrite_issue(issue(), rewriter(chat, tmp_path), summary_words=40)
    assert result.sections[0].entries[0].summary == issue().sections[0].entries[0].summary
    assert why in caplog.text


def test_wrong_sentence_count_keeps_the_extractive_blurb(
    chat: FakeChatServer, tmp_path: Path
) -> None:
    chat.answer = lambda request: (200, '{"sentences": ["Une seule."], "summary": "Court."}', 0.0)
    result = rewrite_issue(issue(), rewriter(chat, tmp_path), summary_words=40)
    assert result.sections[0].blurb == issue().sections[0].blurb
    assert result.sections[0].entries[0].summary == "Court."


def test_server_down_falls_back(tmp_path: Path) -> None:
    settings = OpenAISettings(base_url="http://127.0.0.1:9/v1", timeout_seconds=1.0)
    assert rewrite_issue(issue(), ChatRewriter(settings), summary_words=40) == issue()


def test_build_with_the_openai_backend(chat: FakeChatServer, tmp_path: Path, store, now) -> None:
    from dataclasses import replace

    from digest.app.build import run_build
    from digest.config import load_settings
    from digest.ingest.documents import ingest_documents
    from digest.settings import SummarizerSettings

    from .conftest import DOCUMENTS, REPO

    chat.answer = lambda request: (200, '{"summary": "Résumé réécrit par le modèle."}', 0.0)
    config = tmp_path / "feeds.yaml"  # the cache goes beside the configuration
    config.write_text((REPO / "feeds.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    base = load_settings(REPO / "feeds.yaml", env={})
    api = OpenAISettings(base_url=chat.base_url, model="m", timeout_seconds=5)
    settings = replace(
        base, config_path=config, summarizer=SummarizerSettings(backend="openai", openai=api)
    )
    ingest_documents(store, [DOCUMENTS / "003_186302cdc7413e06.txt"], now)
    result = run_build(store, settings, now.replace(hour=23))
    assert result.issue is not None
    summaries = {e.summary for e in result.issue.entries}
    assert summaries == {"Résumé réécrit par le modèle."}
    blurbs = [b for s in result.issue.sections for b in s.blurb]
    assert blurbs and all(b.item_id for b in blurbs)  # blurbs kept (answer had no sentences)
    assert (tmp_path / ".digest-cache" / "llm").is_dir()
