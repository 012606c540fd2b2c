"""Printed values no count cell can hold are never read as ``ok`` (synthetic snippets)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from test_tables import T2_V19, T3_HEAD, T4_HEAD, V21, cells, consistent_rows, label, report

from gdtools.model import Block, Cell
from gdtools.tables import extract_tables
from gdtools.tables._readings import MAX_COUNT_DIGITS, plausible, plausible_readings


def spaced_text(changes: dict[str, list[str]], t4: str = "0 " * 15) -> str:
    """Table 三 with one space between values (row 予以公开 holds 3), then table 四."""
    values = {k: [str(v) for v in vs] for k, vs in consistent_rows(V21, {"open": 3}).items()}
    values.update(changes)
    body = "".join(label(r) + " ".join(values[r["row_code"]]) for r in V21)
    return "前言。" + T3_HEAD + body + T4_HEAD + t4 + "五、存在的主要问题及改进情况无。"


def assert_not_ok(row: pd.DataFrame, printed: str) -> None:
    assert (row["status"] == "uncertain").all()
    assert row["value"].isna().all()
    assert (row["candidates"] == "undecidable").all()
    assert (row["raw"].str.contains(printed, regex=False)).all()


def test_plausibility_is_a_digit_count_per_column_kind():
    limit = 10 ** MAX_COUNT_DIGITS
    assert plausible(limit - 1, "count") and not plausible(limit, "count")
    assert plausible(None, "count") and plausible(float(limit), "amount")
    assert not plausible(1e200, "amount")
    assert plausible(-3.0, "signed") and not plausible(-3.0, "count") and not plausible(-1.0, "amount")
    assert not plausible(2.5, "count") and not plausible(-1.5, "signed") and plausible(2.5, "amount")
    readings = [(1.0, 2.0, float(limit)), (12.0, 3.0, 4.0)]
    assert plausible_readings(readings, ["count"] * 3) == [(12.0, 3.0, 4.0)]


def test_two_hundred_digit_count_in_table3_is_not_a_value():
    long_run = "1" * 200
    frame = extract_tables(report(spaced_text({"open": ["3", "0", "0", "0", "0", "0", long_run]})))
    assert_not_ok(cells(frame, "table3", "open"), long_run)
    # the other rows keep their printed values
    assert cells(frame, "table3", "received").loc["natural", "value"] == 3
    # printed alone, the run is no reading either (cut into 7 numbers, one is too long)
    frame = extract_tables(report(spaced_text({"open": [long_run]})))
    assert_not_ok(cells(frame, "table3", "open"), long_run)


def test_count_limit_is_seven_digits():
    seven, eight = "1234567", "12345678"
    ok = extract_tables(report(spaced_text({"open": [seven, "0", "0", "0", "0", "0", seven]})))
    assert cells(ok, "table3", "open").loc["total", "value"] == 1234567
    assert cells(ok, "table3", "open").loc["total", "status"] == "ok"
    bad = extract_tables(report(spaced_text({"open": [eight, "0", "0", "0", "0", "0", eight]})))
    assert_not_ok(cells(bad, "table3", "open"), eight)


def test_glued_run_whose_only_readings_are_too_long_is_not_ok():
    # 7 cells from 1+13 zeros+1+8 zeros, no leading zeros: the first number always has 9+
    # digits (100000000,0,0,0,0,0,100000000 even satisfies the row total)
    run = "1" + "0" * 13 + "1" + "0" * 8
    frame = extract_tables(report(spaced_text({"open": [run]})))
    row = cells(frame, "table3", "open")
    assert (row["status"] == "uncertain").all() and row["value"].isna().all()


def test_long_count_in_table4_is_not_ok():
    long_run = "9" * 200
    frame = extract_tables(report(spaced_text({}, t4=long_run + " " + "0 " * 14)))
    t4 = frame[frame["table"] == "table4"]
    assert len(t4) == 15
    assert_not_ok(t4, long_run)


def test_table2_counts_are_bounded_but_amounts_may_be_long():
    text = T2_V19.replace("政府集中采购\n3\n25.1万元", "政府集中采购\n3\n123456789.5万元")
    t2 = extract_tables(report(text + T3_HEAD))
    t2 = t2[t2["table"] == "table2"].set_index(["row_code", "col_code"])
    assert t2.loc[("procurement", "amount"), "value"] == 123456789.5
    assert t2.loc[("procurement", "items"), "value"] == 3
    text = T2_V19.replace("规章\n1\n2\n3", "规章\n1\n2\n" + "3" * 30)
    t2 = extract_tables(report(text + T3_HEAD))
    t2 = t2[t2["table"] == "table2"].set_index(["row_code", "col_code"])
    assert (t2.loc["rules", "status"] == "uncertain").all()
    assert t2.loc["rules", "value"].isna().all()
    assert t2.loc[("normative_docs", "made"), "value"] == 4


# ---- negative counts: only 本年增/减 is signed ------------------------------------------

def test_negative_count_in_table3_is_not_read_as_ok():
    for changes in ({"open": ["3", "0", "0", "0", "0", "0", "-3"]},
                    {"open": ["-3", "0", "0", "0", "0", "0", "3"]}):
        frame = extract_tables(report(spaced_text(changes)))
        row = cells(frame, "table3", "open")
        assert_not_ok(row, "-3")
        assert not (frame["value"] < 0).any()


def test_negative_count_in_a_grid_cell_is_not_read_as_ok():
    rows = [[Cell("一、本年新收政府信息公开申请数量"), *map(Cell, ["3", "", "", "", "", "", "3"])],
            [Cell("二、上年结转政府信息公开申请数量"), *map(Cell, ["0", "", "", "", "", "", "0"])],
            [Cell("（一）予以公开"), *map(Cell, ["3", "", "", "", "", "", "-3"])],
            [Cell("（七）总计"), *map(Cell, ["3", "", "", "", "", "", "3"])],
            [Cell("四、结转下年度继续办理"), *map(Cell, ["0", "", "", "", "", "", "0"])]]
    head = "三、收到和处理政府信息公开申请情况\n"
    grid = "\n".join("\t".join(c.text for c in row) for row in rows)
    block = Block("table", grid, start=len(head), end=len(head) + len(grid), rows=rows)
    frame = extract_tables(report(head + grid + "\n五、存在的主要问题及改进情况", [block]))
    assert_not_ok(cells(frame, "table3", "open"), "-3")
    assert cells(frame, "table3", "total").loc["total", "value"] == 3


def test_negative_count_in_table4_is_not_ok():
    frame = extract_tables(report(spaced_text({}, t4="1 0 0 0 -1 " + "0 " * 10)))
    t4 = frame[frame["table"] == "table4"]
    assert_not_ok(t4, "-1")


def test_table2_signs_only_in_the_change_column():
    t2 = extract_tables(report(T2_V19.replace("规章\n1\n2\n3", "规章\n1\n-2\n3") + T3_HEAD))
    t2 = t2[t2["table"] == "table2"].set_index(["row_code", "col_code"])
    assert (t2.loc["rules", "status"] == "uncertain").all()
    assert t2.loc["rules", "value"].isna().all()
    # 本年增/减 keeps its sign
    assert t2.loc[("penalty", "change"), "value"] == -8
    assert t2.loc[("other_services", "change"), "value"] == -2


def test_count_cell_with_decimals_is_not_a_reading():
    # 采购项目数量 and 采购总金额 glued: the count cannot take the decimals
    text = ("第二十条第（九）项\n信息内容 采购项目数量 采购总金额\n政府集中采购 3512.25\n"
            "三、收到和处理政府信息公开申请情况\n")
    frame = extract_tables(report(text))
    rows = frame[(frame["table"] == "table2") & (frame["row_code"] == "procurement")].set_index("col_code")
    assert "3512.2" not in rows.loc["items", "candidates"].split("|")
    assert set(rows.loc["items", "candidates"].split("|")) == {"3", "35", "351"}
    assert rows["value"].isna().all()


_EDGE_VALUES = [None, 0.0, -0.0, 1.0, 9999.0, 10000.0, 9_999_999.0, 1e7, 2.5, -3.0, 1e12, 1e200, float("inf")]


@given(st.lists(st.lists(st.sampled_from(_EDGE_VALUES), min_size=3, max_size=3).map(tuple), max_size=6),
       st.lists(st.sampled_from(["count", "signed", "amount"]), min_size=3, max_size=3))
def test_plausible_readings_keeps_exactly_the_readings_plausible_cell_by_cell(readings, kinds):
    expected = [r for r in readings if all(plausible(v, k) for v, k in zip(r, kinds, strict=True))]
    assert plausible_readings(readings, kinds) == expected
