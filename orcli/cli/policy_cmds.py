"""compile, explain and schema."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from orcli.catalog.load import load_catalog
from orcli.catalog.model import Catalog
from orcli.cli.boundary import UsageError
from orcli.cli.output import print_json, stdout_console
from orcli.errors import CheckFailed
from orcli.overrides.effect import exclusion_cause
from orcli.overrides.location import read_overrides
from orcli.overrides.model import Override
from orcli.overrides.resolve import ResolvedWorkflow, compile_resolved, override_summary, resolve_workflow
from orcli.policy.compile import chat_fragment
from orcli.policy.explain import Explanation, explain_workflow
from orcli.policy.lint import lint_policy
from orcli.policy.load import LoadedPolicy, load_policy
from orcli.policy.model import PolicyFile, Workflow
from orcli.reports.layout import Role, fit


def _selected(loaded: LoadedPolicy, name: str | None) -> list[tuple[str, Workflow]]:
    if name is not None:
        return [(name, loaded.workflow(name))]
    return list(loaded.policy.workflows.items())


def _resolved(loaded: LoadedPolicy, name: str | None, overrides: str | None) -> list[ResolvedWorkflow]:
    """The selected workflows with the route overrides in force now applied."""
    now = datetime.now(UTC)
    in_force = read_overrides(overrides)
    return [resolve_workflow(n, w, in_force, now) for n, w in _selected(loaded, name)]


# Lint rules whose findings mean the policy names something that does not exist: a request
# compiled or explained from it would be wrong, so these commands refuse it as validate does.
DANGLING_NAMES = ("unknown-model", "unknown-provider")


def _refuse_unknown_names(loaded: LoadedPolicy, workflow: str | None, catalog: Catalog) -> None:
    scope = f"workflows.{workflow}" if workflow is not None else "workflows"
    found = [
        f
        for f in lint_policy(loaded, catalog)
        if f.rule in DANGLING_NAMES and (f.field == scope or f.field.startswith((f"{scope}.", f"{scope}[")))
    ]
    if found:
        raise CheckFailed(
            "\n".join(f"{f.path}:{f.line}:{f.col}: {f.severity} [{f.rule}] {f.field}: {f.message}" for f in found)
        )


def compile_cmd(
    path: Path,
    workflow: str | None,
    mode: str,
    overrides: str | None = None,
    catalog_path: Path | None = None,
    *,
    as_preset: bool = False,
) -> None:
    if mode not in ("openrouter", "client"):
        raise UsageError(f"--mode: expected 'openrouter' or 'client', got '{mode}'")
    loaded = load_policy(path)
    if workflow is not None:
        loaded.workflow(workflow)  # an unknown workflow is named as such, before any lint
    _refuse_unknown_names(loaded, workflow, load_catalog(catalog_path))
    if as_preset:
        if mode != "openrouter":
            raise UsageError("--as-preset: a preset is OpenRouter's, so it takes --mode openrouter")
        # OpenRouter holds the routing part; the client settings stay in the app.
        presets = {r.name: chat_fragment(r.workflow, "openrouter") for r in _resolved(loaded, workflow, overrides)}
        print_json({"presets": presets})
        return
    compiled = [compile_resolved(r, mode) for r in _resolved(loaded, workflow, overrides)]  # type: ignore[arg-type]
    print_json(compiled[0] if workflow is not None else compiled)


def explain_cmd(
    path: Path, workflow: str | None, catalog_path: Path | None, as_json: bool, overrides: str | None = None
) -> None:
    catalog = load_catalog(catalog_path)
    loaded = load_policy(path)
    if workflow is not None:
        loaded.workflow(workflow)
    _refuse_unknown_names(loaded, workflow, catalog)
    resolved = _resolved(loaded, workflow, overrides)
    explanations = [explain_workflow(r.name, r.workflow, catalog) for r in resolved]
    if as_json:
        data = []
        for r, e in zip(resolved, explanations, strict=True):
            item = e.to_json()
            if r.applied:
                _name_overrides_in_json(item, e, r.applied)
                item["overrides"] = [override_summary(o) for o in r.applied]
            data.append(item)
        print_json(data[0] if workflow is not None else data)
        return
    console = stdout_console()
    for r, explanation in zip(resolved, explanations, strict=True):
        render_explanation(explanation, console, r.applied)
        for o in r.applied:
            console.print(f"  [yellow]route override {o.id}[/yellow]: {escape(o.describe())} ({escape(o.reason)})")


def _name_overrides_in_json(item: dict[str, Any], explanation: Explanation, applied: Sequence[Override]) -> None:
    """Each exclusion (and 404) an override caused gets its ``override`` id."""
    for plan, model in zip(explanation.plans, item["models"], strict=True):
        causes = [exclusion_cause(x.rule, x.endpoint.matches, applied) for x in plan.excluded]
        for excluded, cause in zip(model["excluded"], causes, strict=True):
            if cause is not None:
                excluded["override"] = cause.id
        named = _failure_causes(causes)
        if model["error"] is not None and named:
            model["error"]["overrides"] = named


def _failure_causes(causes: Sequence[Override | None]) -> list[str]:
    return list(dict.fromkeys(c.id for c in causes if c is not None))


# The rank and the reason tell an eligible endpoint from an excluded one: they stay at any
# width; the figures behind the reason go first when the terminal is narrow.
EXPLAIN_ROLES: dict[str, Role] = {
    "#": "key",
    "provider": "shrink",
    "tag": "optional",
    "$/M in": "optional",
    "$/M out": "optional",
    "ctx": "optional",
    "quant": "optional",
    "zdr": "optional",
    "ttft": "optional",
    "tok/s": "optional",
    "why": "wrap",
}
EXPLAIN_DROP_FIRST = ("quant", "tok/s", "ttft", "tag", "ctx", "$/M out", "zdr", "$/M in")


def render_explanation(explanation: Explanation, console: Console, applied: Sequence[Override] = ()) -> None:
    console.print(f"[bold]workflow {explanation.workflow}[/bold]")
    for position, plan in enumerate(explanation.plans):
        role = "primary" if position == 0 else f"fallback {position}"
        table = Table(title=f"{plan.model_id} ({role})", title_justify="left", expand=False)
        for column in ("#", "provider", "tag", "$/M in", "$/M out", "ctx", "quant", "zdr", "ttft", "tok/s", "why"):
            table.add_column(column, no_wrap=column != "why")
        for rank, cand in enumerate(plan.candidates, 1):
            why = cand.reason
            if cand.first_pick_chance is not None:
                why += f", first pick {cand.first_pick_chance:.0%}"
            table.add_row(str(rank), *_cells(cand.endpoint), f"[green]{why}[/green]")
        causes = [exclusion_cause(x.rule, x.endpoint.matches, applied) for x in plan.excluded]
        for excl, cause in zip(plan.excluded, causes, strict=True):
            by = f"{excl.rule} (route override {cause.id})" if cause is not None else excl.rule
            table.add_row("-", *_cells(excl.endpoint), f"[red]excluded by {by}[/red]: {escape(excl.detail)}")
        console.print(fit(table, console.width, EXPLAIN_ROLES, EXPLAIN_DROP_FIRST))
        if plan.dropped_parameters:
            console.print(f"  note: no endpoint supports {', '.join(plan.dropped_parameters)}: OpenRouter drops it")
        if plan.failure is not None:
            line = f"  [red]OpenRouter would answer {plan.failure.status}:[/red] {escape(plan.failure.message)}"
            named = _failure_causes(causes)
            if named:
                line += f" [yellow](caused by route override {', '.join(named)})[/yellow]"
            console.print(line)


def _cells(ep: Any) -> list[str]:
    return [
        ep.provider_name,
        ep.tag,
        f"{ep.pricing.per_million('prompt'):.2f}",
        f"{ep.pricing.per_million('completion'):.2f}",
        f"{ep.context_length:,}",
        ep.quantization or "-",
        "yes" if ep.data_policy.zdr else "no",
        f"{ep.latency_last_30m.p50:.2f}s",
        f"{ep.throughput_last_30m.p50:g}",
    ]


def schema_cmd(kind: str) -> None:
    from orcli.drill.scenario import Scenario

    schemas: dict[str, type[BaseModel]] = {"policy": PolicyFile, "scenario": Scenario}
    model = schemas.get(kind)
    if model is None:
        raise UsageError(f"schema: unknown kind '{kind}'; expected one of: {', '.join(schemas)}")
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema.setdefault("title", f"orcli {kind} file")
    print(json.dumps(schema, indent=2))
