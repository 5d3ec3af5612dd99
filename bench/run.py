"""One benchmark run, in order: database, registry, tickets, server, cases, report.

Imported once the environment names the bench database (bench/__main__.py), since Django
reads its settings when it starts.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django

Say = Callable[[str], None]


def run(config: Any, say: Say) -> Path:
    django.setup()
    from . import database, desk_data, report
    from .cases import cases, prepare
    from .cleanup import remove_created
    from .measure import Runner
    from .server import Server

    results: dict[str, Any] = {
        "started": report.now(),
        "load_start": os.getloadavg(),
        "config": {
            "scale": config.scale,
            "tickets": config.tickets,
            "replies": config.replies,
            "demo_scale": config.demo_scale,
            "years": config.years,
            "seed": config.seed,
            "today": config.today.isoformat(),
            "iterations": config.iterations,
            "warmup": config.warmup,
            "clients": config.clients,
            "workers": config.workers,
            "database": config.database,
        },
    }
    phases: dict[str, float] = {}
    if not config.reuse:
        database.create(config, say)
        say("Registry: migrate, then demo_data (members, sites, equipment, people, the desk's catalogue)")
        phases.update(database.load_registry(config, say))
        say("Tickets, replies and events with COPY")
        loaded = desk_data.load(config, say)
        phases.update(loaded.seconds)
        results["loaded"] = {k: v for k, v in dataclasses.asdict(loaded).items() if k != "seconds"}
    results["phases"] = phases
    results["data"] = {"tables": database.sizes(config)}
    server = Server(config, say)
    outcomes = []
    removed = remove_created()
    if removed:
        say(f"Removed {removed} tickets left by an earlier run's creation cases")
    try:
        server.start()
        setup = prepare(config.seed)
        results["setup"] = setup.facts
        runner = Runner(
            server,
            setup,
            iterations=config.iterations,
            warmup=config.warmup,
            clients=config.clients,
            say=say,
        )
        for case in cases(setup):
            if config.cases and case.name not in config.cases:
                continue
            outcome = runner.run(case).as_dict()
            server_ms = outcome["server_ms"]
            summary = (
                f"p50 {server_ms['p50']:.1f} ms, p95 {server_ms['p95']:.1f} ms, p99 {server_ms['p99']:.1f} ms"
                if server_ms
                else outcome["detail"]
            )
            say(f"{case.name}: {outcome['status']}, {summary}")
            outcomes.append(outcome)
    finally:
        server.stop()
        remove_created()
    results["cases"] = outcomes
    results["machine"] = report.machine(config)
    results["finished"] = report.now()
    path = report.write_json(config, results)
    if config.docs is not None:
        report.write_docs(config.docs, report.markdown(results))
        say(f"Results written to {config.docs}")
    return path
