"""The validation engine's shortcuts decide as the general code does: candidates text parsed without
trying JSON on text JSON rejects, cells shared per distinct (value, status), sums over certain cells
judged without building the message."""

from __future__ import annotations

import itertools
import json

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from gdtools.validate import (
    _NOT_CERTAIN,
    _SEPARATOR,
    _Cell,
    _Cells,
    _closest,
    _closest_by_sums,
    _evaluate,
    _keys_of,
    _number,
    _outcome,
    _parse_candidates,
    _quick_outcome,
    _side,
    _Term,
    _term_keys,
)


def _reference_candidates(raw: str) -> tuple:
    """The candidates as parsed by trying JSON first on every text (the general rule)."""
    text = raw.strip()
    if not text:
        return ()
    try:
        items = json.loads(text)
    except ValueError:
        items = _SEPARATOR.split(text)
    if not isinstance(items, list):
        items = [items]
    values = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("value")
        if item is None or (isinstance(item, str) and item.strip().lower() in {"blank", "空白", "none", "null", ""}):
            values.append(None)
            continue
        number = _number(item)
        if number is not None:
            values.append(number)
    return tuple(dict.fromkeys(values))


def _same(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x == y or (x != x and y != y) for x, y in zip(a, b))


CANDIDATE_TEXTS = ["blank", "0|blank", "1|11", "5", "-3", "1e2", "NaN", "Infinity", "true", "null", "01",
                   '["1", "blank"]', "[1, null]", '{"value": 3}', '"4"', "1;2；3", "undecidable", " 7 | blank ",
                   "[1|2]", "NaN|1", "-", "\ufeff1"]


def test_candidates_parse_as_json_first_would():
    for text in CANDIDATE_TEXTS:
        assert _same(_parse_candidates(text), _reference_candidates(text)), text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789-.|;；[]{}\",: blankNaItrue空白", max_size=12))
def test_candidates_parse_as_json_first_would_on_any_text(text):
    assert _same(_parse_candidates(text), _reference_candidates(text))


def _key(i: int) -> tuple[str, str, str]:
    return ("table3", f"r{i % 4}", f"c{i % 3}")


def _one_by_one(columns) -> dict:
    return _Cells._one_by_one(*columns)[0]


VALUES = st.sampled_from([None, 0.0, 1.0, 2.5, float("nan"), "3", "", "blank"])
STATUSES = st.sampled_from(["ok", "blank", "uncertain", "missing", None, float("nan"), "other"])
CANDS = st.sampled_from(["", "blank", "0|blank", "1|2", None])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 11), VALUES, STATUSES, CANDS), max_size=20))
def test_shared_cells_equal_the_cell_by_cell_reading(rows):
    keys = [_key(i) for i, *_ in rows]
    columns = (keys, [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])
    cells = _Cells(*columns)
    expected = _one_by_one(columns)
    assert list(cells._cells.items()) == list(expected.items())   # same cells, first row of a key, same order
    assert cells.uncertain == [k for k, c in expected.items() if c.status == "uncertain"]
    present = [k for k, c in expected.items() if c.status != "missing"]
    assert cells.tables == {k[0] for k in present}
    assert all(cells.has_row(*k[:2]) for k in present)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 11), VALUES, STATUSES, CANDS), max_size=20))
def test_cells_keyed_by_a_shared_key_layout_equal_those_keyed_by_a_list(rows):
    keys = [_key(i) for i, *_ in rows]
    rest = ([r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])
    by_list = _Cells(keys, *rest)
    columns = [[k[i] for k in keys] for i in range(3)]
    layout = _keys_of(*columns)
    assert _keys_of(*columns) is layout   # made once per distinct key columns
    by_layout = _Cells(layout, *rest)
    assert list(by_layout._cells.items()) == list(by_list._cells.items())
    assert (by_layout.tables, by_layout._rows, by_layout.uncertain) == (by_list.tables, by_list._rows, by_list.uncertain)
    assert by_layout.values == by_list.values


def test_cells_with_na_or_unhashable_values_read_as_blank():
    keys = [_key(0), _key(1), _key(0)]
    for values in ([pd.NA, 1.0, 2.0], [[1], 1.0, 2.0]):
        cells = _Cells(keys, values, ["ok", "ok", "ok"], ["", "", ""])
        assert cells.get(*_key(1)) == _Cell(1.0, "ok", ())
        assert cells.get(*_key(0)) == _Cell(None, "blank", ())   # first row of the key: no number
        assert list(cells._cells.items()) == list(_one_by_one((keys, values, ["ok"] * 3, [""] * 3)).items())


CELLS = st.one_of(st.none(), st.sampled_from([(None, "blank"), (None, "missing"), (1.0, "uncertain")]),
                  st.tuples(st.sampled_from([0.0, 1.0, 2.0, 3.5, 7.0, -0.0]), st.just("ok")))


@settings(max_examples=300, deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=6), st.lists(CELLS, min_size=1, max_size=3),
       st.sampled_from([0.0, 1.0]))
def test_a_sum_judged_quickly_has_the_verdict_the_general_judge_gives(left, right, tol):
    present = [(("table3", f"r{i}", "total"), cell) for i, cell in enumerate(left + right) if cell is not None]
    cells = _Cells([k for k, _ in present], [c[0] for _, c in present], [c[1] for _, c in present],
                   ["1|2" if c[1] == "uncertain" else "" for _, c in present])
    lhs = _term_keys("table3", "v2021", "columns", "total", tuple(f"r{i}" for i in range(len(left))))
    rhs = _term_keys("table3", "v2021", "columns", "total",
                     tuple(f"r{i}" for i in range(len(left), len(left) + len(right))))
    quick = _quick_outcome([cells.values.get(key, _NOT_CERTAIN) for _, key, _, _ in lhs],
                           [cells.values.get(key, _NOT_CERTAIN) for _, key, _, _ in rhs], tol)
    full = _evaluate([_Term(label, cells._cells.get(key), signed) for label, key, _, signed in lhs],
                     [_Term(label, cells._cells.get(key), signed) for label, key, _, signed in rhs], tol)
    assert _outcome(lhs, rhs, cells, cells, tol) == (full if quick is None else quick)
    if quick is None:   # left to the general judge: a cell absent, uncertain or missing, or the sum does not hold
        assert full.verdict != "ok" or any(c is None or c[1] != "ok" and c[1] != "blank" for c in left + right)
    else:   # what _collect reads of an outcome
        assert (quick.verdict, quick.all_blank) == (full.verdict, full.all_blank)
        assert quick.all_blank or bool(quick.blanks) == bool(full.blanks)


READINGS = st.lists(st.sampled_from([None, 0.0, 1.0, 2.0, 3.0, 5.0, 12.0, -2.0]), min_size=1, max_size=3, unique=True)


@settings(max_examples=400, deadline=None)
@given(st.lists(READINGS, min_size=1, max_size=6), st.lists(READINGS, min_size=1, max_size=2),
       st.sets(st.integers(0, 5)), st.sets(st.integers(0, 1)), st.sampled_from([0.0, 1.0]))
def test_judging_by_side_sums_picks_what_enumerating_every_reading_picks(left, right, lsigned, rsigned, tol):
    left, right = [tuple(o) for o in left], [tuple(o) for o in right]
    lsigned, rsigned = sorted(i for i in lsigned if i < len(left)), sorted(i for i in rsigned if i < len(right))
    lefts = ((lv, _side(lv, lsigned)) for lv in itertools.product(*left))
    rights = [(rv, _side(rv, rsigned)) for rv in itertools.product(*right)]
    best, verdicts = _closest(lefts, rights, tol)
    assert _closest_by_sums(left, right, lsigned, rsigned, tol) == (best, len(verdicts) == 1)


def test_cell_keys_of_equal_but_different_codes_are_their_own():
    # 1, 1.0 and True are equal and hash alike, their text is not: the cached layout of one is not the other's
    from gdtools.validate import _keys_of

    assert [_keys_of(["table3"], ["r1"], [code]).keys for code in (1, 1.0, True, "1")] == \
        [(("table3", "r1", text),) for text in ("1", "1.0", "True", "1")]
