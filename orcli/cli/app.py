"""``orcli``: the Typer application. Commands parse flags and call the library.

Heavy modules (httpx, jsonschema, the simulator and server) are imported inside the
commands that need them, so ``orcli --help`` stays fast. No ``from __future__ import
annotations`` here: Typer reads every command's signature at start-up, and annotations
already evaluated save it compiling each one from a string (about 12 ms per run).
"""

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from orcli.cli.boundary import Boundary, ExitCode
from orcli.openrouter import BASE_URL

# Plain help (click's own layout): typer's rich help costs about 80 ms of imports on every
# `--help`, and renders flags as `--quiet -q <bool>` as if they took a value.
PLAIN: dict[str, Any] = {
    "rich_markup_mode": None,
    "no_args_is_help": True,
    "context_settings": {"help_option_names": ["-h", "--help"], "max_content_width": 100},
}

app = typer.Typer(
    name="orcli",
    cls=Boundary,  # every command runs inside the one error boundary
    help="Workflow routing policy as code for OpenRouter apps, tested by chaos drills.",
    pretty_exceptions_enable=False,  # the boundary prints one line; a local may hold an API key
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    **PLAIN,
)
catalog_app = typer.Typer(help="Inspect the model/provider catalog.", **PLAIN)
app.add_typer(catalog_app, name="catalog")
route_app = typer.Typer(help="On-call route control: disable or force routes without editing policies.", **PLAIN)
app.add_typer(route_app, name="route")
preview_app = typer.Typer(
    help="Show what an override would do to each workflow, before and after, without storing it.", **PLAIN
)
route_app.add_typer(preview_app, name="preview")
mock_app = typer.Typer(help="The OpenRouter simulator (mock upstream).", **PLAIN)
app.add_typer(mock_app, name="mock")
traffic_app = typer.Typer(help="Traffic logs: the shape of real traffic, for drills to replay.", **PLAIN)
app.add_typer(traffic_app, name="traffic")


def _version(value: bool) -> None:
    if value:
        from orcli import __version__

        print(f"orcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Workflow routing policy as code for OpenRouter apps, tested by chaos drills."""


CatalogOpt = Annotated[
    Path | None,
    typer.Option("--catalog", envvar="ORCLI_CATALOG", help="Catalog file (default: the embedded one)."),
]
OverridesOpt = Annotated[
    str | None,
    typer.Option(
        "--overrides",
        envvar="ORCLI_OVERRIDES",
        help=(
            "Route overrides: a file, or redis://host:port/db?prefix=... for a fleet "
            "(default: .orcli/overrides.yaml in the project root; a missing file means none)."
        ),
    ),
]
WorkflowOpt = Annotated[
    str | None, typer.Option("--workflow", "-w", help="Workflow name (default: every workflow in the file).")
]
PolicyArg = Annotated[Path, typer.Argument(metavar="POLICY", help="Policy file.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
ScenariosArg = Annotated[list[Path], typer.Argument(metavar="SCENARIO", help="Scenario files or folders.")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Override the scenario's seed.")]


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="Policy and scenario files or folders (default: policies/ and scenarios/ of the project root).",
        ),
    ] = None,
    catalog: CatalogOpt = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail the check too (exit 1).")] = False,
    output_format: Annotated[str, typer.Option("--format", help="text, json or github (annotations).")] = "text",
    overrides: OverridesOpt = None,
) -> int:
    """Check policies and scenarios against their schemas, the catalog and each other, with the
    route overrides in force; nothing is run. Exit 0 clean, 1 lint errors, 2 bad input."""
    from orcli.cli import validate_cmd

    return validate_cmd.run(paths or validate_cmd.default_paths(), catalog, strict, output_format, overrides)


@app.command()
def compile(
    policy: PolicyArg,
    workflow: WorkflowOpt = None,
    mode: Annotated[
        str, typer.Option(help="Model fallback via 'openrouter' (models field) or 'client' (app-side chain).")
    ] = "openrouter",
    overrides: OverridesOpt = None,
    as_preset: Annotated[
        bool, typer.Option("--as-preset", help="Emit the workflows as OpenRouter preset bodies (a presets file).")
    ] = False,
) -> int:
    """Print the exact OpenRouter request fragment and the client-side settings, as JSON."""
    from orcli.cli import policy_cmds

    policy_cmds.compile_cmd(policy, workflow, mode, overrides, as_preset=as_preset)
    return ExitCode.OK


@app.command()
def explain(
    policy: PolicyArg,
    workflow: WorkflowOpt = None,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
    overrides: OverridesOpt = None,
) -> int:
    """Show every endpoint of each model in the chain: eligible in try order, or excluded and why."""
    from orcli.cli import policy_cmds

    policy_cmds.explain_cmd(policy, workflow, catalog, as_json, overrides)
    return ExitCode.OK


@app.command()
def schema(
    kind: Annotated[str, typer.Argument(metavar="KIND", help="Which schema: policy or scenario.")] = "policy",
) -> int:
    """Print the JSON Schema of a file kind, for editors."""
    from orcli.cli import policy_cmds

    policy_cmds.schema_cmd(kind)
    return ExitCode.OK


@catalog_app.command("show")
def catalog_show(
    model: Annotated[str | None, typer.Argument(metavar="MODEL", help="A model id to list its endpoints.")] = None,
    catalog: CatalogOpt = None,
) -> int:
    """List the catalog's models, or one model's endpoints."""
    from orcli.cli import catalog_cmds

    catalog_cmds.show(model, catalog)
    return ExitCode.OK


ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (required; goes to the audit log).")]
TtlOpt = Annotated[str | None, typer.Option("--ttl", help="Expire after 90s, 15m, 2h, 1d, ...")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Expire at an ISO 8601 time with zone.")]
PoliciesOpt = Annotated[
    list[Path] | None,
    typer.Option("--policy", "-p", help="Policy files or folders to check (default: policies/ if present)."),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Store it even if a workflow is left without a route.")]
ScopeOpt = Annotated[str | None, typer.Option("--workflow", "-w", help="Only this workflow (default: all).")]
ProviderOpt = Annotated[str | None, typer.Option("--provider", help="Provider slug, e.g. groq.")]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model id, e.g. openai/gpt-4o.")]
ForcedWorkflowOpt = Annotated[str, typer.Option("--workflow", "-w", help="The workflow to pin.")]
ForcedModelOpt = Annotated[str, typer.Option("--model", help="The model to pin it to.")]
NoteOpt = Annotated[str | None, typer.Option("--reason", help="Why (goes to the audit log).")]
PreviewReasonOpt = Annotated[str, typer.Option("--reason", help="Why (optional for a preview).")]


@route_app.command("disable")
def route_disable(
    reason: ReasonOpt,
    provider: ProviderOpt = None,
    model: ModelOpt = None,
    workflow: ScopeOpt = None,
    ttl: TtlOpt = None,
    until: UntilOpt = None,
    policy: PoliciesOpt = None,
    catalog: CatalogOpt = None,
    force: ForceOpt = False,
    overrides: OverridesOpt = None,
) -> int:
    """Disable a provider or a model, everywhere or in one workflow."""
    from orcli.cli import route_cmds

    target = route_cmds.Target.disable(provider, model, workflow, reason, ttl, until)
    route_cmds.add_cmd(target, overrides, policy, catalog, force)
    return ExitCode.OK


@route_app.command("force")
def route_force(
    workflow: ForcedWorkflowOpt,
    model: ForcedModelOpt,
    reason: ReasonOpt,
    provider: ProviderOpt = None,
    ttl: TtlOpt = None,
    until: UntilOpt = None,
    policy: PoliciesOpt = None,
    catalog: CatalogOpt = None,
    force: ForceOpt = False,
    replace: Annotated[
        list[str] | None,
        typer.Option(
            "--replace",
            metavar="ID",
            help="Lift this contradicting override in the same change (repeatable).",
        ),
    ] = None,
    overrides: OverridesOpt = None,
) -> int:
    """Pin a workflow to one model (and optionally one provider), with no fallbacks, until it expires."""
    from orcli.cli import route_cmds

    target = route_cmds.Target.force(workflow, model, provider, reason, ttl, until)
    route_cmds.add_cmd(target, overrides, policy, catalog, force, replace or ())
    return ExitCode.OK


@route_app.command("enable")
def route_enable(
    override_id: Annotated[str, typer.Argument(metavar="ID", help="The override id, as 'orcli route list' shows.")],
    reason: NoteOpt = None,
    overrides: OverridesOpt = None,
) -> int:
    """Remove one override: the route it disabled or forced is back to the policy."""
    from orcli.cli import route_cmds

    route_cmds.enable_cmd(override_id, overrides, reason)
    return ExitCode.OK


@route_app.command("list")
def route_list(as_json: JsonOpt = False, overrides: OverridesOpt = None) -> int:
    """List overrides: active ones with their time left, expired ones marked."""
    from orcli.cli import route_cmds

    route_cmds.list_cmd(overrides, as_json)
    return ExitCode.OK


@route_app.command("clear")
def route_clear(
    expired: Annotated[bool, typer.Option("--expired", help="Remove only the expired overrides.")] = False,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (required unless --expired; goes to the audit log).")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation on a terminal.")] = False,
    overrides: OverridesOpt = None,
) -> int:
    """Remove every override (or, with --expired, only the expired ones)."""
    from orcli.cli import route_cmds

    route_cmds.clear_cmd(overrides, expired, reason, yes, route_cmds.terminal_confirm())
    return ExitCode.OK


@preview_app.command("disable")
def preview_disable(
    provider: ProviderOpt = None,
    model: ModelOpt = None,
    workflow: ScopeOpt = None,
    reason: PreviewReasonOpt = "preview",
    ttl: TtlOpt = None,
    until: UntilOpt = None,
    policy: PoliciesOpt = None,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
    overrides: OverridesOpt = None,
) -> int:
    """Preview disabling a provider or a model."""
    from orcli.cli import route_cmds

    target = route_cmds.Target.disable(provider, model, workflow, reason, ttl, until)
    route_cmds.preview_cmd(target, overrides, policy, catalog, as_json)
    return ExitCode.OK


@preview_app.command("force")
def preview_force(
    workflow: ForcedWorkflowOpt,
    model: ForcedModelOpt,
    provider: ProviderOpt = None,
    reason: PreviewReasonOpt = "preview",
    ttl: Annotated[str | None, typer.Option("--ttl", help="Expiry (default 1h for a preview).")] = None,
    until: UntilOpt = None,
    policy: PoliciesOpt = None,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
    overrides: OverridesOpt = None,
) -> int:
    """Preview pinning a workflow to one model (and optionally one provider)."""
    from orcli.cli import route_cmds

    if ttl is None and until is None:
        ttl = "1h"  # the expiry changes nothing in the preview; force overrides just need one
    target = route_cmds.Target.force(workflow, model, provider, reason, ttl, until)
    route_cmds.preview_cmd(target, overrides, policy, catalog, as_json)
    return ExitCode.OK


@mock_app.command("serve")
def mock_serve(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback unless --allow-remote).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port (0 = any free port).")] = 8787,
    catalog: CatalogOpt = None,
    faults: Annotated[Path | None, typer.Option("--faults", help="Faults file (YAML or JSON).")] = None,
    presets: Annotated[
        Path | None, typer.Option("--presets", help="Presets file (YAML or JSON): presets: {slug: {fields}}.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for routing, timing and content.")] = 0,
    time_scale: Annotated[
        float, typer.Option(min=0.0, help="Multiply every simulated delay (0 = answer at once).")
    ] = 1.0,
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Allow a non-loopback --host.")] = False,
) -> int:
    """Serve the OpenRouter API (chat completions, models, generation, key) with injectable faults."""
    from orcli.cli import mock_cmds

    mock_cmds.serve_cmd(host, port, catalog, faults, presets, seed, time_scale, allow_remote)
    return ExitCode.OK


BaseUrlOpt = Annotated[
    str,
    typer.Option(
        "--base-url",
        envvar="ORCLI_BASE_URL",
        help="OpenRouter API base URL (a gateway, or 'orcli mock serve' at http://127.0.0.1:8787/api/v1).",
    ),
]


@app.command()
def drill(
    paths: ScenariosArg,
    seed: SeedOpt = None,
    catalog: CatalogOpt = None,
    overrides: OverridesOpt = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the JSON report here.")] = None,
    junit_path: Annotated[Path | None, typer.Option("--junit", help="Write a JUnit XML report here.")] = None,
    markdown_path: Annotated[Path | None, typer.Option("--markdown", help="Write a Markdown report here.")] = None,
    html_path: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report with an incident timeline here.")
    ] = None,
    otlp_path: Annotated[
        Path | None,
        typer.Option("--otlp-json", help="Write the drill as OpenTelemetry traces (OTLP/JSON, simulated time) here."),
    ] = None,
    max_rows: Annotated[int, typer.Option("--max-rows", help="Request rows shown before condensing.")] = 50,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the summary and verdicts.")] = False,
    target: Annotated[
        str | None, typer.Option("--target", help="mock or live (default: the scenario's 'target').")
    ] = None,
    base_url: BaseUrlOpt = BASE_URL,
    yes_live: Annotated[
        bool, typer.Option("--yes-live", help="Consent to send real, billed requests (live target only).")
    ] = False,
    max_requests: Annotated[
        int, typer.Option("--max-requests", help="Live: hard cap on requests sent, retries included.")
    ] = 20,
    max_cost: Annotated[str, typer.Option("--max-cost", help="Live: hard cap on spend in USD.")] = "0.10",
    max_tokens: Annotated[
        int, typer.Option("--max-tokens", help="Live: max_tokens of requests whose scenario sets none.")
    ] = 64,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", help="Live: requests in flight at most (default: the scenario's).")
    ] = None,
    abort_error_rate: Annotated[
        float, typer.Option("--abort-error-rate", help="Live: abort when this share of real responses failed.")
    ] = 0.5,
    abort_min_requests: Annotated[
        int, typer.Option("--abort-min-requests", help="Live: responses seen before the error rate counts.")
    ] = 5,
    abort_spend: Annotated[
        str | None,
        typer.Option("--abort-spend", help="Live: abort once this much USD is spent (default 80% of --max-cost)."),
    ] = None,
    trail: Annotated[
        bool, typer.Option("--trail", help="Live: fetch each generation's attempt trail from /generation.")
    ] = False,
    app_url: Annotated[
        str | None, typer.Option("--app-url", envvar="ORCLI_APP_URL", help="Live: HTTP-Referer for attribution.")
    ] = None,
    record_traffic: Annotated[
        Path | None,
        typer.Option("--record-traffic", help="Write the drill's traffic log (JSON Lines, no content) here."),
    ] = None,
    record_sample: Annotated[
        float, typer.Option("--record-sample", help="Share of requests (whole conversations) the log keeps.")
    ] = 1.0,
) -> int:
    """Run chaos drills: scripted traffic and faults against the mock upstream (or, with --target live
    --yes-live, the real API under hard caps); exit 1 if an expectation fails or a safeguard aborts."""
    from orcli.cli.drill_cmd import LiveFlags, drill_cmd

    return drill_cmd(
        paths,
        seed=seed,
        catalog_path=catalog,
        overrides_path=overrides,
        json_path=json_path,
        junit_path=junit_path,
        markdown_path=markdown_path,
        html_path=html_path,
        otlp_path=otlp_path,
        max_rows=max_rows,
        quiet=quiet,
        target=target,
        live_flags=LiveFlags(
            base_url=base_url,
            yes_live=yes_live,
            max_requests=max_requests,
            max_cost_usd=max_cost,
            max_tokens=max_tokens,
            concurrency=concurrency,
            abort_error_rate=abort_error_rate,
            abort_min_requests=abort_min_requests,
            abort_spend_usd=abort_spend,
            trail=trail,
            app_url=app_url,
        ),
        record_traffic=record_traffic,
        record_sample=record_sample,
    )
    return ExitCode.OK


@app.command()
def diff(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH",
            help="OLD NEW (policy files or folders), or with --base one PATH (default policies/).",
        ),
    ] = None,
    base: Annotated[
        str | None, typer.Option("--base", help="Compare the working tree's PATH with the same path at this git ref.")
    ] = None,
    scenarios: Annotated[
        Path | None,
        typer.Option("--scenarios", help="Scenario files or folder to run under both versions (default scenarios/)."),
    ] = None,
    no_drills: Annotated[bool, typer.Option("--no-drills", help="Compare policies only; run no scenario.")] = False,
    catalog: CatalogOpt = None,
    output_format: Annotated[str, typer.Option("--format", help="text, json, github or markdown.")] = "text",
    summary: Annotated[
        Path | None,
        typer.Option("--summary", help="Also append the Markdown report to this file (e.g. $GITHUB_STEP_SUMMARY)."),
    ] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option(
            "--allow",
            metavar="RULE",
            help="Accept one gate rule knowingly (data-policy, loosened-cap, require-parameters); repeatable. "
            "The output still records it.",
        ),
    ] = None,
    max_loosen: Annotated[
        float, typer.Option("--max-loosen", help="A budget or price cap may rise by at most this factor.")
    ] = 2.0,
) -> int:
    """What a policy change does: requests, endpoints, cost, chains and drill verdicts. Exit 1 on a regression
    or a broken gate rule (a newly eligible endpoint against the data class, a loosened cap, a dropped
    require_parameters)."""
    from orcli.cli.diff_cmd import diff_cmd

    return diff_cmd(
        paths or [],
        base=base,
        scenarios=scenarios,
        no_drills=no_drills,
        catalog_path=catalog,
        output_format=output_format,
        summary_path=summary,
        allow=allow,
        max_loosen=max_loosen,
    )


@app.command()
def mutate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="POLICY|DIR", help="Policy files or folders to mutate (default policies/)."),
    ] = None,
    scenarios: Annotated[
        Path | None,
        typer.Option("--scenarios", help="Scenario file or folder whose drills may kill mutants (default scenarios/)."),
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the results as JSON here.")] = None,
    min_score: Annotated[
        float | None, typer.Option("--min-score", help="Exit 1 when the score (0 to 1) is below this.")
    ] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Drill processes (default: one per CPU).")] = None,
    catalog: CatalogOpt = None,
) -> int:
    """Mutation testing: weaken each rule of each workflow and report whether lint, the diff gate or a drill
    notices. Score = killed / (all - equivalent)."""
    from orcli.cli.mutate_cmd import mutate_cmd

    return mutate_cmd(
        paths or [], scenarios=scenarios, json_path=json_path, min_score=min_score, jobs=jobs, catalog_path=catalog
    )


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="Project folder (default: here).")] = Path("."),
) -> int:
    """Scaffold policies/ and scenarios/: one policy and two drills that pass as written. Never overwrites."""
    from orcli.scaffold import init_project

    for path in init_project(folder):
        print(f"wrote {path}")
    print(f"next: orcli validate {folder / 'policies'} && orcli drill {folder / 'scenarios'}")
    return ExitCode.OK


@catalog_app.command("pull")
def catalog_pull(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the catalog here (default: standard output).")
    ] = None,
    base_url: BaseUrlOpt = BASE_URL,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Only models matching this id or glob (repeatable), e.g. 'openai/*'."),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many models (after --model).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing --output file.")] = False,
) -> int:
    """Build a catalog from the live API (/models and each model's /endpoints); usable with --catalog."""
    from orcli.cli import live_cmds

    live_cmds.pull_cmd(output, base_url, model or [], limit, force)
    return ExitCode.OK


@app.command()
def doctor(
    base_url: BaseUrlOpt = BASE_URL,
    catalog: CatalogOpt = None,
) -> int:
    """Check the live setup: API key present and valid (credit, usage), base URL reachable, catalog age."""
    from orcli.cli import live_cmds

    return live_cmds.doctor_cmd(base_url, catalog)


@app.command()
def rehearse(
    paths: ScenariosArg,
    catalog: CatalogOpt = None,
    seed: SeedOpt = None,
) -> int:
    """Rehearse live drills for free: each scenario through the live code path against the in-process
    simulator, compared with its mock run per expectation verdict; exit 1 when they differ."""
    from orcli.cli import live_cmds

    return live_cmds.rehearse_cmd(paths, catalog, seed)


def main() -> None:
    # orcli's own models use no pydantic plugin; looking for them reads the metadata of every
    # installed distribution, a cost every command would pay at start-up. (The library,
    # imported by an app, leaves the app's plugins alone: this is the command only.)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    app()


@traffic_app.command("summarize")
def traffic_summarize(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A traffic log (JSON Lines).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the shape as JSON.")] = False,
) -> int:
    """Print a traffic log's shape: rates per hour, the kind mix, prompt and answer size percentiles."""
    from orcli.cli.traffic_cmd import summarize_cmd

    summarize_cmd(path, as_json=as_json)
    return ExitCode.OK
