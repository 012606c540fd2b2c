"""HTML reports: find the article inside a full web page, keep tables as grids with spans."""

from __future__ import annotations

import re

from ..errors import NotAReport, ReadError
from ..model import Block, Cell
from .blocks import assemble, clean_cell
from .limits import Limits
from .text import decode_text

_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "select",
         "button", "template", "svg", "object", "embed", "head")
_BLOCK_TAGS = {"p", "div", "table", "td", "th", "tbody", "section", "article", "main", "li", "ul", "ol",
               "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "center", "dl", "dt", "dd", "tr",
               "body", "html"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_MAX_SPAN = 1000
_MARKER = re.compile(r"(?<![（(])[一二三四五六七八九十]{1,2}、")
_TITLE = re.compile(r"(?:19|20)\d{2}\s*年.{0,40}(?:信息公开|政务公开).{0,12}(?:报告|年报)")


_LATIN = ("ascii", "us-ascii", "iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252")


def _decode(data: bytes, source: str) -> tuple[str, str]:
    """Markup text and its encoding. Valid UTF-8 wins over the declared charset (sites often declare
    gb2312 for UTF-8 pages and vice versa); a declared Western charset is never trusted for Chinese text."""
    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-8").replace("\r\n", "\n"), "utf-8"
        except UnicodeDecodeError:
            pass
        m = _CHARSET.search(data[:4096])
        declared = m.group(1).decode("ascii", "replace").lower() if m else ""
        if declared in ("gb2312", "gbk"):
            declared = "gb18030"
        if declared and declared not in _LATIN and not declared.startswith("utf"):
            try:
                return data.decode(declared).replace("\r\n", "\n"), declared
            except (LookupError, UnicodeDecodeError):
                pass
    return decode_text(data, source)


def _span(value: str | None) -> int:
    if value is None:  # most cells: no exception to pay for
        return 1
    try:
        return max(1, min(_MAX_SPAN, int(str(value).strip())))
    except (TypeError, ValueError):
        return 1


def _tag(el) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _text_len(el) -> int:
    """Length of the non-link, non-space text under ``el``: navigation menus are mostly links."""
    total = len(re.sub(r"\s+", "", el.text_content()))
    links = sum(len(re.sub(r"\s+", "", a.text_content())) for a in el.iter("a"))
    return total - links


def _markers(el) -> int:
    """Numbered section-like headings (一、 二、 …) under ``el``."""
    return len(_MARKER.findall(el.text_content()))


def _article(body):
    """The element holding the report: descend while one child holds most of the text, or all of
    the numbered headings (a sidebar full of plain text must not keep the whole page)."""
    node = body
    while True:
        own = _text_len(node)
        children = [c for c in node if isinstance(c.tag, str)]
        best = max(children, key=_text_len, default=None)
        if best is None or own == 0:
            return node
        marks = _markers(node)
        if marks >= 3:
            # Follow the numbered headings: the child holding (nearly) all of them.
            by_marks = max(children, key=_markers)
            if _markers(by_marks) >= 0.9 * marks and not _is_leaf(by_marks):
                node = by_marks
                continue
            if _markers(best) < 0.9 * marks:
                return node
        if _is_leaf(best) or _text_len(best) < 0.7 * own:
            return node
        node = best


def _is_leaf(el) -> bool:
    """A paragraph or a data table: the article is never inside one."""
    tag = _tag(el)
    return tag == "p" or (tag == "table" and not is_layout_table(el))


def is_layout_table(table) -> bool:
    """Old portals lay out whole pages with tables: nested tables or long prose cells give them away.

    Data tables of these reports have short cells (the longest official label is under 40 characters).
    """
    if any(inner is not table for inner in table.iter("table")):
        return True
    return any(len(re.sub(r"\s+", "", cell.text_content())) > 200 for cell in table.iter("td", "th"))


def _title_outside(doc, article) -> str | None:
    """A report title printed outside the article element (page heading, or the <title> tag)."""
    inside = set(article.iter())
    for el in doc.iter("h1", "h2", "h3", "div", "p", "td", "span", "strong"):
        if el in inside:
            continue
        text = clean_cell(el.text_content())
        if 6 <= len(text) <= 80 and _TITLE.search(text):
            return text
    return None


def table_grid(table) -> list[list[Cell]]:
    """Rows of ``table`` as printed (spans kept, no cell duplicated); nested tables become cell text."""
    rows: list[list[Cell]] = []
    for tr in table.iter("tr"):
        if tr.getparent() is None or _owning_table(tr) is not table:
            continue
        cells = [Cell(clean_cell(td.text_content()), rowspan=_span(td.get("rowspan")),
                      colspan=_span(td.get("colspan")))
                 for td in tr if _tag(td) in ("td", "th")]
        if cells:
            rows.append(cells)
    return rows


def _owning_table(el):
    parent = el.getparent()
    while parent is not None and _tag(parent) != "table":
        parent = parent.getparent()
    return parent


def _blocks(root) -> list[Block]:
    blocks: list[Block] = []
    buffer: list[str] = []
    kind = ["paragraph"]

    def flush() -> None:
        text = clean_cell("".join(buffer))
        if text:
            blocks.append(Block(kind[0], text))
        buffer.clear()
        kind[0] = "paragraph"

    def walk(el) -> None:
        tag = _tag(el)
        if tag == "table" and not is_layout_table(el):
            flush()
            rows = table_grid(el)
            if rows:
                blocks.append(Block("table", "", rows=rows))
            if el.tail:
                buffer.append(el.tail)
            return
        if tag == "br":
            flush()
        elif tag in _BLOCK_TAGS:
            flush()
            if tag in _HEADINGS:
                kind[0] = "heading"
        if tag and el.text:
            buffer.append(el.text)
        for child in el:
            walk(child)
        if tag in _BLOCK_TAGS:
            flush()
        if el.tail:
            buffer.append(el.tail)

    walk(root)
    flush()
    return blocks


def load_html(data: bytes, source: str, limits: Limits) -> tuple[str, str, list[Block]]:
    """``(text, encoding, blocks)`` of an HTML page or fragment (the text length limit is checked
    right after parsing, before the page is walked element by element)."""
    from lxml import etree, html

    markup, encoding = _decode(data, source)
    markup = _XML_DECL.sub("", markup)
    parser = html.HTMLParser(no_network=True, huge_tree=False, remove_comments=True, remove_pis=True,
                             recover=True)
    try:
        doc = html.document_fromstring(markup, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ReadError(f"HTML 无法解析 ({exc}); save the page again or as .txt", source) from exc
    fatal = [e.message for e in parser.error_log if e.level == etree.ErrorLevels.FATAL]
    if fatal:
        # libxml2 stops at a fatal error (e.g. nesting deeper than 255 elements): the rest would be lost
        reason = "nesting depth over 255 elements" if "depth" in fatal[0] else fatal[0][:120]
        raise ReadError(f"HTML 结构异常, 解析在中途停止 ({reason}); "
                        "the page is not a normal report page: save its text as .txt", source)
    head_title = doc.find(".//title")
    page_title = clean_cell(head_title.text_content()) if head_title is not None else ""
    for el in list(doc.iter(*_DROP)):
        if el.getparent() is not None:
            el.drop_tree()
    limits.check_text(len(doc.text_content()), source)
    body = doc.find("body")
    if body is None:
        raise NotAReport("HTML 中没有正文 (no <body> content)", source)
    article = _article(body)
    blocks = _blocks(article)
    first = next((b.text for b in blocks if b.kind != "table"), "")
    if not _TITLE.search(first[:80]):
        title = _title_outside(doc, article) or _page_title(page_title)
        if title:
            blocks.insert(0, Block("heading", title))
    text, blocks = assemble(blocks)
    return text, encoding, blocks


def _page_title(text: str) -> str | None:
    """The report title from the page's <title> ("XX年度报告_某某网" → "XX年度报告")."""
    part = clean_cell(re.split(r"\s*(?:_|\||｜|--|—)\s*", text)[0]) if text else ""
    return part if _TITLE.search(part) else None
