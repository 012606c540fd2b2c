"""Measured against the real reports in ../shared/realdata (skipped when absent).

Acceptance: every file loads; template and year equal the manifest's; agency matches
after normalisation for ≥ 95% of files; section 五 covers the hand-coded statements.
"""

from __future__ import annotations

import json
import re

import pytest

from gdtools.agency import normalize_agency
from gdtools.io import load_report
from gdtools.template import version_for_year

pytestmark = pytest.mark.realdata

_MANIFEST_TEMPLATE = {"2019": "v2019", "2021": "v2021", "older": "legacy"}


@pytest.fixture(scope="module")
def loaded(realdata, manifest):
    return {row["file"]: load_report(realdata / "reports" / row["file"]) for row in manifest}


def _expected_template(row) -> str:
    return _MANIFEST_TEMPLATE.get(row["template"]) or version_for_year(int(row["year"]))


def test_every_file_loads_with_manifest_template_and_year(manifest, loaded):
    wrong = []
    for row in manifest:
        report = loaded[row["file"]]
        if report.template != _expected_template(row) or report.meta("year") != int(row["year"]):
            wrong.append((row["file"], report.template, report.meta("year")))
        assert report.template_evidence, row["file"]
    assert wrong == []


def test_agency_matches_for_95_percent(manifest, loaded):
    hits = [normalize_agency(loaded[row["file"]].meta("agency")) == normalize_agency(row["agency"])
            for row in manifest]
    assert sum(hits) / len(hits) >= 0.95


def test_pdfs_have_no_page_numbers_and_keep_pages(manifest, loaded):
    pdfs = [row["file"] for row in manifest if row["file"].endswith(".pdf")]
    assert pdfs
    for name in pdfs:
        report = loaded[name]
        assert not re.search(r"(?m)^\s*[-—]\s*\d{1,3}\s*[-—]\s*$", report.text), name
        numbers = [number for _, number in report.pages]
        assert numbers == sorted(numbers) and len(numbers) >= 2, name


def test_html_tables_keep_spans(manifest, loaded):
    htmls = [row["file"] for row in manifest if row["file"].endswith((".html", ".htm"))]
    assert htmls
    for name in htmls:
        tables = [b for b in loaded[name].blocks if b.kind == "table"]
        assert tables, name
        spans = [(c.rowspan, c.colspan) for t in tables for row in t.rows for c in row]
        assert any(r > 1 for r, _ in spans) and any(c > 1 for _, c in spans), name
        for table in tables:
            assert loaded[name].text[table.start:table.end] == table.text


def test_section_five_holds_the_coded_statements(realdata, loaded):
    """Every hand-coded section-五 statement lies inside the section mapped to 五."""
    missed = []
    for path in sorted((realdata / "narrative").glob("*.json")):
        truth = json.loads(path.read_text(encoding="utf-8"))
        report = loaded.get(truth["file"])
        if report is None:
            continue
        flat = re.sub(r"\s+", "", report.text)
        five = "".join(re.sub(r"\s+", "", report.text[s.start:s.end]) for s in report.sections if s.code == "五")
        for statement in truth["statements"]:
            text = re.sub(r"\s+|-\d+-", "", statement["text"])
            if text in flat and text not in five:
                missed.append((truth["file"], statement["text"][:20]))
    assert missed == []
