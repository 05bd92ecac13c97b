"""The package's public names are complete and importable."""

from __future__ import annotations

import orcli.upstream
import orcli.upstream.faults
from orcli.upstream.faults import FAULT_KINDS, FaultSpec, kinds
from orcli.upstream.faults.kind import kind_name


def test_exports_exist() -> None:
    for module in (orcli.upstream, orcli.upstream.faults):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_the_fault_union_is_the_registry_in_order() -> None:
    import importlib
    import typing

    members = typing.get_args(typing.get_args(FaultSpec)[0])
    assert members == kinds()
    assert [kind_name(cls) for cls in members] == list(FAULT_KINDS)
    for cls in members:  # each kind is the module named after it
        module = importlib.import_module(f"orcli.upstream.faults.kinds.{kind_name(cls)}")
        assert getattr(module, cls.__name__) is cls
