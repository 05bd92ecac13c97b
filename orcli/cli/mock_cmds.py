"""``orcli mock serve``: run the OpenRouter simulator as an HTTP server."""

from __future__ import annotations

import sys
from pathlib import Path


def serve_cmd(
    host: str,
    port: int,
    catalog_path: Path | None,
    faults_path: Path | None,
    presets_path: Path | None,
    seed: int,
    time_scale: float,
    allow_remote: bool,
) -> None:
    from orcli.catalog.load import load_catalog
    from orcli.upstream.faults.spec import parse_faults
    from orcli.upstream.presets import parse_presets
    from orcli.upstream.server import bind, run
    from orcli.upstream.simulator import Simulator

    catalog = load_catalog(catalog_path)
    faults = parse_faults(faults_path, catalog=catalog) if faults_path is not None else ()
    presets = parse_presets(presets_path) if presets_path is not None else {}
    sim = Simulator(catalog, faults, seed, presets=presets)
    sock = bind(host, port, allow_remote=allow_remote)
    bound_port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    shown_presets = f", {len(presets)} preset(s)" if presets else ""
    print(
        f"orcli mock: OpenRouter simulator at http://{shown}:{bound_port}/api/v1 "
        f"(admin API /_orcli/, seed {seed}, {len(sim.faults)} fault(s){shown_presets}, time scale {time_scale:g})",
        file=sys.stderr,
        flush=True,
    )
    try:
        run(sim, sock, time_scale=time_scale)
    finally:
        sock.close()
