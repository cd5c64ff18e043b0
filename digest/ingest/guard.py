"""The checks a document file passes before it is cut into stories.

Takes a path (as `document_files` listed it) or decoded text; gives the bytes or the text
back, or raises a `DocumentError` that the per-source loop records on the file's row.
Anything dropped into `documents/` is hostile until checked (issue 10, item 11): a 1 MB
random binary became 55 garbage stories, and a symlink to /etc/passwd was ingested.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from digest.errors import DocumentError

# The seeds are 6-112 KB; the largest real newsletter archive an editor drops is a few
# hundred KB. 5 MB of text is a shelf of books: past it the file is a mistake (a log, a
# database dump), and cleaning, cutting and language detection would hold it in memory
# several times over and take minutes for stories nobody reads.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024

# Measured on 1 MB of random bytes once decoded: 0.4 % NUL, 11.6 % other control
# characters, 44 % U+FFFD. The seeds have none of the three. 1 % of each leaves room for a
# text with a few stray NULs (those are dropped before storing) and refuses real binaries,
# including UTF-16 without its byte-order mark (every other byte NUL).
MAX_NUL_RATIO = 0.01
MAX_CONTROL_RATIO = 0.01
MAX_UNDECODABLE_RATIO = 0.01
_CONTROL = re.compile("[\x01-\x08\x0e-\x1f\x7f-\x9f]")  # C0 and C1 but tab, LF, VT, FF, CR

_HINT_OUTSIDE = "documents are read only from the folders named under documents: in the config"


# A PDF report carries its figures and fonts: 30 MB holds a long illustrated one.
MAX_PDF_BYTES = 30 * 1024 * 1024


def read_document(path: Path) -> bytes:
    """The bytes of a regular file inside the folder it was listed from, at most the cap
    (a PDF's own, larger: its text is a small part of it)."""
    cap = MAX_PDF_BYTES if path.suffix.lower() == ".pdf" else MAX_DOCUMENT_BYTES
    real = _inside_its_folder(path)
    try:
        # O_NONBLOCK: opening a FIFO named like a document would otherwise wait forever.
        # O_NOFOLLOW: `real` has no symlink left; one swapped in since is refused.
        fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as exc:
        raise DocumentError(
            f"cannot read {path}: {exc.strerror}",
            hint="check the path under documents: in the config",
        ) from exc
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise DocumentError(f"{path} is not a regular file", hint=_HINT_OUTSIDE)
        data = file.read(cap + 1)
    if len(data) > cap:
        raise DocumentError(
            f"{path} is larger than {cap // (1024 * 1024)} MB",
            hint="split it into smaller documents, or remove it from the documents folder",
        )
    return data


def _inside_its_folder(path: Path) -> Path:
    """The real path of `path`, refused when a symlink or `..` leads out of its folder."""
    folder = path.absolute().parent.resolve()
    real = path.resolve()
    if not real.is_relative_to(folder):
        raise DocumentError(
            f"{path} resolves to {real}, outside its folder {folder}",
            hint=f"{_HINT_OUTSIDE}; copy the file there instead of linking to it",
        )
    return real


def require_text(text: str, source: str) -> str:
    """The decoded document without its stray NULs; DocumentError if it is not text at all."""
    size = max(len(text), 1)
    ratios = {
        "NUL characters": (text.count("\x00") / size, MAX_NUL_RATIO),
        "control characters": (len(_CONTROL.findall(text)) / size, MAX_CONTROL_RATIO),
        "undecodable bytes": (text.count("\ufffd") / size, MAX_UNDECODABLE_RATIO),
    }
    for what, (ratio, limit) in ratios.items():
        if ratio > limit:
            raise DocumentError(
                f"{source} does not look like text: {ratio:.1%} {what} (at most {limit:.0%})",
                hint="only text documents (.txt, .md, .html) in UTF-8 or a common charset "
                "are read; remove the file or save it as text",
            )
    # A few NULs in real text are debris (a bad export), never content: dropped here so the
    # cutting sees the text as its author wrote it.
    return text.replace("\x00", "")
