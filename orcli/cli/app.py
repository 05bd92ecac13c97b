"""``orcli``: the Typer application. Commands parse flags and call the library.

Heavy modules (httpx, jsonschema, the simulator and server) are imported inside the
commands that need them, so ``orcli --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orcli.cli.boundary import guarded

app = typer.Typer(
    name="orcli",
    help="Workflow routing policy as code for OpenRouter apps, tested by chaos drills.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # a local may hold an API key
    add_completion=False,
)
catalog_app = typer.Typer(help="Inspect the model/provider catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
mock_app = typer.Typer(help="The OpenRouter simulator (mock upstream).", no_args_is_help=True)
app.add_typer(mock_app, name="mock")

CatalogOpt = Annotated[
    Path | None,
    typer.Option("--catalog", envvar="ORCLI_CATALOG", help="Catalog file (default: the embedded one)."),
]
WorkflowOpt = Annotated[
    str | None, typer.Option("--workflow", "-w", help="Workflow name (default: every workflow in the file).")
]


@app.command()
@guarded
def compile(
    policy: Annotated[Path, typer.Argument(help="Policy file.")],
    workflow: WorkflowOpt = None,
    mode: Annotated[
        str, typer.Option(help="Model fallback via 'openrouter' (models field) or 'client' (app-side chain).")
    ] = "openrouter",
) -> None:
    """Print the exact OpenRouter request fragment and the client-side settings, as JSON."""
    from orcli.cli import policy_cmds

    policy_cmds.compile_cmd(policy, workflow, mode)


@app.command()
@guarded
def explain(
    policy: Annotated[Path, typer.Argument(help="Policy file.")],
    workflow: WorkflowOpt = None,
    catalog: CatalogOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show every endpoint of each model in the chain: eligible in try order, or excluded and why."""
    from orcli.cli import policy_cmds

    policy_cmds.explain_cmd(policy, workflow, catalog, as_json)


@app.command()
@guarded
def schema(
    kind: Annotated[str, typer.Argument(help="Which schema: policy (more to come).")] = "policy",
) -> None:
    """Print the JSON Schema of a file kind, for editors."""
    from orcli.cli import policy_cmds

    policy_cmds.schema_cmd(kind)


@catalog_app.command("show")
@guarded
def catalog_show(
    model: Annotated[str | None, typer.Argument(help="A model id to list its endpoints.")] = None,
    catalog: CatalogOpt = None,
) -> None:
    """List the catalog's models, or one model's endpoints."""
    from orcli.cli import catalog_cmds

    catalog_cmds.show(model, catalog)


@mock_app.command("serve")
@guarded
def mock_serve(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback unless --allow-remote).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port (0 = any free port).")] = 8787,
    catalog: CatalogOpt = None,
    faults: Annotated[Path | None, typer.Option("--faults", help="Faults file (YAML or JSON).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for routing, timing and content.")] = 0,
    time_scale: Annotated[
        float, typer.Option(min=0.0, help="Multiply every simulated delay (0 = answer at once).")
    ] = 1.0,
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Allow a non-loopback --host.")] = False,
) -> None:
    """Serve the OpenRouter API (chat completions, models, generation, key) with injectable faults."""
    from orcli.cli import mock_cmds

    mock_cmds.serve_cmd(host, port, catalog, faults, seed, time_scale, allow_remote)


def main() -> None:
    app()
