"""Read any report file into one :class:`~gdtools.model.Report`.

``load_report`` picks a loader by extension (or by content when the extension is
unknown), then fills metadata, sections and template. ``iter_report_paths`` walks
folders deterministically. ``report_record``/``error_record`` turn a report or a
failure into one row of the reports frame (``REPORT_COLUMNS``).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import GdtoolsError, NotAReport, ReadError, UnsupportedFormat
from ..metadata import extract_metadata
from ..model import REPORT_COLUMNS, Report
from ..sections import split_sections
from ..template import detect_template
from .limits import Limits
from .sniff import REPORT_EXTENSIONS, sniff_format, sniff_path

__all__ = ["Limits", "error_record", "iter_report_paths", "load_report", "report_record"]

log = logging.getLogger("gdtools")


def _read_bytes(path: Path, limits: Limits) -> bytes:
    source = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError(f"无法读取文件 ({exc.strerror}); check the path and permissions", source) from exc
    if not path.is_file():
        raise ReadError("不是普通文件 (not a regular file); pass a report file or a folder", source)
    limits.check_file_size(size, source)
    try:
        with open(path, "rb") as fh:
            # read(n) reserves n bytes up front: ask for the stated size, then for the rest if the file grew
            data = fh.read(min(size, limits.max_file_bytes) + 1)
            if len(data) > size:
                data += fh.read(limits.max_file_bytes + 1 - len(data))
    except OSError as exc:
        raise ReadError(f"无法读取文件 ({exc.strerror or exc}); check the path and permissions", source) from exc
    limits.check_file_size(len(data), source)
    return data


def _parse(fmt: str, data: bytes, path: Path, limits: Limits):
    """``(text, encoding, blocks, pages)`` from the format's loader."""
    source = str(path)
    if fmt in ("txt", "md"):
        from .text import load_text
        text, encoding, blocks = load_text(data, source, limits)
        return text, encoding, blocks, []
    if fmt == "html":
        from .html import load_html
        text, encoding, blocks = load_html(data, source, limits)
        return text, encoding, blocks, []
    if fmt == "pdf":
        from .pdf import load_pdf
        text, blocks, pages = load_pdf(data, source, limits)
        return text, None, blocks, pages
    if fmt in ("docx", "doc"):
        from .docx import load_docx
        if fmt == "doc":
            from .doc import convert_doc
            data = convert_doc(data, source)
        text, blocks = load_docx(data, source, limits)
        return text, None, blocks, []
    if fmt == "zip":
        raise UnsupportedFormat("压缩包不是 Word 文档 (zip archive without word/document.xml); "
                                "unpack it and pass the report files", source)
    raise UnsupportedFormat(
        f"不支持的文件格式 ({fmt}); gdtools reads .txt, .md, .html, .docx, .pdf and .doc", source)


def load_report(path: str | os.PathLike, *, limits: Limits | None = None) -> Report:
    """Read one report file (txt/md/html/docx/pdf/doc) into a :class:`Report`.

    Raises :class:`~gdtools.errors.ReadError` (or a subclass: ``UnsupportedFormat``,
    ``LimitExceeded``, ``NotAReport``) with a reason that names the fix. The file is
    only read, never modified.
    """
    limits = limits or Limits()
    path = Path(path)
    source = str(path)
    data = _read_bytes(path, limits)
    if not data.strip():
        raise NotAReport("文件为空 (empty file)", source)
    declared = REPORT_EXTENSIONS.get(path.suffix.lower())
    fmt = declared
    try:
        fmt = sniff_format(path, data)
        report = _build(fmt, data, path, limits)
    except GdtoolsError as exc:
        if declared in ("pdf", "docx", "doc") and fmt != declared and {declared, fmt} != {"doc", "docx"}:
            # say what the file really is: a .pdf that is a saved web page is the crawler's error page
            raise type(exc)(f"扩展名 {path.suffix} 与内容不符, 实为 {_FORMAT_NAMES.get(fmt, fmt)} "
                            f"(the file is not a real {path.suffix}); {exc.reason}", source) from exc
        raise
    except Exception as exc:  # parsers raise anything on damaged files (MemoryError and RecursionError too)
        # A damaged file must become an error row, never crash a batch.
        log.debug("%s: parser failure", source, exc_info=True)
        raise ReadError(f"文件无法解析 ({type(exc).__name__}: {str(exc)[:200]}); the file may be damaged: "
                        "open and save it again, or export it as .txt (if it opens fine, please report it to "
                        "the gdtools maintainers)", source) from exc
    _mark_headings(report)
    log.debug("%s: %s %s, %d sections", source, fmt, report.template, len(report.sections))
    return report


_FORMAT_NAMES = {"html": "HTML 网页", "txt": "纯文本", "pdf": "PDF", "docx": "Word .docx", "doc": "Word .doc"}


def _build(fmt: str, data: bytes, path: Path, limits: Limits) -> Report:
    source = str(path)
    text, encoding, blocks, pages = _parse(fmt, data, path, limits)
    limits.check_text(len(text), source)
    if not text.strip():
        raise NotAReport("文件中没有可读文字 (no readable text found; a scanned PDF needs OCR first)", source)
    report = Report(report_id=hashlib.sha1(data).hexdigest()[:12], source=source, format=fmt, text=text,
                    encoding=encoding, blocks=blocks, pages=pages)
    report.metadata = extract_metadata(report)
    report.sections = split_sections(report)
    report.template, report.template_evidence = detect_template(report)
    if not report.sections and "公开" not in text:
        raise NotAReport("没有政府信息公开年度报告的结构 (no report sections or disclosure wording found)",
                         source)
    return report


def _mark_headings(report: Report) -> None:
    """Blocks that are exactly a section heading become ``heading`` blocks."""
    starts = {s.start: s.heading for s in report.sections}
    for block in report.blocks:
        if block.kind == "paragraph" and starts.get(block.start) == block.text.strip():
            block.kind = "heading"


def iter_report_paths(paths: Iterable[str | os.PathLike] | str | os.PathLike) -> Iterator[Path]:
    """Report files under ``paths`` (files as given; folders walked recursively, sorted, symlink loops safe;
    symlinks leading outside the walked folder are skipped).

    Inside folders, files with a report extension are yielded; files with other extensions
    only when their content is a PDF, a Word document, HTML, or text that mentions 公开
    (so images and crawler side files such as links.tsv are skipped); hidden files are skipped.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[object] = set()
    for item in paths:
        path = Path(item)
        found = _walk(path, seen_dirs, path.resolve()) if path.is_dir() else [path]
        for file in found:
            try:  # the same file named twice (or via a symlink) is read once: told by device and inode
                st = os.stat(file)
                key: object = (st.st_dev, st.st_ino)
            except OSError:
                key = file
            if key not in seen_files:
                seen_files.add(key)
                yield file


def _walk(folder: Path, seen_dirs: set[tuple[int, int]], root: Path) -> Iterator[Path]:
    """Files of ``folder`` depth-first in name order; an explicit stack, so any nesting depth is fine."""
    stack: list[Iterator[Path]] = [iter([folder])]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if entry is not folder and (entry.name.startswith(".")
                                    or entry.is_symlink() and not _link_inside(entry, root)):
            continue
        if entry.is_dir():
            entries = _list_folder(entry, seen_dirs)
            if entries:
                stack.append(iter(entries))
        elif entry.is_file() and (entry.suffix.lower() in REPORT_EXTENSIONS or sniff_path(entry)):
            yield entry


def _list_folder(folder: Path, seen_dirs: set[tuple[int, int]]) -> list[Path]:
    """The entries of ``folder`` sorted by name; empty when it was walked already (a loop) or cannot be read."""
    try:
        st = folder.stat()
    except OSError:
        return []
    key = (st.st_dev, st.st_ino)
    if key in seen_dirs:
        return []
    seen_dirs.add(key)
    try:
        return sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        log.warning("%s: cannot list folder (%s)", folder, exc)
        return []


def _link_inside(link: Path, root: Path) -> bool:
    """True when the symlink ``link`` leads to a file or folder inside ``root`` (a walk never leaves the
    folder it was given: a link in a downloaded corpus must not make gdtools read /etc or a home folder)."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):
        log.warning("%s: broken or looping symlink; skipped", link)
        return False
    if target.is_relative_to(root):
        return True
    log.warning("%s: symlink leads outside %s; skipped (pass its target explicitly to read it)", link, root)
    return False


def report_record(report: Report) -> dict:
    """One row of the reports frame (``REPORT_COLUMNS``) for a loaded report."""
    record = {
        "report_id": report.report_id,
        "source": report.source,
        "format": report.format,
        "encoding": report.encoding,
        "agency": report.meta("agency"),
        "year": report.meta("year"),
        "title": report.meta("title"),
        "template": report.template,
        "template_evidence": "; ".join(report.template_evidence),
        "sections": "".join(s.code for s in report.sections),
        "n_chars": len(report.text),
        "status": "ok",
        "error": "",
    }
    return {column: record[column] for column in REPORT_COLUMNS}


def error_record(path: str | os.PathLike, exc: BaseException) -> dict:
    """One row of the reports frame for a file that failed (``status`` ``error``, reason in ``error``)."""
    source = str(path)
    report_id = None
    try:
        digest = hashlib.sha1()
        with open(source, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        report_id = digest.hexdigest()[:12]
    except OSError:
        pass
    if isinstance(exc, GdtoolsError):
        reason = exc.reason
    else:
        reason = f"读取失败 ({type(exc).__name__}: {exc}); please report this file to the gdtools maintainers"
    record = dict.fromkeys(REPORT_COLUMNS)
    record.update(report_id=report_id, source=source, format=Path(source).suffix.lower().lstrip(".") or None,
                  template="unknown", template_evidence="", sections="", n_chars=0, status="error",
                  error=reason)
    return record
