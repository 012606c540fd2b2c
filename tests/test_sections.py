"""Section splitting on invented report texts shaped like the real variants."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gdtools.model import Field, Report
from gdtools.sections import chinese_number, split_sections


def _report(text: str, year: int | None = 2021) -> Report:
    return Report(report_id="x", source="x.txt", format="txt", text=text,
                  metadata={"year": Field(year, "title")})


def _codes(text: str, year: int | None = 2021) -> str:
    return "".join(s.code for s in split_sections(_report(text, year)))


STANDARD = """一、总体情况
本机关积极推进公开。
二、主动公开政府信息情况
表格略。
三、收到和处理政府信息公开申请情况
一、本年新收政府信息公开申请数量 5
二、上年结转政府信息公开申请数量 0
三、本年度办理结果
四、结转下年度继续办理 0
四、因政府信息公开工作被申请行政复议、提起行政诉讼情况
无。
五、政府信息公开工作存在的主要问题及改进情况
人员不足。下一步加强培训。
六、其他需要报告的事项
未收取信息处理费。
"""


def test_standard_sections_and_table_labels_are_not_headings():
    sections = split_sections(_report(STANDARD))
    assert [s.code for s in sections] == list("一二三四五六")
    three = sections[2]
    assert "本年新收" in STANDARD[three.start:three.end]  # the table rows stay inside 三
    assert sections[3].heading == "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况"
    assert sections[4].heading == "五、政府信息公开工作存在的主要问题及改进情况"
    assert all(s.standard for s in sections)
    for a, b in zip(sections, sections[1:]):
        assert a.end == b.start
    assert sections[-1].end == len(STANDARD)


def test_collapsed_crawler_text_headings_mid_line():
    flat = STANDARD.replace("\n", "　　")
    sections = split_sections(_report(flat))
    assert [s.code for s in sections] == list("一二三四五六")
    assert sections[0].heading == "一、总体情况"
    assert sections[5].heading == "六、其他需要报告的事项"
    glued = STANDARD.replace("\n", "")
    assert _codes(glued) == "一二三四五六"


def test_other_punctuation_short_headings_and_missing_numbers():
    text = ("一．总体情况\n正文。\n主动公开政府信息情况\n正文。\n三.收到和处理政府信息公开申请情况\n正文。\n"
            "四、行政复议、行政诉讼情况\n正文。\n五、存在问题及改进情况\n问题。\n六、其他需要报告的事项\n无。")
    sections = split_sections(_report(text))
    assert [s.code for s in sections] == list("一二三四五六")
    assert sections[1].heading == "主动公开政府信息情况"
    assert sections[4].heading == "五、存在问题及改进情况"


def test_own_numbered_subsections_before_the_tables():
    # Some reports number their own topics 一…六 inside 总体情况, then restart for the tables.
    text = ("一、总体情况\n概述。\n二、工作机制保障\n内容。\n三、主动公开工作情况\n内容。\n四、政府信息公开申请情况\n内容。\n"
            "五、政府信息管理\n内容。\n六、平台建设\n内容。\n"
            "一、主动公开政府信息情况\n表。\n二、收到和处理政府信息公开申请情况\n表。\n"
            "三、政府信息公开行政复议、行政诉讼情况\n表。\n（一）主要问题\n人员少。\n（二）改进情况\n培训。\n"
            "五、其他需要报告的事项\n无。")
    sections = split_sections(_report(text))
    assert [s.code for s in sections] == list("一二三四五六")
    assert sections[1].heading == "一、主动公开政府信息情况"
    assert sections[4].heading == "（一）主要问题"
    assert "工作机制保障" in text[sections[0].start:sections[0].end]


def test_missing_five_heading_recovered_from_opening_sentence():
    text = ("一、总体情况正文。二、主动公开政府信息情况正文。三、收到和处理政府信息公开申请情况"
            "本年收到申请3件。2022年，我厅公开工作虽然取得了一些成效，但仍存在解读形式单一等问题。"
            "下一步将丰富解读形式。六、其他需要报告的事项无。")
    sections = split_sections(_report(text))
    assert [s.code for s in sections] == list("一二三五六")
    five = sections[3]
    assert text[five.start:five.end].startswith("2022年，我厅公开工作虽然")
    assert text[five.start:five.end].endswith("下一步将丰富解读形式。")
    assert sections[2].end == five.start


LEGACY = ("本报告包括概述、主动公开政府信息情况等。一、概述　　正文。二、主动公开政府信息情况　　正文。"
          "三、依申请公开政府信息情况　　（一）申请情况。四、申请行政复议和提起行政诉讼情况　　无。"
          "五、收费及减免情况　　未收费。六、存在的问题和下一步工作措施　　一是。七、其他需要报告的事项　　无。")


def test_legacy_sections_map_to_nearest_standard_code():
    sections = split_sections(_report(LEGACY, year=2016))
    assert [s.code for s in sections] == list("一二三四六五六")
    assert not any(s.standard for s in sections)
    assert sections[4].heading == "五、收费及减免情况"
    assert sections[5].heading == "六、存在的问题和下一步工作措施"
    assert sections[5].name == "存在的主要问题和改进措施"


def test_legacy_candidates_looked_for_only_when_a_legacy_chain_can_be_chosen():
    from gdtools.sections import _candidates

    for text in (LEGACY, STANDARD):
        standard, legacy = _candidates(text, "x.txt")
        assert legacy  # both texts hold legacy-style numbered headings
        assert _candidates(text, "x.txt", with_legacy=False) == (standard, [])
    # a 2016 report takes the legacy chain; the same text dated 2019 or later cannot
    assert _codes(LEGACY, 2016) == "一二三四六五六"
    assert all(s.standard for s in split_sections(_report(LEGACY, year=2019)))


def test_no_headings_no_sections():
    assert split_sections(_report("这是一段没有标题的文字。")) == []


def test_chinese_number():
    assert [chinese_number(t) for t in ("一", "六", "十", "十二", "二十", "甲")] == [1, 6, 10, 12, 20, None]


def test_five_variants():
    base = "一、总体情况\n正文。\n二、主动公开政府信息情况\n正文。\n五、{}\n正文。\n六、其他需要报告的事项\n无。"
    for heading in ("存在的不足和改进措施", "下一步工作打算", "政府信息公开工作存在的主要问题及改进情况"):
        sections = split_sections(_report(base.format(heading)))
        assert [s.code for s in sections] == list("一二五六"), heading
        assert sections[2].heading == "五、" + heading


def test_wrapped_intro_lines_are_not_headings():
    text = ("报告全文包括总体情况、主动公开政府信息情况、收到和\n处理政府信息公开申请情况等六部分。\n"
            "二、主动公开政府信息情况\n正文。\n三、收到和处理政府信息公开申请情况\n正文。")
    sections = split_sections(_report(text))
    assert [s.heading for s in sections] == ["二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况"]


def test_text_flooded_with_numbered_items_keeps_its_headings(caplog):
    """A hostile text with a million numbered items: the headings before the flood are found, with a warning."""
    body = "\n".join(["示例县2022年政府信息公开工作年度报告", "一、总体情况", "二、主动公开政府信息情况",
                      "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况",
                      "五、存在的主要问题及改进情况", "六、其他需要报告的事项", ""])
    report = Report(report_id="x", source="flood.txt", format="txt", text=body + "一、二、三、" * 300_000)
    with caplog.at_level("WARNING", logger="gdtools"):
        sections = split_sections(report)
    assert "".join(s.code for s in sections) == "一二三四五六"
    assert "flood.txt" in caplog.text and "numbered items" in caplog.text


def test_many_headings_below_the_numbered_item_limit_give_no_warning(caplog):
    """600+ standard headings are more candidates than are kept, but fewer numbered items than the
    limit: nothing is warned, whether or not the pre-2019 layout is looked for."""
    text = "一、收到和处理政府信息公开申请情况\n" * 700
    for year in (2016, 2021):
        caplog.clear()
        with caplog.at_level("WARNING", logger="gdtools"):
            split_sections(_report(text, year))
        assert "numbered items" not in caplog.text


def test_missing_five_heading_recovered_from_dated_problem_subheading():
    # PDF-to-markdown output that lost the 五 heading: the section opens with a dated
    # sub-heading on its own line ("（一）2023 年工作中存在问题的改进情况").
    lines = STANDARD.replace("五、政府信息公开工作存在的主要问题及改进情况\n", "").replace(
        "人员不足。下一步加强培训。\n",
        "（一）2023 年工作中存在问题的改进情况\n针对上年问题加强培训。\n（二）2024 年工作中存在的主要问题\n人员不足。\n")
    sections = split_sections(_report(lines, 2024))
    assert [s.code for s in sections] == list("一二三四五六")
    five = sections[4]
    assert lines[five.start:five.end].startswith("（一）2023 年工作中存在问题")
    assert "人员不足" in lines[five.start:five.end]
    assert "针对上年" not in lines[sections[3].start:sections[3].end]


def test_missing_five_heading_recovered_from_dated_subheading_mid_line():
    text = ("一、总体情况正文。二、主动公开政府信息情况正文。三、收到和处理政府信息公开申请情况"
            "本年收到申请3件。（一）2023年工作中存在问题的改进情况针对上年问题加强了培训。"
            "六、其他需要报告的事项无。")
    sections = split_sections(_report(text, 2024))
    assert [s.code for s in sections] == list("一二三五六")
    assert text[sections[3].start:sections[3].end].startswith("（一）2023年工作中存在问题")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="一二三四五十第（(〔[【、.．,， \n总体情况行政复议诉讼主动公开x1", max_size=40))
def test_numbered_items_are_found_as_the_look_behind_pattern_finds_them(text):
    from gdtools.sections import _NUMBERED, _numbered

    assert [m.span(1) + m.span() for m in _numbered(text)] == [m.span(1) + m.span() for m in _NUMBERED.finditer(text)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="总体情况主动公开政府信息收到和处理申请行政复议诉讼存在的主要问题及改进其他需要报告事项一、 x",
               max_size=30), st.booleans())
def test_standard_wording_found_as_without_the_joined_pattern(text, loose):
    from gdtools import sections

    found = sections._standard_match(text, 0, len(text), loose=loose)
    joined = sections._any_standard
    try:
        sections._any_standard = lambda loose: None
        assert sections._standard_match(text, 0, len(text), loose=loose) == found
    finally:
        sections._any_standard = joined
