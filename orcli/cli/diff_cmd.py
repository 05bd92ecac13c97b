"""``orcli diff``: compare two policy versions, run the drills under both, gate on regressions."""

from __future__ import annotations

import sys
import tempfile
from decimal import Decimal
from pathlib import Path

from orcli.catalog.load import load_catalog
from orcli.cli.boundary import ExitCode, UsageError
from orcli.diff.gate import DEFAULT_MAX_LOOSEN, RULES
from orcli.diff.git import open_repo
from orcli.diff.render import RENDERERS, render_markdown
from orcli.diff.report import build_report
from orcli.diff.sources import PolicySide, empty_side, side_from_git, side_from_path
from orcli.errors import InputError

DEFAULT_POLICIES = Path("policies")
DEFAULT_SCENARIOS = Path("scenarios")


def diff_cmd(
    paths: list[Path],
    *,
    base: str | None,
    scenarios: Path | None,
    no_drills: bool,
    catalog_path: Path | None,
    output_format: str,
    summary_path: Path | None,
    allow: list[str] | None = None,
    max_loosen: float = float(DEFAULT_MAX_LOOSEN),
) -> ExitCode:
    renderer = RENDERERS.get(output_format)
    if renderer is None:
        raise UsageError(f"--format: expected one of {', '.join(RENDERERS)}, got '{output_format}'")
    for rule in allow or []:
        if rule not in RULES:
            raise UsageError(f"--allow: no gate rule '{rule}' (rules: {', '.join(RULES)})")
    if not max_loosen >= 1:
        raise UsageError(f"--max-loosen: a factor of at least 1, got {max_loosen:g}")
    drills_dir, drills_note = _scenarios(scenarios, no_drills)
    catalog = load_catalog(catalog_path)
    with tempfile.TemporaryDirectory(prefix="orcli-diff-") as tmp:
        scratch = Path(tmp)
        old, new = _sides(paths, base, scratch)
        report = build_report(
            old,
            new,
            catalog,
            scenarios=drills_dir,
            drills_note=drills_note,
            scratch=scratch,
            allow=frozenset(allow or ()),
            max_loosen=Decimal(str(max_loosen)),
        )
    sys.stdout.write(renderer(report))
    if summary_path is not None:
        _append(summary_path, render_markdown(report))
    return ExitCode.CHECK_FAILED if report.regressed else ExitCode.OK


def _sides(paths: list[Path], base: str | None, scratch: Path) -> tuple[PolicySide, PolicySide]:
    if base is None:
        if len(paths) != 2:
            raise UsageError("give OLD and NEW (two policy files or folders), or --base GIT_REF [PATH]")
        old_path, new_path = paths
        return side_from_path(str(old_path), old_path), side_from_path(str(new_path), new_path)
    if len(paths) > 1:
        raise UsageError("--base compares one PATH (default policies/) with the same path at the ref")
    path = paths[0] if paths else DEFAULT_POLICIES
    cwd = Path.cwd()
    repo = open_repo(cwd)
    commit = repo.commit_of(base)
    old = side_from_git(repo, base, commit, path, cwd, scratch / "base")
    label = f"working tree ({path})"
    if path.exists():
        return old, side_from_path(label, path)
    if not old.entries:
        raise InputError(f"{path}: no such file or folder, here or at {base}")
    return old, empty_side(label, path)


def _scenarios(flag: Path | None, no_drills: bool) -> tuple[Path | None, str | None]:
    if no_drills:
        return None, "skipped (--no-drills)"
    if flag is not None:
        if not flag.exists():
            raise UsageError(f"--scenarios: {flag}: no such file or folder")
        return flag, None
    if DEFAULT_SCENARIOS.is_dir():
        return DEFAULT_SCENARIOS, None
    return None, "no scenarios/ folder here (point at one with --scenarios DIR)"


def _append(path: Path, text: str) -> None:
    # Appended, not replaced: $GITHUB_STEP_SUMMARY collects every step's summary in one file.
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"--summary: {path}: cannot write: {exc.strerror or exc}") from None
