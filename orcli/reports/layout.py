"""Tables that fit the terminal without losing the columns a reader needs.

rich shrinks every column of a table that is too wide, and a column that must not wrap
then loses its end (``fai…``) or vanishes. Here each column has a role instead:

- ``key``: never shortened or dropped (an outcome, a rank);
- ``wrap``: never shortened or dropped, but may wrap onto more lines (an attempt chain, a reason);
- ``shrink``: may be abbreviated with an ellipsis, down to a few characters;
- ``drop``: like ``shrink``, and left out when even that does not fit;
- ``optional``: never shortened (a number cut short misleads), left out when it does not fit.

Columns are left out in the order ``drop_first`` gives, then from the right.

:func:`fit` sets the widths before rich lays the table out, so rich never has to guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from rich.cells import cell_len
from rich.markup import render as render_markup
from rich.table import Table
from rich.text import Text

Role = Literal["key", "wrap", "shrink", "drop", "optional"]
MIN_SHRUNK = 6  # an abbreviated column keeps this much (five characters and the ellipsis)
MIN_WRAPPED = 20  # a wrapped column keeps this much per line (a model id and a bit)
COMFORTABLE_WRAP = 30  # ... and this much before other columns are left out for it


def fit(table: Table, width: int, roles: Mapping[str, Role], drop_first: Sequence[str] = ()) -> Table:
    """Fit ``table`` (a box with edges and padding 1, as every orcli table) into ``width``
    columns by the ``roles`` of its columns (by header; unnamed columns are ``shrink``).
    Returns the table, changed in place."""
    natural = [_natural_width(table, i) for i in range(len(table.columns))]
    headers = [str(c.header) for c in table.columns]
    role = [roles.get(h, "shrink") for h in headers]
    visible = list(range(len(table.columns)))
    if sum(natural) + _overhead(table, len(visible)) <= width:
        return table

    def least(i: int) -> int:
        floor = MIN_WRAPPED if role[i] == "wrap" else MIN_SHRUNK if role[i] in ("shrink", "drop") else natural[i]
        return min(natural[i], floor)

    def comfortable(i: int) -> int:
        return min(natural[i], COMFORTABLE_WRAP) if role[i] == "wrap" else least(i)

    # Leave out what may be left out until the rest fits with its long columns wrapped at a
    # readable width: a row of five lines with every figure reads worse than one without some ...
    droppable = [i for i in reversed(visible) if role[i] in ("drop", "optional")]
    droppable.sort(key=lambda i: drop_first.index(headers[i]) if headers[i] in drop_first else len(drop_first))
    for i in droppable:
        if sum(comfortable(j) for j in visible) + _overhead(table, len(visible)) <= width:
            break
        visible.remove(i)
    # ... then wrap what may wrap and abbreviate what may be abbreviated, widest first.
    widths = {i: natural[i] for i in visible}
    excess = sum(widths.values()) + _overhead(table, len(visible)) - width
    # Wrapping loses nothing, so it comes first; abbreviating loses the end of a name.
    for kinds in (("wrap",), ("shrink", "drop")):
        excess = _squeeze([i for i in visible if role[i] in kinds], widths, least, excess)
    for i in reversed(range(len(table.columns))):
        if i not in visible:
            del table.columns[i]
    for position, i in enumerate(visible):
        column = table.columns[position]
        if widths[i] < natural[i]:
            column.width = widths[i]
            column.no_wrap = role[i] != "wrap"
            column.overflow = "fold" if role[i] == "wrap" else "ellipsis"
    return table


def _squeeze(columns: list[int], widths: dict[int, int], least: Callable[[int], int], excess: int) -> int:
    """Take up to ``excess`` characters from ``columns``, one at a time from the widest, none
    below its ``least``; returns what could not be taken."""
    while excess > 0:
        candidates = [i for i in columns if widths[i] > least(i)]
        if not candidates:
            return excess
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    return excess


def _overhead(table: Table, columns: int) -> int:
    padding = 2 * columns  # one space either side of every cell
    edges = 2 if table.box is not None and table.show_edge else 0
    dividers = columns - 1 if table.box is not None else 0
    return padding + edges + dividers


def _natural_width(table: Table, index: int) -> int:
    column = table.columns[index]
    cells = [column.header, *column.cells]
    return max(_cell_width(cell) for cell in cells)


def _cell_width(cell: object) -> int:
    # A str cell is console markup ("[red]expired[/red]"): its width is that of the text shown.
    text = cell.plain if isinstance(cell, Text) else render_markup(str(cell)).plain
    return max((cell_len(line) for line in text.splitlines()), default=0)
