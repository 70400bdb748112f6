"""``reviewbot scan``: the rules over whole files, on the kernel-shaped fixture tree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from tree_repo import ROOT, TREE

from reviewbot.cli import main
from reviewbot.engine.loader import load_rules
from reviewbot.engine.runner import fingerprint
from reviewbot.pipeline import ReviewOptions
from reviewbot.tree import scan

SCHEMA = ROOT / "reviewbot" / "report" / "report.schema.json"
TEST_RULES = ROOT / "fixtures" / "tree" / "rules"


@pytest.fixture()
def defective(tmp_path: Path) -> Path:
    """The fixture tree with copy_huge_pmd()'s folio_get() removed."""
    tree = tmp_path / "linux"
    shutil.copytree(TREE, tree)
    memory = tree / "mm" / "huge_memory.c"
    memory.write_text(memory.read_text().replace("\tfolio_get(src_folio);\n", "", 1))
    return tree


def test_the_upstream_shaped_tree_is_clean() -> None:
    report = scan([str(TREE)], ReviewOptions(), load_rules())
    assert report.findings == () and report.errors == ()
    assert (report.kernel, report.kernel_source) == ("6.12", f"tree ({TREE / 'Makefile'})")
    assert report.notes[0] == "scan: 4 files, every line taken as added"
    assert report.series.total == 1 and len(report.series.patches) == 1


def test_a_defect_is_found_with_paths_from_the_kernel_root(defective: Path) -> None:
    report = scan(
        [str(defective / "mm")],
        ReviewOptions(select=["TST901"], rule_dirs=[str(TEST_RULES)]),
        load_rules([TEST_RULES]),
    )
    assert [(f.patch, f.path, f.line, f.function) for f in report.findings] == [
        (1, "mm/huge_memory.c", 123, "copy_huge_pmd")
    ]
    # keyed on the flagged line, as a review of the same line would be
    (f,) = report.findings
    line = (defective / "mm" / "huge_memory.c").read_text().splitlines()[122]
    assert f.fingerprint == fingerprint("TST901", "mm/huge_memory.c", "copy_huge_pmd", line)


def test_mm002_reports_the_defect(defective: Path) -> None:
    report = scan([str(defective)], ReviewOptions(select=["MM002"]), load_rules())
    assert [(f.code, str(f.severity), f.path, f.line) for f in report.findings] == [
        ("MM002", "error", "mm/huge_memory.c", 123)
    ]


def test_files_and_directories_and_the_kernel_option(defective: Path) -> None:
    report = scan(
        [str(defective / "mm" / "memory.c"), str(defective / "include")],
        ReviewOptions(kernel="6.1"),
        load_rules(),
    )
    assert report.notes[0] == "scan: 3 files, every line taken as added"
    assert (report.kernel, report.kernel_source) == ("6.1", "option")


def test_outside_a_kernel_tree_the_newest_kernel_is_the_target(tmp_path: Path) -> None:
    shutil.copy(TREE / "mm" / "memory.c", tmp_path / "memory.c")
    report = scan([str(tmp_path)], ReviewOptions(), load_rules())
    assert report.kernel_source == "default"
    assert report.notes == ("scan: 1 file, every line taken as added",)


def test_cli_scan_json_exit_status_and_schema(
    defective: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["scan", str(defective), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    jsonschema.validate(out, json.loads(SCHEMA.read_text()))
    assert status == 1
    assert [(f["code"], f["patch"], f["path"]) for f in out["findings"]] == [
        ("MM002", 1, "mm/huge_memory.c")
    ]
    assert main(["scan", str(TREE)]) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().out
    assert main(["scan", str(defective), "--fail-on", "never"]) == 0


def test_cli_scan_of_a_missing_path_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(tmp_path / "nowhere")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_scan_has_no_tree_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["scan", str(TREE), "--tree", str(TREE)])
    assert stopped.value.code == 2


def test_a_directory_without_c_files_is_an_error(tmp_path: Path) -> None:
    from reviewbot.errors import InputError
    from reviewbot.tree.scan import collect

    (tmp_path / "README").write_text("no C here\n")
    with pytest.raises(InputError, match=r"no \.c or \.h files"):
        collect([str(tmp_path)], None)
