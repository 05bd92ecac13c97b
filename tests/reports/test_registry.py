"""The format registry and the atomic report writer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from orcli.errors import InvalidValue
from orcli.reports import FORMATS, render_report, write_report
from orcli.reports.html import to_html
from orcli.reports.json_report import dumps
from orcli.reports.junit import to_junit
from orcli.reports.markdown import to_markdown

from .factory import Drills


def test_registry_names_every_format() -> None:
    assert sorted(FORMATS) == ["html", "json", "junit", "markdown", "text"]


def test_one_drill_writes_a_drill_report_and_a_list_a_suite(drills: Drills, tmp_path: Path) -> None:
    single = write_report("json", drills.small(), tmp_path / "drill.json")
    assert single.read_text(encoding="utf-8") == dumps(drills.small())
    suite = write_report("json", [drills.small()], tmp_path / "suite.json")
    assert json.loads(suite.read_text(encoding="utf-8"))["schema"] == "orcli.drill-suite/4"


def test_every_format_writes_what_its_module_renders(drills: Drills, tmp_path: Path) -> None:
    results = [drills.small(), drills.large(total=60)]
    write_report("junit", results, tmp_path / "junit.xml")
    write_report("markdown", results, tmp_path / "summary.md")
    write_report("text", results, tmp_path / "drill.txt")
    write_report("html", results, tmp_path / "drill.html")
    assert (tmp_path / "drill.html").read_text(encoding="utf-8") == to_html(results)
    assert (tmp_path / "junit.xml").read_text(encoding="utf-8") == to_junit(results)
    assert (tmp_path / "summary.md").read_text(encoding="utf-8") == to_markdown(results)
    text = (tmp_path / "drill.txt").read_text(encoding="utf-8")
    assert "Drill provider-outage" in text and "Drill storm" in text
    assert text.rstrip().splitlines()[-1].startswith("FAIL: 1 of 2 scenarios passed")
    assert "\x1b[" not in text  # no colour codes in a file


def test_writes_only_the_named_file_and_leaves_no_temporary(drills: Drills, tmp_path: Path) -> None:
    neighbour = tmp_path / "keep.json"
    neighbour.write_text("mine", encoding="utf-8")
    target = tmp_path / "report.md"
    target.write_text("old report", encoding="utf-8")
    write_report("markdown", drills.small(), target)
    assert target.read_text(encoding="utf-8").startswith("## ❌")
    assert neighbour.read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.json", "report.md"]


def test_creates_missing_folders(drills: Drills, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "ci" / "drill.xml"
    write_report("junit", drills.small(), target)
    assert target.read_text(encoding="utf-8").startswith("<?xml")


def test_unknown_format_is_a_usage_error(drills: Drills, tmp_path: Path) -> None:
    with pytest.raises(InvalidValue) as caught:
        write_report("pdf", drills.small(), tmp_path / "x.pdf")
    assert str(caught.value) == "unknown report format 'pdf' (known: html, json, junit, markdown, text)"
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidValue):
        render_report("yaml", drills.small())


def test_a_directory_is_not_overwritten(drills: Drills, tmp_path: Path) -> None:
    with pytest.raises(InvalidValue) as caught:
        write_report("json", drills.small(), tmp_path)
    assert str(caught.value) == f"{tmp_path}: is a directory; give the json report a file name"


def test_a_file_in_place_of_a_folder_is_a_usage_error(drills: Drills, tmp_path: Path) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(InvalidValue) as caught:
        write_report("json", drills.small(), blocker / "drill.json")
    assert str(caught.value).startswith(f"{blocker / 'drill.json'}: cannot write the json report: ")
    assert blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through directory permissions")
def test_unwritable_folder_is_a_usage_error_and_leaves_nothing(drills: Drills, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InvalidValue) as caught:
            write_report("json", drills.small(), locked / "drill.json")
        assert str(caught.value).startswith(f"{locked / 'drill.json'}: cannot write the json report: ")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)
