"""Shared test fixtures: where the shared data lives, and small folders made from it."""
import os
import shutil

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
# The shared data set lies beside the repository (CI has it there); elsewhere,
# point ECGDIGITIZER_SHARED_DATA at its data folder.
SHARED_DATA = os.path.abspath(os.environ.get("ECGDIGITIZER_SHARED_DATA",
                                             os.path.join(ROOT, "..", "shared", "data")))


def pytest_sessionstart(session):
    """Stop with one clear message, not a collection error per module, when the data set is missing."""
    if not os.path.isdir(SHARED_DATA):
        pytest.exit(f"{SHARED_DATA} is missing: the tests read the shared data set from ../shared/data "
                    "beside the repository; set ECGDIGITIZER_SHARED_DATA to its path", returncode=4)


@pytest.fixture(scope="session")
def eik_dev() -> str:
    """The eik-dev folder of ../shared/data (CI has it at the same place)."""
    path = os.path.join(SHARED_DATA, "eik-dev")
    if not os.path.isdir(path):
        pytest.fail(f"{path} is missing: the tests need ../shared/data beside the repository")
    return path


def hidden_copy(eik_dev: str, condition: str, records: list[str], dest: str) -> str:
    """Copy hidden-style records (header + page) of one eik-dev condition into ``dest``."""
    os.makedirs(dest, exist_ok=True)
    for rec in records:
        for name in (f"{rec}.hea", f"{rec}-0.png"):
            shutil.copy(os.path.join(eik_dev, condition, "hidden", name), os.path.join(dest, name))
    return dest
