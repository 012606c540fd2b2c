"""Plain text and Markdown reports: decoding and blocks (paragraphs, pipe tables)."""

from __future__ import annotations

import logging
import re

from ..errors import NotAReport, ReadError
from ..model import Block, Cell
from .limits import Limits

# utf-8-sig then gb18030 decoded every real sample correctly; statistical detectors
# guessed Korean for short Chinese texts, so no guessing here.
_ENCODINGS = ("utf-8-sig", "gb18030")
# ``Report.encoding`` of a file whose lines mix UTF-8 and GB18030.
MIXED_ENCODING = "utf-8+gb18030"
log = logging.getLogger("gdtools")
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)


def looks_binary(data: bytes) -> bool:
    """True when the start of ``data`` holds NUL or many control bytes (not text in any encoding we read)."""
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return bool(head) and controls / len(head) > 0.05


def decode_text(data: bytes, source: str) -> tuple[str, str]:
    """Decode report bytes; returns ``(text, encoding)``. Newlines are normalised to ``\\n``."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        nuls = data.count(b"\x00")
        if nuls and nuls <= max(16, len(data) // 100):
            # a few stray NUL bytes (crawler padding, a cut download) in otherwise plain text
            data = data.replace(b"\x00", b"")
            log.debug("%s: %d NUL bytes dropped", source, nuls)
        if looks_binary(data):
            raise NotAReport("二进制文件，不是文本报告 (binary content); "
                             "save the report as .txt, .html, .docx or .pdf", source)
        candidates = _ENCODINGS
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.end < len(data) or exc.start < len(data) - 3:
                continue
            try:  # the file ends inside a character: a cut download keeps its complete characters
                text = data[:exc.start].decode(encoding)
            except UnicodeDecodeError:
                continue
            log.warning("%s: the file ends inside a character (cut download?); last %d bytes dropped",
                        source, len(data) - exc.start)
        if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8"
        return _normalize(text, source), encoding
    mixed = _decode_lines(data) if candidates == _ENCODINGS else None
    if mixed is not None:
        log.warning("%s: lines in both UTF-8 and GB18030 (pasted from two sources); each line decoded alone",
                    source)
        return _normalize(mixed, source), MIXED_ENCODING
    raise ReadError("无法识别文本编码 (neither UTF-8 nor GB18030, not even line by line); "
                    "re-save the file as UTF-8", source)


def _normalize(text: str, source: str) -> str:
    """``\n`` newlines; NUL characters (never part of a report) dropped."""
    if "\x00" in text:
        log.warning("%s: NUL characters dropped from the text", source)
        text = text.replace("\x00", "")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_lines(data: bytes) -> str | None:
    """Text of a file whose lines are each valid UTF-8 or GB18030 (None when a line is neither)."""
    lines = []
    for raw in data.split(b"\n"):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                lines.append(raw.decode("gb18030"))
            except UnicodeDecodeError:
                return None
    return "\n".join(lines).removeprefix("\ufeff")


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
        if "|" in line and _PIPE_ROW.match(line):
            table.append((start, end, line))
            continue
        if table:
            flush()
        stripped = line.strip()
        if not stripped:
            continue
        lead = len(line) - len(line.lstrip())
        kind = "heading" if stripped.startswith("#") else "paragraph"
        blocks.append(Block(kind, stripped, start + lead, start + lead + len(stripped)))
    flush()
    return blocks


def load_text(data: bytes, source: str, limits: Limits) -> tuple[str, str, list[Block]]:
    """``(text, encoding, blocks)`` of a .txt/.md file (the length limit checked before any block is made)."""
    text, encoding = decode_text(data, source)
    limits.check_text(len(text), source)
    return text, encoding, text_blocks(text)
