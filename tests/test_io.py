"""Loaders: every format to one Report (synthetic files written by the tests)."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdtools.errors import LimitExceeded, NotAReport, ReadError, UnsupportedFormat
from gdtools.io import Limits, error_record, iter_report_paths, load_report, report_record
from gdtools.model import REPORT_COLUMNS

# A small invented report in the 2021 layout (not taken from any real report).
BODY = """示例县水务局2022年政府信息公开工作年度报告
一、总体情况
2022年，示例县水务局扎实推进政务公开，发布信息120条。
二、主动公开政府信息情况
第二十条第（一）项 信息内容 本年制发件数 本年废止件数 现行有效件数
三、收到和处理政府信息公开申请情况
一、本年新收政府信息公开申请数量 3
三、本年度办理结果
四、结转下年度继续办理 0
四、政府信息公开行政复议、行政诉讼情况
行政复议0件。
五、存在的主要问题及改进情况
一是人员力量不足。下一步将加强培训。
六、其他需要报告的事项
本年度未收取信息处理费。
示例县水务局
2023年1月20日
"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_text_encodings(tmp_path, encoding):
    path = tmp_path / "report.txt"
    path.write_bytes(BODY.encode(encoding))
    report = load_report(path)
    assert report.encoding == ("utf-8" if encoding == "utf-8" else encoding)
    assert report.text.startswith("示例县水务局")
    assert report.meta("year") == 2022
    assert report.meta("agency") == "示例县水务局"
    assert report.template == "v2021"
    assert "".join(s.code for s in report.sections) == "一二三四五六"
    assert report.report_id == hashlib.sha1(path.read_bytes()).hexdigest()[:12]


def test_crlf_and_offsets(tmp_path):
    path = tmp_path / "r.txt"
    path.write_bytes(BODY.replace("\n", "\r\n").encode("utf-8"))
    report = load_report(path)
    assert "\r" not in report.text
    for block in report.blocks:
        assert report.text[block.start:block.end] == block.text


def test_input_is_not_modified(tmp_path):
    path = tmp_path / "r.txt"
    path.write_bytes(BODY.encode("gb18030"))
    before = path.read_bytes(), path.stat().st_mtime_ns
    load_report(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_markdown_pipe_table(tmp_path):
    md = BODY.replace("三、本年度办理结果\n", "| 项目 | 自然人 | 总计 |\n|---|---|---|\n| （一）予以公开 | 2 |  |\n")
    path = tmp_path / "r.md"
    path.write_text(md, encoding="utf-8")
    report = load_report(path)
    tables = [b for b in report.blocks if b.kind == "table"]
    assert len(tables) == 1
    assert [c.text for c in tables[0].rows[1]] == ["（一）予以公开", "2", ""]
    assert len(tables[0].rows) == 2  # the |---| rule is not a row


HTML_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>站点</title>
<script>var x = "一、总体情况";</script></head><body>
<div class="nav"><a href="/">首页</a> <a href="/a">政务公开</a> <a href="/b">信息公开年报</a></div>
<div class="main"><div class="article">
<p style="text-align:center">示例市统计局2020年政府信息公开工作年度报告</p>
<p>一、总体情况</p><p>2020年，示例市统计局认真落实条例要求，主动公开信息56条，依申请公开3件。</p>
<p>二、主动公开政府信息情况</p>
<table border="1"><tr><td colspan="4">第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>本年新制作数量</td><td>本年新公开数量</td><td>对外公开总数量</td></tr>
<tr><td>规章</td><td>&nbsp;</td><td>0</td><td>1</td></tr></table>
<p>三、收到和处理政府信息公开申请情况</p>
<table border="1"><tr><td rowspan="2" colspan="2">（本列数据的勾稽关系）</td><td colspan="3">申请人情况</td></tr>
<tr><td>自然人</td><td>法人或其他组织</td><td>总计</td></tr>
<tr><td colspan="2">一、本年新收政府信息公开申请数量</td><td>3</td><td>0</td><td>3</td></tr></table>
<p>四、政府信息公开行政复议、行政诉讼情况</p><p>无。</p>
<p>五、存在的主要问题及改进情况</p><p>公开内容不够全面。下一步将完善目录。</p>
<p>六、其他需要报告的事项</p><p>无。</p></div></div>
<div class="footer"><a href="/c">网站地图</a> 主办单位：示例市人民政府办公室 版权所有</div>
</body></html>"""


def test_html_article_and_spans(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(HTML_PAGE, encoding="utf-8")
    report = load_report(path)
    assert report.format == "html"
    assert "首页" not in report.text and "版权所有" not in report.text and "var x" not in report.text
    assert report.meta("agency") == "示例市统计局" and report.meta("year") == 2020
    assert report.template == "v2019"
    tables = [b for b in report.blocks if b.kind == "table"]
    assert len(tables) == 2
    first, second = tables[0].rows, tables[1].rows
    assert (first[0][0].colspan, first[2][1].text) == (4, "")
    corner = second[0][0]
    assert (corner.rowspan, corner.colspan) == (2, 2)
    assert [c.text for c in second[1]] == ["自然人", "法人或其他组织", "总计"]
    assert report.text[tables[1].start:tables[1].end] == tables[1].text
    assert "".join(s.code for s in report.sections) == "一二三四五六"


def _docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("示例区民政局2021年政府信息公开工作年度报告")
    for line in BODY.split("\n")[1:5]:
        document.add_paragraph(line)
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "（三）不予公开"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "合并列"
    table.cell(1, 1).text = "1.属于国家秘密"
    table.cell(1, 2).text = "0"
    table.cell(2, 0).text = "（七）总计"
    for line in BODY.split("\n")[5:]:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_paragraphs_and_merged_cells(tmp_path):
    path = tmp_path / "r.docx"
    path.write_bytes(_docx_bytes())
    report = load_report(path)
    assert report.format == "docx"
    tables = [b for b in report.blocks if b.kind == "table"]
    assert len(tables) == 1
    rows = tables[0].rows
    assert (rows[0][0].text, rows[0][0].rowspan) == ("（三）不予公开", 2)
    assert (rows[0][1].text, rows[0][1].colspan) == ("合并列", 2)
    assert [c.text for c in rows[1]] == ["1.属于国家秘密", "0"]
    # document order: the table sits between 二 and 三
    two, three = report.section("二"), report.section("三")
    assert two.start < tables[0].start < three.start
    assert report.meta("agency") == "示例区民政局"


def test_docx_decompression_limit(tmp_path):
    path = tmp_path / "r.docx"
    path.write_bytes(_docx_bytes())
    with pytest.raises(LimitExceeded):
        load_report(path, limits=Limits(max_decompressed_bytes=1000))


def _pdf_bytes(pages: list[list[str]]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for number, lines in enumerate(pages, start=1):
        pdf.setFont("STSong-Light", 11)
        pdf.drawString(72, 800, "示例市政务公开办公室")
        y = 760
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 20
        pdf.drawCentredString(300, 40, f"- {number} -")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_pdf_page_numbers_and_headers_dropped(tmp_path):
    lines = [ln for ln in BODY.split("\n") if ln]
    path = tmp_path / "r.pdf"
    path.write_bytes(_pdf_bytes([lines[:6], lines[6:12], lines[12:]]))
    report = load_report(path)
    assert report.format == "pdf"
    assert "- 2 -" not in report.text and "示例市政务公开办公室" not in report.text
    assert [number for _, number in report.pages] == [1, 2, 3]
    assert report.page_at(report.section("五").start) == 2
    assert report.page_at(report.section("六").start) == 3
    assert "".join(s.code for s in report.sections) == "一二三四五六"
    assert report.meta("year") == 2022


def test_pdf_page_limit_and_damage(tmp_path):
    lines = [ln for ln in BODY.split("\n") if ln]
    path = tmp_path / "r.pdf"
    data = _pdf_bytes([lines[:8], lines[8:]])
    path.write_bytes(data)
    with pytest.raises(LimitExceeded):
        load_report(path, limits=Limits(max_pdf_pages=1))
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(data[:300])
    with pytest.raises(ReadError):
        load_report(broken)


def test_not_a_report(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(bytes(range(256)) * 10)
    other = tmp_path / "recipe.txt"
    other.write_text("番茄炒蛋：先炒蛋，再炒番茄。", encoding="utf-8")
    for path in (empty, binary, other):
        with pytest.raises(NotAReport):
            load_report(path)


def test_file_size_limit(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text(BODY, encoding="utf-8")
    with pytest.raises(LimitExceeded):
        load_report(path, limits=Limits(max_file_bytes=100))


def test_doc_without_libreoffice_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(UnsupportedFormat, match="libreoffice-writer"):
        load_report(path)


def test_unknown_extension_is_sniffed(tmp_path):
    html = tmp_path / "download"
    html.write_text(HTML_PAGE, encoding="utf-8")
    assert load_report(html).format == "html"
    docx = tmp_path / "attachment.bin"
    docx.write_bytes(_docx_bytes())
    assert load_report(docx).format == "docx"
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.txt", "x")
    with pytest.raises(UnsupportedFormat):
        load_report(archive)


def test_iter_report_paths_sorted_and_loop_safe(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "2.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "a" / "1.html").write_text(HTML_PAGE, encoding="utf-8")
    (tmp_path / "a" / ".hidden.txt").write_text(BODY, encoding="utf-8")
    (tmp_path / "a" / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "a" / "loop").symlink_to(tmp_path, target_is_directory=True)
    found = [p.relative_to(tmp_path).as_posix() for p in iter_report_paths(tmp_path)]
    assert found == ["a/1.html", "b/2.txt"]


def test_records(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text(BODY, encoding="utf-8")
    record = report_record(load_report(path))
    assert list(record) == REPORT_COLUMNS
    assert (record["status"], record["sections"], record["year"]) == ("ok", "一二三四五六", 2022)
    assert record["n_chars"] == len(BODY)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    try:
        load_report(empty)
    except ReadError as exc:
        failed = error_record(empty, exc)
    assert list(failed) == REPORT_COLUMNS
    assert failed["status"] == "error" and "empty" in failed["error"]


def test_walk_sniffs_unknown_extensions(tmp_path):
    (tmp_path / "report.data").write_text(BODY, encoding="gb18030")
    (tmp_path / "links.tsv").write_text("url\ttitle\nhttp://x\t首页\n", encoding="utf-8")
    (tmp_path / "picture.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    (tmp_path / "scan.bin").write_bytes(b"%PDF-1.4\n")
    found = [p.name for p in iter_report_paths(tmp_path)]
    assert found == ["report.data", "scan.bin"]


def test_damaged_files_raise_read_errors(tmp_path):
    docx = tmp_path / "cut.docx"
    docx.write_bytes(_docx_bytes()[:2000])
    html = tmp_path / "deep.html"
    html.write_text("<div>" * 5000 + "一、总体情况 公开" + "</div>" * 5000, encoding="utf-8")
    with pytest.raises(ReadError):
        load_report(docx)
    # deeply nested markup is either read or refused with a reason, never a crash
    try:
        assert "总体情况" in load_report(html).text
    except ReadError as exc:
        assert exc.reason


def test_error_record_for_missing_file(tmp_path):
    missing = tmp_path / "nope.pdf"
    with pytest.raises(ReadError) as info:
        load_report(missing)
    record = error_record(missing, info.value)
    assert record["status"] == "error" and record["report_id"] is None and record["format"] == "pdf"


def test_html_title_outside_article_and_text_sidebar(tmp_path):
    sidebar = "<div class='side'>" + "".join(f"<p>通知公告第{i}条：办事大厅工作时间调整说明。</p>" for i in range(40)) + "</div>"
    article = HTML_PAGE.split('<div class="article">')[1].split("</div></div>")[0]
    article = article.replace('<p style="text-align:center">示例市统计局2020年政府信息公开工作年度报告</p>', "")
    page = ("<html><head><title>示例市统计局2020年政府信息公开工作年度报告_示例市人民政府</title></head><body>"
            f"<h1>示例市统计局2020年政府信息公开工作年度报告</h1>{sidebar}<div class='content'>{article}</div>"
            "</body></html>")
    path = tmp_path / "page.htm"
    path.write_text(page, encoding="utf-8")
    report = load_report(path)
    assert "通知公告" not in report.text
    assert report.text.startswith("示例市统计局2020年政府信息公开工作年度报告")
    assert report.metadata["agency"].origin == "title"
    assert "".join(s.code for s in report.sections) == "一二三四五六"


def test_encrypted_pdf_names_the_fix(tmp_path):
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, encrypt=pdfencrypt.StandardEncryption("secret"))
    pdf.drawString(72, 700, "report")
    pdf.showPage()
    pdf.save()
    path = tmp_path / "locked.pdf"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ReadError, match="encrypted"):
        load_report(path)


def _pdf_with_table(rows_per_page: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=11, leading=16)
    header = [["（本列数据的勾稽关系）", "", "申请人情况", ""], ["", "", "自然人", "总计"]]
    body = [[f"第{i}行", "", str(i), str(i)] for i in range(1, rows_per_page)]
    table = Table(header + body, colWidths=[120, 60, 80, 80])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 10),
                               ("GRID", (0, 0), (-1, -1), 0.5, "black"),
                               ("SPAN", (0, 0), (1, 1)), ("SPAN", (2, 0), (3, 0))]))
    story = [Paragraph(line, style) for line in BODY.split("\n")[:6] if line] + [table]
    story += [Paragraph(line, style) for line in BODY.split("\n")[6:] if line]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story)
    return buffer.getvalue()


def test_pdf_table_grid_with_spans(tmp_path):
    path = tmp_path / "t.pdf"
    path.write_bytes(_pdf_with_table(5))
    report = load_report(path)
    tables = [b for b in report.blocks if b.kind == "table"]
    assert len(tables) == 1
    rows = tables[0].rows
    corner = rows[0][0]
    assert corner.text == "（本列数据的勾稽关系）" and (corner.rowspan, corner.colspan) == (2, 2)
    assert (rows[0][1].text, rows[0][1].colspan) == ("申请人情况", 2)
    assert [c.text for c in rows[1]] == ["自然人", "总计"]
    assert [c.text for c in rows[-1]] == ["第4行", "", "4", "4"]
    assert report.text[tables[0].start:tables[0].end] == tables[0].text


def test_pdf_table_running_over_a_page_is_one_grid(tmp_path):
    path = tmp_path / "long.pdf"
    path.write_bytes(_pdf_with_table(60))
    report = load_report(path)
    tables = [b for b in report.blocks if b.kind == "table"]
    assert len(tables) == 1 and len(tables[0].rows) == 61
    # provenance: the page where the continuation starts is recorded inside the table
    inside = [number for start, number in report.pages if tables[0].start < start < tables[0].end]
    assert inside == [2]


def test_pdf_cell_texts_are_those_of_pdfplumbers_own_extract():
    # the indexed cell lookup must give exactly what Table.extract gives: spans, empty cells, both pages
    import pdfplumber

    from gdtools.io.pdf import _PageChars

    with pdfplumber.open(io.BytesIO(_pdf_with_table(60))) as pdf:
        found = [table for page in pdf.pages for table in page.find_tables()]
        assert len(found) == 2
        texts = [_PageChars(table.page.chars).cell_texts(table.rows) for table in found]
        assert texts == [table.extract() for table in found]
    cells = [cell for grid in texts for row in grid for cell in row]
    assert "" in cells and {"第1行", "第59行", "自然人"} <= set(cells)


def test_doc_is_converted_with_soffice_when_installed(tmp_path, monkeypatch):
    # A stand-in for LibreOffice: writes a prepared .docx where soffice would put its output.
    converted = tmp_path / "prepared.docx"
    converted.write_bytes(_docx_bytes())
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "soffice"
    fake.write_text('#!/bin/sh\nwhile [ "$1" != "--outdir" ]; do shift; done\n'
                    f'mkdir -p "$2" && cp "{converted}" "$2/input.docx"\n', encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    path = tmp_path / "old.doc"
    original = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    path.write_bytes(original)
    report = load_report(path)
    assert report.format == "doc"
    assert report.meta("agency") == "示例区民政局"
    assert path.read_bytes() == original


def test_html_layout_table_page(tmp_path):
    # Old portals: the whole page is a table, the report sits in one cell next to a menu cell.
    article = HTML_PAGE.split('<div class="article">')[1].split("</div></div>")[0]
    menu = "".join(f"<a href='/m{i}'>栏目{i}</a><br>" for i in range(30))
    page = (f"<html><body><table><tr><td>{menu}</td><td>{article}</td></tr>"
            "<tr><td colspan='2'>版权所有 示例市人民政府</td></tr></table></body></html>")
    path = tmp_path / "layout.html"
    path.write_text(page, encoding="utf-8")
    report = load_report(path)
    assert "栏目3" not in report.text and "版权所有" not in report.text
    tables = [b for b in report.blocks if b.kind == "table"]
    assert len(tables) == 2 and tables[1].rows[0][0].rowspan == 2
    assert "".join(s.code for s in report.sections) == "一二三四五六"


def test_iter_report_paths_reads_each_file_once(tmp_path):
    report = tmp_path / "r.txt"
    report.write_text(BODY, encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(report)
    assert [p.name for p in iter_report_paths([tmp_path, report])] == ["link.txt"]
    assert [p.name for p in iter_report_paths([report, report])] == ["r.txt"]
    os.link(report, tmp_path / "hard.txt")  # another name of the same file (same device and inode)
    assert [p.name for p in iter_report_paths([report, tmp_path / "hard.txt"])] == ["r.txt"]
    missing = tmp_path / "gone.txt"  # named twice: listed once, so the batch gives it one error record
    assert list(iter_report_paths([missing, missing])) == [missing]


def test_html_cell_text_with_markup_inside_cells(tmp_path):
    page = ("<html><body><div><p>示例县统计局2021年政府信息公开工作年度报告</p><p>一、总体情况</p>"
            "<p>本局推进政务公开。</p><table>"
            "<tr><td><p>申请人</p><p><span>情况</span></p></td><td> 自然人&nbsp; </td><td>1<br/>2</td></tr>"
            "<tr><td>合计<b>四</b>项</td><td></td><td>  </td></tr>"
            "</table></div></body></html>")
    path = tmp_path / "cells.html"
    path.write_text(page, encoding="utf-8")
    report = load_report(path)
    (table,) = [b for b in report.blocks if b.kind == "table"]
    assert [[c.text for c in row] for row in table.rows] == [["申请人情况", "自然人", "12"], ["合计四项", "", ""]]
    assert report.text[table.start:table.end] == "申请人情况\t自然人\t12\n合计四项\t\t"


def test_html_grid_of_a_table_holding_a_table():
    from lxml import etree

    from gdtools.io.html import table_grid

    outer = etree.fromstring("<table><tr><th>项目</th><td rowspan='2'>x<table><tr><td>甲</td><td>1</td></tr>"
                             "<tr><td>乙</td></tr></table></td></tr><tr><td colspan='3'>合计</td></tr></table>",
                             etree.HTMLParser()).find(".//table")
    # the inner table's rows are its own; its text is the text of the outer cell holding it
    assert [[(c.text, c.rowspan, c.colspan) for c in row] for row in table_grid(outer)] == [
        [("项目", 1, 1), ("x甲1乙", 2, 1)], [("合计", 1, 3)]]
    assert [[c.text for c in row] for row in table_grid(outer.find(".//td/table"))] == [["甲", "1"], ["乙"]]


def _docx_from_body(body_xml: str) -> bytes:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", f'<w:document xmlns:w="{w}"><w:body>{body_xml}</w:body></w:document>')
    return buffer.getvalue()


def test_docx_heading_paragraphs_by_style(tmp_path):
    def para(text, style=None):
        props = f"<w:pPr><w:jc w:val='center'/><w:pStyle w:val='{style}'/></w:pPr>" if style else ""
        return f"<w:p>{props}<w:r><w:t>{text}</w:t></w:r></w:p>"

    body = (para("示例县民政局2021年政府信息公开工作年度报告", "Title") + para("甲部分", "Heading2")
            + para("乙部分", "标题 3") + para("正文一句。", "Normal") + para("又一句。")
            + "<w:p><w:r><w:t>丙部分</w:t></w:r><w:pPr><w:pStyle w:val='heading1'/></w:pPr></w:p>")
    path = tmp_path / "styles.docx"
    path.write_bytes(_docx_from_body(body))
    assert [(b.kind, b.text) for b in load_report(path).blocks] == [
        ("heading", "示例县民政局2021年政府信息公开工作年度报告"), ("heading", "甲部分"), ("heading", "乙部分"),
        ("paragraph", "正文一句。"), ("paragraph", "又一句。"), ("heading", "丙部分")]


def test_docx_cell_spans_from_hand_written_xml(tmp_path):
    def cell(text, props=""):
        return f"<w:tc>{props}<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"

    para = "<w:p><w:r><w:t>{}</w:t></w:r></w:p>"
    table = ("<w:tbl>"
             "<w:tr>" + cell("类别", "<w:tcPr><w:vMerge w:val='restart'/><w:gridSpan w:val='2'/></w:tcPr>")
             + cell("数量") + "</w:tr>"
             # properties in a second w:tcPr still count; an empty vMerge continues the merge
             "<w:tr>" + cell("", "<w:tcPr><w:tcW w:w='10'/></w:tcPr><w:tcPr><w:gridSpan w:val='2'/><w:vMerge/></w:tcPr>")
             + cell("3") + "</w:tr>"
             "<w:tr>" + cell("甲", "<w:tcPr><w:gridSpan w:val='x'/></w:tcPr>") + cell("乙") + cell("1") + "</w:tr>"
             "</w:tbl>")
    body = para.format("示例县民政局2021年政府信息公开工作年度报告") + para.format("一、总体情况") + table
    path = tmp_path / "hand.docx"
    path.write_bytes(_docx_from_body(body))
    (grid,) = [b.rows for b in load_report(path).blocks if b.kind == "table"]
    assert [[(c.text, c.rowspan, c.colspan) for c in row] for row in grid] == [
        [("类别", 2, 2), ("数量", 1, 1)], [("3", 1, 1)], [("甲", 1, 1), ("乙", 1, 1), ("1", 1, 1)]]


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["p", "r", "t", "tab", "br", "cr", "tbl", "tc", "tcPr", "gridSpan", "vMerge",
                                 "txbxContent", "sdt"]), min_size=1, max_size=25),
       st.lists(st.integers(0, 30), min_size=25, max_size=25), st.lists(st.sampled_from(["", "a", " b ", "年"]),
                                                                        min_size=25, max_size=25))
def test_docx_cell_read_in_one_pass_as_each_of_its_paragraphs(tags, shape, texts):
    # a cell's properties are those of its w:tcPr children, its text that of every w:p in it (in nested
    # tables and text boxes too, nested paragraphs counted again) one per line; a w:tcPr holds properties
    # only (the schema has no text in it)
    from lxml import etree

    from gdtools.io.docx import _cell

    tc = etree.Element(f"{_W}tc")
    nodes = [tc]
    for tag, parent, text in zip(tags, shape, texts):
        parent = nodes[parent % len(nodes)]
        # properties hold no text: under a w:tcPr only its property elements, and nothing under those
        in_properties = any(node.tag == f"{_W}tcPr" for node in (parent, *parent.iterancestors()))
        if in_properties and not (parent.tag == f"{_W}tcPr" and tag in ("gridSpan", "vMerge")):
            parent = tc
        node = etree.SubElement(parent, _W + tag)
        node.text = text or None
        nodes.append(node)

    def paragraph_text(p):
        return "".join(el.text or "" if el.tag == f"{_W}t" else "\t" if el.tag == f"{_W}tab" else "\n"
                       for el in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"))

    props = [node for pr in tc.iterchildren(f"{_W}tcPr") for node in pr]
    span = next((node for node in props if node.tag == f"{_W}gridSpan"), None)
    merge = next((node for node in props if node.tag == f"{_W}vMerge"), None)
    assert _cell(tc) == (span, merge, "\n".join(paragraph_text(p) for p in tc.iter(f"{_W}p")))


def _random_tree(draw_tags: list[str], shape: list[int]):
    """An HTML tree: element i (tag draw_tags[i]) goes under element shape[i] (an earlier one)."""
    from lxml import etree

    root = etree.Element("html")
    nodes = [root]
    for tag, parent in zip(draw_tags, shape):
        nodes.append(etree.SubElement(nodes[parent % len(nodes)], tag))
    return root, nodes


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["div", "p", "td", "span", "table", "h1", "b"]), min_size=1, max_size=25),
       st.lists(st.integers(0, 30), min_size=25, max_size=25), st.integers(0, 30), st.booleans())
def test_elements_outside_the_article_are_those_the_whole_page_has_less_the_articles(tags, shape, pick, ancestors):
    from gdtools.io.html import _outside

    root, nodes = _random_tree(tags, shape)
    article = nodes[pick % len(nodes)]
    wanted = ("div", "p", "td", "span", "h1")
    skip = set(article.iter(*wanted)) | (set() if ancestors else set(article.iterancestors()))
    assert list(_outside(article, wanted, ancestors)) == [el for el in root.iter(*wanted) if el not in skip]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["div", "p", "td", "span", "b"]), min_size=1, max_size=12),
       st.lists(st.integers(0, 30), min_size=12, max_size=12),
       st.lists(st.sampled_from([None, "", "甲", " 1 "]), min_size=26, max_size=26))
def test_text_content_is_all_text_under_an_element(tags, shape, texts):
    from gdtools.io.html import text_content

    root, nodes = _random_tree(tags, shape)
    for i, node in enumerate(nodes):
        node.text, node.tail = texts[2 * i], texts[2 * i + 1]
    for node in nodes:
        assert text_content(node) == "".join(node.itertext())


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="一二三十、（(x )", max_size=30))
def test_numbered_headings_counted_as_the_look_behind_pattern_finds_them(text):
    import re

    from gdtools.io.html import _count_markers

    assert _count_markers(text) == len(re.findall(r"(?<![（(])[一二三四五六七八九十]{1,2}、", text))
