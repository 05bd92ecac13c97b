"""Scenario files: scripted traffic, a fault timeline and the expectations to check.

Parsed once into frozen models with the same strictness as policy files: unknown
keys are errors with a did-you-mean, and every error names ``file:line:col``.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from orcli.drill.expectations import ExpectationSpec
from orcli.errors import InputError
from orcli.frozen import Frozen
from orcli.sourcefile import Document, expand_files, load_document, parse_kind, sniff_kind
from orcli.upstream.faults import FaultSpec, with_ids
from orcli.upstream.presets import Preset, PresetSlug

ToolName = Annotated[str, Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")]


def _json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema the client can check answers against; a broken one is a scenario error."""
    import jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.path)
        raise ValueError(f"not a valid JSON Schema{f' at {where}' if where else ''}: {exc.message}") from None
    return schema


JsonSchema = Annotated[dict[str, Any], AfterValidator(_json_schema)]

DEFAULT_TOOL_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "query": {"type": "string"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 50},
    },
    "required": ["query"],
    "additionalProperties": False,
}

DEFAULT_RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "answer": {"type": "string"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "category": {"type": "string", "enum": ["billing", "technical", "account", "other"]},
    },
    "required": ["answer", "category"],
    "additionalProperties": False,
}


class ToolSpec(Frozen):
    name: ToolName
    description: str = ""
    parameters: JsonSchema = Field(default_factory=lambda: dict(DEFAULT_TOOL_PARAMETERS))

    def wire(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


class RequestKind(Frozen):
    """One entry of the traffic mix."""

    name: str = Field(min_length=1)
    kind: Literal["chat", "tools", "structured", "long_context"] = "chat"
    weight: float = Field(default=1.0, gt=0)
    workflow: str | None = None  # default: every workflow of the scenario in turn
    stream: bool = False
    prompt_tokens: int = Field(default=200, gt=0, le=2_000_000)
    max_tokens: int | None = Field(default=None, gt=0)
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: Literal["auto", "required"] | None = None
    response_schema: JsonSchema | None = None
    # An answer cut at the token limit (finish_reason "length") is truncated, so degraded,
    # unless this kind of request accepts a cut answer (a summary capped on purpose).
    allow_length_finish: bool = False

    def offered_tools(self) -> tuple[ToolSpec, ...]:
        if self.tools or self.kind != "tools":
            return self.tools
        return (ToolSpec(name="search_docs", description="Search the knowledge base."),)

    def response_format(self) -> dict[str, Any] | None:
        if self.kind != "structured" and self.response_schema is None:
            return None
        schema = self.response_schema or DEFAULT_RESPONSE_SCHEMA
        return {"type": "json_schema", "json_schema": {"name": "answer", "strict": True, "schema": schema}}


MAX_REQUESTS = 1_000_000


class Traffic(Frozen):
    requests: int | None = Field(default=None, gt=0, le=MAX_REQUESTS)
    duration_s: float | None = Field(default=None, gt=0)
    rate_per_s: float = Field(default=1.0, gt=0)
    arrival: Literal["uniform", "poisson"] = "uniform"
    concurrency: int = Field(default=16, ge=1, le=10_000)
    mix: tuple[RequestKind, ...] = Field(default=(RequestKind(name="chat"),), min_length=1)
    # A recorded traffic log (relative to the scenario file) replayed instead of the mix:
    # its arrivals divided by ``speed``, its workflows renamed by ``workflow_map``.
    replay: str | None = Field(default=None, min_length=1)
    speed: float = Field(default=1.0, gt=0)
    workflow_map: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _count_or_duration(self) -> Traffic:
        if self.replay is None and (self.speed != 1.0 or self.workflow_map):
            raise ValueError("'speed' and 'workflow_map' apply to a replayed log: add 'replay: FILE'")
        if self.replay is not None:
            if self.duration_s is not None:
                raise ValueError("a replay lasts as long as its log: leave out 'duration_s' (cap it with 'requests')")
            return self
        if (self.requests is None) == (self.duration_s is None):
            raise ValueError("give exactly one of 'requests' or 'duration_s'")
        if self.requests is None and self.count > MAX_REQUESTS:
            # The same bound as 'requests': a drill plans every request up front.
            planned = self.duration_s * self.rate_per_s if self.duration_s else 0.0
            raise ValueError(f"duration_s x rate_per_s plans {planned:.3g} requests; at most {MAX_REQUESTS:,}")
        names = [k.name for k in self.mix]
        if len(names) != len(set(names)):
            raise ValueError("traffic mix entries need distinct names")
        return self

    @property
    def count(self) -> int:
        if self.requests is not None:
            return self.requests
        if self.duration_s is None:
            return 0  # a replay without a cap: as many as its log holds
        planned = self.duration_s * self.rate_per_s
        return max(1, math.floor(planned)) if math.isfinite(planned) else MAX_REQUESTS + 1


class Scenario(Frozen):
    version: Literal[1] = 1
    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    description: str = ""
    policy: str = Field(min_length=1)  # path, relative to the scenario file
    workflows: tuple[str, ...] = ()  # default: every workflow in the policy
    seed: int = 0
    target: Literal["mock", "live"] = "mock"
    traffic: Traffic
    faults: tuple[FaultSpec, ...] = ()
    presets: dict[PresetSlug, Preset] = Field(default_factory=dict)  # served by the simulator
    overrides: str | None = None  # an overrides file, relative to the scenario file
    expect: tuple[ExpectationSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _fault_ids(self) -> Scenario:
        named = with_ids(self.faults)  # default ids "<kind>-<n>"; raises on duplicates
        if named != self.faults:
            object.__setattr__(self, "faults", named)  # frozen: set once, during validation
        return self


@dataclass(frozen=True)
class LoadedScenario:
    path: str
    document: Document
    scenario: Scenario

    def resolve(self, relative: str) -> Path:
        """A path named in the scenario, relative to the scenario file's folder (normalised, so
        reports show ``policies/x.yaml`` rather than ``scenarios/../policies/x.yaml``)."""
        candidate = Path(relative)
        return Path(os.path.normpath(candidate if candidate.is_absolute() else Path(self.path).parent / candidate))


def load_scenario(path: str | Path) -> LoadedScenario:
    return scenario_from_document(load_document(path))


def scenario_from_document(document: Document) -> LoadedScenario:
    """A scenario from a document already read (by a caller that looked at its kind first)."""
    keys = "'name:', 'policy:', 'traffic:' and 'expect:'"
    elsewhere = "; check a policy with 'orcli validate', drill it from a scenario"
    return LoadedScenario(document.path, document, parse_kind(document, Scenario, "scenario", keys, elsewhere))


def scenario_files(paths: list[Path]) -> list[Path]:
    """Scenario files named, plus those directly in each folder named (a sub-folder may hold
    the scenarios' own policies). A policy or faults file beside the scenarios of a folder is
    theirs, not a scenario, and is left out; one named on its own is kept (loading it says
    what it is)."""
    named = {Path(p) for p in paths}
    return [f for f in expand_files(paths, kind="scenario", recursive=False) if f in named or _maybe_scenario(f)]


def _maybe_scenario(path: Path) -> bool:
    try:
        return sniff_kind(load_document(path).data) in (None, "scenario")
    except InputError:
        return True  # unreadable: loading it again reports why
