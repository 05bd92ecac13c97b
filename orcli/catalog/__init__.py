"""Models, provider endpoints and the embedded default catalog."""

from orcli.catalog.load import default_catalog, load_catalog
from orcli.catalog.model import Catalog, DataPolicy, Endpoint, Model, Percentiles, Pricing

__all__ = [
    "Catalog",
    "DataPolicy",
    "Endpoint",
    "Model",
    "Percentiles",
    "Pricing",
    "default_catalog",
    "load_catalog",
]
