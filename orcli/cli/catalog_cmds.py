"""``orcli catalog show``."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from orcli.catalog.load import load_catalog
from orcli.cli.output import stdout_console
from orcli.errors import InputError
from orcli.reports.layout import Role, fit
from orcli.upstream.targets import model_problem

MODEL_LIST_ROLES: dict[str, Role] = {
    "model": "key",
    "name": "shrink",
    "context": "optional",
    "endpoints": "optional",
    "providers": "wrap",
}
# An endpoint is named by its tag; the figures go, least used first, when the terminal is narrow.
ENDPOINT_ROLES: dict[str, Role] = {
    "provider": "shrink",
    "tag": "key",
    "parameters": "optional",
    **{
        c: "optional"
        for c in ("$/M in", "$/M out", "ctx", "max out", "quant", "tier", "zdr", "collects", "ttft p50", "tok/s p50")
    },
    "uptime": "optional",
}
ENDPOINT_DROP_FIRST = ("parameters", "collects", "tier", "uptime", "tok/s p50", "max out", "ttft p50", "ctx", "quant")


def show(model_id: str | None, catalog_path: Path | None) -> None:
    catalog = load_catalog(catalog_path)
    console = stdout_console()
    if model_id is None:
        table = Table(title=f"catalog ({catalog.source}; figures illustrative unless pulled live)")
        for column in ("model", "name", "context", "endpoints", "providers"):
            table.add_column(column)
        for model in catalog.models:
            providers = ", ".join(ep.tag for ep in model.endpoints)
            table.add_row(model.id, model.name, f"{model.context_length:,}", str(len(model.endpoints)), providers)
        console.print(fit(table, console.width, MODEL_LIST_ROLES))
        return
    found = catalog.get(model_id)
    if found is None:
        problem = model_problem(model_id, catalog) or f"unknown model '{model_id}'"
        raise InputError(f"catalog: {problem}")
    model = found
    table = Table(title=f"{model.id}: {model.name}")
    for column in (
        "provider",
        "tag",
        "$/M in",
        "$/M out",
        "ctx",
        "max out",
        "quant",
        "tier",
        "zdr",
        "collects",
        "ttft p50",
        "tok/s p50",
        "uptime",
        "parameters",
    ):
        table.add_column(column)
    for ep in model.endpoints:
        table.add_row(
            ep.provider_name,
            ep.tag,
            f"{ep.pricing.per_million('prompt'):.2f}",
            f"{ep.pricing.per_million('completion'):.2f}",
            f"{ep.context_length:,}",
            f"{ep.max_completion_tokens:,}",
            ep.quantization or "-",
            ep.tier,
            "yes" if ep.data_policy.zdr else "no",
            "yes" if ep.data_policy.collects else "no",
            f"{ep.latency_last_30m.p50:.2f}s",
            f"{ep.throughput_last_30m.p50:g}",
            f"{ep.uptime_last_30m:.1f}%",
            ", ".join(sorted(ep.supported_parameters)),
        )
    console.print(fit(table, console.width, ENDPOINT_ROLES, ENDPOINT_DROP_FIRST))
