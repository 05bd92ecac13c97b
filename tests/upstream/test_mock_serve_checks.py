"""``orcli mock serve --faults FILE`` checks each fault's target against the catalog before it
serves: a typo would otherwise never fire, silently."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from orcli.catalog.load import default_catalog
from orcli.cli.app import app
from orcli.errors import SourceError
from orcli.upstream.faults import parse_faults

cli = CliRunner()


def serve(faults: Path) -> tuple[int, str, str]:
    result = cli.invoke(app, ["mock", "serve", "--port", "0", "--faults", str(faults)])
    return result.exit_code, result.stdout, result.stderr


def test_a_mistyped_provider_is_refused_before_serving(tmp_path: Path) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text("faults:\n  - kind: outage\n    provider: grok\n")
    code, out, err = serve(faults)
    assert code == 2
    assert err == f"{faults}:3:15: faults[0].provider: unknown provider 'grok'; did you mean 'groq'?\n"
    assert out == "" and "Traceback" not in err


def test_a_mistyped_model_in_a_bare_list_is_refused_at_its_line(tmp_path: Path) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text("- kind: latency\n  add_s: 2\n- kind: outage\n  model: openai/gpt-4o-mni\n")
    code, _, err = serve(faults)
    assert code == 2
    assert err.startswith(f"{faults}:4:10: faults[1].model: unknown model 'openai/gpt-4o-mni'; did you mean ")
    assert err.count("\n") == 1


def test_known_targets_pass_and_a_variant_suffix_is_ignored(tmp_path: Path) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text("- {kind: outage, provider: groq}\n- {kind: timeout, model: 'openai/gpt-4o-mini:floor'}\n")
    parsed = parse_faults(faults, catalog=default_catalog())
    assert [f.fault_id for f in parsed] == ["outage-1", "timeout-2"]


def test_without_a_catalog_targets_are_not_checked() -> None:
    (fault,) = parse_faults("f.yaml", "- {kind: outage, provider: grok}\n")
    assert fault.provider == "grok"
    with pytest.raises(SourceError, match=r"f\.yaml:1:28: faults\[0\]\.provider: unknown provider 'grok'"):
        parse_faults("f.yaml", "- {kind: outage, provider: grok}\n", catalog=default_catalog())
