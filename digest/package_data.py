"""Folders of data shipped with digest (the templates, the migrations), wherever it runs.

The repository keeps them at its top level (templates/, alembic/), beside the package; a
wheel carries them inside it (digest/_templates, digest/_alembic: pyproject.toml's
force-include). An editable install finds the checkout's folder, so an edited template
shows at once; an installed wheel finds its own copy.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from digest.errors import DigestError


@cache
def package_folder(checkout_name: str, packaged_name: str, marker: str) -> Path:
    """The folder holding `marker`: digest/<packaged_name> in a wheel, else the
    checkout's top-level <checkout_name>. Raises DigestError when neither has it."""
    package = resources.files("digest")
    # Jinja's FileSystemLoader and Alembic's script_location want a real folder: a zipped
    # install (zipimport) has none, and digest never ships as one.
    if not isinstance(package, Path):
        raise DigestError(
            f"digest is installed as {package!r}, not as files",
            hint="install the wheel with pip (not as a zip archive)",
        )
    # The packaged copy first: a wheel's site-packages may hold an unrelated top-level
    # folder of the same name, while a checkout never holds digest/_<name>.
    for folder in (package / packaged_name, package.parent / checkout_name):
        if (folder / marker).is_file():
            return folder
    raise DigestError(
        f"the {checkout_name} folder is missing from {package.parent}",
        hint=f"reinstall digest (its wheel carries digest/{packaged_name})",
    )
