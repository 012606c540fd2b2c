from __future__ import annotations

import pytest

from gdtools.model import STATEMENT_COLUMNS, Field, Report, Section
from gdtools.statements import (
    classify,
    narrative_span,
    specificity,
    split_units,
    statement_columns,
    statements,
    themes,
)

# Synthetic section 五 written for these tests (not taken from any report).
FIVE_HEADING = "五、存在的主要问题及改进情况"
FIVE_BODY = (
    "2020年，本单位政务公开工作取得一定进展，但仍存在一些问题和不足。"
    "一是专职人员配备不足，多由兼职人员承担；"
    "二是政策解读形式单一，群众看不懂。部分解读材料篇幅过长。"
    "三是网站栏目更新不够及时。"
    "2021年，我们将采取以下措施：\n"
    "（一）加强业务培训。每季度组织一次专题培训，提升工作人员业务能力。\n"
    "（二）丰富解读形式。运用图解、视频等方式开展政策解读。\n"
    "（三）完善网站栏目。定期检查栏目内容，确保信息及时更新。"
)


def make_report(body: str, heading: str = FIVE_HEADING, year=2020, code="五", prefix="一、总体情况\n今年工作平稳。\n") -> Report:
    text = prefix + heading + "\n" + body + "\n六、其他需要报告的事项\n本年度未收取信息处理费。"
    one_end = len(prefix)
    five_start = one_end
    six_start = text.index("六、其他需要报告的事项")
    sections = [Section("一", "一、总体情况", 0, one_end), Section(code, heading, five_start, six_start, name=heading),
                Section("六", "六、其他需要报告的事项", six_start, len(text))]
    return Report(report_id="abc123", source="synthetic.txt", format="txt", text=text,
                  metadata={"year": Field(year, "body"), "agency": Field("某市某局", "title")}, sections=sections)


def five(frame):
    return frame[frame.section == "五"].reset_index(drop=True)


def test_enumerated_items_are_statements_and_offsets_point_into_text():
    report = make_report(FIVE_BODY)
    frame = statements(report)
    assert list(frame.columns) == STATEMENT_COLUMNS
    sec = five(frame)
    for row in frame.itertuples():
        assert report.text[row.start:row.end] == row.text
    texts = sec.text.tolist()
    assert texts[1].startswith("一是专职人员") and texts[1].endswith("；")
    # an item of two sentences stays one statement
    assert texts[2].startswith("二是") and "篇幅过长" in texts[2]
    assert any(t.startswith("（三）完善网站栏目") and t.endswith("及时更新。") for t in texts)
    assert sec.idx.tolist() == list(range(len(sec)))


def test_kinds_follow_cues_and_position():
    sec = five(statements(make_report(FIVE_BODY)))
    kinds = sec.kind.tolist()
    assert kinds[0] == "other"  # framing: only admits shortcomings
    assert kinds[1:4] == ["problem"] * 3
    assert sec.cue[0] == "framing"
    lead = sec[sec.text.str.contains("以下措施")]
    assert lead.kind.tolist() == ["other"] and lead.cue.tolist() == ["lead-in"]
    assert sec.kind.tolist()[-3:] == ["measure"] * 3


def test_themes_multi_label_and_other_statements_have_none():
    sec = five(statements(make_report(FIVE_BODY)))
    def of(prefix):
        return set(next(th for t, th in zip(sec.text, sec.themes) if t.startswith(prefix)).split(";"))

    assert "staffing" in of("一是专职")
    assert "interpretation" in of("二是政策")
    assert {"platform", "timeliness"} <= of("三是网站")
    assert "training_skills" in of("（一）加强")
    assert sec.loc[sec.kind == "other", "themes"].eq("").all()


def test_subheadings_are_excluded_and_set_the_mode():
    body = ("（一）存在的主要问题\n信息发布审核把关不严，个别信息有错别字。\n"
            "（二）改进措施\n强化信息发布三审三校，压实审核责任。")
    sec = five(statements(make_report(body)))
    assert sec.text.tolist() == ["信息发布审核把关不严，个别信息有错别字。", "强化信息发布三审三校，压实审核责任。"]
    assert sec.kind.tolist() == ["problem", "measure"]


def test_sentences_split_outside_items_and_numbered_lists():
    body = ("公开内容不够丰富；解读材料有待完善。下一步，我局将拓宽公开渠道；"
            "加强培训。主要做好：1、规范依申请公开答复。2、开设专题专栏。")
    sec = five(statements(make_report(body)))
    assert sec.text.tolist() == ["公开内容不够丰富；", "解读材料有待完善。", "下一步，我局将拓宽公开渠道；", "加强培训。",
                                 "主要做好：", "1、规范依申请公开答复。", "2、开设专题专栏。"]
    assert sec.kind.tolist() == ["problem", "problem", "measure", "measure", "other", "measure", "measure"]


def test_generic_intro_before_a_list_is_other_but_a_concrete_one_is_a_measure():
    generic = "网站更新不够及时。下一步，我局将继续做好各项工作。一是加强培训。二是完善制度。"
    sec = five(statements(make_report(generic)))
    assert sec.kind.tolist() == ["problem", "other", "measure", "measure"]
    concrete = "网站更新不够及时。下一步，我局将强化监督考核，完善工作制度，增强公开意识。一是加强培训。二是完善制度。"
    assert five(statements(make_report(concrete))).kind.tolist()[1] == "measure"


def test_year_of_the_report_is_not_a_plan():
    body = "2020年，我局将公开工作纳入考核但执行不够到位。2021年，我局将完善考核办法。"
    kinds = five(statements(make_report(body, year=2020))).kind.tolist()
    assert kinds == ["problem", "measure"]


def test_legacy_heading_and_glued_first_item():
    body = "一是专栏更新慢；二是人员不足。因此，我们考虑从以下方面改进：（一）规范公开行为1、加强培训指导。2、落实考核制度。"
    sec = five(statements(make_report(body, heading="六、存在的主要问题和改进措施")))
    texts = sec.text.tolist()
    assert "（一）规范公开行为" in texts and "1、加强培训指导。" in texts


def test_tail_signature_and_attachment_are_not_statements():
    body = "人员力量不足。下一步将充实人员。\n某市某局\n2021年1月20日\n附件1：统计表 指标名称 数量 12"
    sec = five(statements(make_report(body)))
    assert sec.text.tolist() == ["人员力量不足。", "下一步将充实人员。"]


def test_missing_five_heading_is_recovered_before_six():
    text = ("一、总体情况\n今年工作平稳。\n四、政府信息公开行政复议、行政诉讼情况\n0 0 0\n"
            "2020年，我局工作虽然取得了一些成绩，但仍存在解读不够通俗等问题。下一步，我局将丰富解读形式。"
            "\n六、其他需要报告的事项\n无。")
    four = text.index("四、")
    six = text.index("六、")
    report = Report("r1", "x.txt", "txt", text, metadata={"year": Field(2020, "body")},
                    sections=[Section("一", "一、总体情况", 0, four), Section("四", "四、政府信息公开行政复议、行政诉讼情况", four, six),
                              Section("六", "六、其他需要报告的事项", six, len(text))])
    start, end = narrative_span(report)
    assert text[start:].startswith("2020年，我局工作虽然")
    sec = five(statements(report, sections=("五",)))
    assert sec.kind.tolist() == ["problem", "measure"]


def test_other_sections_have_statements_without_kind():
    frame = statements(make_report(FIVE_BODY))
    assert set(frame.section) == {"一", "五", "六"}
    other = frame[frame.section != "五"]
    assert other.kind.isna().all() and other.themes.isna().all()


def test_report_without_sections_gives_empty_frame():
    report = Report("r2", "y.txt", "txt", "没有任何章节的文本。")
    frame = statements(report)
    assert frame.empty and list(frame.columns) == STATEMENT_COLUMNS


def test_statement_columns_are_plain_lists_the_frame_holds():
    for report in (make_report(FIVE_BODY), Report("r2", "y.txt", "txt", "没有任何章节的文本。")):
        columns = statement_columns(report)
        frame = statements(report)
        assert list(columns) == STATEMENT_COLUMNS
        assert {len(values) for values in columns.values()} == {len(frame)}
        for name in STATEMENT_COLUMNS:
            assert all(v is None or type(v) in (str, int, float) for v in columns[name]), name
            # None where the frame holds NA (blank is not zero), the frame's value everywhere else
            assert [None if v is None or v != v else v for v in frame[name].tolist()] == columns[name], name


def test_themes_lexicon_is_replaceable():
    mine = {"openness": ["公开"], "other": []}
    assert themes("加强公开", mine) == ["openness"]
    assert themes("加强培训", mine) == ["other"]
    assert themes("加强培训", mine, fallback=None) == []


def test_specificity_separates_concrete_from_generic():
    generic = specificity("进一步加强政务公开工作，不断提升工作水平。")
    concrete = specificity("2021年3月前完成《政务公开工作规范》修订，每季度抽查网站12次，上线“政策问答”专栏。")
    assert generic == 0.0
    assert 0.5 < concrete <= 1.0


def test_split_units_offsets_with_start():
    text = "前言。一是甲乙丙丁；二是戊己庚辛。"
    units = split_units(text, 3)
    assert [text[u.start:u.end] for u in units] == ["一是甲乙丙丁；", "二是戊己庚辛。"]
    kinds = classify(text, units)
    assert len(kinds) == 2


@pytest.mark.realdata
def test_real_sections_five_have_problems_and_measures(realdata):
    from gdtools.io import load_report

    for name in ("013_hebei-sci-tech-dept-2022.txt", "005_shanghai-gov-office-2019.html"):
        report = load_report(realdata / "reports" / name)
        sec = five(statements(report))
        assert {"problem", "measure"} <= set(sec.kind)
        for row in sec.itertuples():
            assert report.text[row.start:row.end] == row.text


def test_closing_and_generic_sentences_after_measures_are_other():
    body = ("网站栏目更新不够及时。下一步，我局将建立栏目巡查制度。"
            "我们将以此为契机，持续改进工作。总之，我局将进一步提高认识、压实责任。")
    sec = five(statements(make_report(body)))
    assert sec.kind.tolist() == ["problem", "measure", "other", "other"]
    assert sec.cue.tolist()[2:] == ["generic:我们将", "closing"]


def test_alternating_problems_and_measures():
    body = ("一是业务培训不足。下一步将每季度组织专题培训。"
            "二是网站栏目更新不够及时。下一步将建立栏目巡查制度。"
            "三是对栏目内容不规范的情况开展专项检查。")
    sec = five(statements(make_report(body)))
    assert sec.kind.tolist() == ["problem", "measure", "problem", "measure", "measure"]


PIECES = ["一是", "二是", "（一）", "（二）", "1、", "2、", "首先，", "其次，", "。", "；", "：", "\n", " ",
          "政策解读不够", "下一步，我局将", "加强培训", "存在的主要问题", "改进措施", "2021年", "以下措施"]


@pytest.mark.parametrize("seed", range(30))
def test_units_are_ordered_disjoint_and_inside_the_span(seed):
    import random

    rng = random.Random(seed)
    text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40)))
    start = min(len(text), rng.randint(0, 5))
    units = split_units(text, start)
    previous_end = start
    for unit in units:
        assert previous_end <= unit.start < unit.end <= len(text)
        assert text[unit.start:unit.end] == text[unit.start:unit.end].strip()
        previous_end = unit.end
    assert len(classify(text, units, 2020)) == len(units)


def test_problem_list_after_ru_colon_each_item_a_problem():
    body = ("本年度我局公开工作取得一定进展，但仍存在一些不足，如：专职队伍建设有待进一步加强；"
            "办理答复质量待进一步提升；门户网站检索功能仍有不足。下一步，我局将加强人员培训，完善网站检索功能。")
    sec = five(statements(make_report(body)))
    rows = list(zip(sec.kind, sec.text))
    assert rows[0][0] == "other" and rows[0][1].endswith("如：")
    assert [k for k, _ in rows[1:4]] == ["problem"] * 3
    assert rows[4][0] == "measure"


def test_framing_without_a_named_subject_stays_other():
    body = "我局公开工作仍存在一些不足。一是栏目更新不及时。下一步，我局将按时更新栏目。"
    sec = five(statements(make_report(body)))
    assert sec.kind.tolist()[:2] == ["other", "problem"]
    assert sec.cue[0] == "framing"


def test_misnumbered_shi_items_are_still_split():
    body = "存在的问题主要有：一是栏目更新不及时；三是解读形式单一；三是答复质量不高。下一步，我局将逐项整改。"
    sec = five(statements(make_report(body)))
    problems = sec[sec.kind == "problem"].text.tolist()
    assert len(problems) == 3
    assert problems[1].startswith("三是解读") and problems[2].startswith("三是答复")


def test_dated_subheadings_set_the_mode_and_are_excluded():
    body = ("（一）2023 年工作中存在问题的改进情况\n一是优化了栏目设置。\n"
            "（二）2024 年工作中存在的主要问题\n一是解读形式单一；二是答复质量不高。")
    sec = five(statements(make_report(body, year=2024)))
    assert sec.kind.tolist() == ["measure", "problem", "problem"]
    assert sec.cue[0] == "after:subheading"
    assert not sec.text.str.contains("工作中存在").any()


def test_frame_column_types_with_and_without_statements():
    full = statements(make_report(FIVE_BODY))
    empty = statements(Report("r3", "z.txt", "txt", "没有任何章节的文本。"))
    for frame in (full, empty):
        assert list(frame.columns) == STATEMENT_COLUMNS
        assert {c: str(frame[c].dtype) for c in ("idx", "start", "end", "specificity")} == {
            "idx": "int64", "start": "int64", "end": "int64", "specificity": "float64"}
    assert len(full) > 0 and full.report_id.eq("abc123").all()
    for _, rows in full.groupby("section"):
        assert rows.idx.tolist() == list(range(len(rows)))
    five = full[full.section == "五"]
    assert five.kind.notna().all() and five.cue.notna().all()
