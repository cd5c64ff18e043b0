"""Hostile files in documents/ are refused, each recorded on its own row (issue 10, item 11)."""

from __future__ import annotations

import os
import random
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from digest.ingest.documents import document_files, ingest_documents
from digest.ingest.guard import MAX_DOCUMENT_BYTES
from digest.models import Outcome, SourceReport
from digest.settings import DocumentSource
from digest.store import Store

from .conftest import DOCUMENTS

GOOD_SEED = DOCUMENTS / "004_c8bb9166e346ef4b.txt"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(GOOD_SEED, folder / "good.txt")
    return folder


def ingest_folder(store: Store, folder: Path, now: datetime) -> dict[str, SourceReport]:
    files = document_files([DocumentSource(folder.resolve())])
    return {r.name: r for r in ingest_documents(store, files, now)}


def assert_refused(store: Store, reports: dict[str, SourceReport], name: str, why: str) -> None:
    report = reports[name]
    assert report.outcome is Outcome.FAILED and why in report.message, report
    assert store.list_items(name) == []
    state = store.source_state(name)
    assert state is not None and state.last_status == "failed" and why in (state.last_error or "")
    assert reports["good.txt"].outcome is Outcome.NEW  # the others go on


def test_random_binary_is_refused_not_cut_into_stories(
    store: Store, now: datetime, docs: Path
) -> None:
    (docs / "noise.txt").write_bytes(random.Random(7).randbytes(1024 * 1024))
    reports = ingest_folder(store, docs, now)
    assert_refused(store, reports, "noise.txt", "does not look like text")
    assert "control characters" in reports["noise.txt"].message


def test_a_file_padded_with_nul_bytes_is_refused(store: Store, now: datetime, docs: Path) -> None:
    # A preallocated or truncated file: some text, then blocks of zeros.
    (docs / "padded.txt").write_bytes(GOOD_SEED.read_bytes() + bytes(64 * 1024))
    reports = ingest_folder(store, docs, now)
    assert_refused(store, reports, "padded.txt", "NUL characters")


def test_french_in_utf16_without_its_byte_order_mark_is_still_read(
    store: Store, now: datetime, docs: Path
) -> None:
    (docs / "utf16.txt").write_bytes(GOOD_SEED.read_text(encoding="utf-8").encode("utf-16-le"))
    reports = ingest_folder(store, docs, now)
    assert reports["utf16.txt"].outcome is Outcome.NEW
    assert store.list_items("utf16.txt")[0].title.startswith("OpenAI en Code Rouge")


def test_a_symlink_out_of_the_folder_is_refused(
    store: Store, now: datetime, docs: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("Mot de passe : hunter2, et bien d’autres choses encore.\n")
    (docs / "passwd.txt").symlink_to("/etc/passwd")
    (docs / "up.txt").symlink_to("../secret.txt")  # a relative link climbing with ..
    (docs / "inside.txt").symlink_to("good.txt")  # a link within the folder is fine
    reports = ingest_folder(store, docs, now)
    assert_refused(store, reports, "passwd.txt", "outside its folder")
    assert_refused(store, reports, "up.txt", "outside its folder")
    assert reports["inside.txt"].outcome is Outcome.NEW


def test_a_document_over_the_size_cap_is_refused(store: Store, now: datetime, docs: Path) -> None:
    line = b"Une phrase de texte ordinaire, en fran\xc3\xa7ais, pour remplir.\n"
    (docs / "huge.txt").write_bytes(line * (MAX_DOCUMENT_BYTES // len(line) + 1))
    reports = ingest_folder(store, docs, now)
    assert_refused(store, reports, "huge.txt", "larger than 5 MB")


def test_a_fifo_named_like_a_document_is_refused_without_waiting(
    store: Store, now: datetime, docs: Path
) -> None:
    fifo = docs / "pipe.txt"
    os.mkfifo(fifo)
    reports = {r.name: r for r in ingest_documents(store, [fifo, docs / "good.txt"], now)}
    assert_refused(store, reports, "pipe.txt", "not a regular file")


def test_the_shipped_seeds_all_pass_the_guard(store: Store, now: datetime) -> None:
    reports = ingest_folder(store, DOCUMENTS, now)
    assert len(reports) == 5  # one of them is double-encoded UTF-8 on purpose
    assert all(r.outcome is Outcome.NEW and r.new_items for r in reports.values()), reports


def test_a_file_name_that_is_not_utf8_is_recorded_not_fatal(
    store: Store, now: datetime, docs: Path
) -> None:
    os.close(os.open(os.fsencode(docs) + b"/caf\xe9.txt", os.O_CREAT | os.O_WRONLY))
    reports = ingest_folder(store, docs, now)
    assert_refused(store, reports, "caf\ufffd.txt", "not valid UTF-8")
