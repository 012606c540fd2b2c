"""Template knowledge shipped as package data (CSV crosswalks, YAML rules and lexicons).

Code refers to stable ASCII codes (``row_code``, ``col_code``); the official Chinese
labels live here, one column per template version, so a third version is one more column.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from types import MappingProxyType

import pandas as pd


def spec_path(name: str):
    """A path-like handle to a file under ``gdtools/spec`` (e.g. ``tables/table3_rows.csv``)."""
    return resources.files(__name__).joinpath(name)


@cache
def _read_csv(name: str) -> pd.DataFrame:
    with spec_path(name).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def table_spec(name: str) -> pd.DataFrame:
    """A copy of crosswalk ``name`` (``table3_rows``, ``table3_cols``, ``table4_rows``, ``table4_cols``, ``table2``)."""
    return _read_csv(f"tables/{name}.csv").copy()


@cache
def table_records(name: str) -> tuple[MappingProxyType, ...]:
    """The rows of crosswalk ``name`` as read-only mappings (column -> text), parsed once per process."""
    return tuple(MappingProxyType(r) for r in _read_csv(f"tables/{name}.csv").to_dict("records"))


def read_text(name: str) -> str:
    """The text of spec file ``name`` (UTF-8)."""
    return spec_path(name).read_text(encoding="utf-8")
