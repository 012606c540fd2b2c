"""Narrative figures narrowing glued table 二 rows (synthetic snippets)."""

from __future__ import annotations

from gdtools.model import Report
from gdtools.tables import extract_tables
from gdtools.tables._hints import narrative_figures

T2 = ("二、主动公开政府信息情况 第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数"
      "规章000行政规范性文件{run}第二十条第（五）项信息内容本年处理决定数量行政许可12")
T3 = "三、收到和处理政府信息公开申请情况"


def normative(text: str):
    frame = extract_tables(Report(report_id="t", source="t.txt", format="txt", text=text, blocks=[]))
    return frame[(frame["table"] == "table2") & (frame["row_code"] == "normative_docs")].set_index("col_code")


def test_narrative_figures_need_row_column_number_and_unit():
    text = "本年度印发行政规范性文件47件，清理后现行有效规范性文件310件。另有文件12份。"
    figures = narrative_figures(text, "v2021")
    assert figures[("normative_docs", "issued")][0] == 47
    assert figures[("normative_docs", "in_force")][0] == 310
    assert ("normative_docs", "repealed") not in figures
    # the same figure stated with two numbers is not evidence
    assert ("normative_docs", "issued") not in narrative_figures(text + "制发规范性文件5件。", "v2021")


def test_narrative_figure_settles_a_glued_row():
    plain = normative("一、总体情况。" + T2.format(run="4712310") + T3)
    assert (plain["status"] == "uncertain").any()
    told = normative("一、总体情况。本年度制发行政规范性文件47件，现行有效规范性文件310件。"
                     + T2.format(run="4712310") + T3)
    assert list(told["value"]) == [47, 12, 310] and (told["status"] == "ok").all()
    assert "正文" in told.loc["issued", "raw"]


def test_narrative_never_overrides_a_printed_value():
    told = normative("一、总体情况。本年度制发行政规范性文件9件。" + T2.format(run="4 12 310") + T3)
    assert list(told["value"]) == [4, 12, 310]
    assert "正文" not in told.loc["issued", "raw"]


def test_narrative_figures_only_for_the_rows_asked_for():
    text = "本年度印发行政规范性文件47件，现行有效规范性文件310件。"
    assert narrative_figures(text, "v2021", {"normative_docs"}) == narrative_figures(text, "v2021")
    assert narrative_figures(text, "v2021", {"rules"}) == {}
