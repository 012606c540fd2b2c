"""The notebook runner and the notebook templates, executed on the synthetic sample.

The sample runs execute every template through :func:`run_notebooks` (two workers) on the
first reports of ``data/sample`` and compare what each notebook recorded with ``glue``
against figures computed here directly from the batch outputs of the same reports.
"""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import gdtools
from gdtools.agency import normalize_agency
from gdtools.analysis import with_agency_columns
from gdtools.errors import NotebookError
from gdtools.notebooks import (
    corpus_checksums,
    main,
    make_run_id,
    read_records,
    run_notebook,
    run_notebooks,
    unstripped_cells,
)

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = {p.stem: p for p in sorted(NOTEBOOK_DIR.glob("*.ipynb"))}
SAMPLE = REPO / "data" / "sample"
N_REPORTS = 10  # the first non-PDF reports of the sample: agencies with several years each


def _notebook(path: Path, *cells: str, parameters: str = "x: int = 1  # a number") -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *[nbformat.v4.new_code_cell(c) for c in cells]]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


# ---------------------------------------------------------------- templates as files

def test_there_are_six_templates_and_they_are_stripped():
    assert set(NOTEBOOKS) >= {"00_quickstart", "10_report_profile", "20_corpus_overview", "30_data_quality",
                              "40_problems_measures", "50_compare_agencies"}
    assert main(["--check-stripped", str(NOTEBOOK_DIR)]) == 0


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_parameters_cell_is_documented(name):
    from papermill.translators import PythonTranslator

    nb = nbformat.read(str(NOTEBOOKS[name]), as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    lines = [line for line in tagged[0].source.splitlines() if line.strip()]
    parsed = PythonTranslator.inspect(tagged[0])
    # every line is `name: type = value  # help`, and papermill reads each one
    assert [p.name for p in parsed] == [line.split(":")[0] for line in lines]
    assert all(p.inferred_type_name != "None" and p.help for p in parsed)
    assert "corpus" in [p.name for p in parsed]


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_templates_use_only_the_public_package(name):
    nb = nbformat.read(str(NOTEBOOKS[name]), as_version=4)
    imported = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                imported.add(node.module.split(".")[0])
    assert imported <= {"gdtools", "pandas"}, imported


def test_check_stripped_flags_and_strip_fixes(tmp_path):
    path = _notebook(tmp_path / "a.ipynb", "print(1)")
    assert main(["--check-stripped", str(tmp_path)]) == 0
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nb.cells[1].execution_count = 3
    nbformat.write(nb, str(path))
    assert unstripped_cells(path) == [1]
    assert main(["--check-stripped", str(tmp_path)]) == 1
    assert main(["--strip", str(tmp_path)]) == 0
    assert main(["--check-stripped", str(tmp_path)]) == 0
    assert nbformat.read(str(path), as_version=4).cells[1].source == "print(1)"


def test_run_id_sorts_by_time_and_tells_parameters_apart():
    early, late = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC)
    a = make_run_id({"years": [2020], "corpus": "x"}, early)
    assert a == make_run_id({"corpus": "x", "years": [2020]}, early)  # key order does not matter
    assert a.startswith("20260102T030405Z-")
    assert make_run_id({"years": [2021], "corpus": "x"}, early) != a
    assert sorted([make_run_id({}, late), a]) == [a, make_run_id({}, late)]


def test_corpus_checksums(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "r.txt").write_bytes(b"abc")
    (tmp_path / ".hidden").write_bytes(b"x")
    sums = corpus_checksums(tmp_path)
    assert sums == {"sub/r.txt": hashlib.sha256(b"abc").hexdigest()}
    assert corpus_checksums(tmp_path / "sub" / "r.txt") == {"r.txt": hashlib.sha256(b"abc").hexdigest()}
    assert corpus_checksums(None) == {}


def test_kernel_start_races_are_retried_once(tmp_path, monkeypatch):
    import gdtools.notebooks as runner

    source = _notebook(tmp_path / "n.ipynb", "x")
    calls = []

    def flaky(notebook, output, parameters, kernel_name, timeout, cwd):
        calls.append(parameters)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        shutil.copyfile(notebook, output)

    monkeypatch.setattr(runner, "_execute", flaky)
    record = run_notebook(source, {"x": 2}, out=tmp_path / "out")
    assert record["status"] == "ok" and len(calls) == 2
    meta = json.loads((Path(record["run_dir"]) / "run.json").read_text(encoding="utf-8"))
    assert meta["attempts"] == 2

    def broken(notebook, output, parameters, kernel_name, timeout, cwd):
        calls.append(parameters)
        raise ValueError("a real bug")

    calls.clear()
    monkeypatch.setattr(runner, "_execute", broken)
    record = run_notebook(source, out=tmp_path / "out", raise_on_error=False)
    assert record["status"] == "error" and len(calls) == 1 and "a real bug" in record["error"]
    assert record["html"] is None  # nothing was executed, nothing to render


def test_prepare_corpus_fills_the_cache_the_notebooks_read(tmp_path):
    from gdtools.notebooks import prepare_corpus

    (tmp_path / "corpus" / "reports").mkdir(parents=True)
    assert prepare_corpus(tmp_path / "corpus", cwd=tmp_path) is None  # no report files: nothing to do
    if not (SAMPLE / "reports").is_dir():
        pytest.skip("data/sample is not present")
    for path in sorted((SAMPLE / "reports").glob("*.txt"))[:2]:
        shutil.copyfile(path, tmp_path / "corpus" / "reports" / path.name)
    summary = prepare_corpus(tmp_path / "corpus", cwd=tmp_path, limit=1)
    assert summary["n_reports"] == 1 and summary["n_cached"] == 0
    assert any((tmp_path / ".gdtools-cache").iterdir())


# ---------------------------------------------------------------- the runner on tiny notebooks

@pytest.fixture(scope="module")
def batch():
    """One parallel batch for the whole module: two tiny runner probes and every template on the sample.

    Not pytest's tmp_path: other pytest sessions on the machine rotate its base folder away.
    """
    if not (SAMPLE / "reports").is_dir():
        pytest.skip("data/sample is not present (generate it with `gdtools synth -n 100 --seed 2026 -o data/sample`)")
    with tempfile.TemporaryDirectory(prefix="gdtools-test-nb-") as tmp:
        yield _batch(Path(tmp))


def _batch(work: Path) -> dict:
    # A flat folder (no reports/ subfolder) of a few text/HTML/DOCX reports keeps the runs short.
    corpus = work / "corpus"
    corpus.mkdir()
    chosen = [p for p in sorted(gdtools.iter_report_paths([SAMPLE / "reports"])) if p.suffix != ".pdf"][:N_REPORTS]
    for path in chosen:
        shutil.copyfile(path, corpus / path.name)
    paths = sorted(corpus.iterdir())
    # The batch the notebooks will read from the cache; its outputs are the reference here.
    gdtools.process(paths, out=work / "batch", cache_dir=work / ".gdtools-cache", progress=False)
    frames = gdtools.load_outputs(work / "batch")
    ok = _notebook(work / "ok.ipynb", "import sys\nfrom gdtools.notebooks import glue",
                   "glue('x2', x * 2)\nglue('exe', sys.executable)\nglue('corpus', corpus)",
                   parameters="x: int = 1  # a number\ncorpus: str = ''  # folder")
    fail = _notebook(work / "fail.ipynb", "from gdtools.notebooks import glue\nglue('before', x)",
                     "raise ValueError('deliberate failure ' + str(x))", "glue('after', 1)")
    items = [
        (ok, {"x": 3}),
        fail,
        NOTEBOOKS["00_quickstart"],  # no path: picks the first report with a standard template
        (NOTEBOOKS["10_report_profile"], {"path": str(paths[-1])}),
        NOTEBOOKS["20_corpus_overview"],
        NOTEBOOKS["30_data_quality"],
        NOTEBOOKS["40_problems_measures"],
        NOTEBOOKS["50_compare_agencies"],
        (NOTEBOOKS["20_corpus_overview"], {"years": [1900]}),
    ]
    runs = run_notebooks(items, corpus=corpus, out=work / "reports", jobs=2, cwd=work, prepare=False)
    reports = frames["reports"][frames["reports"]["status"] == "ok"].copy()
    reports["file"] = reports["source"].map(lambda s: Path(str(s)).name)
    return {"root": work, "corpus": corpus, "ok": ok, "fail": fail, "runs": runs[:2],
            "template_runs": runs[2:], "paths": paths, "frames": frames, "reports": reports,
            "records": [read_records(r["output"]) if r["output"] else {} for r in runs[2:]]}


@pytest.fixture(scope="module")
def tiny(batch):
    return batch


@pytest.fixture(scope="module")
def sample(batch):
    return {**batch, "runs": batch["template_runs"], "work": batch["root"]}


def test_runner_writes_notebook_html_and_run_json(tiny):
    ok_run, fail_run = tiny["runs"]
    assert [r["notebook"] for r in tiny["runs"]] == ["ok", "fail"]
    assert ok_run["status"] == "ok" and ok_run["error"] is None
    assert Path(ok_run["output"]).is_file() and Path(ok_run["html"]).is_file()
    records = read_records(ok_run["output"])
    assert records["x2"] == 6
    assert records["exe"] == sys.executable  # the kernel runs this interpreter (the venv's)
    assert records["corpus"] == str(tiny["corpus"].resolve())
    meta = json.loads((Path(ok_run["run_dir"]) / "run.json").read_text(encoding="utf-8"))
    assert meta["parameters"] == {"x": 3, "corpus": str(tiny["corpus"].resolve())}
    assert meta["gdtools_version"] == gdtools.__version__
    assert meta["checksums"]["notebook"] == hashlib.sha256(tiny["ok"].read_bytes()).hexdigest()
    assert meta["checksums"]["corpus"] == {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                                           for p in tiny["corpus"].iterdir()}
    assert meta["timings"]["execute_s"] > 0 and meta["status"] == "ok"
    assert Path(ok_run["run_dir"]).name == ok_run["run_id"]
    assert Path(ok_run["run_dir"]).parent.name == "ok"


def test_failed_notebook_keeps_partial_output(tiny):
    fail_run = tiny["runs"][1]
    assert fail_run["status"] == "error"
    assert "deliberate failure 1" in fail_run["error"]
    records = read_records(fail_run["output"])
    assert records == {"before": 1}  # cells before the failure ran and were saved
    html = Path(fail_run["html"]).read_text(encoding="utf-8")
    assert "deliberate failure" in html
    meta = json.loads((Path(fail_run["run_dir"]) / "run.json").read_text(encoding="utf-8"))
    assert meta["status"] == "error" and "deliberate failure" in meta["error"]


def test_index_links_every_run(tiny):
    index = (tiny["root"] / "reports" / "index.html").read_text(encoding="utf-8")
    for run in tiny["runs"]:
        rel = Path(run["html"]).relative_to(tiny["root"] / "reports").as_posix()
        assert f"href='{rel}'" in index
    assert "error" in index


def test_run_notebook_raises_after_saving(tiny):
    out = tiny["root"] / "single"
    with pytest.raises(NotebookError, match="partial output kept"):
        run_notebook(tiny["fail"], {"x": 5}, out=out)
    (run_dir,) = (out / "fail").iterdir()
    assert read_records(run_dir / "fail.ipynb") == {"before": 5}
    assert (run_dir / "fail.html").is_file() and (out / "index.html").is_file()
    with pytest.raises(NotebookError, match="not found"):
        run_notebook(tiny["root"] / "missing.ipynb", out=out)


# ---------------------------------------------------------------- the templates on the sample

def test_every_template_runs_cleanly_on_the_sample(sample):
    assert [r["status"] for r in sample["runs"]] == ["ok"] * len(sample["runs"]), \
        [r["error"] for r in sample["runs"] if r["status"] != "ok"]
    for run in sample["runs"]:
        assert Path(run["html"]).is_file()
        nb = nbformat.read(run["output"], as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                assert output.output_type != "error"
                text = output.get("text", "") if output.output_type == "stream" else ""
                assert "missing from font" not in text and "Glyph" not in text, text
    index = (sample["work"] / "reports" / "index.html").read_text(encoding="utf-8")
    assert index.count(".html'>HTML</a>") == len(sample["runs"]) + 2  # and the two runner probes


def test_quickstart_records_the_batch_figures(sample):
    record = sample["records"][0]["quickstart"]
    reports = sample["reports"].sort_values("file")
    first_standard = reports[reports["template"].isin(["v2019", "v2021"])]["file"].iloc[0]
    assert record["file"] == first_standard
    report = reports.set_index("file").loc[first_standard]
    assert record["report_id"] == report["report_id"]
    assert record["year"] == report["year"] and record["agency"] == report["agency"]
    tables = sample["frames"]["tables"]
    cells = tables[tables["report_id"] == report["report_id"]]["status"].value_counts().to_dict()
    assert record["cells"] == cells
    statements = sample["frames"]["statements"]
    kinds = statements[statements["report_id"] == report["report_id"]]["kind"].value_counts().to_dict()
    assert record["statements"] == kinds
    received = tables[(tables["report_id"] == report["report_id"]) & (tables["table"] == "table3")
                      & (tables["row_code"] == "received") & (tables["col_code"] == "total")]["value"]
    assert record["received_total"] == (None if received.isna().all() else float(received.iloc[0]))


def test_profile_records_tables_per_table(sample):
    record = sample["records"][1]["profile"]
    report = sample["reports"].set_index("file").loc[sample["paths"][-1].name]
    assert record["report_id"] == report["report_id"] and record["template"] == report["template"]
    tables = sample["frames"]["tables"]
    mine = tables[tables["report_id"] == report["report_id"]]
    assert record["cells"] == {t: g["status"].value_counts().to_dict() for t, g in mine.groupby("table")}
    assert record["measures"]["report_id"] == report["report_id"]


def _cells(tables, reports, row_code, col_code="total"):
    part = tables[(tables["table"] == "table3") & (tables["row_code"] == row_code) & (tables["col_code"] == col_code)
                  & tables["status"].isin(["ok", "blank"]) & tables["report_id"].isin(reports["report_id"])]
    return part.set_index("report_id")["value"].astype(float)


def test_overview_records_volumes_and_open_rates(sample):
    record = sample["records"][2]["overview"]
    reports, tables = sample["reports"], sample["frames"]["tables"]
    assert record["n_reports"] == len(reports)
    assert record["years"] == sorted(int(y) for y in reports["year"].dropna().unique())
    received = _cells(tables, reports, "received").dropna()
    year_of = reports.set_index("report_id")["year"]
    expected = received.groupby(year_of.reindex(received.index)).sum()
    assert {r["year"]: r["received_total"] for r in record["volume_by_year"]} == pytest.approx(expected.to_dict())
    opened, total = _cells(tables, reports, "open"), _cells(tables, reports, "total")
    both = pd.concat([opened.rename("open"), total.rename("total")], axis=1).dropna()
    both["year"] = year_of.reindex(both.index)
    for row in record["outcomes_by_year"]:
        group = both[both["year"] == row["year"]]
        if group["total"].sum():
            assert row["open_rate"] == pytest.approx(group["open"].sum() / group["total"].sum())


def test_empty_selection_is_a_note_not_a_crash(sample):
    record = sample["records"][6]["overview"]
    assert record["n_reports"] == 0 and record["years"] == []
    assert record["volume_by_year"] == [] and record["outcomes_by_year"] == [] and record["review_by_year"] == []
    nb = nbformat.read(sample["runs"][6]["output"], as_version=4)
    shown = json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)
    assert "所选范围内没有可分析的报告" in shown


def test_quality_records_error_rates(sample):
    record = sample["records"][3]["quality"]
    findings = sample["frames"]["findings"]
    findings = findings[findings["report_id"].isin(sample["reports"]["report_id"])]
    errors = findings[findings["severity"] == "error"].groupby("rule")["report_id"].nunique().to_dict()
    assert {r["rule"]: r["reports_with_error"] for r in record["error_rates"] if r["reports_with_error"]} == errors
    cross = findings[findings["rule"].astype(str).str.match(r"^X[1-3]") & (findings["severity"] != "ok")]
    assert record["cross_year_breaks"] == len(cross)
    tables = sample["frames"]["tables"]
    assert record["uncertain_cells"] == int((tables["status"] == "uncertain").sum())


def test_problems_measures_records(sample):
    record = sample["records"][4]["problems_measures"]
    statements = sample["frames"]["statements"]
    statements = statements[statements["report_id"].isin(sample["reports"]["report_id"])]
    assert record["statements"] == statements["kind"].value_counts().to_dict()
    # copy rates exist exactly for reports whose agency also reported the year before
    reports = with_agency_columns(sample["reports"])
    have = set(zip(reports["agency_key"], reports["year"]))
    with_previous = {r.report_id for r in reports.itertuples() if (r.agency_key, r.year - 1) in have
                     and r.report_id in set(statements[statements["section"] == "五"]["report_id"])}
    assert {r["report_id"] for r in record["copy_rates"]} <= with_previous
    assert record["copy_rates"] and all(0 <= r["copy_rate"] <= 1 for r in record["copy_rates"])
    themes = {r["theme"] for r in record["problem_themes_by_year"]}
    assert themes and not themes & {"staffing", "training_skills"}  # shown with Chinese names


def test_compare_picks_agencies_with_most_years(sample):
    record = sample["records"][5]["compare"]
    reports = with_agency_columns(sample["reports"])
    years = reports.groupby("agency_key")["year"].nunique()
    expected = [key for key, _ in sorted(years.items(), key=lambda kv: (-kv[1], kv[0]))[:3]]
    chosen_keys = {normalize_agency(a) for a in record["agencies"]}
    assert chosen_keys == set(expected)
    assert record["n_reports"] == int(reports["agency_key"].isin(chosen_keys).sum())
    assert len(record["panel"]) == record["n_reports"]
