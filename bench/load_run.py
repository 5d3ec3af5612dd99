"""The load phase of a run (issue 8, clause 3): Mutualis' cases at each concurrency level
on its running server, then django-helpdesk's on its own server (started after Mutualis'
is stopped, so the two never share the machine), then the ratios of paired cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .cases import Case, Setup
from .config import LIST_RATIO_TARGET, LIST_TARGET_MS, Config
from .load import LoadCase, LoadResult, Target, run_load
from .server import Server, describe_workers

Say = Callable[[str], None]


def _selected(config: Config, cases: list[LoadCase]) -> list[LoadCase]:
    return [case for case in cases if not config.load_cases or case.name in config.load_cases]


def _measure(
    config: Config, target: Target, cases: list[LoadCase], say: Say, after: Callable[[LoadCase], None]
) -> list[dict[str, Any]]:
    outcomes: list[dict[str, Any]] = []
    for case in cases:
        for clients in config.clients:
            result: LoadResult = run_load(
                target, case, clients, warmup=config.load_warmup, duration=config.load_seconds
            )
            outcome = result.as_dict()
            outcomes.append(outcome)
            latency = outcome["latency_ms"]
            share = outcome["cpu_share"]
            say(
                f"load {case.name} × {clients}: "
                + (
                    f"{outcome['throughput_per_s']:.1f}/s, p50 {latency['p50']:.0f} ms, p95 {latency['p95']:.0f} ms, "
                    f"p99 {latency['p99']:.0f} ms (CPU: clients {share['clients']:.0%}, server "
                    f"{share['server']:.0%}, PostgreSQL {share['database']:.0%} of the machine)"
                    if latency
                    else ""
                )
                + (f" FAILED: {outcome['error']}" if outcome["error"] else "")
            )
        after(case)
    return outcomes


def mutualis_phase(
    config: Config, server: Server, setup: Setup, sequential: list[Case], say: Say
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The load cases at each level, then the profile of one of them if asked."""
    from .cleanup import remove_created
    from .load_cases import mutualis_cases

    say(f"Load: Mutualis, {describe_workers(config)}, clients {', '.join(map(str, config.clients))}")
    target = Target(server.port, server.times, server.pid, config.database)

    def after(case: LoadCase) -> None:
        if case.kind == "create":
            remove_created()

    every = mutualis_cases(setup, sequential)
    outcomes = _measure(config, target, _selected(config, every), say, after)
    profiled = None
    if config.profile:
        from .profiling import profile

        (case,) = [case for case in every if case.name == config.profile]
        profiled = profile(config, server, case, say)
        after(case)
    return outcomes, profiled


def helpdesk_phase(config: Config, setup: Setup, say: Say) -> list[dict[str, Any]]:
    from . import helpdesk_data
    from .helpdesk_server import HelpdeskServer
    from .load_cases import helpdesk_cases

    server = HelpdeskServer(config, say)
    helpdesk_data.remove_created(config)
    try:
        server.start()
        cases = _selected(config, helpdesk_cases(setup, server.port))
        say(f"Load: django-helpdesk, {describe_workers(config)}")
        target = Target(server.port, server.times, server.pid, helpdesk_data.database_name(config))

        def after(case: LoadCase) -> None:
            if case.kind == "create":
                helpdesk_data.remove_created(config)

        return _measure(config, target, cases, say, after)
    finally:
        server.stop()
        helpdesk_data.remove_created(config)


def ratios(mutualis: list[dict[str, Any]], helpdesk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mutualis / helpdesk, throughput and p95 latency, for each paired case and level."""
    from .load_cases import PAIRS

    theirs = {(o["name"], o["clients"]): o for o in helpdesk}
    found = []
    for ours in mutualis:
        other = theirs.get((PAIRS.get(ours["name"], ""), ours["clients"]))
        if other is None or not ours["latency_ms"] or not other["latency_ms"]:
            continue
        throughput = (
            ours["throughput_per_s"] / other["throughput_per_s"] if other["throughput_per_s"] else None
        )
        p95 = ours["latency_ms"]["p95"] / other["latency_ms"]["p95"]
        is_list = ours["kind"] == "list"
        found.append(
            {
                "mutualis": ours["name"],
                "helpdesk": other["name"],
                "clients": ours["clients"],
                "mutualis_per_s": ours["throughput_per_s"],
                "helpdesk_per_s": other["throughput_per_s"],
                "throughput_ratio": throughput,
                "mutualis_p95_ms": ours["latency_ms"]["p95"],
                "helpdesk_p95_ms": other["latency_ms"]["p95"],
                "p95_ratio": p95,
                # Issue 8 on the list: p95 under 50 ms and ≥ 10 × helpdesk's throughput.
                "target": "p95 < 50 ms, ≥ 10× throughput" if is_list else None,
                "met": (
                    throughput is not None
                    and throughput >= LIST_RATIO_TARGET
                    and ours["latency_ms"]["p95"] <= LIST_TARGET_MS
                )
                if is_list
                else None,
            }
        )
    return found
