"""The concurrent load's part of the results section (issue 8, clause 3): each system's cases
per concurrency level, then the ratios of the paired cases."""

from __future__ import annotations

from typing import Any

from .config import LIST_RATIO_TARGET, LIST_TARGET_MS


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _rate(value: float) -> str:
    """Requests per second: two decimals below one (helpdesk's dashboard: 0.03/s)."""
    return f"{value:,.2f}" if value < 1 else f"{value:,.1f}"


def _share(outcome: dict[str, Any]) -> str:
    share = outcome["cpu_share"]
    return f"{share['clients']:.0%} / {share['server']:.0%} / {share['database']:.0%}"


def _verdict(outcome: dict[str, Any]) -> str:
    if outcome["error"]:
        return f"failed: {outcome['error'][:80]}"
    target = outcome["target_p95_ms"]
    if target is None:
        return "no target"
    p95 = outcome["latency_ms"]["p95"]
    if p95 <= target:
        return "p95 met"
    return f"**p95 missed by {p95 - target:,.0f} ms** (×{p95 / target:.1f})"


def _server_p95(outcome: dict[str, Any]) -> str:
    steps = outcome["server_ms"]
    return " + ".join(_ms(spread.get("p95")) for spread in steps.values()) or "—"


def _table(outcomes: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| case | clients | requests/s | p50 ms | p95 ms | p99 ms | server p95 ms | CPU clients / server / PostgreSQL | result |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for outcome in outcomes:
        latency = outcome["latency_ms"]
        lines.append(
            f"| {outcome['title']} | {outcome['clients']} | {_rate(outcome['throughput_per_s'])} "
            f"| {_ms(latency.get('p50'))} | {_ms(latency.get('p95'))} | {_ms(latency.get('p99'))} "
            f"| {_server_p95(outcome)} | {_share(outcome)} | {_verdict(outcome)} |"
        )
    return lines


def _ratio_verdict(ratio: dict[str, Any]) -> str:
    if ratio["met"] is None:
        return "no target"
    if ratio["met"]:
        return "met"
    misses = []
    if ratio["throughput_ratio"] is not None and ratio["throughput_ratio"] < LIST_RATIO_TARGET:
        misses.append(f"throughput ×{ratio['throughput_ratio']:.1f} of ×{LIST_RATIO_TARGET:.0f}")
    if ratio["mutualis_p95_ms"] > LIST_TARGET_MS:
        misses.append(f"p95 {ratio['mutualis_p95_ms']:,.0f} ms for < {LIST_TARGET_MS:.0f}")
    return "**missed: " + ", ".join(misses) + "**"


def load_section(results: dict[str, Any]) -> list[str]:
    ours, theirs = results.get("load"), results.get("helpdesk_load")
    if not ours and not theirs:
        return []
    config = results["config"]
    lines = [
        "",
        "### Under concurrent load",
        "",
        f"Each case for {config['load_seconds']:g} s at each level of {', '.join(map(str, config['clients']))} "
        "simultaneous clients (one process each, logged in, warmed up, started together); latency is the "
        "client's wall time of one iteration (queueing in gunicorn included), the server p95 is gunicorn's "
        "own time (one figure per request of the iteration); CPU is each party's share of the whole "
        "machine during the window.",
        "",
    ]
    if ours:
        lines += ["**Mutualis**", "", *_table(ours), ""]
    if theirs:
        sizes = results.get("helpdesk_data", {})
        described = ", ".join(f"{name} {info['rows']:,} rows" for name, info in sizes.items())
        lines += [f"**django-helpdesk 2.6.1** ({described})", "", *_table(theirs), ""]
    ratios = results.get("ratios") or []
    if ratios:
        lines += [
            "**Mutualis / django-helpdesk**, same machine, same run (throughput: higher is better for "
            "Mutualis; p95: lower is better)",
            "",
            "| Mutualis | django-helpdesk | clients | requests/s | throughput × | p95 ms | p95 ratio | target | result |",
            "|---|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for ratio in ratios:
            throughput = ratio["throughput_ratio"]
            lines.append(
                f"| {ratio['mutualis']} | {ratio['helpdesk']} | {ratio['clients']} "
                f"| {_rate(ratio['mutualis_per_s'])} vs {_rate(ratio['helpdesk_per_s'])} "
                f"| {'—' if throughput is None else f'×{throughput:,.1f}'} "
                f"| {_ms(ratio['mutualis_p95_ms'])} vs {_ms(ratio['helpdesk_p95_ms'])} "
                f"| {ratio['p95_ratio']:.2f} | {ratio['target'] or '—'} | {_ratio_verdict(ratio)} |"
            )
    return lines + profile_section(results)


def profile_section(results: dict[str, Any]) -> list[str]:
    """The profiled case: heaviest functions of the workers, heaviest statements."""
    found = results.get("profile")
    if not found:
        return []
    load, spy = found["load"], found["py_spy"]
    latency = load["latency_ms"]
    lines = [
        "",
        f"**Profile of `{found['case']}` at {found['clients']} clients** ({load['throughput_per_s']:,.1f}/s, "
        f"p95 {_ms(latency.get('p95'))} ms with the statement log on): py-spy, {spy['busy_samples']:,} busy samples "
        f"of the workers; PostgreSQL logged {found['statements_calls']:,} statements, "
        f"{found['statements_total_ms']:,.0f} ms in all.",
        "",
        "| heaviest functions (own time) | share | | application frames (inclusive) | share |",
        "|---|---:|---|---|---:|",
    ]
    own, inclusive = spy["self"][:10], spy["mutualis_inclusive"][:10]
    for index in range(max(len(own), len(inclusive))):
        cells = []
        for column in (own, inclusive):
            entry = column[index] if index < len(column) else None
            cells += [f"`{entry['frame']}`", f"{entry['share']:.1%}"] if entry else ["", ""]
        lines.append(f"| {cells[0]} | {cells[1]} | | {cells[2]} | {cells[3]} |")
    lines += ["", "| statement (heaviest total first) | calls | total ms | mean ms |", "|---|---:|---:|---:|"]
    for statement in found["statements"][:8]:
        text = statement["statement"].replace("|", "\\|")[:160]
        lines.append(
            f"| `{text}` | {statement['calls']:,} | {statement['total_ms']:,.0f} | {statement['mean_ms']:,.2f} |"
        )
    return lines
