"""Every report a drill can write is documented where users look: the README's command
table and docs/scenarios.md."""

from __future__ import annotations

import pytest

from orcli.reports import FORMATS
from tests.docs.project import ROOT

FLAGS = {"json": "--json", "junit": "--junit", "markdown": "--markdown", "html": "--html"}


@pytest.mark.parametrize("page", ["README.md", "docs/scenarios.md"])
def test_every_report_flag_is_documented(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    assert set(FLAGS) <= set(FORMATS)
    missing = [flag for flag in FLAGS.values() if flag not in text]
    assert not missing, f"{page} does not mention {', '.join(missing)}"
