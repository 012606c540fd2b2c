"""Cross-year narrowing of table 二 (synthetic reports of one agency)."""

from __future__ import annotations

import pandas as pd

from gdtools.model import Report
from gdtools.tables import extract_tables, refine_tables

T2 = ("二、主动公开政府信息情况 第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数"
      "规章000行政规范性文件{run}第二十条第（五）项信息内容本年处理决定数量行政许可12"
      "三、收到和处理政府信息公开申请情况")


def frames(runs: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    tables = pd.concat([extract_tables(Report(report_id=rid, source=f"{rid}.txt", format="txt",
                                              text="一、总体情况。" + T2.format(run=run), blocks=[]))
                        for rid, run in runs.items()], ignore_index=True)
    years = {"a": 2022, "b": 2023, "c": 2024}
    reports = pd.DataFrame({"report_id": list(runs), "agency": ["某市测试局（本级）"] + ["某市测试局"] * (len(runs) - 1),
                            "year": [years[r] for r in runs]})
    return tables, reports


def row(tables: pd.DataFrame, rid: str) -> pd.DataFrame:
    part = tables[(tables["report_id"] == rid) & (tables["row_code"] == "normative_docs")]
    return part.set_index("col_code")


def test_adjacent_year_settles_a_glued_row():
    tables, reports = frames({"a": "4 12 310", "b": "52313"})
    assert (row(tables, "b")["status"] == "uncertain").all()
    refined = refine_tables(tables, reports)
    b = row(refined, "b")
    assert list(b["value"]) == [5, 2, 313] and (b["status"] == "ok").all()
    assert "跨年度" in b.loc["in_force", "raw"]
    # the determined year and the input frame are untouched
    assert row(refined, "a")["raw"].tolist() == row(tables, "a")["raw"].tolist()
    assert (row(tables, "b")["status"] == "uncertain").all()


def test_later_year_narrows_the_earlier_one():
    # 2022 glued "93318" (9/3/318, 9/33/18, 93/3/18, …); 2023 printed 4/12/310:
    # 310 = in_force(2022) + 4 − 12 leaves in_force 318
    tables, reports = frames({"a": "93318", "b": "4 12 310"})
    refined = refine_tables(tables, reports)
    a = row(refined, "a")
    assert list(a["value"]) == [9, 3, 318] and (a["status"] == "ok").all()


def test_chain_contradicting_every_reading_changes_nothing():
    tables, reports = frames({"a": "4 12 999", "b": "52313"})
    refined = refine_tables(tables, reports)
    assert (row(refined, "b")["status"] == "uncertain").all()
    assert row(refined, "b")["candidates"].tolist() == row(tables, "b")["candidates"].tolist()


def test_other_agencies_and_gaps_in_years_are_not_linked():
    tables, reports = frames({"a": "4 12 310", "c": "52313"})  # 2022 and 2024: not consecutive
    assert (row(refine_tables(tables, reports), "c")["status"] == "uncertain").all()
    tables, reports = frames({"a": "4 12 310", "b": "52313"})
    reports.loc[1, "agency"] = "另一个机关"
    assert (row(refine_tables(tables, reports), "b")["status"] == "uncertain").all()


T2_2019 = ("二、主动公开政府信息情况 第二十条第（一）项信息内容本年新制作数量本年新公开数量对外公开总数量"
           "规章000规范性文件{run}第二十条第（五）项信息内容上一年项目数量本年增/减处理决定数量行政许可5 0 12"
           "三、收到和处理政府信息公开申请情况")


def test_template_2019_total_published_chains_across_years():
    # 2020 glued "7777166": 对外公开总数量(2020) = 对外公开总数量(2019) 89 + 本年新公开数量(2020)
    runs = {"a": "80 80 89", "b": "7777166"}
    tables = pd.concat([extract_tables(Report(report_id=rid, source=f"{rid}.txt", format="txt",
                                              text="一、总体情况。" + T2_2019.format(run=run), blocks=[]))
                        for rid, run in runs.items()], ignore_index=True)
    reports = pd.DataFrame({"report_id": ["a", "b"], "agency": ["某县测试局"] * 2, "year": [2019, 2020]})
    assert (row(tables, "b")["status"] == "uncertain").any()
    b = row(refine_tables(tables, reports), "b")
    assert b.loc["published", "value"] == 77 and b.loc["public_total", "value"] == 166
    assert b.loc["public_total", "status"] == "ok" and "跨年度" in b.loc["public_total", "raw"]
