"""Mutation testing for routing policies: weaken each rule, see whether lint, the diff gate or a drill notices."""

from orcli.mutate.engine import MutantResult, MutationReport, run_mutation
from orcli.mutate.operators import Mutant, mutants
from orcli.mutate.render import render_json, render_table

__all__ = ["Mutant", "MutantResult", "MutationReport", "mutants", "render_json", "render_table", "run_mutation"]
