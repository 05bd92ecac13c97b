"""Plan a drill's traffic from a recorded traffic log (``traffic: {replay: FILE}``).

Each logged request becomes one planned request at its recorded arrival (from the first
one, divided by ``speed``), in its workflow (renamed by ``workflow_map``), with its prompt
size, stream flag, tools or JSON schema, and conversation. Its answer size is kept as the
request's ``max_tokens`` when the log has it, so answers are no longer than the real ones;
what each request says is made up, as for any drill. The kind label names the request
kind, so reports group replayed requests as the app labelled them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace

from orcli.drill.scenario import LoadedScenario, RequestKind
from orcli.drill.traffic import PlannedRequest, messages_for
from orcli.traffic.log import TrafficEntry, read_log
from orcli.upstream.protocol import count_prompt_tokens

_DEFAULT_PROMPT_TOKENS = 200  # a logged request whose prompt size is unknown


def plan_replay(loaded: LoadedScenario, workflows: Sequence[str]) -> tuple[PlannedRequest, ...]:
    traffic = loaded.scenario.traffic
    assert traffic.replay is not None
    path = loaded.resolve(traffic.replay)
    if not path.is_file():
        raise loaded.document.error(("traffic", "replay"), f"traffic log not found: {path}")
    entries = read_log(path)
    if traffic.requests is not None:
        entries = entries[: traffic.requests]
    for recorded, target in traffic.workflow_map.items():
        if target not in workflows:
            known = ", ".join(workflows)
            raise loaded.document.error(
                ("traffic", "workflow_map", recorded), f"workflow '{target}' is not one of this scenario's ({known})"
            )
    unmapped = sorted({e.workflow for e in entries} - set(traffic.workflow_map) - set(workflows))
    if unmapped:
        raise loaded.document.error(
            ("traffic", "replay"),
            f"{path} has requests of workflow(s) {', '.join(unmapped)} this scenario does not drill; "
            "map each to one of its workflows with traffic.workflow_map",
        )
    return tuple(_planned(i, e, entries[0].t, traffic.speed, traffic.workflow_map) for i, e in enumerate(entries))


def _planned(index: int, entry: TrafficEntry, first_t: float, speed: float, names: Mapping[str, str]) -> PlannedRequest:
    kind = RequestKind(
        name=entry.kind or "replayed",
        kind="tools" if entry.tools else "structured" if entry.schema else "chat",
        stream=entry.stream,
        prompt_tokens=max(1, entry.prompt_tokens or _DEFAULT_PROMPT_TOKENS),
        max_tokens=entry.answer_tokens or None,
    )
    at_s = round((entry.t - first_t) / speed, 6)
    planned = PlannedRequest(index, at_s, names.get(entry.workflow, entry.workflow), kind, entry.conversation)
    return _calibrated(planned, entry.prompt_tokens) if entry.prompt_tokens else planned


def _calibrated(request: PlannedRequest, recorded: int) -> PlannedRequest:
    """The request with its filler shortened by what the drill adds around it (the system
    message, the conversation's opener, the tool definitions), so the prompt the upstream
    counts is the recorded size."""
    kind = request.kind
    tools = [t.wire() for t in kind.offered_tools()]
    counted = count_prompt_tokens(tuple(messages_for(request)), json.dumps(tools) if tools else "")
    extra = counted - recorded
    if extra <= 0:
        return request
    shorter = kind.model_copy(update={"prompt_tokens": max(1, kind.prompt_tokens - extra)})
    return replace(request, kind=shorter)
