"""Every fault kind, one module each. Importing this package defines (and so registers) them all:
a new kind is a new module here, found without being listed anywhere."""

from __future__ import annotations

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
