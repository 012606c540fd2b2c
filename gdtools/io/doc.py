"""Legacy Word .doc reports: converted to .docx with LibreOffice when it is installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import ReadError, UnsupportedFormat

# The OLE2 directory entry of an encrypted Office Open XML package (names are UTF-16LE).
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_FIX = "install LibreOffice (`apt-get install libreoffice-writer`) or save the file as .docx"


def convert_doc(data: bytes, source: str, timeout: float = 120.0) -> bytes:
    """The .docx bytes LibreOffice makes from ``data`` (the input file itself is never touched)."""
    if _ENCRYPTED in data:
        # a password-protected .docx is stored as an OLE2 container, like a legacy .doc
        raise ReadError("Word 文档已加密 (password-protected); save an unprotected copy and read that", source)
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise UnsupportedFormat(f"旧版 Word (.doc) 文件需要转换: {_FIX}", source)
    with tempfile.TemporaryDirectory(prefix="gdtools-doc-") as tmp:
        work = Path(tmp)
        (work / "input.doc").write_bytes(data)
        command = [office, f"-env:UserInstallation=file://{work / 'profile'}", "--headless",
                   "--convert-to", "docx", "--outdir", str(work / "out"), str(work / "input.doc")]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReadError(f".doc 转换失败 ({type(exc).__name__}); {_FIX}", source) from exc
        result = work / "out" / "input.docx"
        if not result.is_file():
            raise ReadError(f".doc 转换失败 (LibreOffice produced no output; damaged file?); {_FIX}", source)
        return result.read_bytes()
