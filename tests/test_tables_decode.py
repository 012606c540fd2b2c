"""Shortcuts in decoding a table row give what the plain reading gives."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from gdtools.tables._decode import _EXTRA_LABEL, _cells
from gdtools.tables._readings import parse_value, placements
from gdtools.tables._text import RowText, Token

# the local-row label pattern as a plain backtracking regex (every shorter run tried)
_BACKTRACKING = re.compile(_EXTRA_LABEL.pattern.replace("{3,40}+", "{3,40}"))


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="规范性文件增减其他（）、 |+-0123\n", max_size=80), st.integers(3, 45))
def test_the_possessive_label_pattern_finds_what_backtracking_finds(text, run):
    # also long runs (over the 40 characters a label may have) before a number
    text = text + "其" * run + "增5 " + text
    assert [m.span() for m in _EXTRA_LABEL.finditer(text)] == [m.span() for m in _BACKTRACKING.finditer(text)]


def _plain_cells(texts: list[str], n: int):
    """The readings of one-value grid cells, worked out directly."""
    while len(texts) > n and not texts[0].strip():
        texts = texts[1:]
    while len(texts) > n and not texts[-1].strip():
        texts = texts[:-1]
    values = [parse_value(t)[0] for t in texts]
    if 0 < len(values) < n:
        return list(placements(tuple(values), n, False)), len(values)
    return [tuple((values + [None] * n)[:n])], len(values)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["", " ", "0", "3", "12", "-", "无", "1.5"]), max_size=9), st.sampled_from([3, 7]))
def test_grid_cells_read_alike_when_the_same_row_recurs(texts, n):
    rows = [_cells(RowText("cells", [Token(t, 0) for t in texts]), n) for _ in range(2)]
    assert rows[0] == rows[1] == _plain_cells(list(texts), n)
    rows[0][0].clear()   # a caller's list is its own: the next reading of the row is whole
    assert _cells(RowText("cells", [Token(t, 0) for t in texts]), n) == rows[1]


def test_a_cell_holding_several_numbers_reads_the_row_as_chunks():
    readings, printed = _cells(RowText("cells", [Token("1 2", 0), Token("3", 0)]), 3)
    assert readings == [(1.0, 2.0, 3.0)] and printed == 3
