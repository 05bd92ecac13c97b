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

CatalogOpt = Annotated[
    Path | None,
    typer.Option("--catalog", envvar="ORCLI_CATALOG", help="Catalog file (default: the embedded one)."),
]
WorkflowOpt = Annotated[
    str | None, typer.Option("--workflow", "-w", help="Workflow name (default: every workflow in the file).")
]


@app.command()
@guarded
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Policy files or folders of them.")],
    catalog: CatalogOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail the check too (exit 1).")] = False,
    output_format: Annotated[str, typer.Option("--format", help="text, json or github (annotations).")] = "text",
) -> None:
    """Check policies against the schema and the catalog. Exit 0 clean, 1 lint errors, 2 unreadable input."""
    from orcli.cli import validate_cmd

    code = validate_cmd.run(paths, catalog, strict, output_format)
    if code:
        raise typer.Exit(int(code))


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


def main() -> None:
    app()
