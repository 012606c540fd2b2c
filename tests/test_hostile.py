"""Hostile and broken input: every file is built here in tmp_path; nothing crashes, nothing leaks.

Each catalogue entry asserts what gdtools does with the input: reads it (with what text),
or refuses it with a GdtoolsError subclass whose reason names the problem and the fix.
The last test runs the command line on a folder of them beside two good reports.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from gdtools.errors import GdtoolsError, LimitExceeded, NotAReport, ReadError
from gdtools.io import Limits, iter_report_paths, load_report
from gdtools.io.text import decode_text
from gdtools.statements import statements
from gdtools.tables import extract_tables
from gdtools.validate import validate

SENTINEL = "SENTINEL-本地机密-7f3a9c"
# An invented report in the 2021 layout (not taken from any real report).
REPORT = """示例县林业局2022年政府信息公开工作年度报告
一、总体情况
2022年，示例县林业局主动公开政府信息85条。
二、主动公开政府信息情况
三、收到和处理政府信息公开申请情况
四、政府信息公开行政复议、行政诉讼情况
五、存在的主要问题及改进情况
一是公开内容不够细。下一步将加强审核。
六、其他需要报告的事项
本年度未收取信息处理费。
"""


def _refused(path: Path, kind: type[GdtoolsError] = ReadError, limits: Limits | None = None) -> str:
    with pytest.raises(kind) as info:
        load_report(path, limits=limits)
    assert info.value.source == str(path) and str(path) in str(info.value)
    return info.value.reason


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def pdf_bytes(lines: list[str], pages: int = 1) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for page in range(pages):
        pdf.setFont("STSong-Light", 11)
        for i, line in enumerate(lines if page == 0 else [f"附件第{page}页：本页说明文字。"]):
            pdf.drawString(60, 780 - 16 * i, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf_bytes(REPORT.splitlines()))))
    writer.encrypt("口令-secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def zip_bomb(megabytes: int = 300) -> bytes:
    """A .docx whose document.xml inflates to ``megabytes`` MB (a few hundred KB on disk)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1 << 20)
            for _ in range(megabytes):
                member.write(chunk)
    return buffer.getvalue()


def xxe_html(secret: Path) -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE html [\n<!ENTITY local SYSTEM "file://{secret}">\n'
            '<!ENTITY remote SYSTEM "http://192.0.2.1/entity.dtd">\n<!ENTITY % p SYSTEM "http://192.0.2.1/p.dtd"> %p;\n]>\n'
            "<html><body>" + "".join(f"<p>{line}</p>" for line in REPORT.splitlines())
            + "<p>&local;&remote;</p></body></html>").encode("utf-8")


def xxe_docx(secret: Path) -> bytes:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    paragraphs = "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in REPORT.splitlines())
    xml = (f'<?xml version="1.0"?>\n<!DOCTYPE w:document [<!ENTITY local SYSTEM "file://{secret}">'
           f'<!ENTITY remote SYSTEM "http://192.0.2.1/x">]>\n<w:document xmlns:w="{w}"><w:body>{paragraphs}'
           "<w:p><w:r><w:t>&local;&remote;</w:t></w:r></w:p></w:body></w:document>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", xml)
    return buffer.getvalue()


@pytest.fixture
def secret(tmp_path) -> Path:
    """A local file outside every corpus folder; its content must never appear in any output."""
    path = tmp_path / "private" / "secret.txt"
    path.parent.mkdir()
    path.write_text(f"{SENTINEL} 政府信息公开", encoding="utf-8")
    return path


# ------------------------------------------------------------------ the catalogue

def test_empty_and_blank_files(tmp_path):
    assert "空" in _refused(_write(tmp_path / "empty.txt", b""), NotAReport)
    assert "空" in _refused(_write(tmp_path / "blank.pdf", b" \n\t\n"), NotAReport)


def test_random_bytes_named_txt(tmp_path):
    data = bytes((i * 97 + 13) % 256 for i in range(20000))
    assert "binary" in _refused(_write(tmp_path / "noise.txt", data), NotAReport)


def test_text_that_is_not_a_report(tmp_path):
    path = _write(tmp_path / "recipe.txt", "红烧肉的做法：五花肉切块，焯水后炒糖色。\n".encode() * 20)
    assert "no report sections" in _refused(path, NotAReport)


def test_html_error_page_saved_as_pdf(tmp_path):
    page = "<!DOCTYPE html><html><head><title>404</title></head><body><h1>404 页面不存在</h1></body></html>"
    reason = _refused(_write(tmp_path / "report.pdf", page.encode()), NotAReport)
    assert ".pdf" in reason and "HTML" in reason


def test_truncated_pdf(tmp_path):
    data = pdf_bytes(REPORT.splitlines())
    reason = _refused(_write(tmp_path / "cut.pdf", data[: len(data) // 2]))
    assert "truncated" in reason and "download" in reason


def test_pdf_without_text_layer(tmp_path):
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    scan = canvas.Canvas(buffer)
    scan.rect(50, 50, 400, 600, fill=1)  # stands in for a scanned page image
    scan.showPage()
    scan.save()
    assert "OCR" in _refused(_write(tmp_path / "scan.pdf", buffer.getvalue()), NotAReport)


def test_encrypted_pdf(tmp_path):
    assert "password" in _refused(_write(tmp_path / "locked.pdf", encrypted_pdf()))


def test_docx_that_is_a_broken_zip(tmp_path):
    good = io.BytesIO()
    with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document/>" * 500)
    for name, data in {"garbage.docx": b"PK\x03\x04" + bytes(range(256)) * 3,
                       "cut.docx": good.getvalue()[:200]}.items():
        assert "docx" in _refused(_write(tmp_path / name, data))


def test_docx_zip_bomb_is_refused_before_inflating(tmp_path):
    path = _write(tmp_path / "bomb.docx", zip_bomb(300))
    assert path.stat().st_size < 2 * 1024 * 1024  # cheap on disk
    tracemalloc.start()
    try:
        reason = _refused(path, LimitExceeded)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "max_decompressed_bytes" in reason
    assert peak < 50 * 1024 * 1024  # the 300 MB were never inflated


def test_docx_bomb_with_a_lying_size_header_reads_at_most_the_limit(tmp_path):
    """The central directory claims a tiny member: reading is still cut at the limit (or the CRC fails)."""
    data = bytearray(zip_bomb(20))
    directory = data.rfind(b"PK\x01\x02")
    # zip64 sizes live in the extra field; claim 1000 bytes there and in the local header
    for start in (directory, data.find(b"PK\x03\x04")):
        extra = data.find(b"\x01\x00", start + 30)
        data[extra + 4:extra + 12] = (1000).to_bytes(8, "little")
    path = _write(tmp_path / "liar.docx", bytes(data))
    tracemalloc.start()
    try:
        with pytest.raises(ReadError):
            load_report(path, limits=Limits(max_decompressed_bytes=5 * 1024 * 1024))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * 1024 * 1024


def test_docx_that_is_really_html_is_read_as_html(tmp_path):
    page = "<html><body>" + "".join(f"<p>{line}</p>" for line in REPORT.splitlines()) + "</body></html>"
    for name in ("export.docx", "export.doc"):
        report = load_report(_write(tmp_path / name, page.encode("gb18030")))
        assert report.format == "html"
        assert report.meta("agency") == "示例县林业局"
        assert "".join(s.code for s in report.sections) == "一二三四五六"


def test_xxe_entities_are_never_resolved(tmp_path, secret):
    for name, data in {"xxe.html": xxe_html(secret), "xxe.xhtml": xxe_html(secret), "xxe.docx": xxe_docx(secret)}.items():
        report = load_report(_write(tmp_path / name, data))
        assert report.meta("agency") == "示例县林业局"
        assert SENTINEL not in report.text and "192.0.2.1" not in report.text
        assert all(SENTINEL not in cell.text for b in report.blocks for row in (b.rows or []) for cell in row)


def test_deeply_nested_html_is_refused_without_recursion_error(tmp_path):
    page = "<html><body>" + "<div>" * 100_000 + "政府信息公开" + "</div>" * 100_000 + "<p>尾部</p></body></html>"
    reason = _refused(_write(tmp_path / "deep.html", page.encode()))
    assert "depth" in reason  # the parser stopped: refused rather than silently losing the rest


def test_moderately_nested_html_is_read(tmp_path):
    lines = "".join(f"<p>{line}</p>" for line in REPORT.splitlines())
    page = "<html><body>" + "<div><span>" * 100 + lines + "</span></div>" * 100 + "</body></html>"
    report = load_report(_write(tmp_path / "nested.html", page.encode()))
    assert "".join(s.code for s in report.sections) == "一二三四五六"


def test_nul_bytes_in_text(tmp_path):
    few = REPORT.encode().replace("主动公开".encode(), b"\x00\x00".join(ch.encode() for ch in "主动公开"), 1)
    report = load_report(_write(tmp_path / "padded.txt", few))
    assert "\x00" not in report.text and "主动公开政府信息85条" in report.text
    many = b"\x00".join(REPORT.encode()[i:i + 4] for i in range(0, len(REPORT.encode()), 4))
    assert "binary" in _refused(_write(tmp_path / "nuls.txt", many), NotAReport)


def test_nul_bytes_in_html_are_not_a_crash(tmp_path):
    page = "<html><body>" + "".join(f"<p>{line}</p>" for line in REPORT.splitlines()) + "</body></html>"
    report = load_report(_write(tmp_path / "nul.html", page.replace("主动公开", "主动\x00公开", 1).encode()))
    assert "\x00" not in report.text


def test_thirty_megabyte_single_line(tmp_path):
    line = ("示例县2022年政府信息公开工作年度报告一、总体情况" + "本年度共发布信息12条，" * 1_400_000).encode()
    path = _write(tmp_path / "oneline.txt", line[:30_000_000].rsplit("，".encode(), 1)[0])
    assert path.stat().st_size > 29_000_000
    tracemalloc.start()
    try:
        reason = _refused(path, LimitExceeded)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "max_text_chars" in reason
    assert peak < 400 * 1024 * 1024
    # below the limit the same single line is read, and the table decoders get through it
    short = _write(tmp_path / "short.txt", line[:600_000].rsplit("，".encode(), 1)[0])
    report = load_report(short)
    assert report.meta("year") == 2022
    assert extract_tables(report)["value"].notna().sum() == 0


def test_mixed_and_wrong_encodings(tmp_path):
    lines = REPORT.splitlines()
    mixed = "\n".join(lines[:4]).encode("utf-8") + b"\n" + "\n".join(lines[4:]).encode("gbk")
    report = load_report(_write(tmp_path / "mixed.txt", mixed))
    assert report.encoding == "utf-8+gb18030" and report.text.strip() == REPORT.strip()
    # a page declaring gb2312 that is really UTF-8, and one declaring latin-1 that is really GBK
    page = "<html><head><meta charset='{}'></head><body>" + "".join(f"<p>{x}</p>" for x in lines) + "</body></html>"
    for name, charset, encoding in [("a.html", "gb2312", "utf-8"), ("b.html", "iso-8859-1", "gbk"),
                                    ("c.html", "no-such-charset", "gb18030")]:
        report = load_report(_write(tmp_path / name, page.format(charset).encode(encoding)))
        assert report.meta("agency") == "示例县林业局", name
    for encoding in ("utf-16", "utf-8-sig"):  # with a byte-order mark
        assert load_report(_write(tmp_path / f"{encoding}.txt", REPORT.encode(encoding))).text.strip() == REPORT.strip()
    # bytes that are neither UTF-8 nor GB18030 in any line
    assert "UTF-8" in _refused(_write(tmp_path / "bad.txt", "一、总体情况 政府信息公开\n".encode() + b"\x81\x20" * 50))


def test_paths_with_spaces_and_chinese(tmp_path):
    folder = tmp_path / "年报 文件夹" / "子 目录"
    folder.mkdir(parents=True)
    path = _write(folder / "示例县 林业局 2022.txt", REPORT.encode("gb18030"))
    assert list(iter_report_paths(tmp_path / "年报 文件夹")) == [path]
    report = load_report(path)
    assert report.source == str(path) and report.meta("year") == 2022


def test_symlink_loops_and_links_out_of_the_folder(tmp_path, secret):
    corpus = tmp_path / "corpus"
    (corpus / "a").mkdir(parents=True)
    _write(corpus / "a" / "r.txt", REPORT.encode())
    (corpus / "a" / "loop").symlink_to(corpus, target_is_directory=True)
    (corpus / "self").symlink_to(corpus / "self")  # a link to itself
    (corpus / "leak.txt").symlink_to(secret)
    (corpus / "up").symlink_to(secret.parent, target_is_directory=True)
    assert [p.relative_to(corpus).as_posix() for p in iter_report_paths(corpus)] == ["a/r.txt"]


def test_unreadable_and_special_paths(tmp_path):
    assert "无法读取" in _refused(tmp_path / "missing.txt")
    (tmp_path / "folder.txt").mkdir()
    assert "not a regular file" in _refused(tmp_path / "folder.txt")


# ------------------------------------------------------------------ limits

def test_limits_have_sensible_defaults():
    limits = Limits()
    assert limits.max_file_bytes >= 20 * 1024 * 1024  # the largest real reports are a few MB
    assert 100 <= limits.max_pdf_pages <= 1000
    assert limits.max_decompressed_bytes >= limits.max_file_bytes
    assert limits.max_text_chars >= 500_000


def test_file_size_limit(tmp_path):
    path = _write(tmp_path / "r.txt", REPORT.encode())
    reason = _refused(path, LimitExceeded, Limits(max_file_bytes=100))
    assert "max_file_bytes=100" in reason
    assert load_report(path, limits=Limits(max_file_bytes=10_000)).meta("year") == 2022


def test_pdf_page_limit(tmp_path):
    path = _write(tmp_path / "long.pdf", pdf_bytes(REPORT.splitlines()[:3], pages=4))
    assert "max_pdf_pages=3" in _refused(path, LimitExceeded, Limits(max_pdf_pages=3))
    assert load_report(path, limits=Limits(max_pdf_pages=4)).meta("agency") == "示例县林业局"


def test_decompressed_and_text_limits(tmp_path):
    bomb = _write(tmp_path / "small-bomb.docx", zip_bomb(3))
    assert "max_decompressed_bytes=1000000" in _refused(bomb, LimitExceeded, Limits(max_decompressed_bytes=1_000_000))
    text = _write(tmp_path / "r.txt", REPORT.encode())
    assert "max_text_chars=100" in _refused(text, LimitExceeded, Limits(max_text_chars=100))


# ------------------------------------------------------------------ other entry points on hostile text

HOSTILE_TEXTS = {
    "glued digits": REPORT.replace("三、收到和处理政府信息公开申请情况", "三、收到和处理政府信息公开申请情况\n（一）予以公开" + "9" * 400),
    "labels only": REPORT + "\n".join(["自然人 商业企业 总计", "一、本年新收政府信息公开申请数量"] * 200),
    "control characters": REPORT.replace("。", "\x01\x0b\x1b\u202e\ufeff。"),
    "huge numbers": REPORT + "\n（七）总计 " + " ".join(["9" * 30] * 7),
    "endless section five": REPORT.replace("一是公开内容不够细。", "问题" * 50_000),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_TEXTS))
def test_tables_validate_statements_on_hostile_text(tmp_path, name):
    report = load_report(_write(tmp_path / "r.txt", HOSTILE_TEXTS[name].encode()))
    tables = extract_tables(report)
    assert not ((tables["status"] == "blank") & tables["value"].notna()).any()
    assert list(validate(report, tables).columns)
    assert list(statements(report).columns)


# ------------------------------------------------------------------ the command line on a hostile folder

def _digest(folder: Path) -> dict[str, tuple[str, int]]:
    return {str(p): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def hostile_folder(root: Path, secret: Path) -> tuple[Path, dict[str, str]]:
    """A corpus folder: two good reports (UTF-8 and GB18030) among hostile files.

    Returns the folder and the expected status of each file name (``ok`` or ``error``).
    """
    from gdtools.synth import generate_corpus

    [good] = generate_corpus(root / "synth", n=1, seed=8, formats=["txt"])
    folder = root / "语料 corpus"
    folder.mkdir()
    text, _ = decode_text(good.read_bytes(), str(good))
    _write(folder / "good utf8.txt", text.encode("utf-8"))
    _write(folder / "好 报告 gb18030.txt", text.encode("gb18030"))
    lines = REPORT.splitlines()
    files = {
        "empty.txt": (b"", "error"),
        "noise.txt": (bytes((i * 97 + 13) % 256 for i in range(5000)), "error"),
        "recipe.txt": ("红烧肉的做法：五花肉切块。\n".encode() * 10, "error"),
        "404.pdf": (b"<html><body><h1>404 Not Found</h1></body></html>", "error"),
        "cut.pdf": (pdf_bytes(lines)[:900], "error"),
        "locked.pdf": (encrypted_pdf(), "error"),
        "broken.docx": (b"PK\x03\x04" + bytes(range(256)) * 2, "error"),
        "bomb.docx": (zip_bomb(300), "error"),
        "error-page.docx": ("<html><body><p>服务器错误 500</p></body></html>".encode("gb18030"), "error"),
        "xxe.html": (xxe_html(secret), "ok"),
        "xxe.docx": (xxe_docx(secret), "ok"),
        "deep.html": (("<div>" * 100_000 + "公开" + "</div>" * 100_000).encode(), "error"),
        "nul.txt": (b"\x00".join(REPORT.encode()[i:i + 3] for i in range(0, 300, 3)), "error"),
        "oneline.txt": (("政府信息公开" * 1_700_000).encode(), "error"),
        "mixed.txt": ("\n".join(lines[:4]).encode() + b"\n" + "\n".join(lines[4:]).encode("gbk"), "ok"),
        "bad-encoding.txt": ("政府信息公开\n".encode() + b"\x81\x20" * 40, "error"),
    }
    for name, (data, _) in files.items():
        _write(folder / name, data)
    (folder / "sub").mkdir()
    (folder / "sub" / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "leak.txt").symlink_to(secret)
    expected = {name: status for name, (_, status) in files.items()}
    expected.update({"good utf8.txt": "ok", "好 报告 gb18030.txt": "ok"})
    return folder, expected


def test_cli_extract_on_a_hostile_folder(tmp_path, secret):
    folder, expected = hostile_folder(tmp_path, secret)
    before = _digest(folder)
    out = tmp_path / "输出 out"
    run = subprocess.run([sys.executable, "-m", "gdtools", "extract", str(folder), "-o", str(out), "-j", "2",
                          "--no-progress"], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    with open(out / "reports.csv", encoding="utf-8") as fh:
        rows = {Path(r["source"]).name: r for r in csv.DictReader(fh)}
    assert {name: row["status"] for name, row in rows.items()} == expected  # leak.txt was not walked
    for name, status in expected.items():
        assert (rows[name]["error"] != "") == (status == "error"), name
    assert rows["好 报告 gb18030.txt"]["encoding"] == "gb18030"
    # both good files give the same tables
    with open(out / "tables.csv", encoding="utf-8") as fh:
        tables = list(csv.DictReader(fh))
    ids = {rows[name]["report_id"]: name for name in ("good utf8.txt", "好 报告 gb18030.txt")}
    cells = {name: sorted((r["table"], r["item"], r["row_code"], r["col_code"], r["value"], r["status"], r["candidates"]) for r in tables
                          if r["report_id"] == rid) for rid, name in ids.items()}
    assert cells["good utf8.txt"] and cells["good utf8.txt"] == cells["好 报告 gb18030.txt"]
    # nothing leaked, nothing touched
    for path in out.rglob("*"):
        if path.is_file():
            assert SENTINEL.encode() not in path.read_bytes(), path
    assert _digest(folder) == before


def test_cli_unwritable_output_exits_2_without_traceback(tmp_path):
    path = _write(tmp_path / "r.txt", REPORT.encode())
    blocker = _write(tmp_path / "not-a-folder", b"x")
    for out in (blocker, blocker / "out"):
        run = subprocess.run([sys.executable, "-m", "gdtools", "extract", str(path), "-o", str(out), "-j", "1",
                              "--no-progress"], capture_output=True, text=True, timeout=300)
        assert run.returncode == 2
        assert "Traceback" not in run.stderr and str(blocker) in run.stderr


def test_cli_unwritable_output_message_is_a_user_error(tmp_path):
    path = _write(tmp_path / "r.txt", REPORT.encode())
    blocker = _write(tmp_path / "not-a-folder", b"x")
    run = subprocess.run([sys.executable, "-m", "gdtools", "extract", str(path), "-o", str(blocker / "out"),
                          "-j", "1", "--no-progress"], capture_output=True, text=True, timeout=300)
    assert "internal error" not in run.stderr and "cannot write the output folder" in run.stderr


def test_pdf_compression_bomb_is_refused_before_inflating(tmp_path):
    """A page content stream of a few hundred KB that inflates to 300 MB (pdfminer would inflate it whole)."""
    import zlib

    deflate = zlib.compressobj()
    body = b"".join(deflate.compress(b"0 0 m\n" * (1 << 17)) for _ in range(400)) + deflate.flush()
    pdf = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
           b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 600 800]/Contents 4 0 R>>endobj\n"
           + f"4 0 obj<</Length {len(body)}/Filter/FlateDecode>>stream\n".encode() + body
           + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    path = _write(tmp_path / "bomb.pdf", pdf)
    tracemalloc.start()
    try:
        reason = _refused(path, LimitExceeded, Limits(max_decompressed_bytes=20 * 1024 * 1024))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "max_decompressed_bytes" in reason and peak < 40 * 1024 * 1024


def test_any_parser_failure_becomes_a_read_error(tmp_path, monkeypatch):
    """Whatever a third-party parser raises on a damaged file (here a stand-in) is a ReadError naming the file."""
    import gdtools.io.text

    def broken(*args, **kwargs):
        raise MemoryError("parser ran out of memory")

    monkeypatch.setattr(gdtools.io.text, "load_text", broken)
    reason = _refused(_write(tmp_path / "r.txt", REPORT.encode()))
    assert "MemoryError" in reason and "damaged" in reason


def test_long_digit_run_next_to_a_row_label_is_bounded(monkeypatch):
    """Counts the splits enumerated (no timing): a bounded decoder stays far below the cap.

    Listing every split of a 200-digit run never finished (fixed by helper 'tables', 1976f2c)."""
    import gdtools.tables._readings as readings

    original, seen = readings.split_digits, [0]

    def counted(digits, k):
        for split in original(digits, k):
            seen[0] += 1
            if seen[0] > 500_000:
                raise RuntimeError("unbounded enumeration of digit splits")
            yield split

    monkeypatch.setattr(readings, "split_digits", counted)
    run = "9" * 200
    text = "\n".join(["示例县2022年政府信息公开工作年度报告", "三、收到和处理政府信息公开申请情况",
                      "自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计",
                      *(f"{label} {run} 0 0 0 0 0 {run}" for label in
                        ("一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "（一）予以公开",
                         "（七）总计", "四、结转下年度继续办理")),
                      "四、政府信息公开行政复议、行政诉讼情况"])
    from gdtools.io.text import text_blocks
    from gdtools.model import Report
    from gdtools.sections import split_sections
    from gdtools.template import detect_template

    report = Report(report_id="x", source="long-digits.txt", format="txt", text=text, blocks=text_blocks(text))
    report.sections = split_sections(report)
    report.template, report.template_evidence = detect_template(report)
    extract_tables(report)


def test_password_protected_docx(tmp_path):
    """Word stores a protected .docx as an OLE2 container holding an EncryptedPackage stream."""
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(2000)
    for name in ("locked.docx", "locked.doc"):
        assert "password" in _refused(_write(tmp_path / name, ole))


def test_very_deep_folder_tree(tmp_path):
    """Deeper than Python's recursion limit: the walk is iterative."""
    folders = [tmp_path / "d"]
    for _ in range(1100):
        folders.append(folders[-1] / "d")
    for folder in folders:
        folder.mkdir()
    try:
        _write(folders[-1] / "r.txt", REPORT.encode())
        _write(tmp_path / "a.txt", REPORT.encode())
        assert [p.name for p in iter_report_paths(tmp_path)] == ["a.txt", "r.txt"]
    finally:  # pytest's own clean-up of old temporary folders recurses: leave no deep tree behind
        (folders[-1] / "r.txt").unlink(missing_ok=True)
        for folder in reversed(folders):
            folder.rmdir()


def test_billion_laughs_entities_are_not_expanded(tmp_path):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    paragraphs = "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in REPORT.splitlines())
    xml = (f'<?xml version="1.0"?>\n<!DOCTYPE w:document [{entities}]>\n<w:document xmlns:w="{w}"><w:body>'
           f"{paragraphs}<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", xml)
    page = (f"<!DOCTYPE html [{entities}]><html><body>"
            + "".join(f"<p>{line}</p>" for line in REPORT.splitlines()) + "<p>&lol9;</p></body></html>")
    for name, data in {"laughs.docx": buffer.getvalue(), "laughs.html": page.encode()}.items():
        tracemalloc.start()
        try:
            report = load_report(_write(tmp_path / name, data))
        except ReadError as exc:  # libxml2 refuses the declared amplification itself (docx)
            assert "amplification" in exc.reason, name
        else:
            assert "lollollol" not in report.text and len(report.text) < 2 * len(REPORT), name
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert peak < 100 * 1024 * 1024


def test_pdf_page_tree_is_counted_before_pages_are_built(tmp_path):
    """5,000 empty pages: refused after counting 101 of them (pdfplumber would build all 5,000 first)."""
    n = 5000
    pages = b"".join(b"%d 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 600 800]>>endobj\n" % (i + 3) for i in range(n))
    kids = b" ".join(b"%d 0 R" % (i + 3) for i in range(n))
    pdf = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids["
           + kids + b"]/Count %d>>endobj\n" % n + pages + b"trailer<</Root 1 0 R>>\n%%EOF\n")
    reason = _refused(_write(tmp_path / "pages.pdf", pdf), LimitExceeded, Limits(max_pdf_pages=100))
    assert "at least 101 pages > max_pdf_pages=100" in reason


def test_named_pipes_and_devices_are_never_opened(tmp_path):
    """A FIFO would block a reader forever and /dev/zero never ends: both are refused before any read."""
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    _write(tmp_path / "r.txt", REPORT.encode())
    assert [p.name for p in iter_report_paths(tmp_path)] == ["r.txt"]
    assert "not a regular file" in _refused(fifo)
    assert "not a regular file" in _refused(Path("/dev/zero"))


def test_pdf_and_docx_named_txt_are_read_as_what_they_are(tmp_path):
    report = load_report(_write(tmp_path / "download.txt", pdf_bytes(REPORT.splitlines())))
    assert report.format == "pdf" and report.meta("agency") == "示例县林业局"
    assert "password" in _refused(_write(tmp_path / "download2.txt", encrypted_pdf()))


def test_text_cut_inside_a_character(tmp_path):
    """A download cut in the middle of a multi-byte character keeps every complete character."""
    for encoding in ("utf-8", "gb18030"):
        data = (REPORT + "结束").encode(encoding)
        report = load_report(_write(tmp_path / f"cut-{encoding}.txt", data[:-1]))
        assert report.encoding == encoding and report.text.endswith("结")


def test_html_text_limit_is_checked_before_the_page_is_walked(tmp_path, monkeypatch):
    import gdtools.io.html as html_loader

    def walked(*args):
        raise AssertionError("the page was walked before the limit was checked")

    monkeypatch.setattr(html_loader, "_article", walked)
    page = "<html><body>" + "<p>政府信息公开工作年度报告内容</p>" * 2000 + "</body></html>"
    reason = _refused(_write(tmp_path / "big.html", page.encode()), LimitExceeded, Limits(max_text_chars=10_000))
    assert "max_text_chars=10000" in reason


def test_docx_text_limit_is_checked_before_the_document_is_walked(tmp_path, monkeypatch):
    import gdtools.io.docx as docx_loader

    def walked(*args):
        raise AssertionError("the document was walked before the limit was checked")

    monkeypatch.setattr(docx_loader, "_body_blocks", walked)
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    xml = f'<w:document xmlns:w="{w}"><w:body>' + "<w:p><w:r><w:t>政府信息公开工作年度报告</w:t></w:r></w:p>" * 2000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", xml + "</w:body></w:document>")
    reason = _refused(_write(tmp_path / "big.docx", buffer.getvalue()), LimitExceeded, Limits(max_text_chars=10_000))
    assert "max_text_chars=10000" in reason
