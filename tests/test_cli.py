"""The command line: help for every command, README coverage, exit codes, no tracebacks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gdtools import cli, corpus

README = Path(__file__).resolve().parents[1] / "README.md"
COMMANDS = sorted(cli.build_parser()._subparsers._group_actions[0].choices)


def _report(folder: Path, name: str, agency: str, year: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"{agency}{year}年政府信息公开工作年度报告\n一、总体情况\n本机关依法做好政府信息公开工作。\n",
                    encoding="utf-8")
    return path


def test_every_command_is_registered():
    assert set(COMMANDS) == {"inspect", "extract", "validate", "narrative", "process", "synth", "run"}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert f"gdtools {command}" in out and len(out.splitlines()) > 3


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_in_the_readme(command):
    text = README.read_text(encoding="utf-8")
    assert re.search(rf"gdtools {command}\b", text), f"README.md does not show `gdtools {command}`"


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["inspect"])  # no PATHS, no -o
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        cli.main(["no-such-command"])
    assert exc.value.code == 2


def test_bad_file_is_an_error_row_exit_0_and_strict_exit_1(tmp_path, capsys):
    _report(tmp_path / "in", "good.txt", "示例县财政局", 2021)
    (tmp_path / "in" / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    assert cli.main(["inspect", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--no-progress", "-j", "1"]) == 0
    reports = pd.read_csv(tmp_path / "out" / "reports.csv", dtype=str, keep_default_na=False)
    assert dict(zip(reports["source"].map(lambda s: Path(s).name), reports["status"])) == \
        {"good.txt": "ok", "broken.pdf": "error"}
    assert "1 read, 1 failed" in capsys.readouterr().err
    assert cli.main(["inspect", str(tmp_path / "in"), "-o", str(tmp_path / "out2"), "--no-progress", "-j", "1",
                     "--strict"]) == 1


def test_missing_input_folder_is_a_clean_error(tmp_path, capsys):
    code = cli.main(["inspect", str(tmp_path / "nowhere"), "-o", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert "nowhere" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_internal_error_has_no_traceback_unless_debug(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise ValueError("simulated bug")

    monkeypatch.setattr(corpus, "run_batch", broken)
    _report(tmp_path / "in", "a.txt", "示例县财政局", 2021)
    argv = ["inspect", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--no-progress"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "simulated bug" in err and "--debug" in err and "Traceback" not in err
    with pytest.raises(ValueError):
        cli.main(["--debug", *argv])


def test_cli_entry_point_runs_as_a_module(tmp_path):
    _report(tmp_path / "in", "a.txt", "示例县财政局", 2021)
    proc = subprocess.run([sys.executable, "-m", "gdtools", "inspect", str(tmp_path / "in"), "-o",
                           str(tmp_path / "out"), "--no-progress", "-j", "1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "reports.csv").exists()


@pytest.mark.parametrize("argv, outputs", [
    (["inspect"], {"reports.csv"}),
    (["extract", "--format", "parquet"], {"reports.csv", "tables.parquet"}),
    (["validate"], {"reports.csv", "tables.csv", "findings.csv", "summary.csv"}),
    (["narrative"], {"reports.csv", "statements.csv", "repeats.csv", "keywords.csv"}),
    (["process", "--no-cache"], {"reports.csv", "tables.csv", "findings.csv", "summary.csv", "statements.csv",
                                 "repeats.csv", "keywords.csv"}),
])
def test_each_batch_command_writes_its_outputs(tmp_path, argv, outputs):
    for year in (2021, 2022):
        _report(tmp_path / "in", f"agency-{year}.txt", "示例县财政局", year)
    out = tmp_path / "out"
    assert cli.main([argv[0], str(tmp_path / "in"), "-o", str(out), "--no-progress", "-j", "1", *argv[1:]]) == 0
    assert {p.name for p in out.iterdir() if not p.name.startswith(".")} == outputs
    frames = corpus.load_outputs(out)
    assert len(frames["reports"]) == 2 and (frames["reports"]["status"] == "ok").all()
    if argv[0] == "extract":
        assert {"n_ok", "n_blank", "n_uncertain", "n_missing"} <= set(frames["reports"].columns)


def test_validate_html_writes_health_pages(tmp_path):
    for year in (2021, 2022):
        _report(tmp_path / "in", f"agency-{year}.txt", "示例县财政局", year)
    out = tmp_path / "out"
    assert cli.main(["validate", str(tmp_path / "in"), "-o", str(out), "--no-progress", "-j", "1", "--html"]) == 0
    pages = sorted(p.name for p in (out / "health").glob("*.html"))
    assert "index.html" in pages and len(pages) >= 2


def test_synth_world_option_writes_that_worlds_agencies(tmp_path):
    from gdtools.synth.places import places

    assert cli.main(["synth", "-n", "4", "--seed", "1", "--world", "3", "-o", str(tmp_path)]) == 0
    manifest = pd.read_csv(tmp_path / "MANIFEST.csv")
    assert len(manifest) == 4
    assert set(manifest["region"]) <= {p["name"] for p in places(3)["provinces"]}
