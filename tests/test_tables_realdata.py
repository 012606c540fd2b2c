"""Accuracy on the real reports beside the checkout (skipped when ../shared/realdata is absent)."""

from __future__ import annotations

import io

import pytest

from gdtools.eval.tables import evaluate
from gdtools.tables import extract_tables


def test_real_reports_meet_the_bar(realdata):
    out = io.StringIO()
    assert evaluate(realdata, out), out.getvalue()
    assert "silent errors (all tables): 0" in out.getvalue()


@pytest.fixture(scope="module")
def seed(realdata):
    from gdtools.io import load_report
    return extract_tables(load_report(realdata / "reports" / "000_shuozhou-sci-tech-2019.txt"))


def test_seed_total_column_and_honest_applicant_cells(seed):
    t3 = seed[seed["table"] == "table3"].set_index(["row_code", "col_code"])
    for row, value in {"received": 2, "carried_in": 0, "open": 2, "total": 2, "carried_forward": 0}.items():
        assert t3.loc[(row, "total"), "status"] == "ok"
        assert t3.loc[(row, "total"), "value"] == value
    applicants = t3[t3.index.get_level_values("col_code") != "total"]
    assert not (applicants["status"] == "ok").any()
    t4 = seed[seed["table"] == "table4"].set_index(["row_code", "col_code"])
    assert t4.loc[("review", "total"), "value"] == 0
    assert t4.loc[("litigation_direct", "total"), "value"] == 0


def test_seed_table2_signed_change(seed):
    t2 = seed[seed["table"] == "table2"].set_index(["row_code", "col_code"])
    assert t2.loc[("licensing", "change"), "value"] == 1
    assert (t2["status"] == "ok").all()
