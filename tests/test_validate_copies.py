"""validate_corpus with copies of an agency-year (one report downloaded as HTML and PDF, a generator
repeating agencies): each distinct previous-year content is compared once, findings stay per report."""

from __future__ import annotations

import pandas as pd
import pytest
from test_validate import CONSISTENT, frame, table3_rows

import gdtools.validate as validate_module
from gdtools.validate import validate_corpus

LAST = dict(CONSISTENT, carried_forward=[2, 0, 0, 0, 0, 0], total=[9, 2, 0, 0, 0, 0])


def corpus(previous: list[dict], current: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tables and reports frames: the previous-year reports (2021) then the current ones (2022) of one agency."""
    rows, recs = [], []
    for year, values in ((2021, previous), (2022, current)):
        for i, t3 in enumerate(values):
            rid = f"y{year}c{i}"
            rows += table3_rows(rid, "v2021", t3)
            recs.append({"report_id": rid, "source": f"dir{i}/{rid}.txt", "agency": "某市某局", "year": year,
                         "template": "v2021", "status": "ok"})
    return frame(rows), pd.DataFrame(recs)


@pytest.fixture
def calls(monkeypatch):
    """Counts the comparisons validate_corpus makes (one per rule and pair of reports)."""
    seen = []
    real = validate_module._cross_year

    def counting(*args):
        seen.append(args[5]["report_id"])
        return real(*args)

    monkeypatch.setattr(validate_module, "_cross_year", counting)
    return seen


def test_copies_of_last_years_report_are_compared_once(calls):
    one = validate_corpus(*corpus([LAST], [CONSISTENT]))
    n_one, calls_one = len(one), len(calls)
    for k in (2, 5, 20):
        calls.clear()
        found = validate_corpus(*corpus([LAST] * k, [CONSISTENT] * k))
        # every current copy gets the findings of one comparison: linear in k, not k * k
        assert len(found) == k * n_one
        assert len(calls) == calls_one   # copies of this year's report reuse the first one's findings
        assert set(found.report_id) == {f"y2022c{i}" for i in range(k)}
        for rid, own in found.groupby("report_id"):
            assert (own.source == f"dir{rid[6:]}/{rid}.txt").all()
            assert list(own.severity) == list(one.severity) and list(own.col_label) == list(one.col_label)
            assert list(own.expected.fillna(-1)) == list(one.expected.fillna(-1))
        ok = found[found.severity == "ok"].message
        assert ok.str.contains(f"y2021c0.txt及表格相同的另外{k - 1}份").all()
    assert not one.message.str.contains("表格相同").any()   # no copies: messages as before


def test_distinct_last_year_reports_are_each_compared():
    contents = [dict(LAST, carried_forward=[v, 0, 0, 0, 0, 0], total=[11 - v, 2, 0, 0, 0, 0]) for v in (1, 2, 3)]
    found = validate_corpus(*corpus(contents, [CONSISTENT]))
    errors = found[found.severity == "error"]
    # this year carried in 1: the reports that carried forward 2 and 3 disagree, each named by its numbers
    assert sorted(errors[errors.col_label == "自然人"].expected) == [2.0, 3.0]
    named = found[found.severity == "ok"].message
    assert {f"y2021c{i}.txt" for i in range(3)} <= {m.split("对照上一年度报告")[1].split("）")[0] for m in named}


def test_copies_and_distinct_reports_mixed_keep_the_first_of_each_content(calls):
    other = dict(LAST, carried_forward=[1, 0, 0, 0, 0, 0], total=[10, 2, 0, 0, 0, 0])
    found = validate_corpus(*corpus([LAST, other, LAST, other, LAST], [CONSISTENT, CONSISTENT]))
    ok = found[found.severity == "ok"].message
    assert ok.str.contains("y2021c0.txt及表格相同的另外2份").any()
    assert ok.str.contains("y2021c1.txt及表格相同的另外1份").any()
    assert not ok.str.contains("y2021c2|y2021c3|y2021c4").any()
    assert set(calls) == {"y2022c0"}   # the second current copy reuses the first one's findings


def test_copies_are_recognised_by_their_cells_when_rows_cannot_be_hashed():
    tables, reports = corpus([LAST] * 3, [CONSISTENT])
    tables["candidates"] = pd.Series([[] for _ in range(len(tables))], dtype=object)   # lists: unhashable
    ok = validate_corpus(tables, reports).query("severity == 'ok'").message
    assert ok.str.contains("y2021c0.txt及表格相同的另外2份").all() and len(ok) > 0
