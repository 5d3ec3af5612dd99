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

from .config import HUB_ENTITIES

Say = Callable[[str], None]


def run(config: Any, say: Say) -> Path:
    django.setup()
    from . import database, desk_data, helpdesk_data, hub_data, report
    from .cases import cases, measured_membership, prepare
    from .cleanup import remove_created
    from .hub_cases import HUB_CASES
    from .hub_cases import cases as hub_cases
    from .load_run import helpdesk_phase, mutualis_phase, ratios
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
            "clients": list(config.clients),
            "load_seconds": config.load_seconds,
            "workers": config.workers,
            "worker_class": config.worker_class,
            "threads": config.threads,
            "compare_helpdesk": config.compare_helpdesk,
            "database": config.database,
            "hub_entities": HUB_ENTITIES,
            "hub_instances": config.hub_instances,
        },
    }
    # The hub's 100 million rows are loaded only when one of its cases is measured.
    with_hub = not config.cases or any(name in HUB_CASES for name in config.cases)
    phases: dict[str, float] = {}
    if not config.reuse:
        database.create(config, say)
        say("Registry: migrate, then demo_data (members, sites, equipment, people, the desk's catalogue)")
        phases.update(database.load_registry(config, say))
        say("Tickets, replies and events with COPY")
        loaded = desk_data.load(config, say)
        phases.update(loaded.seconds)
        results["loaded"] = {k: v for k, v in dataclasses.asdict(loaded).items() if k != "seconds"}
        if with_hub:
            say(f"Data hub: {HUB_ENTITIES:,} sensors, {config.hub_instances:,} history instances with COPY")
            member = measured_membership().member
            assert member is not None  # a member agent's membership names its member
            hub_loaded = hub_data.load(config, member, say)
            phases.update(hub_loaded.seconds)
            results["hub_loaded"] = {
                "instances": hub_loaded.instances,
                "copied": hub_loaded.copied,
                "copy_rows_per_s": hub_loaded.copy_rows_per_s,
                # With the primary key built afterwards and ANALYZE: the whole load.
                "load_rows_per_s": hub_loaded.copied / max(sum(hub_loaded.seconds.values()), 1e-9),
            }
    compare = config.compare_helpdesk
    if compare and (not config.reuse or not helpdesk_data.exists(config)):
        say("django-helpdesk: its own environment and database, the same tickets and replies with COPY")
        hd_loaded = helpdesk_data.load(config, say)
        phases.update(hd_loaded.seconds)
        results["helpdesk_loaded"] = hd_loaded.rows
    results["phases"] = phases
    results["data"] = {"tables": database.sizes(config)}
    if compare:
        results["helpdesk_data"] = helpdesk_data.sizes(config)
    server = Server(config, say)
    outcomes = []
    closers: list[Callable[[], None]] = []
    removed = remove_created()
    if removed:
        say(f"Removed {removed} tickets left by an earlier run's creation cases")
    try:
        server.start()
        setup = prepare(config.seed)
        results["setup"] = setup.facts
        if compare:
            results["helpdesk_check"] = helpdesk_data.check(config, setup.member.pk)
        every = cases(setup)
        if with_hub:
            hub = hub_data.describe(setup.member)
            results["hub"] = hub.facts
            found, closers = hub_cases(hub, config)
            every += found
        runner = Runner(
            server,
            setup,
            iterations=config.iterations,
            warmup=config.warmup,
            clients=1,
            say=say,
        )
        for case in every:
            if config.cases and case.name not in config.cases:
                continue
            outcome = runner.run(case).as_dict()
            server_ms = outcome["server_ms"]
            summary = (
                f"p50 {server_ms['p50']:.1f} ms, p95 {server_ms['p95']:.1f} ms, p99 {server_ms['p99']:.1f} ms"
                if server_ms
                else outcome["detail"]
            )
            if outcome["units_per_s"]:
                summary += f", {outcome['units_per_s']:,.0f} {outcome['unit']}/s"
            say(f"{case.name}: {outcome['status']}, {summary}")
            outcomes.append(outcome)
        if config.load:
            results["load"], results["profile"] = mutualis_phase(config, server, setup, every, say)
    finally:
        for close in closers:
            close()
        server.stop()
        remove_created()
    if compare and config.load:
        results["helpdesk_load"] = helpdesk_phase(config, setup, say)
        results["ratios"] = ratios(results.get("load", []), results["helpdesk_load"])
    results["cases"] = outcomes
    results["machine"] = report.machine(config)
    results["finished"] = report.now()
    path = report.write_json(config, results)
    if config.docs is not None:
        report.write_docs(config.docs, report.markdown(results))
        say(f"Results written to {config.docs}")
    return path
