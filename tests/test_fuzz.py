"""Property-based fuzzing of the loaders and the text decoders: any input gives a result or a GdtoolsError.

Two profiles: the default (CI) runs ~40 examples per entry point; ``GDTOOLS_FUZZ=long``
(``make fuzz``) runs 5,000 per entry point. The property is the same everywhere: no
exception other than a :class:`~gdtools.errors.GdtoolsError` subclass that names the file
and gives a reason, and results keep their documented columns.
"""

from __future__ import annotations

import io
import os
import random
import zipfile

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdtools.errors import GdtoolsError
from gdtools.io import Limits, load_report
from gdtools.io.text import text_blocks
from gdtools.metadata import extract_metadata
from gdtools.model import FINDING_COLUMNS, STATEMENT_COLUMNS, TABLE_COLUMNS, Report
from gdtools.sections import split_sections
from gdtools.spec import table_spec
from gdtools.statements import statements
from gdtools.tables import extract_tables
from gdtools.template import detect_template
from gdtools.validate import validate

LONG = os.environ.get("GDTOOLS_FUZZ") == "long"
FUZZ = settings(max_examples=5000 if LONG else 40, deadline=None, database=None, derandomize=not LONG,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
# Small limits keep each example fast; the limits themselves are tested in test_hostile.py.
LIMITS = Limits(max_file_bytes=2_000_000, max_pdf_pages=5, max_decompressed_bytes=5_000_000,
                max_text_chars=200_000)

# Tokens that steer generated text into the decoders' paths: labels of the template (package
# data, not report text), numerals, separators of every kind seen in crawled text.
_LABELS = sorted({*table_spec("table3_rows")["label"].dropna(), *table_spec("table3_cols")["label"].dropna(),
                  *table_spec("table4_cols")["label"].dropna(), *table_spec("table2")["row_v2021"].dropna()})
_HEADINGS = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
             "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项",
             "示例县交通局2021年政府信息公开工作年度报告", "行政复议", "行政诉讼", "未经复议直接起诉", "复议后起诉"]
_PIECES = ["0", "1", "7", "12", "305", "170000017", "-", "—", "/", "无", "+2", "减1", "万元", "件", "\t", "\n",
           " ", "  ", "|", "。", "，", "（", "）", "一是", "下一步", "将", "问题", "不足", "加强", "\u3000", "\x0c",
           "9" * 60, "10" * 12, "３", "²"]  # long glued runs, full-width and superscript digits
TOKENS = st.sampled_from(_LABELS + _HEADINGS + _PIECES)
REPORT_TEXT = st.lists(st.one_of(TOKENS, st.text(max_size=6)), max_size=300).map("".join)


def report_from_text(text: str, fmt: str = "txt") -> Report:
    """A Report built the way the text loader builds one, without the "is it a report" refusal."""
    report = Report(report_id="fuzz", source="<fuzz>", format=fmt, text=text, blocks=text_blocks(text))
    report.metadata = extract_metadata(report)
    report.sections = split_sections(report)
    report.template, report.template_evidence = detect_template(report)
    return report


def _load_or_refuse(path) -> None:
    try:
        report = load_report(path, limits=LIMITS)
    except GdtoolsError as exc:
        assert exc.reason and exc.source == str(path)
        return
    assert report.text.strip()
    for block in report.blocks:
        assert report.text[block.start:block.end] == block.text


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(data=st.binary(max_size=4096), ext=st.sampled_from([".txt", ".md", ".html", ".docx", ".pdf", ".doc", ""]))
def test_load_report_on_arbitrary_bytes(workdir, data, ext):
    path = workdir / f"arbitrary{ext}"
    path.write_bytes(data)
    _load_or_refuse(path)


@FUZZ
@given(text=REPORT_TEXT, ext=st.sampled_from([".txt", ".md", ".html"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_load_report_on_report_like_text(workdir, text, ext, encoding):
    path = workdir / f"text{ext}"
    markup = f"<html><body><p>{text.replace(chr(10), '</p><p>')}</p></body></html>" if ext == ".html" else text
    try:
        path.write_bytes(markup.encode(encoding))
    except UnicodeEncodeError:  # the text holds a character gb18030 cannot encode (lone surrogate)
        return
    _load_or_refuse(path)


_TAGS = ["div", "p", "table", "tr", "td", "th", "span", "br", "h2", "tbody", "font", "center"]


def _html(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Random markup: nested tags (tables with garbage spans among them) around report-like text."""
    attrs = st.sampled_from(["", ' colspan="3"', ' rowspan="2"', ' colspan="0"', ' rowspan="-4"', ' colspan="9999"',
                             ' colspan="x"', ' style="display:none"', ' class="nav"'])
    return st.recursive(text, lambda inner: st.tuples(st.sampled_from(_TAGS), attrs, st.lists(inner, max_size=4)).map(
        lambda t: f"<{t[0]}{t[1]}>{''.join(t[2])}</{t[0]}>"), max_leaves=40)


@FUZZ
@given(body=_html(REPORT_TEXT), charset=st.sampled_from(["", "utf-8", "gb2312", "latin-1", "bogus"]))
def test_load_report_on_generated_html(workdir, body, charset):
    meta = f'<meta charset="{charset}">' if charset else ""
    path = workdir / "generated.html"
    path.write_bytes(f"<html><head>{meta}<title>示例县2021年政府信息公开工作年度报告</title></head>"
                     f"<body>{body}</body></html>".encode("utf-8", "surrogatepass"))
    _load_or_refuse(path)


def _docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("示例县交通局2021年政府信息公开工作年度报告")
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "（一）予以公开"
    table.cell(0, 1).text, table.cell(0, 2).text, table.cell(2, 2).text = "自然人", "3", "0"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pdf_bytes() -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for page in range(2):
        pdf.setFont("STSong-Light", 11)
        pdf.drawString(72, 760, "示例县交通局2021年政府信息公开工作年度报告")
        pdf.drawString(72, 740, "一、总体情况" if page == 0 else "五、存在的主要问题及改进情况")
        pdf.rect(72, 600, 300, 60)
        pdf.drawString(80, 640, "（一）予以公开  3  0  3")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.fixture(scope="module")
def seeds() -> dict[str, bytes]:
    return {".docx": _docx_bytes(), ".pdf": _pdf_bytes()}


def _mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        action = rng.randrange(4)
        at = rng.randrange(len(out)) if out else 0
        if action == 0 and out:  # flip a byte
            out[at] = rng.randrange(256)
        elif action == 1:  # cut the file
            del out[at:]
        elif action == 2:  # drop a slice
            del out[at:at + rng.randint(1, 64)]
        else:  # repeat a slice
            out[at:at] = out[at:at + rng.randint(1, 64)] * rng.randint(1, 4)
    return bytes(out)


@FUZZ
@given(ext=st.sampled_from([".docx", ".pdf"]), seed=st.integers(0, 2**32 - 1))
def test_load_report_on_mutated_documents(workdir, seeds, ext, seed):
    path = workdir / f"mutated{ext}"
    path.write_bytes(_mutate(seeds[ext], random.Random(seed)))
    _load_or_refuse(path)


@FUZZ
@given(data=st.binary(max_size=2048), seed=st.integers(0, 2**32 - 1))
def test_load_report_on_docx_with_mutated_document_xml(workdir, seeds, data, seed):
    """A valid zip whose document.xml is damaged or replaced (entities, garbage, deep nesting)."""
    with zipfile.ZipFile(io.BytesIO(seeds[".docx"])) as archive:
        xml = archive.read("word/document.xml")
    rng = random.Random(seed)
    body = data if rng.random() < 0.3 else _mutate(xml, rng)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", body)
    path = workdir / "zipped.docx"
    path.write_bytes(buffer.getvalue())
    _load_or_refuse(path)


def _table3_text(rng: random.Random) -> str:
    """A synthetic table 三 as crawled text: labels and seven numbers per row, then damaged like real
    text (digits glued, blanks dropped, numbers glued to labels, cells one per line, stray marks)."""
    rows = table_spec("table3_rows")
    lines = ["示例县交通局2021年政府信息公开工作年度报告", "三、收到和处理政府信息公开申请情况",
             "自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计"]
    for label in rows["v2021"].dropna():
        numbers = [str(rng.choice([0, 0, 0, 1, 2, 3, 12, 170])) if rng.random() > 0.15 else "" for _ in range(7)]
        sep = rng.choice([" ", "\t", "\n", "", "  "])
        glue = rng.choice(["", " ", "\n"])
        cells = [n for n in numbers if n or rng.random() < 0.5]
        if rng.random() < 0.2 and cells:
            cells.pop(rng.randrange(len(cells)))
        lines.append(label + glue + sep.join(cells))
    lines += ["四、政府信息公开行政复议、行政诉讼情况", " ".join(str(rng.randint(0, 3)) for _ in range(15)),
              "五、存在的主要问题及改进情况", "一是公开不够及时。下一步将加强培训。"]
    text = "\n".join(lines)
    for _ in range(rng.randint(0, 6)):  # stray damage anywhere
        at = rng.randrange(len(text))
        text = text[:at] + rng.choice(["", "\n", "1", "0", "。", "|", "——", "第3页"]) + text[at + rng.randint(0, 3):]
    return text


def _check_tables(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == TABLE_COLUMNS
    assert set(frame["status"].dropna()) <= {"ok", "blank", "uncertain", "missing"}
    assert not ((frame["status"] == "blank") & frame["value"].notna()).any()  # blank is not zero


@FUZZ
@given(text=REPORT_TEXT)
def test_extract_tables_on_arbitrary_text(text):
    _check_tables(extract_tables(report_from_text(text)))


@FUZZ
@given(seed=st.integers(0, 2**32 - 1))
def test_extract_tables_on_mutated_table_text(seed):
    _check_tables(extract_tables(report_from_text(_table3_text(random.Random(seed)))))


@FUZZ
@given(text=st.one_of(REPORT_TEXT, st.integers(0, 2**32 - 1).map(lambda s: _table3_text(random.Random(s)))))
def test_validate_on_arbitrary_text(text):
    findings = validate(report_from_text(text))
    assert list(findings.columns) == FINDING_COLUMNS


@FUZZ
@given(text=REPORT_TEXT)
def test_statements_on_arbitrary_text(text):
    frame = statements(report_from_text("五、存在的主要问题及改进情况\n" + text + "\n六、其他需要报告的事项\n无。"))
    assert list(frame.columns) == STATEMENT_COLUMNS
