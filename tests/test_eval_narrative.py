from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from gdtools.eval.narrative import evaluate, locate, match

# A synthetic report written for these tests.
REPORT = (
    "某市某局2021年政府信息公开工作年度报告\n"
    "一、总体情况\n本局认真做好政府信息公开工作。\n"
    "二、主动公开政府信息情况\n略。\n"
    "三、收到和处理政府信息公开申请情况\n略。\n"
    "四、政府信息公开行政复议、行政诉讼情况\n略。\n"
    "五、存在的主要问题及改进情况\n"
    "一是政策解读形式不够丰富；二是网站栏目更新不够及时。\n"
    "下一步，我局将加强政策解读，建立栏目巡查制度。\n"
    "六、其他需要报告的事项\n本年度未收取信息处理费。\n"
)


def gold_item(text, kind, themes):
    start = REPORT.index(text)
    return {"text": text, "kind": kind, "themes": themes, "char_start": start, "char_end": start + len(text)}


def write_folder(tmp_path, items):
    (tmp_path / "reports").mkdir()
    (tmp_path / "narrative").mkdir()
    (tmp_path / "reports" / "r1.txt").write_text(REPORT, encoding="utf-8")
    gold = {"file": "r1.txt", "agency": "某市某局", "year": 2021, "statements": items,
            "previous_year_report_in_set": None, "repeats_previous_year": []}
    (tmp_path / "narrative" / "r1.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    return tmp_path


def test_locate_ignores_whitespace_and_page_numbers():
    text = "前文。政策解读\n- 3 -\n形式不够丰富。后文"
    spans = locate(text, [{"text": "政策解读形式不够丰富。"}, {"text": "找不到的句子"}])
    assert text[spans[0][0]:spans[0][1]].startswith("政策解读") and text[spans[0][0]:spans[0][1]].endswith("丰富。")
    assert spans[1] is None


def test_match_by_overlap():
    pred = pd.DataFrame({"start": [0, 10, 30], "end": [10, 30, 40]})
    g2p, p2g = match([(0, 9), (12, 29), None], pred)
    assert g2p == [0, 1, None]
    assert p2g == [0, 1, None]


def test_evaluate_synthetic_folder_passes_with_right_coding(tmp_path):
    folder = write_folder(tmp_path, [
        gold_item("一是政策解读形式不够丰富；", "problem", ["interpretation"]),
        gold_item("二是网站栏目更新不够及时。", "problem", ["platform", "timeliness"]),
        gold_item("下一步，我局将加强政策解读，建立栏目巡查制度。", "measure",
                  ["interpretation", "platform", "procedures_mechanisms", "supervision_assessment"]),
    ])
    out = io.StringIO()
    assert evaluate(folder, out) is True
    text = out.getvalue()
    assert "kind_accuracy" in text and "1.000" in text and "PASS" in text


def test_evaluate_fails_when_gold_disagrees(tmp_path):
    folder = write_folder(tmp_path, [
        gold_item("一是政策解读形式不够丰富；", "measure", ["staffing"]),
        gold_item("二是网站栏目更新不够及时。", "measure", ["staffing"]),
    ])
    out = io.StringIO()
    assert evaluate(folder, out) is False
    assert "BELOW" in out.getvalue()


@pytest.mark.realdata
def test_real_hand_coded_narratives_meet_the_bar(realdata):
    out = io.StringIO()
    ok = evaluate(realdata, out)
    assert ok, out.getvalue()
