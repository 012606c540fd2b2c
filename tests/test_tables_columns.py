"""``table_columns``: the columns behind ``extract_tables`` as plain Python lists."""

from __future__ import annotations

import pandas as pd
import pytest

from gdtools.model import TABLE_COLUMNS, Report
from gdtools.outputs import TEXT_DTYPE, normalize_frame
from gdtools.spec import table_spec
from gdtools.tables import extract_tables, table_columns

ROWS = [r for r in table_spec("table3_rows").to_dict("records") if r["v2021"]]
T3_HEAD = "三、收到和处理政府信息公开申请情况申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
T4_HEAD = ("四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计"
           "未经复议直接起诉复议后起诉结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计")


def _label(row: dict) -> str:
    text = row["v2021"]
    return row["group"] + text if text[:1].isdigit() and row["group"] and row["number"] == "1" else text


def synthetic(received: str = "", t4: str = "0 " * 15) -> Report:
    """Table 三 with 10 自然人 + 1 商业企业 answered (the 其他处理 row printed with ``-`` blanks),
    its 本年新收 row printed as ``received`` when given, and table 四 printed as ``t4``."""
    values = {r["row_code"]: "0 0 0 0 0 0 0" for r in ROWS}
    values["open"] = "10 0 0 0 0 0 10"
    values["unable_not_held"] = "0 1 0 0 0 0 1"
    values["other_no_fee"] = "- - - - - - -"
    for code in ("total", "received"):
        values[code] = "10 1 0 0 0 0 11"
    if received:
        values["received"] = received
    body = "".join(_label(r) + values[r["row_code"]] for r in ROWS)
    text = "前言。" + T3_HEAD + body + T4_HEAD + t4 + "五、存在的主要问题及改进情况无。"
    return Report(report_id="syn", source="syn.txt", format="txt", text=text, blocks=[])


def assert_columns_are_the_frame(report: Report) -> dict[str, list]:
    columns = table_columns(report)
    frame = extract_tables(report)
    assert list(columns) == TABLE_COLUMNS
    assert {len(v) for v in columns.values()} == {len(frame)}
    for name, values in columns.items():
        if name == "value":
            assert all(v is None or type(v) is float for v in values)
            assert str(frame[name].dtype) == "Float64"
        else:
            assert all(type(v) is str for v in values)
            assert frame[name].dtype == TEXT_DTYPE or (frame.empty and frame[name].dtype == object)
        # None exactly where the frame holds NA, the same value elsewhere
        assert [None if pd.isna(v) else v for v in frame[name]] == values
    # the frame a batch builds from the columns the public way is the frame extract_tables gives
    built = normalize_frame(pd.DataFrame(columns), TABLE_COLUMNS)
    if frame.empty:  # no table found: nothing but the column names to compare (dtypes of 0 rows differ)
        assert built.empty and list(built.columns) == TABLE_COLUMNS
    else:
        pd.testing.assert_frame_equal(built, normalize_frame(frame, TABLE_COLUMNS), check_exact=True)
    return columns


def test_blank_cells_are_none_not_zero():
    columns = assert_columns_are_the_frame(synthetic())
    cells = list(zip(columns["table"], columns["row_code"], columns["value"], columns["status"]))
    other = [(v, s) for t, code, v, s in cells if t == "table3" and code == "other_no_fee"]
    assert other == [(None, "blank")] * 7
    opened = [v for t, code, v, _ in cells if t == "table3" and code == "open"]
    assert opened == [10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0]
    assert sum(t == "table4" for t in columns["table"]) == 15


def test_uncertain_cells_are_none_with_candidates():
    # 本年新收 glued "110000011" reads 11,0,… or 1,10,…; a misprinted total keeps both
    report = synthetic(received="110000011")
    report.text = report.text.replace("（七）总计10 1 0 0 0 0 11", "（七）总计10 1 0 0 0 0 12")
    columns = assert_columns_are_the_frame(report)
    rows = [(c, v, s, k) for t, r, c, v, s, k in zip(columns["table"], columns["row_code"], columns["col_code"],
                                                     columns["value"], columns["status"], columns["candidates"])
            if t == "table3" and r == "received"]
    natural = next(row for row in rows if row[0] == "natural")
    assert natural[1:3] == (None, "uncertain") and set(natural[3].split("|")) == {"1", "11"}


def test_report_without_tables_gives_empty_columns():
    report = Report(report_id="e", source="e.txt", format="txt", text="前言。没有表格。", blocks=[])
    columns = table_columns(report)
    assert columns == {name: [] for name in TABLE_COLUMNS}
    frame = extract_tables(report)
    assert list(frame.columns) == TABLE_COLUMNS and frame.empty


@pytest.mark.realdata
def test_real_reports_columns_are_the_frame(realdata):
    from gdtools.io import load_report

    paths = sorted(p for p in (realdata / "reports").iterdir() if p.suffix != ".pdf")
    assert paths
    for path in paths:
        assert_columns_are_the_frame(load_report(path))
