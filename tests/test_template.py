"""Template version detection and its evidence."""

from __future__ import annotations

from gdtools.model import Field, Report, Section
from gdtools.template import detect_template, version_for_year


def _report(text: str, year: int | None, sections=()) -> Report:
    return Report(report_id="x", source="x.txt", format="txt", text=text,
                  metadata={"year": Field(year, "title")}, sections=list(sections))


def test_v2021_labels_decide_even_with_a_v2019_other_row():
    version, evidence = detect_template(_report("信息内容 本年制发件数 本年废止件数 现行有效件数 （六）其他处理", 2020))
    assert version == "v2021"
    assert "本年制发件数" in evidence[0]


def test_v2019_labels_split_across_lines():
    version, evidence = detect_template(_report("本年新\n制作数量 本年新\n公开数量 上一年项目数量", 2021))
    assert version == "v2019"
    assert "本年新制作数量" in evidence[0]


def test_legacy_by_year_and_labels():
    version, evidence = detect_template(_report("指标名称 计量单位 本年度 历年累计", 2012))
    assert version == "legacy"
    assert any("2012" in e for e in evidence) and any("指标名称" in e for e in evidence)


def test_year_decides_without_tables_and_says_so():
    sections = [Section(code, code, 0, 0) for code in "一二三四五六"]
    version, evidence = detect_template(_report("没有表格的报告", 2020, sections))
    assert version == "v2019"
    assert "year: 2020" in evidence and any("headings" in e for e in evidence)
    assert detect_template(_report("没有表格", 2023))[0] == "v2021"


def test_unknown_without_year_or_labels():
    assert detect_template(_report("没有表格", None)) == ("unknown", [])


def test_version_for_year():
    assert [version_for_year(y) for y in (2008, 2018, 2019, 2020, 2021, None)] == [
        "legacy", "legacy", "v2019", "v2019", "v2021", "unknown"]
