"""The base of every fault kind, and the registry the kinds enter by being defined.

A kind is one class in ``orcli/upstream/faults/kinds/`` that states only what is its own.
Its class statement declares where it is listed (``order``: schema, errors, docs), what it
does as plain data (``acts``, a :class:`Behaviour`; ``acts_when``, the behaviours some
field values select instead) and a one-line YAML ``example`` for the docs; its docstring's
first paragraph is its line in the docs tables. Its body holds its fields (the YAML keys)
and the hooks its behaviour names (the error it answers with, the change it makes to a
stream, ...). For example::

    class AuthFault(Fault, order=80, acts=Behaviour(Stage.REQUEST, Effect.REFUSE), example="{kind: auth}"):
        '''401 before routing: a disabled or unknown key.'''

        kind: Literal["auth"] = "auth"

        def refusal(self, chat: ChatRequest, max_output_tokens: int, epoch_now_s: float) -> ApiError: ...

Defining the class registers it; a second class with the same ``kind`` or ``order`` is
refused when it is defined, as is a kind that declares an effect without the hook that
effect needs.

The activation fields shared by every kind are documented in ``orcli.upstream.faults.spec``.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import Field, model_validator

from orcli.catalog.model import Endpoint
from orcli.frozen import Frozen
from orcli.upstream.content import Completion
from orcli.upstream.effects import AttemptError, Slowdown
from orcli.upstream.faults.behaviour import Behaviour, Effect, Stage
from orcli.upstream.protocol import ApiError, ChatRequest
from orcli.upstream.sse import StreamShape

FaultId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$", max_length=64)]

# The hooks each effect calls on the kind that declares it.
HOOKS: Mapping[Effect, tuple[str, ...]] = {
    Effect.REFUSE: ("refusal",),
    Effect.DISCONNECT: (),
    Effect.DROP_ENDPOINT: ("dropped_message", "attempt_error"),
    Effect.DELAY: ("slowdown",),
    Effect.FAIL: ("attempt_error",),
    Effect.SILENT: ("attempt_error",),
    Effect.HANG: (),
    Effect.BREAK_TOOL_CALL: ("break_completion",),
    Effect.INVALID_BODY: ("invalid_body",),
    Effect.STREAM: ("reshape",),
}


class Fault(Frozen):
    """What every fault kind shares: an id, a target and the activation conditions."""

    # --- declarations: taken from each kind's class statement and docstring -------------------
    registry: ClassVar[dict[str, type[Fault]]] = {}  # kind name -> class, filled as kinds are defined
    order: ClassVar[int] = 0  # where the kind is listed: schema, error messages, docs (unique)
    behaviour: ClassVar[Behaviour]
    # Behaviours that replace ``behaviour`` when a field has a value, first match wins:
    # ``{("scope", "openrouter"): Behaviour(Stage.REQUEST, Effect.REFUSE)}``.
    behaviour_when: ClassVar[Mapping[tuple[str, object], Behaviour]] = {}
    summary: ClassVar[str] = ""  # what happens, for the docs tables: the docstring's first paragraph
    example: ClassVar[str] = ""  # a one-line YAML flow mapping, for the docs tables

    # --- fields --------------------------------------------------------------------------------
    id: FaultId | None = None  # default: "<kind>-<n>", n = 1-based position in its list
    provider: str | None = Field(default=None, min_length=1)  # slug: a base slug matches all its endpoints
    model: str | None = Field(default=None, min_length=1)  # model id; a ":variant" suffix is ignored
    from_request: int | None = Field(default=None, ge=1)
    to_request: int | None = Field(default=None, ge=1)
    start_s: float | None = Field(default=None, ge=0)
    end_s: float | None = Field(default=None, gt=0)
    every: int | None = Field(default=None, ge=1)
    probability: float | None = Field(default=None, gt=0, le=1)
    first: int | None = Field(default=None, ge=1)
    flap_period_s: float | None = Field(default=None, gt=0)
    flap_down_s: float | None = Field(default=None, gt=0)

    def __init_subclass__(
        cls,
        *,
        order: int | None = None,
        acts: Behaviour | None = None,
        acts_when: Mapping[tuple[str, object], Behaviour] | None = None,
        example: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if order is not None:
            cls.order = order
        if acts is not None:
            cls.behaviour = acts
        if acts_when is not None:
            cls.behaviour_when = acts_when
        if example is not None:
            cls.example = example
        doc = cls.__dict__.get("__doc__")
        cls.summary = " ".join(inspect.cleandoc(doc).split("\n\n")[0].split()) if doc else ""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        # The class statement's own keywords were taken by __init_subclass__.
        super().__pydantic_init_subclass__()
        field = cls.model_fields.get("kind")
        if field is None:
            return  # a shared base of several kinds, not a kind
        name = str(field.default)
        taken = cls.registry.get(name)
        if taken is not None:
            raise TypeError(f"fault kind '{name}' is defined twice: {taken.__qualname__} and {cls.__qualname__}")
        same_place = [k for k, other in cls.registry.items() if other.order == cls.order]
        if same_place:
            raise TypeError(f"fault kind '{name}' has order {cls.order}, already taken by '{same_place[0]}'")
        if not isinstance(getattr(cls, "behaviour", None), Behaviour):
            raise TypeError(f"fault kind '{name}' declares no behaviour (acts=)")
        for behaviour in (cls.behaviour, *cls.behaviour_when.values()):
            for hook in HOOKS[behaviour.effect]:
                if getattr(cls, hook) is getattr(Fault, hook):
                    raise TypeError(f"fault kind '{name}' declares effect '{behaviour.effect}' but defines no {hook}()")
        for field_name, _ in cls.behaviour_when:
            if field_name not in cls.model_fields:
                raise TypeError(f"fault kind '{name}': acts_when names no field '{field_name}'")
        if not cls.summary or not cls.example:
            raise TypeError(f"fault kind '{name}' needs a docstring and an example for the docs")
        cls.registry[name] = cls

    @model_validator(mode="after")
    def _coherent(self) -> Fault:
        if self.from_request is not None and self.to_request is not None and self.to_request < self.from_request:
            raise ValueError("to_request must not be before from_request")
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise ValueError("end_s must be after start_s")
        if self.flap_down_s is not None:
            if self.flap_period_s is None:
                raise ValueError("flap_down_s needs flap_period_s")
            if self.flap_down_s >= self.flap_period_s:
                raise ValueError("flap_down_s must be shorter than flap_period_s")
        return self

    @property
    def kind_name(self) -> str:
        return str(getattr(self, "kind"))  # noqa: B009 - every concrete fault declares ``kind``

    @property
    def acts(self) -> Behaviour:
        """This fault's behaviour: ``behaviour``, unless one of ``behaviour_when`` matches its fields."""
        for (field, value), behaviour in self.behaviour_when.items():
            if getattr(self, field) == value:
                return behaviour
        return self.behaviour

    @property
    def stage(self) -> Stage:
        return self.acts.stage

    @property
    def fault_id(self) -> str:
        """The id; only unset on a spec that never went through a fault list."""
        return self.id or self.kind_name

    @property
    def detail(self) -> str:
        """The effect in a few words, for injection logs."""
        return self.kind_name.replace("_", " ")

    # --- hooks: the details of an effect (see HOOKS); a kind defines those its effects need ------

    def refusal(self, chat: ChatRequest, max_output_tokens: int, epoch_now_s: float) -> ApiError:
        """OpenRouter's answer when it refuses the request before routing."""
        raise NotImplementedError

    def key_limit(self, usage_usd: float) -> dict[str, Any] | None:
        """A refusing kind that means the key's limit is reached: the ``limit``, ``limit_remaining``
        and ``limit_reset`` fields ``GET /key`` shows while it is in force (None: not a key limit)."""
        return None

    def attempt_error(self, chat: ChatRequest, model_id: str, ep: Endpoint) -> AttemptError:
        """How a provider attempt fails (for a route fault: the answer once no endpoint is left)."""
        raise NotImplementedError

    def dropped_message(self) -> str:
        """The 404 message once this fault left a model no endpoint ("" for OpenRouter's own)."""
        raise NotImplementedError

    def slowdown(self, rng: random.Random) -> Slowdown:
        raise NotImplementedError

    def break_completion(self, completion: Completion, chat: ChatRequest, rng: random.Random) -> Completion:
        raise NotImplementedError

    def invalid_body(self, response: dict[str, Any], chat: ChatRequest) -> bytes:
        """The body of a 200 that is not a usable completion, from the completion ``response``."""
        raise NotImplementedError

    def reshape(self, shape: StreamShape) -> StreamShape:
        """``shape`` with this fault's change to the stream."""
        raise NotImplementedError


def kind_name(cls: type[Fault]) -> str:
    """The ``kind`` a registered class is named by in fault lists."""
    return str(cls.model_fields["kind"].default)


def kinds() -> tuple[type[Fault], ...]:
    """Every registered kind, in listing order. Importing ``orcli.upstream.faults`` loads them all."""
    return tuple(sorted(Fault.registry.values(), key=lambda cls: cls.order))
