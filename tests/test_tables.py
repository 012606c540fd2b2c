"""Decoders of tables 二/三/四 on synthetic snippets written for these tests."""

from __future__ import annotations

import pandas as pd
import pytest

from gdtools.model import TABLE_COLUMNS, Block, Cell, Report
from gdtools.spec import table_spec
from gdtools.tables import extract_tables, wide_table
from gdtools.tables._readings import parse_value, split_digits

V21 = [r for r in table_spec("table3_rows").to_dict("records") if r["v2021"]]
V19 = [r for r in table_spec("table3_rows").to_dict("records") if r["v2019"]]
T4_HEAD = ("四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计"
           "未经复议直接起诉复议后起诉结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计")
T3_HEAD = ("三、收到和处理政府信息公开申请情况申请人情况自然人法人或其他组织总计商业企业科研机构"
           "社会公益组织法律服务机构其他")


def consistent_rows(rows: list[dict], natural: dict[str, int], business: dict[str, int] | None = None
                    ) -> dict[str, list[int]]:
    """Seven values per row satisfying R1-R3: outcomes given for 自然人 (and 商业企业)."""
    business = business or {}
    values = {}
    for r in rows:
        code = r["row_code"]
        if code in ("received", "carried_in", "total", "carried_forward"):
            continue
        n, b = natural.get(code, 0), business.get(code, 0)
        values[code] = [n, b, 0, 0, 0, 0, n + b]
    total = [sum(v[i] for v in values.values()) for i in range(7)]
    values["total"] = total
    values["received"] = list(total)
    values["carried_in"] = [0] * 7
    values["carried_forward"] = [0] * 7
    return values


def label(row: dict, version: str = "v2021") -> str:
    text = row[version]
    return row["group"] + text if text[:1].isdigit() and row["group"] and row["number"] == "1" else text


def glued_text(rows: list[dict], values: dict[str, list], sep: str = "", version: str = "v2021",
               t4: str = "000000000000000") -> str:
    body = "".join(label(r, version) + sep.join(str(v) for v in values[r["row_code"]]) for r in rows)
    return "前言。" + T3_HEAD + body + T4_HEAD + t4 + "五、存在的主要问题及改进情况无。"


def report(text: str, blocks=None) -> Report:
    return Report(report_id="t", source="t.txt", format="txt", text=text, blocks=blocks or [])


def cells(frame: pd.DataFrame, table: str, row: str) -> pd.DataFrame:
    return frame[(frame["table"] == table) & (frame["row_code"] == row)].set_index("col_code")


# ---- single values ----------------------------------------------------------------

@pytest.mark.parametrize(("text", "value", "unit"), [
    ("17", 17.0, ""), ("增1", 1.0, ""), ("减2", -2.0, ""), ("+2", 2.0, ""), ("-8", -8.0, ""),
    ("251000元", 251000.0, "元"), ("25.1万元", 25.1, "万元"), ("1,234", 1234.0, ""),
])
def test_parse_value_reads_signs_and_units(text, value, unit):
    assert parse_value(text) == (value, unit)


@pytest.mark.parametrize("text", ["", "-", "—", "/", "无", "  "])
def test_parse_value_blank_marks_are_not_zero(text):
    assert parse_value(text) == (None, "")


def test_split_digits_never_makes_leading_zeros():
    splits = set(split_digits("1001", 2))
    assert splits == {("100", "1")}
    assert set(split_digits("000", 3)) == {("0", "0", "0")}
    assert list(split_digits("05", 1)) == []


# ---- table 三 --------------------------------------------------------------------

def test_glued_rows_split_by_row_totals():
    values = consistent_rows(V21, {"open": 17})
    frame = extract_tables(report(glued_text(V21, values)))
    assert list(frame.columns) == TABLE_COLUMNS
    row = cells(frame, "table3", "open")
    assert row.loc["natural", "value"] == 17 and row.loc["total", "value"] == 17
    assert (frame[frame["table"] == "table3"]["status"] == "ok").all()
    assert len(frame[frame["table"] == "table3"]) == 25 * 7


def test_numbering_of_next_label_is_not_a_value():
    # "…国家秘密0000000" followed by "2.其他法律…": the 2 belongs to the label
    values = consistent_rows(V21, {"refuse_state_secret": 3, "refuse_law": 2})
    frame = extract_tables(report(glued_text(V21, values)))
    assert cells(frame, "table3", "refuse_state_secret").loc["total", "value"] == 3
    assert cells(frame, "table3", "refuse_law").loc["natural", "value"] == 2


def test_two_row_splits_resolved_jointly_by_column_sums():
    # 予以公开 "270020130": 27,0,0,2,0,1,30 or 2,70,0,… — only one fits R1/R3 with the other rows
    values = consistent_rows(V21, {"open": 27, "unable_not_held": 22})
    values["open"] = [27, 0, 0, 2, 0, 1, 30]
    for code in ("total", "received"):
        values[code] = [27 + 22, 0, 0, 2, 0, 1, 52]
    frame = extract_tables(report(glued_text(V21, values)))
    row = cells(frame, "table3", "open")
    assert list(row["value"]) == [27, 0, 0, 2, 0, 1, 30]
    assert (row["status"] == "ok").all()


def test_ambiguous_and_inconsistent_row_is_uncertain_not_guessed():
    # 本年新收 glued "110000011" (11,0,… or 1,10,…) while the outcomes are 10 自然人 + 1 商业企业
    # and （七）总计 misprints its total: each reading breaks R1 and R1' in two columns (a tie)
    values = consistent_rows(V21, {"open": 10}, {"unable_not_held": 1})
    values["total"] = [10, 1, 0, 0, 0, 0, 12]
    body = "".join(label(r) + ("110000011" if r["row_code"] == "received" else
                               " ".join(map(str, values[r["row_code"]]))) for r in V21)
    frame = extract_tables(report("前言。" + T3_HEAD + body + T4_HEAD + "0 " * 15 + "五、存在的主要问题"))
    row = cells(frame, "table3", "received")
    assert row.loc["natural", "status"] == "uncertain"
    assert set(row.loc["natural", "candidates"].split("|")) == {"1", "11"}
    assert pd.isna(row.loc["natural", "value"])
    assert row.loc["total", "status"] == "ok" and row.loc["total", "value"] == 11


def test_unambiguous_inconsistent_row_is_kept_as_printed():
    values = consistent_rows(V21, {"open": 5})
    values["total"] = [4, 0, 0, 0, 0, 0, 4]
    frame = extract_tables(report(glued_text(V21, values, sep=" ")))
    row = cells(frame, "table3", "total")
    assert row.loc["natural", "status"] == "ok" and row.loc["natural", "value"] == 4


def test_v2019_variant_decided_from_printed_labels():
    values = consistent_rows(V19, {"other": 1})
    frame = extract_tables(report(glued_text(V19, values, version="v2019")))
    codes = set(frame[frame["table"] == "table3"]["row_code"])
    assert "other" in codes and "other_no_fee" not in codes
    assert cells(frame, "table3", "other").loc["total", "value"] == 1


def line_dump(rows, values, gap=2, version="v2021", blank_rows=()):
    """One cell per line, each cell followed by ``gap`` empty lines; blank cells kept."""
    out = [T3_HEAD]
    for r in rows:
        out.append(label(r, version))
        for v in values[r["row_code"]] if r["row_code"] not in blank_rows else [""] * 7:
            out.extend([""] * gap)
            out.append(str(v) if v is not None else "")
        out.extend([""] * 2)
    out.append(T4_HEAD)
    for v in [None, None, None, None, 0] * 3:
        out.extend([""] * gap)
        out.append("" if v is None else str(v))
    out.append("五、存在的主要问题及改进情况")
    return "\n".join(out)


def test_cell_per_line_dump_keeps_printed_blanks():
    values = consistent_rows(V21, {"open": 4})
    values["carried_in"] = [0, 0, 0, 0, 0, 0, None]
    frame = extract_tables(report(line_dump(V21, values, blank_rows=("partial",))))
    assert cells(frame, "table3", "open").loc["total", "value"] == 4
    partial = cells(frame, "table3", "partial")
    assert (partial["status"] == "blank").all() and partial["value"].isna().all()
    carried = cells(frame, "table3", "carried_in")
    assert carried.loc["total", "status"] == "blank" and carried.loc["natural", "value"] == 0
    review = cells(frame, "table4", "review")
    assert review.loc["total", "value"] == 0 and review.loc["upheld", "status"] == "blank"


def padded_dump(rows: dict[str, list[str]]) -> str:
    lines = [T3_HEAD]
    for r in V19:
        lines.append("\t" + label(r, "v2019"))
        lines.extend("\t" + v for v in rows.get(r["row_code"], [""] * 7))
        lines.append("")
    lines.append("五、存在的主要问题及改进情况")
    return "\n".join(lines)


def test_padded_dump_with_every_row_ending_in_one_slot():
    # blank cells moved: every row's last value sits in the 4th slot, which is the 总计
    # column; positions of the other values are lost
    rows = {"received": ["0", "0", "2", "2", "", "", ""], "carried_in": ["0", "0", "0", "0", "", "", ""],
            "total": ["", "", "", "2", "", "", ""], "carried_forward": ["", "", "", "0", "", "", ""]}
    frame = extract_tables(report(padded_dump(rows)))
    for row, value in {"received": 2, "carried_in": 0, "total": 2, "carried_forward": 0}.items():
        assert cells(frame, "table3", row).loc["total", "value"] == value
    received = cells(frame, "table3", "received")
    assert (received.drop(index="total")["status"] == "uncertain").all()
    assert (frame[frame["status"] == "ok"]["col_code"] == "total").all()


def test_dump_with_dropped_blanks_reports_totals_and_doubts_positions():
    # values left-packed, blank cells moved to the end: a zero row's total may be blank too
    lines = [T3_HEAD]
    rows = {"received": ["0", "0", "2", "2", "", "", ""], "carried_in": ["0", "0", "0", "0", "", "", ""],
            "total": ["2", "", "", "", "", "", ""], "carried_forward": ["0", "", "", "", "", "", ""]}
    for r in V19:
        lines.append("\t" + label(r, "v2019"))
        lines.extend("\t" + v for v in rows.get(r["row_code"], [""] * 7))
        lines.append("")
    lines.append("五、存在的主要问题及改进情况")
    frame = extract_tables(report("\n".join(lines)))
    received = cells(frame, "table3", "received")
    assert received.loc["total", "status"] == "ok" and received.loc["total", "value"] == 2
    assert (received.drop(index="total")["status"] == "uncertain").all()
    assert cells(frame, "table3", "total").loc["total", "value"] == 2
    assert cells(frame, "table3", "carried_forward").loc["total", "status"] == "uncertain"
    assert (frame[frame["status"] == "ok"]["col_code"] == "total").all()


def test_grid_blocks_keep_explicit_blank_cells():
    rows = [[Cell("一、本年新收政府信息公开申请数量"), *map(Cell, ["5", "1", "", "", "", "", "6"])],
            [Cell("二、上年结转政府信息公开申请数量"), *map(Cell, ["0", "", "", "", "", "", "0"])],
            [Cell("三、本年度办理结果", rowspan=3), Cell("（一）予以公开"), *map(Cell, ["5", "1", "", "", "", "", ""])],
            [Cell("（七）总计"), *map(Cell, ["5", "1", "", "", "", "", "6"])],
            [Cell("四、结转下年度继续办理"), *map(Cell, ["０", "—", "", "", "", "", "０"])]]
    head = "三、收到和处理政府信息公开申请情况\n"
    grid = "\n".join("\t".join(c.text for c in row) for row in rows)
    text = head + grid + "\n五、存在的主要问题及改进情况"
    block = Block("table", grid, start=len(head), end=len(head) + len(grid), rows=rows)
    frame = extract_tables(report(text, [block]))
    opened = cells(frame, "table3", "open")
    assert opened.loc["natural", "value"] == 5 and opened.loc["total", "status"] == "blank"
    forward = cells(frame, "table3", "carried_forward")
    assert forward.loc["natural", "value"] == 0 and forward.loc["business", "status"] == "blank"
    assert (cells(frame, "table3", "partial")["status"] == "missing").all()


def test_markdown_pipes_and_orphan_values():
    text = (T3_HEAD + "\n| 一、本年新收政府信息公开申请数量 | 3 | 0 | 0 | 0 | 0 | 0 | 3 |\n"
            "| （一）予以公开 | 3 | 0 | 0 | 0 | 0 | 0 | 3 |\n"
            "（二）部分公开\n| 9 | 0 | 0 | 0 | 0 | 0 | 9 |\n"
            "| （七）总计 | 3 | 0 | 0 | 0 | 0 | 0 | 3 |\n五、存在的主要问题")
    frame = extract_tables(report(text))
    assert cells(frame, "table3", "open").loc["total", "value"] == 3
    # a value row without its label cannot be placed with certainty
    assert (cells(frame, "table3", "partial")["status"] == "missing").all()


def misprinted_total(natural: dict[str, int], business: dict[str, int] | None = None) -> pd.DataFrame:
    """本年新收 glued '110000011' (11,0,…,11 or 1,10,…,11) beside a misprinted （七）总计 row."""
    values = consistent_rows(V21, natural, business)
    values["received"] = [11, 0, 0, 0, 0, 0, 11]
    values["total"] = [2, 0, 0, 0, 0, 0, 11]  # prints "20000011": 2,…,11 or 20,…,1,1; R2 fails both ways
    return extract_tables(report(glued_text(V21, values)))


def test_inconsistent_table_takes_the_reading_with_fewest_violations():
    frame = misprinted_total({"open": 10, "unable_not_held": 1})
    received = cells(frame, "table3", "received")
    assert list(received["value"]) == [11, 0, 0, 0, 0, 0, 11] and (received["status"] == "ok").all()
    assert received.loc["natural", "candidates"] == "alt: 1"
    assert received.loc["business", "candidates"] == "alt: 10"
    assert received.loc["total", "candidates"] == ""
    assert cells(frame, "table3", "total").loc["natural", "value"] == 2


def orphan_grid(values: dict[str, list[int]], lost: list[str], orphan_rows: list[list[int]]) -> str:
    """A markdown grid whose ``lost`` rows print their values without a label (label fragments
    float above them) and ``orphan_rows`` as those label-less value rows."""
    lines = [T3_HEAD]
    for r in V21:
        code = r["row_code"]
        if code == lost[0]:
            lines += ["（四）无", "法提供", "1.本机", "关", "7"]  # loose fragments, a lone number
            lines += ["| " + " | ".join(map(str, v)) + " |" for v in orphan_rows]
            lines.append("|---|---|---|---|---|---|---|")
        if code in lost:
            continue
        lines.append(f"| {label(r)} | " + " | ".join(map(str, values[code])) + " |")
    return "\n".join(lines) + "\n" + T4_HEAD + "\n" + "0 " * 15 + "\n五、存在的主要问题"


LOST = ["unable_not_held", "unable_needs_creation", "unable_unclear"]


def test_orphan_value_rows_placed_by_order_when_counts_match():
    values = consistent_rows(V21, {"open": 3, "unable_not_held": 4, "unable_needs_creation": 6})
    frame = extract_tables(report(orphan_grid(values, LOST, [values[c] for c in LOST])))
    for code in LOST:
        row = cells(frame, "table3", code)
        assert list(row["value"]) == values[code] and (row["status"] == "ok").all()
        assert row["raw"].iloc[0].startswith("[按顺序补位]")
    assert cells(frame, "table3", "open").loc["total", "raw"].startswith("|")


def test_orphan_value_rows_stay_missing_when_counts_differ():
    values = consistent_rows(V21, {"open": 3, "unable_not_held": 4, "unable_needs_creation": 6})
    frame = extract_tables(report(orphan_grid(values, LOST, [values[c] for c in LOST[:2]])))
    for code in LOST:
        assert (cells(frame, "table3", code)["status"] == "missing").all()


def test_orphan_value_rows_stay_missing_when_sums_contradict():
    values = consistent_rows(V21, {"open": 3, "unable_not_held": 4, "unable_needs_creation": 6})
    rows = [values[c] for c in LOST]
    rows[0] = [5, 0, 0, 0, 0, 0, 5]  # R2 holds, but the outcome rows no longer add up to （七）总计
    frame = extract_tables(report(orphan_grid(values, LOST, rows)))
    for code in LOST:
        assert (cells(frame, "table3", code)["status"] == "missing").all()
    assert cells(frame, "table3", "open").loc["natural", "value"] == 3


# ---- table 四 ---------------------------------------------------------------------

def test_table4_glued_digits_split_by_group_totals():
    values = consistent_rows(V21, {})
    frame = extract_tables(report(glued_text(V21, values, t4="10203120001200000")))
    review = cells(frame, "table4", "review")
    assert list(review["value"]) == [1, 0, 2, 0, 3]
    direct = cells(frame, "table4", "litigation_direct")
    assert list(direct["value"]) == [12, 0, 0, 0, 12]
    assert (frame[frame["table"] == "table4"]["status"] == "ok").all()


def test_table4_space_separated_inconsistent_is_kept():
    values = consistent_rows(V21, {})
    frame = extract_tables(report(glued_text(V21, values, t4="10 1 0 0 0 0 0 0 0 0 5 0 0 0 0")))
    review = cells(frame, "table4", "review")
    assert review.loc["upheld", "value"] == 10 and review.loc["total", "value"] == 0


# ---- table 二 ---------------------------------------------------------------------

T2_V19 = ("二、主动公开政府信息情况第二十条第（一）项信息内容本年新制作数量本年新公开数量对外公开总数量"
          "规章\n1\n2\n3\n规范性文件\n4\n5\n6\n第二十条第（五）项信息内容上一年项目数量本年增/减处理决定数量"
          "行政许可\n10\n增1\n7\n其他对外管理服务事项\n2\n减2\n0\n第二十条第（六）项信息内容上一年项目数量本年增/减处理决定数量"
          "行政处罚\n3\n-8\n1\n行政强制\n0\n+2\n—\n第二十条第（八）项信息内容上一年项目数量本年增/减"
          "行政事业性收费\n5\n0\n第二十条第（九）项信息内容采购项目数量采购总金额政府集中采购\n3\n25.1万元\n")


def test_table2_signed_changes_and_amount_units():
    frame = extract_tables(report(T2_V19 + T3_HEAD))
    t2 = frame[frame["table"] == "table2"].set_index(["row_code", "col_code"])
    assert t2.loc[("licensing", "change"), "value"] == 1
    assert t2.loc[("other_services", "change"), "value"] == -2
    assert t2.loc[("penalty", "change"), "value"] == -8
    assert t2.loc[("coercion", "change"), "value"] == 2
    assert t2.loc[("coercion", "decisions"), "status"] == "blank"
    assert t2.loc[("procurement", "amount"), "value"] == 25.1
    assert t2.loc[("procurement", "amount"), "unit"] == "万元"
    assert t2.loc[("licensing", "change"), "item"] == "（五）"


def test_table2_glued_digits_without_a_rule_stay_uncertain():
    text = ("第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数规章000行政规范性文件1153"
            "第二十条第（五）项信息内容本年处理决定数量行政许可1029" + T3_HEAD)
    frame = extract_tables(report(text))
    t2 = frame[frame["table"] == "table2"].set_index(["row_code", "col_code"])
    assert (t2.loc["rules", "value"] == 0).all()
    assert t2.loc[("normative_docs", "in_force"), "status"] == "uncertain"
    assert "53" in t2.loc[("normative_docs", "in_force"), "candidates"].split("|")
    assert t2.loc[("licensing", "decisions"), "value"] == 1029


def test_absent_tables_give_no_rows_and_wide_shape():
    assert extract_tables(report("一、总体情况。本年度未收到申请。")).empty
    values = consistent_rows(V21, {"open": 3})
    frame = extract_tables(report(glued_text(V21, values)))
    wide = wide_table(frame, "table3")
    assert wide.shape == (25, 7)
    assert wide.loc["（一）予以公开", "总计"] == 3
    assert list(wide.columns)[-1] == "总计"


def test_pdf_text_rows_with_dropped_blanks():
    # space-separated values, blank cells left out: a lone 0 may sit in any column, total too
    lines = [T3_HEAD, "一、本年新收政府信息公开申请数量 2 1 3", "二、上年结转政府信息公开申请数量 0",
             "三、本年度办理结果 （一）予以公开 2 1 3", "（七）总计 2 1 3", "四、结转下年度继续办理 0", T4_HEAD,
             "0 0 0", "五、存在的主要问题及改进情况"]
    frame = extract_tables(report("\n".join(lines)))
    assert cells(frame, "table3", "received").loc["total", "value"] == 3
    carried = cells(frame, "table3", "carried_in").loc["total"]
    assert carried["status"] == "uncertain" and set(carried["candidates"].split("|")) == {"0", "blank"}
    assert (frame[frame["table"] == "table4"]["status"] != "ok").all()


def test_two_equal_numbers_may_be_two_applicants_beside_a_blank_total():
    # "1 1" with blanks dropped: 1 in one applicant column + 总计 1, or two applicants and a
    # blank 总计 (the last number equals "the sum" of one number trivially)
    lines = [T3_HEAD, "一、本年新收政府信息公开申请数量 1 1", "二、上年结转政府信息公开申请数量 0",
             "三、本年度办理结果 （一）予以公开 1 1", "（七）总计 1 1", "四、结转下年度继续办理 0", T4_HEAD,
             "0 0 0", "五、存在的主要问题及改进情况"]
    frame = extract_tables(report("\n".join(lines)))
    total = cells(frame, "table3", "open").loc["total"]
    assert total["status"] == "uncertain" and set(total["candidates"].split("|")) == {"1", "blank"}
    assert cells(frame, "table3", "open").loc["natural", "status"] == "uncertain"


def test_glued_digits_on_their_own_line_and_tab_cells():
    values = consistent_rows(V21, {"open": 1})
    rows = "".join(label(r) + "\t" + "\t".join("" if c == 0 and i in (2, 3) else str(c)
                                               for i, c in enumerate(values[r["row_code"]])) + "\n"
                   for r in V21)
    text = T3_HEAD + "\n" + rows + T4_HEAD + "\n000000000000000\n五、存在的主要问题及改进情况"
    frame = extract_tables(report(text))
    opened = cells(frame, "table3", "open")
    assert opened.loc["natural", "value"] == 1 and opened.loc["research", "status"] == "blank"
    assert (cells(frame, "table4", "review")["value"] == 0).all()


@pytest.mark.parametrize("noise", ["增", "减", "-", "| |", "\t\t"])
def test_stray_marks_do_not_crash(noise):
    values = consistent_rows(V21, {"open": 1})
    text = glued_text(V21, values).replace("（一）予以公开", "（一）予以公开" + noise)
    frame = extract_tables(report(text))
    assert set(frame["status"]) <= {"ok", "blank", "uncertain", "missing"}


def test_dump_without_empty_lines_lost_its_blanks():
    # one value per line and no empty line anywhere: short rows lost blank cells, the total too
    lines = [T3_HEAD]
    printed = {"received": ["3", "1", "4"], "carried_in": ["0", "0"], "open": ["3", "1", "4"],
               "total": ["3", "1", "4"], "carried_forward": ["0"]}
    for r in V21:
        lines.append(label(r))
        lines.extend(printed.get(r["row_code"], []))
    lines += [T4_HEAD, "0", "0", "五、存在的主要问题及改进情况"]
    frame = extract_tables(report("\n".join(lines)))
    assert cells(frame, "table3", "received").loc["total", "value"] == 4
    carried = cells(frame, "table3", "carried_in").loc["total"]
    assert carried["status"] == "uncertain"
    assert not (frame[frame["table"] == "table4"]["status"] == "ok").any()


def test_local_extra_rows_of_table2_are_kept_and_flagged():
    text = ("第二十条第（一）项\n信息内容 本年制发件数 本年废止件数 现行有效件数\n规章 0 0 0\n"
            "行政规范性文件 2 1 9\n地方工作文件汇编 4 0 12\n第二十条第（五）项\n信息内容 本年处理决定数量\n"
            "行政许可 5\n" + T3_HEAD)
    frame = extract_tables(report(text))
    extra = frame[frame["row_code"] == "extra:地方工作文件汇编"].set_index("col_code")
    assert list(extra["value"]) == [4, 0, 12]
    assert (extra["status"] == "ok").all() and (extra["item"] == "（一）").all()
    assert extra.loc["in_force", "row_label"] == "地方工作文件汇编"
    normative = frame[frame["row_code"] == "normative_docs"]
    assert list(normative["value"]) == [2, 1, 9]


def test_table4_grid_with_one_row_per_group():
    values = consistent_rows(V21, {})
    text = glued_text(V21, values, t4="").replace("五、存在", "\n| 行政复议 | 2 | 1 | 0 | 0 | 3 |\n"
                                                  "| 未经复议直接起诉 | 0 | 0 | 0 | 1 | 1 |\n"
                                                  "| 复议后起诉 | — | — | — | — | 0 |\n五、存在")
    frame = extract_tables(report(text))
    assert list(cells(frame, "table4", "review")["value"]) == [2, 1, 0, 0, 3]
    assert cells(frame, "table4", "litigation_direct").loc["pending", "value"] == 1
    after = cells(frame, "table4", "litigation_after_review")
    assert after.loc["upheld", "status"] == "blank" and after.loc["total", "value"] == 0


def test_readings_of_glued_chunks_and_placements():
    from gdtools.tables._readings import gap_positions, inline_readings, placements
    from gdtools.tables._text import Token

    found = inline_readings([Token("230", 0), Token("000023", 0)], 7)
    assert (23, 0, 0, 0, 0, 0, 23) in found and (2, 30, 0, 0, 0, 0, 23) in found
    assert all(len(r) == 7 for r in found)
    assert inline_readings([Token("12", 0)], 7) == []
    assert list(placements((5,), 3, last_is_total=True)) == [(None, None, 5)]
    assert len(list(placements((1, 2), 4, last_is_total=False))) == 6
    # two empty lines per cell, three more per blank cell
    toks = [Token("4", 1, 2), Token("9", 5, 5)]
    assert gap_positions(toks, 2, 2, 7) == [0, 2]
    assert gap_positions([Token("4", 1, 3)], 2, 2, 7) is None


def test_partial_grid_row_is_not_filled_left_to_right():
    text = (T3_HEAD + "\n| 一、本年新收政府信息公开申请数量 | 3 | 0 | 0 |\n"
            "| 二、上年结转政府信息公开申请数量 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
            "| （七）总计 | 3 | 0 | 0 | 0 | 0 | 0 | 3 |\n五、存在的主要问题")
    frame = extract_tables(report(text))
    received = cells(frame, "table3", "received")
    # three cells for seven columns, nothing to check them against: no cell is certain
    assert (received["status"] == "uncertain").all() and received["value"].isna().all()
    assert set(received.loc["natural", "candidates"].split("|")) == {"3", "blank"}
    assert cells(frame, "table3", "total").loc["total", "value"] == 3


def test_prose_quoting_row_labels_before_the_table_is_not_the_table():
    values = consistent_rows(V21, {"open": 6})
    prose = "一、总体情况。本年新收政府信息公开申请20件，上年结转3件，予以公开9件。"
    frame = extract_tables(report(prose + glued_text(V21, values)))
    received = cells(frame, "table3", "received")
    assert list(received["value"]) == [6, 0, 0, 0, 0, 0, 6]
    assert (received["status"] == "ok").all()


def test_absurdly_long_digit_run_is_bounded(monkeypatch):
    import gdtools.tables._readings as readings

    original, seen = readings.split_digits, [0]

    def counted(digits, k):
        for split in original(digits, k):
            seen[0] += 1
            yield split

    monkeypatch.setattr(readings, "split_digits", counted)
    values = consistent_rows(V21, {"open": 2})
    text = glued_text(V21, values).replace("（一）予以公开2", "（一）予以公开" + "9" * 120)
    frame = extract_tables(report(text))
    assert seen[0] < 100_000
    assert (cells(frame, "table3", "open")["status"] != "ok").all()


def test_all_zero_packed_dump_keeps_positions_open():
    # every value zero and packed to the left: no sum can tell where the zeros belong
    rows = {"received": ["0"] * 7, "carried_in": ["0", "0", "", "", "", "", ""],
            "open": ["0", "", "", "", "", "", ""], "total": ["0"] * 7, "carried_forward": ["0"] * 7}
    frame = extract_tables(report(padded_dump(rows)))
    assert (cells(frame, "table3", "received")["value"] == 0).all()
    assert cells(frame, "table3", "carried_in").loc["natural", "status"] == "uncertain"
    # the same zeros with a blank printed before one of them: the empty lines are cells
    rows["open"] = ["", "", "0", "", "", "", ""]
    frame = extract_tables(report(padded_dump(rows)))
    assert cells(frame, "table3", "carried_in").loc["natural", "value"] == 0
    assert cells(frame, "table3", "open").loc["research", "value"] == 0
    assert cells(frame, "table3", "open").loc["natural", "status"] == "blank"


def test_signed_value_with_a_dropped_blank_sits_in_the_change_column():
    text = ("第二十条第（五）项信息内容 上一年项目数量 本年增/减 处理决定数量行政许可 增5 82"
            "其他对外管理服务事项 13 0 13" + T3_HEAD)
    frame = extract_tables(report(text))
    t2 = frame[frame["table"] == "table2"].set_index(["row_code", "col_code"])
    assert t2.loc[("licensing", "prev_items"), "status"] == "blank"
    assert t2.loc[("licensing", "change"), "value"] == 5
    assert t2.loc[("licensing", "decisions"), "value"] == 82
    assert t2.loc[("other_services", "decisions"), "value"] == 13


def test_table4_tab_separated_line_keeps_blank_cells():
    values = consistent_rows(V21, {})
    text = glued_text(V21, values, t4="").replace(
        "五、存在", "\n\t1\t\t\t1\t\t\t\t\t0\t\t\t\t\t0\n五、存在")
    frame = extract_tables(report(text))
    review = cells(frame, "table4", "review")
    assert review.loc["upheld", "status"] == "blank"
    assert review.loc["corrected", "value"] == 1 and review.loc["total", "value"] == 1
    assert cells(frame, "table4", "litigation_after_review").loc["total", "value"] == 0


def test_glued_signed_run_is_read_with_every_cell_printed():
    # "7+25" glued (no space): 7 / +2 / 5 with every cell printed; "7 +25" spaced may have
    # lost a blank cell, so 7 / +25 / blank stays possible there
    head = "第二十条第（五）项信息内容 上一年项目数量 本年增/减 处理决定数量"
    glued = extract_tables(report(head + "行政许可7+25其他对外管理服务事项 13 0 13" + T3_HEAD))
    t2 = glued[glued["table"] == "table2"].set_index(["row_code", "col_code"])
    assert [t2.loc[("licensing", c), "value"] for c in ("prev_items", "change", "decisions")] == [7, 2, 5]
    assert (t2.loc["licensing", "status"] == "ok").all()
    spaced = extract_tables(report(head + "行政许可 7 +25其他对外管理服务事项 13 0 13" + T3_HEAD))
    t2 = spaced[spaced["table"] == "table2"].set_index(["row_code", "col_code"])
    assert t2.loc[("licensing", "decisions"), "status"] == "uncertain"
    assert "blank" in t2.loc[("licensing", "decisions"), "candidates"].split("|")


T2_SHORT_GRID = ("二、主动公开政府信息情况\n第二十条第（一）项\n4\n（其中修订 2 件）\n9\n（含自然失效 3 件）\n"
                 "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n|---|---|---|---|\n"
                 "| 规章 | 4 | 61 |\n| 行政规范性文件 | 7 | 88 |\n"
                 "第二十条第（五）项\n信息内容本年处理决定数量\n行政许可 5\n")


def test_table2_grid_row_shorter_than_its_header_is_uncertain():
    # the 废止 figure was printed outside the grid: 61 may be 废止 or 现行有效
    frame = extract_tables(report(T2_SHORT_GRID + T3_HEAD))
    t2 = frame[frame["table"] == "table2"].set_index(["row_code", "col_code"])
    for row, first, second in (("rules", "4", "61"), ("normative_docs", "7", "88")):
        cells_ = t2.loc[row]
        assert (cells_["status"] == "uncertain").all() and cells_["value"].isna().all()
        assert set(cells_.loc["in_force", "candidates"].split("|")) == {second, "blank"}
        assert second in cells_.loc["repealed", "candidates"].split("|")
        assert first in cells_.loc["issued", "candidates"].split("|")
    assert t2.loc[("licensing", "decisions"), "value"] == 5
    # parenthesised annotations around the table are no local rows
    assert not frame["row_code"].str.startswith("extra:").any()


def test_table2_short_grid_row_settled_by_the_narrative():
    prose = "一、总体情况。本年制发行政规范性文件7件，废止行政规范性文件2件。"
    frame = extract_tables(report(prose + T2_SHORT_GRID + T3_HEAD))
    t2 = frame[frame["table"] == "table2"].set_index(["row_code", "col_code"])
    docs = t2.loc["normative_docs"]
    assert docs.loc["issued", "value"] == 7 and docs.loc["issued", "status"] == "ok"
    # 88 cannot be 废止 (stated 2 elsewhere) but the cell it lost is not printed in the grid
    assert docs.loc["in_force", "value"] == 88 and docs.loc["repealed", "status"] == "missing"


def collapsed_t2(fees: str, licensing: str) -> str:
    return ("二、主动公开政府信息情况第二十条第（一）项信息内容本年新制作数量本年新公开数量对外公开总数量"
            "规章规范性文件444第二十条第（五）项信息内容上一年项目数量本年增/减处理决定数量"
            f"行政许可{licensing}第二十条第（八）项信息内容上一年项目数量本年增/减行政事业性收费{fees}"
            "第二十条第（九）项信息内容采购项目数量采购总金额政府集中采购512.5万元" + T3_HEAD)


def test_table2_glued_runs_where_blanks_were_dropped_stay_uncertain():
    # 行政许可 prints two digits for three cells, so empty cells were collapsed: 60 may be
    # 6|0 or 60 beside a blank
    frame = extract_tables(report(collapsed_t2("60", "80")))
    t2 = frame[frame["table"] == "table2"].set_index(["row_code", "col_code"])
    assert (t2.loc["rules", "status"] == "blank").all()
    fees = t2.loc["fees"]
    assert (fees["status"] == "uncertain").all() and fees["value"].isna().all()
    assert set(fees.loc["prev_items", "candidates"].split("|")) == {"6", "60", "blank"}
    assert "444" in t2.loc[("normative_docs", "made"), "candidates"].split("|")
    assert t2.loc[("procurement", "amount"), "status"] == "uncertain"


def test_table2_glued_runs_where_every_row_is_full_are_split():
    # every row printing values prints at least as many digits as it has cells (规章 prints
    # nothing: an all-blank row): no sign of dropped blanks
    frame = extract_tables(report(collapsed_t2("60", "803")))
    t2 = frame[frame["table"] == "table2"].set_index(["row_code", "col_code"])
    assert list(t2.loc["fees", "value"]) == [6, 0]
    assert list(t2.loc["normative_docs", "value"]) == [4, 4, 4]


def test_orphan_rows_with_label_fragments_placed_when_fragments_fit():
    values = consistent_rows(V21, {"open": 3, "unable_not_held": 4, "unable_needs_creation": 6})
    rows = [values[LOST[0]], ["信息需要", *values[LOST[1]]], ["申请内容、", "不明", *values[LOST[2]]]]
    frame = extract_tables(report(orphan_grid(values, LOST, rows)))
    for code in LOST:
        row = cells(frame, "table3", code)
        assert list(row["value"]) == values[code] and (row["status"] == "ok").all()
        assert row["raw"].iloc[0].startswith("[按顺序补位]")


def test_orphan_rows_with_label_fragments_of_another_row_stay_missing():
    values = consistent_rows(V21, {"open": 3, "unable_not_held": 4, "unable_needs_creation": 6})
    # the second row printed carries a piece of the third row's label: order is not trustworthy
    rows = [values[LOST[0]], ["申请内容", *values[LOST[1]]], values[LOST[2]]]
    frame = extract_tables(report(orphan_grid(values, LOST, rows)))
    for code in LOST:
        assert (cells(frame, "table3", code)["status"] == "missing").all()


@pytest.mark.parametrize("template", ["v2021", None])
@pytest.mark.parametrize("n", [0, 1, 3])
def test_table_frame_has_the_dtypes_inference_gives(template, n):
    from gdtools.tables import _frame

    values = [1.0, None, 2.5]
    records = [("r1", "a.txt", template, "table3", "", f"row{i}", "标签", "c1", "列", values[i], "件",
                "ok" if values[i] is not None else "blank", "", "1 2") for i in range(n)]
    expected = pd.DataFrame.from_records(records, columns=TABLE_COLUMNS)
    expected["value"] = pd.array([r[TABLE_COLUMNS.index("value")] for r in records], dtype="Float64")
    got = _frame({name: [r[i] for r in records] for i, name in enumerate(TABLE_COLUMNS)})
    pd.testing.assert_frame_equal(got, expected, check_dtype=True, check_column_type=True)
    assert got.to_csv(index=False) == expected.to_csv(index=False)
