"""``orcli traffic summarize``: the shape of a recorded traffic log."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from orcli.traffic.log import read_log
from orcli.traffic.summary import render, summarize


def summarize_cmd(path: Path, *, as_json: bool) -> None:
    shape = summarize(read_log(path))
    if as_json:
        print(json.dumps(dataclasses.asdict(shape), indent=2))
        return
    for line in render(shape, str(path)):
        print(line)
