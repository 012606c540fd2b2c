"""Shared fixtures. Real-data tests read ../shared/realdata and skip cleanly when it is absent."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The folder of real reports beside the checkout; skips the test when absent."""
    if not (REALDATA / "MANIFEST.csv").is_file():
        pytest.skip("../shared/realdata is not present")
    return REALDATA


@pytest.fixture(scope="session")
def manifest(realdata) -> list[dict]:
    with open(realdata / "MANIFEST.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def expected_tables(realdata) -> dict[str, dict]:
    """Hand-checked table values keyed by report file name."""
    return {p.name.replace(".json", ""): json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((realdata / "expected").glob("*.json"))}


# No test may open a network connection (gdtools is offline): pyproject's addopts pass
# --disable-socket --allow-unix-socket to pytest-socket. Jupyter kernels talk to their runner over
# localhost TCP, so notebook tests (test_notebooks.py, or any test marked ``kernel``) may connect
# to the loopback address only.
_LOOPBACK = ["127.0.0.1", "::1", "localhost"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("kernel") or item.path.name == "test_notebooks.py":
            item.add_marker(pytest.mark.allow_hosts(_LOOPBACK))
