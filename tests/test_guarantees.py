"""Guarantees every entry point keeps: inputs untouched, outputs atomic, no network.

The "no network" guarantee is enforced for the whole suite: pyproject's addopts disable
sockets with pytest-socket (loopback only for notebook kernels, see conftest.py), so any
code path that opened a connection would fail its test. The tests here check that the
guard is active and that no gdtools module even imports a network client.
"""

from __future__ import annotations

import ast
import hashlib
import os
import socket
from pathlib import Path

import pandas as pd
import pytest

import gdtools
from gdtools.corpus import load_outputs, process
from gdtools.io import iter_report_paths, load_report
from gdtools.outputs import atomic_path, write_frame
from gdtools.statements import statements
from gdtools.synth import generate_corpus
from gdtools.tables import extract_tables
from gdtools.validate import validate


def _state(folder: Path) -> dict[str, tuple[str, int, int]]:
    """sha256, mtime and permission bits of every file under ``folder`` (and which files exist)."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns,
                                         p.stat().st_mode)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("guarantees")
    reports = root / "reports"
    reports.mkdir()
    for fmt in ("txt", "html", "docx", "pdf"):
        [path] = generate_corpus(root / fmt, n=1, seed=11, formats=[fmt])
        path.rename(reports / path.name)
    for path in reports.iterdir():
        path.chmod(0o444)  # as in a read-only archive; nothing may need to write beside the inputs
    return reports


def test_inputs_are_never_modified(corpus, tmp_path):
    before = _state(corpus)
    assert {Path(name).suffix for name in before} == {".txt", ".html", ".docx", ".pdf"}
    reports = [load_report(path) for path in iter_report_paths(corpus)]
    tables = pd.concat([extract_tables(report) for report in reports])
    validate(reports, tables)
    for report in reports:
        statements(report)
    out = tmp_path / "out"
    result = process([corpus], out=out, jobs=1, cache_dir=tmp_path / "cache")
    assert result["n_ok"] == len(before)
    assert len(load_outputs(out)["reports"]) == len(before)
    process([corpus], out=out, jobs=1, cache_dir=tmp_path / "cache")  # a second run served from the cache
    assert _state(corpus) == before  # same bytes, same mtimes, same modes, no file added beside them


def test_failed_write_keeps_the_previous_output(tmp_path, monkeypatch):
    path = tmp_path / "reports.csv"
    write_frame(pd.DataFrame({"report_id": ["a1"], "n_chars": [10]}), path)
    old = path.read_bytes()

    def interrupted(self, target, *args, **kwargs):
        Path(target).write_text("report_id,n_chars\nhalf-writ", encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", interrupted)
    with pytest.raises(OSError):
        write_frame(pd.DataFrame({"report_id": ["b2", "c3"], "n_chars": [1, 2]}), path)
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["reports.csv"]  # no temporary file left behind


def test_interrupted_first_write_leaves_no_file(tmp_path):
    path = tmp_path / "tables.parquet"
    with pytest.raises(KeyboardInterrupt), atomic_path(path) as tmp:
        tmp.write_bytes(b"PAR1 partial")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_outputs_appear_complete(tmp_path):
    path = tmp_path / "out" / "findings.json"
    frame = pd.DataFrame({"report_id": ["x"], "message": ["总计不等于各项之和"]})
    with atomic_path(path) as tmp:
        frame.to_json(tmp, orient="records", force_ascii=False)
        assert not path.exists()  # nothing visible until the whole file is written
    assert pd.read_json(path).equals(frame)


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_sockets_are_disabled_in_tests():
    for family in (socket.AF_INET, socket.AF_INET6):
        with pytest.raises(Exception, match="(?i)socket"):
            socket.socket(family, socket.SOCK_STREAM)
    with pytest.raises(Exception, match="(?i)socket"):
        socket.getaddrinfo("example.com", 80)


_NETWORK_MODULES = {"socket", "urllib.request", "http.client", "requests", "httpx", "aiohttp", "ftplib",
                    "smtplib", "urllib3", "websocket", "xmlrpc.client"}


def test_no_gdtools_module_imports_a_network_client():
    package = Path(gdtools.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [(path.name, n) for n in names if n in _NETWORK_MODULES or n.split(".")[0] in _NETWORK_MODULES]
    assert found == []


def test_loaders_never_follow_links_out_of_a_walked_folder(tmp_path):
    outside = tmp_path / "home" / "notes.txt"
    outside.parent.mkdir()
    outside.write_text("政府信息公开 私人笔记", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.txt").symlink_to(outside)
    (corpus / "home").symlink_to(outside.parent, target_is_directory=True)
    assert list(iter_report_paths(corpus)) == []
    assert os.path.exists(corpus / "notes.txt")  # still there: skipped, not removed


def test_batch_interrupted_mid_write_keeps_the_previous_outputs(corpus, tmp_path, monkeypatch):
    from gdtools.corpus import run_batch
    from gdtools.outputs import PartWriter

    out = tmp_path / "out"
    run_batch([corpus], out, stages=("inspect", "tables"), jobs=1, progress=False)
    before = _state(out)
    assert {"reports.csv", "tables.csv"} <= set(before)

    def interrupted(self, frame):
        self._fh.write(b"report_id,source\nhalf-writ")  # part files are written as bytes
        raise KeyboardInterrupt

    monkeypatch.setattr(PartWriter, "append", interrupted)
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "new.txt").write_text("示例县2023年政府信息公开工作年度报告\n一、总体情况\n公开信息3条。", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        run_batch([corpus, extra], out, stages=("inspect", "tables"), jobs=1, progress=False)
    after = _state(out)
    for name in ("reports.csv", "tables.csv"):
        assert after[name] == before[name], name  # the finished outputs of the last run are untouched
