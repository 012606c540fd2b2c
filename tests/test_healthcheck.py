import re

import pandas as pd
from test_validate import CONSISTENT, frame, report, table3_rows, table4_rows

from gdtools.healthcheck import write_health_pages
from gdtools.validate import summarize_findings, validate


def _corpus():
    broken = dict(CONSISTENT, total=[9, 2, 0, 0, 0, 0])
    rows = (table3_rows("a", "v2021", CONSISTENT) + table4_rows("a", "v2021")
            + table3_rows("b", "v2021", broken) + table4_rows("b", "v2021")
            + table3_rows("c", "v2019", CONSISTENT) + table4_rows("c", "v2019"))
    tables = frame(rows)
    reps = [report("a", year=2021, agency="某市科学技术局"), report("b", year=2022, agency="某市科技局"),
            report("c", template="v2019", year=2020, agency="某县<人民>政府")]
    findings = validate(reps, tables)
    reports_frame = pd.DataFrame([
        {"report_id": r.report_id, "source": r.source, "agency": r.meta("agency"), "year": r.meta("year"),
         "template": r.template, "status": "ok", "error": None} for r in reps
    ] + [{"report_id": "d", "source": "broken.pdf", "agency": None, "year": None, "template": None,
          "status": "error", "error": "broken.pdf: 文件已损坏"}])
    return findings, summarize_findings(findings, tables, reports_frame), reports_frame


def test_writes_one_self_contained_page_per_agency_and_an_index(tmp_path):
    findings, summary, reports_frame = _corpus()
    paths = write_health_pages(findings, summary, reports_frame, tmp_path / "health")
    pages = [p for p in paths if p.name != "index.html"]
    assert len(pages) == 3   # 科学技术局/科技局 group together; the unreadable file gets its own page
    index = (tmp_path / "health" / "index.html").read_text(encoding="utf-8")
    for p in pages:
        assert f"href='{p.name}'" in index
    for p in paths:
        text = p.read_text(encoding="utf-8")
        assert "<script" not in text and "http://" not in text and "https://" not in text
        assert text.startswith("<!DOCTYPE html>") and 'charset="utf-8"' in text


def test_agency_page_shows_years_lights_table_status_and_findings_in_words(tmp_path):
    findings, summary, reports_frame = _corpus()
    paths = write_health_pages(findings, summary, reports_frame, tmp_path)
    page = next(p.read_text(encoding="utf-8") for p in paths if "某市科学技术局" in p.read_text(encoding="utf-8")
                and p.name != "index.html")
    assert "2021年度" in page and "2022年度" in page
    assert page.index("2022年度") < page.index("2021年度")   # newest year first
    assert "红灯" in page and "表三 收到和处理申请" in page
    r1 = findings[(findings.report_id == "b") & (findings.rule == "R1") & (findings.severity == "error")]
    assert r1.iloc[0].message in page
    assert "检查规则说明" in page and "R1" in page


def test_names_are_escaped_and_unreadable_files_are_grey(tmp_path):
    findings, summary, reports_frame = _corpus()
    paths = write_health_pages(findings, summary, reports_frame, tmp_path)
    texts = [p.read_text(encoding="utf-8") for p in paths]
    assert any("某县&lt;人民&gt;政府" in t for t in texts) and not any("某县<人民>" in t for t in texts)
    unreadable = next(t for t in texts if "文件已损坏" in t)
    assert "灰色" in unreadable and "未能读取" in unreadable
    assert len(re.findall("<h1>", unreadable)) == 1


def test_pages_from_findings_read_back_from_csv(tmp_path):
    findings, summary, reports_frame = _corpus()
    findings.to_csv(tmp_path / "findings.csv", index=False)
    summary.to_csv(tmp_path / "summary.csv", index=False)
    back = pd.read_csv(tmp_path / "findings.csv")
    paths = write_health_pages(back, pd.read_csv(tmp_path / "summary.csv"), reports_frame, tmp_path / "health")
    assert len(paths) == 4 and all("nan" not in p.read_text(encoding="utf-8") for p in paths)
