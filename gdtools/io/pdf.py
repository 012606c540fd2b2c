"""PDF reports: the text layer read by PDFium and laid out by pdfplumber, tables as grids, page numbers kept only as provenance.

Pages PDFium's text page would read differently from pdfminer go to pdfplumber's own pdfminer
reader (see ``gdtools.io._pdfium``), so every page gives the text pdfminer gives.

Page numbers (``- 3 -``, ``第3页``) and running headers/footers repeated on most pages
are dropped from the text; wrapped lines are joined back into paragraphs when a line
runs to the right margin (the next line continues the sentence).
"""

from __future__ import annotations

import bisect
import io
import re
import zlib
from collections import Counter
from collections.abc import Callable

from ..errors import NotAReport, ReadError
from ..model import Block, Cell
from ._pdfium import as_letters, extract_text, find_tables, letter_lines, letter_text, read_pages
from .blocks import assemble, clean_cell
from .limits import Limits

_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–－_·•]\s*)?(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4}|\s*共\s*\d{1,4}\s*页)?(?:\s*[-—–－_·•])?\s*$")
# A line starting like this begins a new item even when the previous line was full.
_NEW_ITEM = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+[、.．]|\d+[、.．]|第[一二三四五六七八九十\d]+)")
# Table rows the table finder missed print their cells as words separated by spaces.
_CJK_GAP = re.compile(r"[\u4e00-\u9fff] +(?=[\u4e00-\u9fff])")
_SENTENCE_END = tuple("。！？：；”」』)）")


def _inside(obj: dict, boxes: list[tuple[float, float, float, float]]) -> bool:
    cx = (obj["x0"] + obj["x1"]) / 2
    cy = (obj["top"] + obj["bottom"]) / 2
    return any(x0 - 1 <= cx <= x1 + 1 and top - 1 <= cy <= bottom + 1 for x0, top, x1, bottom in boxes)


def _edges(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > 2.0:
            out.append(v)
    return out


def _index(edges: list[float], value: float) -> int:
    """The nearest edge (the first of two as near); ``edges`` ascend more than 2 apart."""
    i = bisect.bisect_left(edges, value)
    if i == len(edges) or (i > 0 and abs(edges[i - 1] - value) <= abs(edges[i] - value)):
        return i - 1
    return i


class _PageChars:
    """A page's chars (as letters: x0, top, x1, bottom, text, ...) with their box midpoints, in order of
    vertical midpoint (built once per page): of dict chars (a cell's text by :func:`extract_text`), or
    (:meth:`of_letters`) of the letters of a page PDFium read in one pass (by :func:`letter_text`)."""

    def __init__(self, chars: list[dict]):
        self._index(as_letters(chars), _chars_text)

    @classmethod
    def of_letters(cls, letters: list[tuple]) -> _PageChars:
        page_chars = cls.__new__(cls)
        page_chars._index(letters, letter_text)
        return page_chars

    def _index(self, letters: list[tuple], text_of: Callable[[list[tuple]], str]) -> None:
        self.letters, self.text_of = letters, text_of
        self.vs = [(t[1] + t[3]) / 2 for t in letters]
        self.hs = [(t[0] + t[2]) / 2 for t in letters]
        self.order = sorted(range(len(letters)), key=self.vs.__getitem__)  # stable: page order where level
        self.keys = [self.vs[i] for i in self.order]

    def cell_texts(self, rows) -> list[list[str | None]]:
        """What ``table.extract()`` gives (the same chars, in page order, per cell, the same text), faster.

        pdfplumber tests every char's box midpoint against every row, then every cell of the row
        (``x0 <= mid < x1``, ``top <= mid < bottom``); here the chars whose vertical midpoint falls in
        the row come from the sorted index, those of a cell by their horizontal midpoint from the row's
        chars sorted by it, then the same tests apply.
        """
        letters, text_of, vs, hs, keys, order = self.letters, self.text_of, self.vs, self.hs, self.keys, self.order
        bisect_left, by_h = bisect.bisect_left, hs.__getitem__
        texts = []
        for row in rows:
            x0, top, x1, bottom = row.bbox
            inside = sorted([i for i in order[bisect_left(keys, top):bisect_left(keys, bottom)] if x0 <= hs[i] < x1],
                            key=by_h)
            across = [hs[i] for i in inside]
            cells: list[str | None] = []
            for cell in row.cells:
                if cell is None:
                    cells.append(None)
                    continue
                cx0, ctop, cx1, cbottom = cell
                found = [i for i in inside[bisect_left(across, cx0):bisect_left(across, cx1)] if ctop <= vs[i] < cbottom]
                found.sort()  # page order
                cells.append(text_of([letters[i] for i in found]))
            texts.append(cells)
        return texts


def _page_chars(page) -> _PageChars:
    """The page's :class:`_PageChars`: its letters if read in one pass by PDFium, else its chars (each
    cell's text then from :func:`extract_text` of them)."""
    letters = getattr(page, "letters", None)
    return _PageChars(page.chars) if letters is None else _PageChars.of_letters(letters)


def _chars_text(letters: list[tuple]) -> str:
    return extract_text([t[5] for t in letters])


def table_grid(table, page_chars: _PageChars | None = None) -> list[list[Cell]]:
    """A pdfplumber table as a grid of cells with spans derived from the cell boxes."""
    rows = table.rows
    texts = (page_chars or _page_chars(table.page)).cell_texts(rows)
    boxes = [cell for row in rows for cell in row.cells if cell is not None]
    if not boxes:
        return []
    xs = _edges([b[0] for b in boxes] + [b[2] for b in boxes])
    ys = _edges([b[1] for b in boxes] + [b[3] for b in boxes])
    # cells share their sides: each coordinate's nearest edge looked up once
    column = {x: _index(xs, x) for x in {v for b in boxes for v in (b[0], b[2])}}
    line = {y: _index(ys, y) for y in {v for b in boxes for v in (b[1], b[3])}}
    grid: list[list[Cell]] = []
    for row, row_texts in zip(rows, texts):
        cells = []
        for box, text in zip(row.cells, row_texts):
            if box is None:
                continue
            colspan = max(1, column[box[2]] - column[box[0]])
            rowspan = max(1, line[box[3]] - line[box[1]])
            cells.append(Cell(clean_cell(text or ""), rowspan=rowspan, colspan=colspan))
        if cells:
            grid.append(cells)
    return grid


def _page_items(page) -> list[tuple[float, str, object]]:
    """(top, kind, payload) in reading order: text lines outside tables and table grids."""
    tables = []
    page_chars = None
    for table in find_tables(page):
        page_chars = page_chars or _page_chars(page)
        grid = table_grid(table, page_chars)
        # Some PDFs frame their body text with ruling lines; a one-column "table" is prose.
        if grid and sum(len(row) >= 2 for row in grid) >= max(1, len(grid) // 2):
            tables.append((table.bbox, grid))
    boxes = [bbox for bbox, _ in tables]
    items: list[tuple[float, str, object]] = []
    letters = getattr(page, "letters", None)
    # (lines of letters wholly inside one kept table are not even made: `_inside` below would drop them)
    lines = page.extract_text_lines(keep_blank_chars=False) if letters is None else letter_lines(letters, boxes)
    for line in lines:
        if not _inside(line, boxes) and line["text"].strip():
            items.append((line["top"], "line", line))
    for bbox, grid in tables:
        items.append((bbox[1], "table", grid))
    items.sort(key=lambda item: item[0])
    return items


def _furniture(pages_lines: list[list[str]]) -> set[str]:
    """Running headers/footers: the same short first/last line on most pages."""
    if len(pages_lines) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages_lines:
        edge = {ln for ln in lines[:2] + lines[-2:]}
        counts.update(edge)
    return {ln for ln, n in counts.items() if n >= max(3, 0.6 * len(pages_lines)) and len(ln) <= 40}


_STREAM = re.compile(rb"stream(?:\r\n|\n|\r)")
_CHUNK = 1 << 20
# Deflate's limit: one length/distance pair (two bits at least) gives at most 258 bytes, so a zlib stream
# inflates to at most 1032 times the bytes it takes (zlib's technical details, "Maximum Compression Factor").
_MOST_INFLATED = 1032


def check_streams(data: bytes, source: str, limits: Limits) -> None:
    """Refuse a PDF holding a compressed stream that inflates beyond ``max_decompressed_bytes``.

    PDFium (and pdfminer, for a page left to it) inflates a stream whole, in memory; a few hundred
    KB of zeros can claim gigabytes.
    Every Flate stream is inflated here first, chunk by chunk, its output counted and dropped; unless
    the whole file is too small for any stream in it to inflate beyond the limit.
    """
    if len(data) * _MOST_INFLATED <= limits.max_decompressed_bytes:
        return
    for m in _STREAM.finditer(data):
        inflater = zlib.decompressobj()
        chunk = data[m.end():m.end() + _CHUNK]
        pos, total = m.end() + len(chunk), 0
        try:
            while chunk and not inflater.eof:
                total += len(inflater.decompress(chunk, _CHUNK))
                if total > limits.max_decompressed_bytes:
                    limits.check_decompressed(total, source)
                chunk = inflater.unconsumed_tail
                if not chunk:
                    chunk, pos = data[pos:pos + _CHUNK], pos + _CHUNK
        except zlib.error:
            continue  # not Flate data (or damaged): PDFium judges it


def load_pdf(data: bytes, source: str, limits: Limits) -> tuple[str, list[Block], list[tuple[int, int]]]:
    """``(text, blocks, pages)`` of a PDF; ``pages`` holds (offset, page number) for each page's first block."""
    check_streams(data, source, limits)
    try:
        # the error names max_pdf_pages + 1 pages at most, as when the page tree was counted lazily
        pages = read_pages(data, lambda count: limits.check_pages(min(count, limits.max_pdf_pages + 1), source))
        if None in pages:
            per_page = _with_pdfminer(data, pages)
        else:
            per_page = [(number, _page_items(page)) for number, page in enumerate(pages, start=1)]
    except ReadError:
        raise
    except Exception as exc:  # PDFium and pdfminer refuse damaged or protected files
        raise _open_error(data, exc, source) from exc
    return _layout(per_page, source)


def _with_pdfminer(data: bytes, pages: list) -> list[tuple[int, list[tuple[float, str, object]]]]:
    """Page items, pdfplumber reading (with pdfminer) the pages PDFium could not read as pdfminer does."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [(number, _page_items(pdf.pages[number - 1] if page is None else page))
                for number, page in enumerate(pages, start=1)]


def _open_error(data: bytes, exc: Exception, source: str) -> ReadError:
    if b"/Encrypt" in data or "password" in str(exc).lower():
        return ReadError("PDF 已加密 (encrypted: needs a password); save an unencrypted copy "
                         "(e.g. print to PDF) and read that", source)
    return ReadError(f"PDF 已损坏或不完整 (damaged or truncated: {type(exc).__name__}); "
                     "download the file again", source)


def _layout(per_page, source: str) -> tuple[str, list[Block], list[tuple[int, int]]]:
    page_lines = [[p["text"].strip() for _, kind, p in items if kind == "line"] for _, items in per_page]
    furniture = _furniture(page_lines)
    right = _percentile([p["x1"] for _, items in per_page for _, kind, p in items if kind == "line"], 0.9)
    left = _percentile([p["x0"] for _, items in per_page for _, kind, p in items if kind == "line"], 0.1)
    blocks: list[Block] = []
    continued: dict[int, list[tuple[int, int]]] = {}  # merged table -> (first row, page) of each part
    open_paragraph = False
    for number, items in per_page:
        lines = [item for item in items if item[1] == "line"]
        edge_ids = {id(item) for item in lines[:2] + lines[-2:]}
        page_started = False
        for item in items:
            _, kind, payload = item
            if kind == "table":
                last = blocks[-1] if blocks else None
                if (not page_started and last is not None and last.kind == "table" and last.page == number - 1
                        and _width(last.rows) == _width(payload)):
                    # A table that runs on from the previous page: one grid, as printed.
                    continued.setdefault(id(last), []).append((len(last.rows), number))
                    last.rows = last.rows + payload
                else:
                    blocks.append(Block("table", "", rows=payload, page=number))
                open_paragraph = False
                page_started = True
                continue
            text = payload["text"].strip()
            if id(item) in edge_ids and (_PAGE_NUMBER.match(text) or text in furniture):
                continue
            page_started = True
            if open_paragraph and blocks and blocks[-1].kind == "paragraph" and not _NEW_ITEM.match(text):
                blocks[-1].text += text
            else:
                blocks.append(Block("paragraph", text, page=number))
            size = _char_width(payload)
            open_paragraph = (payload["x1"] >= right - 2 * size and not text.endswith(_SENTENCE_END)
                              and not text[-1].isdigit() and len(_CJK_GAP.findall(text)) < 2
                              and not _centred(payload, left, right, size))
    if not blocks:
        raise NotAReport("PDF 没有文字层 (no text layer: a scanned image); run OCR first", source)
    text, blocks = assemble(blocks)
    pages: list[tuple[int, int]] = []
    for block in blocks:
        if block.page is not None and (not pages or pages[-1][1] != block.page):
            pages.append((block.start, block.page))
        for row_index, number in continued.get(id(block), []):
            offset = block.start + sum(len(line) + 1 for line in block.text.split("\n")[:row_index])
            pages.append((offset, number))
    return text, blocks, pages


def _width(rows: list[list[Cell]]) -> int:
    return max(sum(cell.colspan for cell in row) for row in rows)


def _percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (0.0 for none): margins from line ends or starts.

    Full lines end at the 90th percentile of line ends (headings and last lines end earlier); body
    lines start at the 10th percentile of line starts (indents and centred lines start later).
    """
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _centred(line: dict, left: float, right: float, size: float) -> bool:
    """A title set in the middle of the page: indented by at least a character, as much on both sides.

    Such a line can end near the right margin without running on into the next line.
    """
    indent, gap = line["x0"] - left, right - line["x1"]
    return indent >= size and abs(indent - gap) <= size / 2


def _char_width(line: dict) -> float:
    """The mean advance of the line's chars (dicts, or letters: x0, top, x1, ...)."""
    chars = line.get("chars") or []
    if not chars:
        return 12.0
    if isinstance(chars[0], dict):
        return max(1.0, sum([c["x1"] - c["x0"] for c in chars]) / len(chars))
    return max(1.0, sum([t[2] - t[0] for t in chars]) / len(chars))
