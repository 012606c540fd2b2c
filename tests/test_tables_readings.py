"""Readings of printed rows (``_readings``) against plain reference definitions."""

from __future__ import annotations

import itertools
import re

from hypothesis import given
from hypothesis import strategies as st

from gdtools.tables._readings import MAX_DIGITS, inline_readings, placements, split_digits
from gdtools.tables._text import Token


def reference_splits(digits: str, k: int) -> list[tuple[str, ...]]:
    """Every cut into ``k`` numbers without leading zeros, each at most MAX_DIGITS long,
    ordered by the lengths of the cuts from the left. Only the last number may start with
    ``0.`` (the decoder's rule: a cut never extends a leading 0)."""
    out = []
    for cuts in itertools.combinations(range(1, len(digits)), k - 1):
        bounds = (0, *cuts, len(digits))
        parts = tuple(digits[a:b] for a, b in itertools.pairwise(bounds))
        if all(len(p) <= MAX_DIGITS and re.fullmatch(r"(?:0|[1-9]\d*)(?:\.\d+)?", p) for p in parts) and not any(
                p.startswith("0") and len(p) > 1 for p in parts[:-1]):
            out.append(parts)
    return out


@given(st.text("0123456789.", min_size=1, max_size=16), st.integers(1, 5))
def test_split_digits_lists_every_cut_in_order(digits, k):
    assert list(split_digits(digits, k)) == reference_splits(digits, k)
    assert list(split_digits(digits, k)) == reference_splits(digits, k)  # again, once listed


def test_split_digits_of_a_long_run():
    run = "1" * 20
    assert list(split_digits(run, 2)) == reference_splits(run, 2)
    assert list(split_digits("1" * 40, 2)) == []  # no number longer than MAX_DIGITS


def reference_placements(values: tuple, n: int, last_is_total: bool) -> list[tuple]:
    out = []
    for slots in itertools.combinations(range(n), len(values)):
        if last_is_total and values and slots[-1] != n - 1:
            continue
        cells = [None] * n
        for slot, value in zip(slots, values, strict=True):
            cells[slot] = value
        out.append(tuple(cells))
    return out


@given(st.lists(st.sampled_from([0.0, 1.0, 2.5, 17.0]), max_size=5).map(tuple), st.integers(1, 7), st.booleans())
def test_placements_keep_order_and_blank_the_rest(values, n, last_is_total):
    assert list(placements(values, n, last_is_total)) == reference_placements(values, n, last_is_total)


def test_inline_digits_as_many_as_cells_read_one_digit_per_cell():
    assert inline_readings([Token("0000000", 0)], 7) == [(0.0,) * 7]
    assert inline_readings([Token("1100002", 0)], 7) == [(1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 2.0)]
    assert inline_readings([Token("11", 0), Token("0", 0)], 3) == [(1.0, 1.0, 0.0)]
    # more digits than cells: every cut without leading zeros
    assert inline_readings([Token("1100", 0)], 3) == [(1.0, 10.0, 0.0), (11.0, 0.0, 0.0)]
