"""Results → the Markdown tables printed to stdout and written with the JSON to bench/results/."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench import cpu

ENGINES = (
    ("elasticsearch", "Elasticsearch (search.query, the `search` RPC's layer)"),
    ("pg_seqscan", "PostgreSQL `ILIKE '%q%'`, sequential scan"),
    ("pg_trgm", "PostgreSQL `ILIKE '%q%'`, pg_trgm GIN"),
)


# Issue 11's goals: what one operation may cost, whatever the size of the book.
THROUGHPUT_FACTOR = 1.5  # × pg_trgm's searches/s at 16 clients
ES_CPU_PER_SEARCH_MS = 2.0  # at 100k customers
CPU_PER_CREATE_MS = 7.0  # every Panorama process and server, summed
BULK_EVENTS_PER_S = 5_000  # one indexer
FRESHNESS_P99_S = 1.5


def _n(value: float, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _ms(value: float) -> str:
    return _n(value, 1 if value < 100 else 0)


def _met(flag: bool | None) -> str:
    return "–" if flag is None else ("yes" if flag else "**no**")


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    latency = results["latency"]
    es1, es16 = latency["elasticsearch"]["1"], latency["elasticsearch"]["16"]
    trgm1, trgm16 = latency["pg_trgm"]["1"], latency["pg_trgm"]["16"]
    fresh = results["freshness"]
    return [
        {
            "name": "ES search p95 at 1 client no worse than pg_trgm's",
            "target": f"p95 ≤ {_ms(trgm1['p95_ms'])} ms (pg_trgm)",
            "result": f"p95 {_ms(es1['p95_ms'])} ms",
            "met": es1["p95_ms"] <= trgm1["p95_ms"],
        },
        {
            "name": "ES at 16 clients, against pg_trgm's throughput",
            "target": f"≥ {THROUGHPUT_FACTOR} × {_n(trgm16['throughput_per_s'])} = "
            f"{_n(THROUGHPUT_FACTOR * trgm16['throughput_per_s'])} searches/s",
            "result": f"{_n(es16['throughput_per_s'])} searches/s, p95 {_ms(es16['p95_ms'])} ms",
            "met": es16["throughput_per_s"] >= THROUGHPUT_FACTOR * trgm16["throughput_per_s"],
        },
        {
            "name": "Freshness write → searchable",
            "target": "p99 ≤ 1.5 s",
            "result": f"p99 {_n(fresh['p99_s'], 2)} s",
            "met": fresh["timeouts"] == 0 and fresh["p99_s"] <= 1.5,
        },
        *gateway_goals(results.get("gateway")),
    ]


def gateway_goals(gateway: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not gateway or "16" not in gateway["create_customer"] or "16" not in gateway["search"]:
        return []
    writes, searches = gateway["create_customer"]["16"], gateway["search"]["16"]
    met = gateway_targets(gateway)
    return [
        {
            "name": "Gateway create-customer at 16 clients",
            "target": "≥ 500 writes/s",
            "result": f"{_n(writes['throughput_per_s'])} writes/s, p95 {_ms(writes['p95_ms'])} ms",
            "met": met["create_customer"],
        },
        {
            "name": "Gateway search at 16 clients",
            "target": "p95 ≤ 50 ms",
            "result": f"p95 {_ms(searches['p95_ms'])} ms, {_n(searches['throughput_per_s'])} searches/s",
            "met": met["search"],
        },
    ]


def system_cpu_ms(cost: dict[str, float]) -> float:
    """CPU ms of one request summed over every process but the bench's own client threads."""
    return sum(ms for group, ms in cost.items() if group != cpu.BENCH_CLIENTS)


def cost_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, bool | None]]:
    """Issue 11's table for one run: (measurement, Panorama, pg_trgm same run, goal, met)."""
    latency = results["latency"]
    es1, es16 = latency["elasticsearch"]["1"], latency["elasticsearch"]["16"]
    trgm1, trgm16 = latency["pg_trgm"]["1"], latency["pg_trgm"]["16"]
    es_cpu = (es16.get("cpu_ms_per_search") or {}).get("elasticsearch")
    client_cpu = (es16.get("cpu_ms_per_search") or {}).get(cpu.BENCH_CLIENTS)
    trgm_cpu = (trgm16.get("cpu_ms_per_search") or {}).get("postgresql")
    rows: list[tuple[str, str, str, str, bool | None]] = [
        (
            "search p50 / p95, 1 client",
            f"{_ms(es1['p50_ms'])} / {_ms(es1['p95_ms'])} ms",
            f"{_ms(trgm1['p50_ms'])} / {_ms(trgm1['p95_ms'])} ms",
            "p95 ≤ pg_trgm's",
            es1["p95_ms"] <= trgm1["p95_ms"],
        ),
        (
            "searches/s, 16 clients",
            f"{_n(es16['throughput_per_s'])} (p95 {_ms(es16['p95_ms'])} ms)",
            f"{_n(trgm16['throughput_per_s'])} (p95 {_ms(trgm16['p95_ms'])} ms)",
            f"≥ {THROUGHPUT_FACTOR} × pg_trgm's",
            es16["throughput_per_s"] >= THROUGHPUT_FACTOR * trgm16["throughput_per_s"],
        ),
        (
            "Elasticsearch CPU per search, 16 clients (the Python client's own in brackets)",
            "–" if es_cpu is None else f"{_n(es_cpu, 2)} ms ({_n(client_cpu or 0.0, 2)} ms)",
            "–" if trgm_cpu is None else f"PostgreSQL {_n(trgm_cpu, 2)} ms",
            f"≤ {ES_CPU_PER_SEARCH_MS:g} ms at 100k customers",
            None if es_cpu is None else es_cpu <= ES_CPU_PER_SEARCH_MS,
        ),
    ]
    writes = ((results.get("gateway") or {}).get("create_customer") or {}).get("16")
    cost = (writes or {}).get("cpu_ms_per_request") or {}
    if cost:
        ranked = sorted(cost.items(), key=lambda item: -item[1])  # stored runs come back sorted by name
        parts = ", ".join(f"{group} {_n(ms, 2)}" for group, ms in ranked if group != cpu.BENCH_CLIENTS)
        total = system_cpu_ms(cost)
        rows.append(
            (
                "CPU per `POST /api/v1/customers`, all processes summed (16 clients)",
                f"{_n(total, 1)} ms ({parts})",
                "–",
                f"≤ {CPU_PER_CREATE_MS:g} ms",
                total <= CPU_PER_CREATE_MS,
            )
        )
    bulk, pg_load = results.get("bulk"), results.get("pg_load")
    rows.append(
        (
            f"bulk indexing, {bulk['indexers']} indexer{'s' if bulk['indexers'] > 1 else ''}"
            f"{' (pre-filled queue drained)' if bulk.get('mode') == 'drain' else ' (while publishing)'}"
            if bulk
            else "bulk indexing",
            f"{_n(bulk['load_rate'])} events/s" if bulk else "not run (--skip-load)",
            f"COPY {_n(pg_load['copy_rate'])} rows/s" if pg_load else "–",
            f"≥ {BULK_EVENTS_PER_S:,} events/s with 1 indexer",
            None if not bulk or bulk["indexers"] != 1 else bulk["load_rate"] >= BULK_EVENTS_PER_S,
        )
    )
    fresh = results["freshness"]
    rows.append(
        (
            "freshness write → searchable p99",
            f"{_n(fresh['p99_s'], 2)} s",
            "– (reads its own table)",
            f"≤ {FRESHNESS_P99_S:g} s",
            fresh["timeouts"] == 0 and fresh["p99_s"] <= FRESHNESS_P99_S,
        )
    )
    return rows


def cost_table(results: dict[str, Any]) -> list[str]:
    data, env = results["data"], results["environment"]
    lines = [
        f"Cost per operation at {data['customers']:,} customers ({data['events']:,} documents), "
        f"{env['date']}, load average {env['load_average_1m']} at start:",
        "",
        "| | Panorama | PostgreSQL pg_trgm, same run | Goal | Met |",
        "|---|---|---|---|---|",
    ]
    for name, ours, theirs, goal, met in cost_rows(results):
        lines.append(f"| {name} | {ours} | {theirs} | {goal} | {_met(met)} |")
    return lines


def sized_results(directory: Path, current: dict[str, Any]) -> list[dict[str, Any]]:
    """This run first, then the latest stored run of every other size (largest first)."""
    size = current["data"]["customers"]
    others = []
    for path in directory.glob("customers-*.json"):
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if stored.get("data", {}).get("customers") not in (None, size) and "latency" in stored:
            others.append(stored)
    return [current, *sorted(others, key=lambda r: -int(r["data"]["customers"]))]


def cost_tables(runs: list[dict[str, Any]]) -> list[str]:
    lines = ["## Cost per operation, at each size run (issue 11's table; latest run of each size)", ""]
    for run in runs:
        lines += [*cost_table(run), ""]
    return lines[:-1]


def markdown(results: dict[str, Any], runs: list[dict[str, Any]] | None = None) -> str:
    env, data, cfg = results["environment"], results["data"], results["config"]
    es, pg = env["elasticsearch"], env["postgresql"]
    lines = [
        "# Panorama bench: global search",
        "",
        f"- Date: {env['date']} · host `{env['host']}` · {env['cpu_count']} CPUs ({env['cpu_model']}) · "
        f"{env['memory_gib']} GiB memory · Python {env['python']}",
        f"- Machine load (other work competes for the same cores): load average {env['load_average_1m']} "
        f"at start; 1/5/15-min {' / '.join(str(x) for x in env.get('load_average_end', []))} at end",
        f"- Elasticsearch {es['version']} (heap {es['heap_gib']} GiB, refresh_interval "
        f"{cfg['refresh_interval']}) · PostgreSQL {pg.get('server_version', '?')} (shared_buffers "
        f"{pg.get('shared_buffers', '?')}, max_parallel_workers_per_gather "
        f"{pg.get('max_parallel_workers_per_gather', '?')}) · RabbitMQ {env['rabbitmq']}",
        f"- Data (seed {cfg['seed']}{', --quick' if cfg['quick'] else ''}): {data['customers']:,} customers, "
        f"{data['contacts']:,} contacts, {data['follow_ups']:,} follow-ups = {data['events']:,} events / "
        "documents / rows",
        "",
        "",
        *cost_tables(runs or [results]),
        "",
        "## Details of this run",
        "",
        "| Measurement | Result | Target | Met |",
        "|---|---|---|---|",
    ]
    bulk = results.get("bulk")
    if bulk and bulk.get("mode") == "drain":
        lines.append(
            f"| Bulk indexing: pre-filled queue drained by {bulk['indexers']} × `search.indexer` "
            f"(first consumer → all searchable) | {_n(bulk['load_rate'])} events/s ({_n(bulk['events'])} in "
            f"{_n(bulk['load_seconds'], 1)} s); indexer CPU "
            f"{_n(bulk['indexer_cpu_ms_per_event'], 3)} ms/event, "
            f"ES indexing + refresh {_n(bulk['es_ms_per_event'], 3)} ms/event | "
            f"≥ {BULK_EVENTS_PER_S:,} events/s with 1 indexer | "
            f"{_met(bulk['load_rate'] >= BULK_EVENTS_PER_S if bulk['indexers'] == 1 else None)} |"
        )
    elif bulk:
        lines += [
            f"| Raw publish rate to `customers.events` (persistent, AMQP tx every 500) "
            f"| {_n(bulk['publish_rate'])} events/s ({_n(bulk['publish_seconds'], 1)} s) | – | – |",
            f"| Bulk load rate: first publish → all searchable ({bulk['indexers']} × `search.indexer`) "
            f"| {_n(bulk['load_rate'])} events/s ({_n(bulk['events'])} in {_n(bulk['load_seconds'], 1)} s) "
            "| – | – |",
        ]
    else:
        lines.append("| Bulk load | skipped (`--skip-load`: reused the loaded data) | – | – |")
    pg_load = results.get("pg_load")
    if pg_load:
        lines.append(
            f"| PostgreSQL baseline load: COPY / 4 GIN trigram indexes | {_n(pg_load['copy_rate'])} rows/s "
            f"({_n(pg_load['copy_seconds'], 1)} s) / {_n(pg_load['index_seconds'], 1)} s | – | – |"
        )
    fresh = results["freshness"]
    timeouts = f", {fresh['timeouts']} timed out" if fresh["timeouts"] else ""
    lines.append(
        f"| Freshness write → searchable p50 / p99 (max), {fresh['samples']} sequential samples, "
        f"poll 10 ms, random start phase | {_n(fresh['p50_s'], 2)} s / {_n(fresh['p99_s'], 2)} s "
        f"({_n(fresh['max_s'], 2)} s)"
        f"{timeouts} | p99 ≤ 1.5 s "
        f"| {_met(targets(results)[2]['met'])} |"
    )
    lines += ["", *latency_table(results)]
    if results.get("gateway"):
        lines += ["", *gateway_table(results["gateway"])]
    lines += ["", *per_query_table(results), "", *notes(results)]
    return "\n".join(lines) + "\n"


def latency_table(results: dict[str, Any]) -> list[str]:
    goals = targets(results)
    index = results.get("index") or {}
    lines = [
        f"Search latency, mixed set of {len(results['per_query'])} queries, first page of 20, "
        f"closed loop ({results['config']['latency_seconds']} s per row after "
        f"{results['config'].get('warmup_seconds', 0):g} s of unmeasured warm-up per engine), "
        "index settled first "
        f"({index.get('segments', '?')} segments, {index.get('merges_current', '?')} merges running):",
        "",
        "| Engine | Clients | p50 ms | p95 ms | p99 ms | Searches/s | Errors | Target | Met |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for key, label in ENGINES:
        for clients in ("1", "16"):
            stats = results["latency"][key][clients]
            target, met = "", None
            if key == "elasticsearch":
                goal = goals[0] if clients == "1" else goals[1]
                target, met = goal["target"], goal["met"]
            lines.append(
                f"| {label} | {clients} | {_ms(stats['p50_ms'])} | {_ms(stats['p95_ms'])} "
                f"| {_ms(stats['p99_ms'])} | {_n(stats['throughput_per_s'])} | {stats['errors']} "
                f"| {target or '–'} | {_met(met)} |"
            )
    return lines


GATEWAY_ROWS = (
    ("create_customer", "`POST /api/v1/customers` (sales user)", "≥ 500 writes/s", 16),
    ("search", "`GET /api/v1/search`, same query set (admin)", "p95 ≤ 50 ms", 16),
)


def gateway_targets(gateway: dict[str, Any]) -> dict[str, bool | None]:
    writes, searches = gateway.get("create_customer", {}).get("16"), gateway.get("search", {}).get("16")
    return {
        "create_customer": None if writes is None else writes["throughput_per_s"] >= 500,
        "search": None if searches is None else searches["p95_ms"] <= 50,
    }


def gateway_table(gateway: dict[str, Any]) -> list[str]:
    """HTTP through the gateway, every hop real: the rows the gateway issue asks for."""
    met = gateway_targets(gateway)
    lines = [
        "Through the gateway over HTTP (keep-alive connection per client; JWT, validation, pika RPC to "
        "the nameko service, PostgreSQL or Elasticsearch, and back):",
        "",
        "| Request | Clients | p50 ms | p95 ms | p99 ms | Requests/s | Errors | Target | Met |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for key, label, target, target_clients in GATEWAY_ROWS:
        for clients, stats in sorted(gateway.get(key, {}).items(), key=lambda item: int(item[0])):
            at_target = int(clients) == target_clients
            lines.append(
                f"| {label} | {clients} | {_ms(stats['p50_ms'])} | {_ms(stats['p95_ms'])} "
                f"| {_ms(stats['p99_ms'])} | {_n(stats['throughput_per_s'])} | {stats['errors']} "
                f"| {target if at_target else '–'} | {_met(met[key]) if at_target else '–'} |"
            )
    return [*lines, "", *gateway_cpu_table(gateway)]


def gateway_cpu_table(gateway: dict[str, Any]) -> list[str]:
    """Where one request's CPU goes at 16 clients: the reason the gateway rows are what they are."""
    runs = {
        key: gateway.get(key, {}).get("16", {}).get("cpu_ms_per_request") or {} for key, *_ in GATEWAY_ROWS
    }
    groups = sorted(
        {g for cost in runs.values() for g in cost}, key=lambda g: -sum(c.get(g, 0) for c in runs.values())
    )
    if not groups:
        return []
    lines = [
        "CPU milliseconds per request at 16 clients, by process (from /proc; all share the same cores):",
        "",
        "| Process | create-customer | search |",
        "|---|---:|---:|",
    ]
    for group in groups:
        cells = [_n(runs[key][group], 2) if group in runs[key] else "–" for key, *_ in GATEWAY_ROWS]
        lines.append(f"| {group} | {' | '.join(cells)} |")
    totals = [_n(sum(runs[key].values()), 1) for key, *_ in GATEWAY_ROWS]
    lines.append(f"| **total** | **{totals[0]}** | **{totals[1]}** |")
    return lines


def per_query_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "Per query at 1 client: p50 ms, Elasticsearch's own `took` (median of 5, ms) and total hits "
        "(ES: every kind, after folding; PostgreSQL: customer names + contact names/phones/e-mails):",
        "",
        "| Query | What | ES p50 | ES `took` | ES hits | seq scan p50 | ILIKE hits | pg_trgm p50 "
        "| pg_trgm plan |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in results["per_query"]:
        lines.append(
            f"| `{row['q']}` | {row['what']} | {_ms(row['es_p50_ms'])} | {_ms(row['es_took_p50_ms'])} "
            f"| {_n(row['es_hits'])}{'+' if row.get('es_hits_lower_bound') else ''} "
            f"| {_ms(row['seqscan_p50_ms'])} | {_n(row['pg_hits'])} | {_ms(row['trgm_p50_ms'])} "
            f"| {row['trgm_plan']} |"
        )
    return lines


def notes(results: dict[str, Any]) -> list[str]:
    plans = results["plans"]
    return [
        "Notes:",
        f"- EXPLAIN check: the pg_trgm session used a trigram index for {plans['trgm_index_queries']} of "
        f"{plans['queries']} queries (patterns shorter than 3 characters have no trigram to look up); the "
        f"seq-scan session used an index for {plans['seqscan_index_queries']} of {plans['queries']}.",
        "- Both sides search without an ACL filter (admin caller / plain SQL) and return 20 rows; "
        "Elasticsearch also ranks, highlights the matched fields and counts hits up to 1,000 (shown as "
        "1,000+; facets by kind only when asked, as the search page does); PostgreSQL orders by updated_at "
        "and counts nothing. ILIKE cannot match pinyin, initials or Traditional↔Simplified: compare the "
        "hit columns.",
        "- Freshness: write = `CustomerHub.create_customer` "
        f"(p50 {_ms(results['freshness']['write_p50_ms'])} ms) → outbox → `customers.relay` → RabbitMQ → "
        "`search.indexer` → Elasticsearch refresh.",
        "- Freshness samples start after a random pause of up to one refresh interval: back-to-back "
        "samples would otherwise each begin just after a refresh and all wait nearly a full interval.",
        "- Bench clients are Python threads in one process (GIL), sharing the 2 cores with the servers.",
    ]


def _finite(value: Any) -> Any:
    """NaN (an empty sample) becomes null: strict JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def write(results: dict[str, Any], directory: Path) -> str:
    """latest.md/json, plus customers-N.json: the latest run of each size, which later reports show."""
    directory.mkdir(parents=True, exist_ok=True)
    text = markdown(results, sized_results(directory, results))
    encoded = json.dumps(_finite(results), ensure_ascii=False, indent=2, sort_keys=True)
    (directory / "latest.md").write_text(text, encoding="utf-8")
    (directory / "latest.json").write_text(encoded, encoding="utf-8")
    (directory / f"customers-{results['data']['customers']}.json").write_text(encoded, encoding="utf-8")
    return text
