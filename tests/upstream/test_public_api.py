"""The package's public names are complete and importable."""

from __future__ import annotations

import orcli.upstream
import orcli.upstream.faults
from orcli.upstream.faults import FAULT_KINDS, FaultSpec


def test_exports_exist() -> None:
    for module in (orcli.upstream, orcli.upstream.faults):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_every_fault_kind_has_a_class_exported() -> None:
    import typing

    members = typing.get_args(typing.get_args(FaultSpec)[0])
    kinds = [cls.model_fields["kind"].default for cls in members]
    assert kinds == list(FAULT_KINDS)
    exported = {getattr(orcli.upstream.faults, name) for name in orcli.upstream.faults.__all__}
    assert set(members) <= exported
