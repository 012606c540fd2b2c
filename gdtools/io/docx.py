"""Word .docx reports: paragraphs and tables (merged cells kept as spans) in document order.

The package is read with ``zipfile`` and ``lxml`` directly (no entity resolution, no
network, no huge trees) after checking the decompressed size of every member.
"""

from __future__ import annotations

import io
import zipfile

from ..errors import ReadError
from ..model import Block, Cell
from .blocks import assemble, clean_cell
from .limits import Limits

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _T, _TAB, _BR, _CR = f"{W}p", f"{W}t", f"{W}tab", f"{W}br", f"{W}cr"
_TBL, _TR, _TC, _TCPR, _SDT = f"{W}tbl", f"{W}tr", f"{W}tc", f"{W}tcPr", f"{W}sdt"
_VAL, _GRID_SPAN, _VMERGE = f"{W}val", f"{W}gridSpan", f"{W}vMerge"
_PPR, _PSTYLE = f"{W}pPr", f"{W}pStyle"


def _parser():
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True,
                           load_dtd=False)


# what a paragraph's non-text elements stand for in its text
_BREAKS = {_TAB: "\t", _BR: "\n", _CR: "\n"}


def _paragraph_texts(p) -> list[str]:
    """The text of the ``w:p`` ``p`` (``w:t`` texts, ``w:tab`` a tab, ``w:br``/``w:cr`` a line break), then that
    of each ``w:p`` nested in it (text boxes), in document order, each with the text of its own nested ones.

    One pass over all elements of ``p``: lxml's tag filter (``p.iter(w:t, …)``) costs more per call than
    a paragraph's few extra elements do."""
    if not len(p):  # no runs (most paragraphs of table cells)
        return [""]
    parts: list[str] = []
    nested = []
    for el in p.iter():
        tag = el.tag
        if tag == _T:
            parts.append(el.text or "")
        elif tag in _BREAKS:
            parts.append(_BREAKS[tag])
        elif tag == _P and el is not p:
            nested.append(el)
    return ["".join(parts), *(_paragraph_texts(inner)[0] for inner in nested)]


def _style(p):
    """The paragraph's ``w:pPr/w:pStyle`` (the first in document order, None when absent), without lxml's
    Python path engine."""
    for child in p:
        if child.tag == _PPR:
            for node in child:
                if node.tag == _PSTYLE:
                    return node
    return None


def _is_heading(p) -> bool:
    style = _style(p)
    value = (style.get(_VAL) or "") if style is not None else ""
    return any(key in value.lower() for key in ("heading", "title")) or "标题" in value


def _cell(tc) -> tuple:
    """``(gridSpan, vMerge, text)`` of a ``w:tc`` in one pass over its children: the first ``gridSpan`` and
    ``vMerge`` of its ``w:tcPr`` (None when absent) and the text of every ``w:p`` in it (in nested tables and
    text boxes too), one per line; without lxml's Python path engine or its per-call tag filters.
    (A ``w:tcPr`` holds properties only: the schema puts no paragraph in it.)"""
    span = merge = None
    texts: list[str] = []
    for child in tc:
        tag = child.tag
        if tag == _P:
            texts += _paragraph_texts(child)
        elif tag == _TCPR:
            for node in child:
                tag = node.tag
                if tag == _GRID_SPAN:
                    if span is None:
                        span = node
                elif tag == _VMERGE and merge is None:
                    merge = node
        else:  # a nested table, a content control…: the paragraphs inside it
            texts += [_paragraph_texts(p)[0] for p in child.iter(_P)]
    return span, merge, "\n".join(texts)


def _int_val(node, default: int) -> int:
    if node is None:
        return default
    try:
        return max(1, min(1000, int(node.get(_VAL, default))))
    except ValueError:
        return default


def table_grid(tbl) -> list[list[Cell]]:
    """Rows of a ``w:tbl``: ``gridSpan`` becomes colspan, ``vMerge`` continuation cells extend rowspan."""
    rows: list[list[Cell]] = []
    open_cells: dict[int, Cell] = {}  # grid column -> cell whose vertical merge is still open
    for tr in tbl.iterchildren(_TR):
        row: list[Cell] = []
        column = 0
        for tc in tr.iterchildren(_TC):
            span, vmerge, text = _cell(tc)
            colspan = _int_val(span, 1)
            state = None if vmerge is None else (vmerge.get(_VAL) or "continue")
            if state == "continue" and column in open_cells:
                open_cells[column].rowspan += 1
            else:
                cell = Cell(clean_cell(text), 1, colspan)
                row.append(cell)
                if state == "restart":
                    open_cells[column] = cell
                else:
                    open_cells.pop(column, None)
            column += colspan
        if row:
            rows.append(row)
    return rows


def _body_blocks(body) -> list[Block]:
    blocks: list[Block] = []
    for el in body:
        tag = el.tag
        if tag == _P:
            kind = None
            for line in _paragraph_texts(el)[0].split("\n"):
                text = clean_cell(line)
                if text:
                    kind = kind or ("heading" if _is_heading(el) else "paragraph")
                    blocks.append(Block(kind, text))
        elif tag == _TBL:
            rows = table_grid(el)
            if rows:
                blocks.append(Block("table", "", rows=rows))
        elif tag == _SDT:
            content = el.find(f"{W}sdtContent")
            if content is not None:
                blocks.extend(_body_blocks(content))
    return blocks


def load_docx(data: bytes, source: str, limits: Limits) -> tuple[str, list[Block]]:
    """``(text, blocks)`` of a .docx file."""
    from lxml import etree

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ReadError("docx 文件已损坏 (not a valid zip package); open it in Word and save again", source) \
            from exc
    with archive:
        limits.check_decompressed(sum(info.file_size for info in archive.infolist()), source)
        try:
            info = archive.getinfo("word/document.xml")
        except KeyError as exc:
            raise ReadError("docx 中缺少 word/document.xml (not a Word document); save it again as .docx",
                            source) from exc
        limits.check_decompressed(info.file_size, source)
        try:
            with archive.open(info) as fh:
                xml = fh.read(limits.max_decompressed_bytes + 1)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ReadError(f"docx 文件已损坏 ({exc}); open it in Word and save again", source) from exc
        limits.check_decompressed(len(xml), source)
    try:
        root = etree.fromstring(xml, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise ReadError(f"docx 内容无法解析 ({exc}); open it in Word and save again", source) from exc
    if len(xml) > limits.max_text_chars:  # (each character of the text is at least one byte of the XML)
        limits.check_text(sum(map(len, root.itertext(_T))), source)  # before the Python walk
    body = root.find(f"{W}body")
    if body is None:
        raise ReadError("docx 中没有正文 (no document body)", source)
    return assemble(_body_blocks(body))
