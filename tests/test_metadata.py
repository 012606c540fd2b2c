"""Metadata: agency, year, title with their origins (invented texts)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdtools.agency import complete_agency, normalize_agency
from gdtools.metadata import extract_metadata
from gdtools.model import Report


def _meta(text: str, source: str = "report.txt"):
    return extract_metadata(Report(report_id="x", source=source, format="txt", text=text))


def test_title_line():
    meta = _meta("\n示例市科技局2019年度政府信息公开工作报告\n一、总体情况\n2019年，本局……\n")
    assert (meta["agency"].value, meta["agency"].origin) == ("示例市科技局", "title")
    assert (meta["year"].value, meta["year"].origin) == (2019, "title")
    assert meta["title"].value == "示例市科技局2019年度政府信息公开工作报告"


def test_rule_lines_before_and_inside_the_title_are_skipped():
    meta = _meta("==========\n*-*-_\n2024 年示例市科委政府信息公开工作\n----\n年度报告\n根据……")
    assert (meta["title"].value, meta["title"].origin) == ("2024 年示例市科委政府信息公开工作年度报告", "title")
    assert meta["agency"].value == "示例市科委"


def test_year_before_agency_and_title_over_two_lines():
    meta = _meta("正文\n2024 年示例市科委政府信息公开工作\n年度报告\n根据……")
    assert meta["agency"].value == "示例市科委"
    assert meta["year"].value == 2024


def test_web_archive_header():
    text = ("标题: 示例综合实验区2020年度政府信息公开工作年度报告\n发布时间: 2021-03-05 08:58\n发布机构: \n"
            "==================== 正文 ====================\n示例综合实验区2020年政府信息公开工作年度报告 根据……")
    meta = _meta(text)
    assert (meta["agency"].value, meta["agency"].origin) == ("示例综合实验区", "header")
    assert (meta["year"].value, meta["year"].origin) == (2020, "header")


def test_body_only_signature_and_statistics_period():
    text = ("　　根据条例，发布本年度报告。报告中所列数据统计期限为2022年1月1日至12月31日。"
            "　　一、总体情况　　2022年，示例省水利厅坚持……　　六、其他需要报告的事项　　无"
            "示例省水利厅2023年1月28日更多信息请关注官方微信")
    meta = _meta(text)
    assert (meta["agency"].value, meta["agency"].origin) == ("示例省水利厅", "body")
    assert (meta["year"].value, meta["year"].origin) == (2022, "body")
    assert meta["title"].value is None


def test_publication_date_is_not_the_report_year():
    meta = _meta("一、总体情况 本局推进公开工作。五、存在的主要问题 无。\n示例县民政局\n2020年1月15日\n")
    assert (meta["year"].value, meta["agency"].value) == (2019, "示例县民政局")


def test_year_from_filename_as_last_resort():
    meta = _meta("一、总体情况 本局推进公开工作。", source="/data/county-report-2016.txt")
    assert (meta["year"].value, meta["year"].origin) == (2016, "filename")
    assert meta["agency"].value is None


@pytest.mark.parametrize(("a", "b"), [
    ("示例省人力资源和社会保障厅", "示例省人社厅"),
    ("示例市科学技术委员会（市科委）", "示例市科委"),
    ("示例区（管委会）", "示例区"),
])
def test_normalize_agency_groups_short_forms(a, b):
    assert normalize_agency(a) == normalize_agency(b)


def test_complete_agency_from_body():
    assert complete_agency("省民政厅", "河北省人民政府…河北省民政厅") == "河北省民政厅"
    assert complete_agency("示范区人民政府", "请与甲乙市示范区人民政府办公室联系") == "甲乙市示范区人民政府"
    assert complete_agency("示例市民政局", "任何文字") == "示例市民政局"


def test_words_before_the_year_are_not_an_agency():
    meta = _meta("根据条例，特向社会公布2015年度我厅信息公开工作年度报告。一、概述 本厅推进公开。")
    assert meta["agency"].value is None
    assert meta["year"].value == 2015


def test_title_phrase_in_the_body_with_a_break_after_the_year():
    # No title line; the body names the report with a line break between the year and 年度.
    text = ("根据条例要求，现公布示例县交通局2018\n年度政府信息公开工作年度报告如下。\n"
            "一、总体情况 本局推进公开工作。")
    meta = _meta(text)
    assert (meta["year"].value, meta["year"].origin) == (2018, "body")
    assert meta["title"].value is None


def test_text_without_any_title_phrase():
    meta = _meta("一、总体情况 本局推进公开工作，2021年发布信息20条。\n二、主动公开 2021年新制作文件3件。")
    assert meta["title"].value is None
    assert (meta["year"].value, meta["year"].origin) == (2021, "body")


SIGNATURE_PARTS = st.tuples(
    st.text(alphabet="某x，1年 \n", max_size=6),                                   # text before
    st.integers(0, 34), st.sampled_from(["局", "管理委员会", "办公室", "x"]),         # agency: 某 * n + ending
    st.text(alphabet=" \u3000\n\t", max_size=4),                                  # white space
    st.sampled_from(["2019年1月1日", "2020 年 12 月 3 日", "2019年", "1年2月3日"]))   # date (or not)


@settings(max_examples=500, deadline=None)
@given(st.lists(SIGNATURE_PARTS, max_size=4))
def test_signatures_are_found_as_a_scan_of_every_position_finds_them(parts):
    from gdtools.metadata import _SIGNED_RE, _signatures

    text = "".join(before + "某" * n + ending + space + date for before, n, ending, space, date in parts)
    assert [(m.span(), m.groupdict()) for m in _signatures(text)] == \
        [(m.span(), m.groupdict()) for m in _SIGNED_RE.finditer(text)]
