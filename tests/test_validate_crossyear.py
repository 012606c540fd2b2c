"""validate_corpus reads only the cells the cross-year rules compare: the other cells still decide
which tables a report has and which reports of an agency-year are copies."""

from __future__ import annotations

import pandas as pd
from test_validate import CONSISTENT, _row, frame, table3_rows, table4_rows

from gdtools.validate import validate_corpus

LAST = dict(CONSISTENT, carried_forward=[2, 0, 0, 0, 0, 0], total=[9, 2, 0, 0, 0, 0])


def reports(*rows: tuple[str, int]) -> pd.DataFrame:
    return pd.DataFrame([{"report_id": rid, "source": f"{rid}.txt", "agency": "某市某局", "year": year,
                          "template": "v2021", "status": "ok"} for rid, year in rows])


def x1(tables: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    found = validate_corpus(tables, reps)
    return found[found.rule == "X1"].reset_index(drop=True)


def test_a_table_of_only_cells_no_rule_reads_is_still_present():
    only_total = [_row("a", "v2021", "table3", "total", "natural", 9)]   # last year's table 三: one other row
    found = x1(frame(only_total + table3_rows("b", "v2021", CONSISTENT)), reports(("a", 2021), ("b", 2022)))
    assert len(found) > 1 and not found.message.str.contains("报告中未找到表三").any()
    assert set(found.severity) == {"not_assessable"}   # the carried-forward cells are missing, not the table


def test_a_table_whose_cells_are_all_missing_is_absent_and_one_cell_present_makes_it_present():
    gone = [dict(r, value=None, status="missing") for r in table3_rows("a", "v2021", LAST)]
    reps = reports(("a", 2021), ("b", 2022))
    found = x1(frame(gone + table3_rows("b", "v2021", CONSISTENT)), reps)
    assert list(found.severity) == ["not_assessable"] and "上一年度报告中未找到表三" in found.message[0]
    # a missing row before a printed one of the same cell: the first row of a cell wins
    first_missing = [dict(r, value=None, status="missing") for r in table3_rows("a", "v2021", LAST)
                     if r["row_code"] == "total"] + table3_rows("a", "v2021", LAST)
    found = x1(frame(first_missing + table3_rows("b", "v2021", CONSISTENT)), reps)
    assert not found.message.str.contains("报告中未找到表三").any()
    assert (found.severity == "error").any()   # carried forward 2 last year, carried in 1 now


def test_reports_differing_only_in_cells_no_rule_reads_are_not_copies():
    tables = frame(table3_rows("a1", "v2021", LAST) + table4_rows("a1", "v2021")
                   + table3_rows("a2", "v2021", LAST) + table4_rows("a2", "v2021", {"review": [1, 0, 0, 0]})
                   + table3_rows("b", "v2021", CONSISTENT))
    found = x1(tables, reports(("a1", 2021), ("a2", 2021), ("b", 2022)))
    assert not found.message.str.contains("表格相同").any()
    assert {"a1.txt", "a2.txt"} <= {m.split("对照上一年度报告")[1].split("）")[0]
                                    for m in found.message if "对照上一年度报告" in m}
    # the same two reports with equal table 四 are one content, named once with the count
    same = frame(table3_rows("a1", "v2021", LAST) + table4_rows("a1", "v2021")
                 + table3_rows("a2", "v2021", LAST) + table4_rows("a2", "v2021")
                 + table3_rows("b", "v2021", CONSISTENT))
    assert x1(same, reports(("a1", 2021), ("a2", 2021), ("b", 2022))).message.str.contains("a1.txt及表格相同的另外1份").any()


def test_findings_do_not_depend_on_unread_rows_or_their_order():
    tables = frame(table3_rows("a", "v2021", LAST) + table3_rows("b", "v2021", dict(CONSISTENT, carried_in=[None] * 6)))
    reps = reports(("a", 2021), ("b", 2022))
    plain = validate_corpus(tables, reps)
    extra = pd.concat([frame(table4_rows("a", "v2021") + table4_rows("b", "v2021")), tables], ignore_index=True)
    pd.testing.assert_frame_equal(validate_corpus(extra.iloc[::-1].reset_index(drop=True), reps), plain)
    assert len(plain) > 0
