"""The wheel carries what digest reads at run time, the templates and the migrations, where
digest.package_data looks for them (pyproject.toml's force-include); an editable install
reads the checkout's own folders. `.ci/wheel-smoke` runs the installed wheel end to end."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from digest.render import templates_dir
from digest.store import alembic_dir

from .conftest import REPO


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    folder = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir"]
    subprocess.run([*command, str(folder), str(REPO)], check=True, capture_output=True)
    (wheel,) = folder.glob("digest-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def shipped(folder: Path, packaged: str) -> set[str]:
    """Where each file of the checkout's `folder` stands in the wheel."""
    return {
        f"digest/{packaged}/{path.relative_to(folder).as_posix()}"
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith(".")
    }


@pytest.mark.parametrize("folder, packaged", [("templates", "_templates"), ("alembic", "_alembic")])
def test_the_wheel_carries_the_folder_inside_the_package(
    wheel_files: set[str], folder: str, packaged: str
) -> None:
    expected = shipped(REPO / folder, packaged)
    assert expected and expected <= wheel_files, sorted(expected - wheel_files)


def test_the_wheel_holds_only_the_package(wheel_files: set[str]) -> None:
    tops = {name.split("/", 1)[0] for name in wheel_files} - {"digest"}
    assert len(tops) == 1 and tops.pop().endswith(".dist-info")  # no top-level templates/


def test_an_editable_install_reads_the_checkouts_folders() -> None:
    assert templates_dir() == REPO / "templates"
    assert alembic_dir() == REPO / "alembic"
