"""On-call route overrides: one frozen record per decision, and the file that holds them.

An override is either ``disable`` (a provider or a model, everywhere or in one
workflow) or ``force`` (pin one workflow to one model, optionally one provider).
Every override says why, who and when, and may expire; an expired override stays
in the file (so ``orcli route list`` can show it) but no longer applies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, ValidationError, model_validator

from orcli.errors import InvalidValue
from orcli.frozen import Frozen, refuse_repeats
from orcli.ids import ModelIdField, ProviderSlugField
from orcli.overrides.timefmt import iso_utc
from orcli.policy.model import WorkflowName

OverrideId = Annotated[str, Field(pattern=r"^ovr-[0-9a-f]{8}$")]


class OverrideAction(StrEnum):
    DISABLE = "disable"
    FORCE = "force"


class Override(Frozen):
    id: OverrideId
    action: OverrideAction
    provider: ProviderSlugField | None = None
    model: ModelIdField | None = None
    workflow: WorkflowName | None = None  # None: every workflow
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    created_at: AwareDatetime
    expires_at: AwareDatetime | None = None  # None: until someone enables the route again
    created_by: Annotated[str, Field(min_length=1, max_length=100)]

    @model_validator(mode="after")
    def _consistent(self) -> Override:
        if not self.reason.strip():
            raise ValueError("reason must not be blank")
        if self.action is OverrideAction.DISABLE and (self.provider is None) == (self.model is None):
            raise ValueError("a disable override names exactly one of 'provider' or 'model'")
        if self.action is OverrideAction.FORCE:
            if self.workflow is None or self.model is None:
                raise ValueError("a force override names a 'workflow' and a 'model'")
            if self.expires_at is None:
                raise ValueError("a force override needs 'expires_at': pinning a route must not outlive the incident")
        if self.expires_at is not None and self.expires_at <= self.created_at:
            raise ValueError("expires_at must be after created_at")
        return self

    def is_active(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at

    def time_left(self, now: datetime) -> timedelta | None:
        """Time until expiry (negative once expired); None when it never expires."""
        return None if self.expires_at is None else self.expires_at - now

    def targets(self, workflow_name: str) -> bool:
        return self.workflow is None or self.workflow == workflow_name

    @property
    def target(self) -> str:
        """``provider groq``, ``model openai/gpt-4o`` or ``model openai/gpt-4o via azure``."""
        if self.action is OverrideAction.FORCE:
            return f"model {self.model}" + (f" via {self.provider}" if self.provider else "")
        return f"provider {self.provider}" if self.provider is not None else f"model {self.model}"

    def describe(self) -> str:
        scope = f"workflow {self.workflow}" if self.workflow else "every workflow"
        return f"{self.action.value} {self.target} in {scope}"

    def audit_json(self) -> dict[str, object]:
        return self.model_dump(mode="json")


class OverridesFile(Frozen):
    version: Literal[1] = 1
    overrides: tuple[Override, ...] = ()

    @model_validator(mode="after")
    def _unique_ids(self) -> OverridesFile:
        refuse_repeats((override.id for override in self.overrides), "duplicate override id '{}'")
        return self

    def find(self, override_id: str) -> Override | None:
        return next((o for o in self.overrides if o.id == override_id), None)

    def active(self, now: datetime) -> tuple[Override, ...]:
        return tuple(o for o in self.overrides if o.is_active(now))


def override_id(content: dict[str, object], salt: int = 0) -> str:
    """A short id derived from the override's content and creation time.

    The same content at the same instant gives the same id; the store bumps ``salt``
    on the rare clash, so ids stay unique within a file.
    """
    digest = hashlib.sha256(json.dumps([content, salt], sort_keys=True, default=str).encode()).hexdigest()
    return f"ovr-{digest[:8]}"


def unique_id(override: Override, taken: Collection[str]) -> Override:
    """``override`` itself, or a copy with a fresh id if its id is already taken."""
    salt = 0
    current = override
    content = override.model_dump(mode="json", exclude={"id"})
    while current.id in taken:
        salt += 1
        current = override.model_copy(update={"id": override_id(content, salt)})
    return current


def new_override(
    *,
    action: OverrideAction,
    reason: str,
    created_at: datetime,
    created_by: str,
    provider: str | None = None,
    model: str | None = None,
    workflow: str | None = None,
    expires_at: datetime | None = None,
) -> Override:
    """Build and validate an override; its id comes from its content and time."""
    fields: dict[str, object] = {
        "action": action.value,
        "provider": provider,
        "model": model,
        "workflow": workflow,
        "reason": reason,
        "created_at": iso_utc(created_at),
        "expires_at": iso_utc(expires_at) if expires_at else None,
        "created_by": created_by,
    }
    try:
        return Override.model_validate({"id": override_id(fields), **fields})
    except ValidationError as exc:
        raise InvalidValue(_flag_message(exc)) from None


_FLAGS = {"expires_at": "--ttl/--until", "created_by": "actor (ORCLI_ACTOR, USER or LOGNAME)"}


def _flag_message(exc: ValidationError) -> str:
    """The first problem, named by the command-line flag that supplied the value."""
    err = exc.errors(include_url=False)[0]
    field = str(err["loc"][0]) if err["loc"] else ""
    message = err["msg"].removeprefix("Value error, ")
    flag = _FLAGS.get(field, f"--{field}") if field else "override"
    return f"{flag}: {message[:1].lower()}{message[1:]}"
