"""Plain text and Markdown reports: decoding and blocks (paragraphs, pipe tables)."""

from __future__ import annotations

import re

from ..errors import NotAReport, ReadError
from ..model import Block, Cell

# utf-8-sig then gb18030 decoded every real sample correctly; statistical detectors
# guessed Korean for short Chinese texts, so no guessing here.
_ENCODINGS = ("utf-8-sig", "gb18030")
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def looks_binary(data: bytes) -> bool:
    """True when the start of ``data`` holds NUL or many control bytes (not text in any encoding we read)."""
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return bool(head) and controls / len(head) > 0.05


def decode_text(data: bytes, source: str) -> tuple[str, str]:
    """Decode report bytes; returns ``(text, encoding)``. Newlines are normalised to ``\\n``."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        if looks_binary(data):
            raise NotAReport("二进制文件，不是文本报告 (binary content); "
                             "save the report as .txt, .html, .docx or .pdf", source)
        candidates = _ENCODINGS
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8"
        return text.replace("\r\n", "\n").replace("\r", "\n"), encoding
    raise ReadError("无法识别文本编码 (not UTF-8 or GB18030); re-save the file as UTF-8", source)


def split_pipe_row(line: str) -> list[str]:
    """Cells of a Markdown pipe-table row ``| a | b |``."""
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [cell.strip() for cell in inner.split("|")]


def text_blocks(text: str) -> list[Block]:
    """Blocks of a plain text: each non-empty line a paragraph, consecutive pipe rows one table.

    Offsets point into ``text`` itself (the loader does not rewrite plain text).
    """
    blocks: list[Block] = []
    table: list[tuple[int, int, str]] = []

    def flush() -> None:
        if not table:
            return
        rows = [[Cell(c) for c in split_pipe_row(line)] for _, _, line in table if not _PIPE_RULE.match(line)]
        start, end = table[0][0], table[-1][1]
        if rows:
            blocks.append(Block("table", text[start:end], start, end, rows=rows))
        table.clear()

    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if _PIPE_ROW.match(line):
            table.append((start, end, line))
            continue
        flush()
        stripped = line.strip()
        if not stripped:
            continue
        lead = len(line) - len(line.lstrip())
        kind = "heading" if stripped.startswith("#") else "paragraph"
        blocks.append(Block(kind, stripped, start + lead, start + lead + len(stripped)))
    flush()
    return blocks


def load_text(data: bytes, source: str) -> tuple[str, str, list[Block]]:
    """``(text, encoding, blocks)`` of a .txt/.md file."""
    text, encoding = decode_text(data, source)
    return text, encoding, text_blocks(text)
