"""The human-readable tables, the PASS/MISS verdicts and the JSON artefact."""

import json
import os

from bench import emergency
from bench.grids import REPEATS
from bench.sync import COMPRESS_MIN_SIZE as SYNC_COMPRESS_MIN_SIZE
from bench.sync import SINGLE_REPORTS as SYNC_SINGLE_REPORTS

LOCATE_RATIO_TARGET = 0.5
REPORTS_RATIO_TARGET = 0.25
REPORTS_P99_TARGET_MS = 100
REQUESTS = {
    "health": "GET /api/health",
    "locate": "GET /api/locate",
    "reports": "POST /api/incidents",
    "claims": "POST /api/tasks/<id>/claim",
}
HTTP_COLUMNS = ["request", "req/s", "p50 ms", "p99 ms", "ok", "errors", "workers cores"]
HTTP_COLUMNS += ["worker ms/req", "db cores", "db ms/req", "clients cores", "/ health"]
GRIDS_WIRE_TARGET = 300_000  # bytes; kB in this report are 1000 bytes
GRID_COLUMNS = [
    "query",
    "grids",
    "vertices",
    "shift m",
    "invalid",
    "empty",
    "unmatched",
    "raw kB",
    "wire kB",
    "sent as",
    "gzip kB",
    "first ms",
    "cached ms",
    "304 ms",
    "reval",
]


SYNC_PUSH_TARGET_MS = 2000
SYNC_PULL_TARGET_MS = 500
SYNC_COLUMNS = ["request", "ms", "x health", "requests", "items", "ms/item", "up kB"]
SYNC_COLUMNS += ["down wire kB", "down raw kB", "sent as", "worker ms", "db ms"]


def backend_text(name, result):
    """The tables of one backend, or why it did not run."""
    if "skipped" in result:
        return f"\n== {name}: SKIPPED: {result['skipped']} =="
    if "error" in result:
        return f"\n== {name}: BROKEN ==\n{result['error']}"
    lines = [
        f"\n== {name}: {result['database']} ==",
        f"set-up (schema + demo district, {result['members']} members): {result['setup_s']:.1f} s",
    ]
    if "http" in result:
        lines += _http_lines(result["http"], result.get("claims"))
    if "inprocess" in result:
        lines += _inprocess_lines(result["inprocess"])
    if "grids" in result:
        lines += _grids_lines(result["grids"])
    if "sync" in result:
        lines += _sync_lines(result["sync"])
    if "emergency" in result:
        lines += emergency.lines(result["emergency"])
    return "\n".join(lines)


def _http_lines(http, claims):
    names = [name for name in REQUESTS if name in http]
    metered = "database" in http["meters"]
    rows = [_http_row(REQUESTS[name], http[name], metered) for name in names]
    lines = [
        f"\nHTTP: {http['clients']} concurrent clients (a process and a connection each), "
        f"{http['server']}, {http['duration']:g} s timed each (2 runs, each after "
        f"{http['warmup']:g} s warm-up)",
        *_table(HTTP_COLUMNS, rows),
    ]
    if "locate" in http:
        f = http["locate"]
        lines.append(
            f"  locate / health = {f['ratio']:.2f} by req/s "
            f"(target >= {LOCATE_RATIO_TARGET}: {_verdict(f['ratio'] >= LOCATE_RATIO_TARGET)}); "
            f"{_ratio(f['cpu_ratio'])} by server CPU per request"
        )
    if "reports" in http:
        f = http["reports"]
        lines.append(
            f"  reports / health = {f['ratio']:.2f} by req/s "
            f"(target >= {REPORTS_RATIO_TARGET}: "
            f"{_verdict(f['ratio'] >= REPORTS_RATIO_TARGET)}); "
            f"{_ratio(f['cpu_ratio'])} by server CPU per request; p99 {_ms(f['p99_ms'])} ms "
            f"(target < {REPORTS_P99_TARGET_MS} ms: {_verdict(_p99_ok(f))})"
        )
    if "claims" in http:
        f = http["claims"]
        lines += [
            f"  claims / health = {f['ratio']:.2f} by req/s; {_ratio(f['cpu_ratio'])} by server "
            f"CPU per request; p99 {_ms(f['p99_ms'])} ms (no target)",
            *_claims_lines(f, claims),
        ]
    return lines


def _http_row(request, f, metered):
    return [
        request,
        f"{f['rps']:.0f}",
        _ms(f["p50_ms"]),
        _ms(f["p99_ms"]),
        str(f["ok"]),
        _errors(f["errors"]),
        f"{f['server_cpu_cores']:.2f}",
        _ms(f["server_cpu_ms_per_request"]),
        f"{f['database_cpu_cores']:.2f}" if metered else "-",
        _ms(f["database_cpu_ms_per_request"]) if metered else "-",
        f"{f['client_cpu_cores']:.2f}",
        _ratio(f.get("ratio")),
    ]


def _claims_lines(f, claims):
    """The claims' set-up, outcomes and what they left in the database."""
    lines = [
        f"  claims: {claims['tasks']} tasks of capacity {claims['capacity']} for grid "
        f"{claims['grid']} (made by the secretary, {claims['create_ms']:.1f} ms each), "
        f"claimed by {claims['members']} members serving it, all in one shuffled order",
        f"  answers: {_errors(f['outcomes'])} (expected); errors: {_errors(f['errors'])}",
    ]
    if "taken" in claims:
        wrapped = "; went round them again" if claims["wrapped"] else ""
        lines.append(
            f"  after {claims['tasks_reached']} tasks{wrapped}: {claims['taken']} of "
            f"{claims['places']} places taken, {claims['full_tasks']} tasks full, "
            f"{claims['drifted']} tasks whose count differs from their live claims"
        )
    return lines


def _p99_ok(f):
    return f["p99_ms"] is not None and f["p99_ms"] < REPORTS_P99_TARGET_MS


def _inprocess_lines(figures):
    rows = [
        [call, f"{rate:.0f}", f"{1e6 / rate:.0f}"]
        for call, rate in (
            ("current_revision()", figures["baseline_per_s"]),
            ("placement(lng, lat)", figures["placement_per_s"]),
        )
    ]
    return [
        f"\nIn-process: one process, {figures['calls']} calls of each, alternating in rounds",
        *_table(["call", "calls/s", "us/call"], rows),
        f"  placement / current_revision = {figures['ratio']:.2f}",
    ]


def _grids_lines(rows):
    table = [
        [
            f["query"],
            str(f["grids"]),
            str(f["vertices"]),
            _max_shift(f),
            str(f["invalid"]),
            str(f["empty"]),
            str(f["unmatched"]),
            _kb(f["raw_bytes"]),
            _kb(f["wire_bytes"]),
            f["encoding"],
            _kb(f["gzip_bytes"]),
            _ms(f["first_ms"]),
            _ms(f["cached_ms"]),
            _ms(f["revalidate_ms"]),
            "/".join(map(str, f["revalidate_statuses"])),
        ]
        for f in rows
    ]
    return [
        f"\nGET /api/grids, Accept-Encoding: gzip (kB = 1000 bytes; cached and 304: median of "
        f"{REPEATS})",
        *_table(GRID_COLUMNS, table),
    ]


def _sync_lines(f):
    push, pull = f["push"], f["pull"]
    health = f["health_ms"]
    first_limit = str(min(int(limit) for limit in pull["by_limit"]))
    rows = [
        _sync_row(
            f"push {push['commands']} commands (median of {push['repeats']})",
            push["median"],
            health,
            push["commands"],
        ),
        _sync_row("push the same again (all duplicates)", push["resend"], health, push["commands"]),
        [
            f"POST /api/incidents alone (median of {SYNC_SINGLE_REPORTS})",
            _ms(push["single_report_ms"]),
            _times(push["single_report_ms"] / health),
            "1",
            "1",
            _ms(push["single_report_ms"]),
            *["-"] * 6,
        ],
    ]
    for limit, run in pull["by_limit"].items():
        rows.append(
            _sync_row(
                f"pull {pull['rows']} rows, limit {limit} (median of {len(run['runs_ms'])})",
                run,
                health,
            )
        )
    rows.append(
        _sync_row(
            f"member's first sync, limit {f['member_first_sync']['limit']}",
            f["member_first_sync"],
            health,
        )
    )
    for limit, run in f["secretary_first_sync"].items():
        rows.append(_sync_row(f"secretary's first sync, limit {limit}", run, health))
    timed = push["median"]
    gz = push["gzip_request"]
    refused = "reads it" if gz["accepted"] else f"refuses it: {gz['status']} {_code(gz['answer'])}"
    secretary = f["secretary_first_sync"][first_limit]
    lines = [
        f"\nSync: one client, one request at a time, Accept-Encoding: gzip; grid {f['grid']} "
        f"(community {f['community']}); health {_ms(health)} ms per request (median of "
        f"{f['health_requests']} sequential GET /api/health, before and after)",
        *_table(SYNC_COLUMNS, rows),
        f"  push: {_mix(push['mix'])}, from a fresh device each time; receipts "
        f"{_errors(timed['statuses'])}{_rejections(timed)}; sent again: "
        f"{_errors(push['resend']['statuses'])}",
        f"  push request body {_kb(push['request_bytes'])} kB as sent (JSON, UTF-8; gzip would "
        f"make it {_kb(push['request_gzip_bytes'])} kB; the server {refused}); answer "
        f"{_kb(timed['response_raw_bytes'])} kB, {_kb(timed['response_wire_bytes'])} kB as "
        f"{timed['encoding']}; {_ms(timed['ms'] / push['commands'])} ms per command = "
        f"{_times(timed['ms'] / push['commands'] / health)} x health",
        f"  pull: {pull['rows']} history rows in the grid after the member's cursor "
        f"(day by day over {pull['days']} days, {pull['incidents_made']} incidents reported by "
        f"the member, each accepted by the secretary, {pull['comments_made']} commented on; "
        f"made by the services in process in {pull['setup_s']:.1f} s, not timed); the member got "
        f"{pull['by_limit'][first_limit]['incidents']} of {pull['incidents_made']} incidents",
        f"  secretary's first sync: {secretary['incidents']} incidents and {secretary['tasks']} "
        f"tasks of community {f['community']} (open, or changed in 30 days)",
    ]
    return lines + [f"  {line}" for line in _sync_verdict_lines(f)]


def _sync_row(what, run, health, items=None):
    items = run.get("changes", 0) if items is None else items
    db_ms = run.get("database_cpu_ms")
    return [
        what,
        _ms(run["ms"]),
        _times(run["ms"] / health),
        str(run.get("pages", 1)),
        str(items),
        _ms(run["ms"] / items) if items else "-",
        _kb(run["request_bytes"]) if "request_bytes" in run else "-",
        _kb(run.get("wire_bytes", run.get("response_wire_bytes", 0))),
        _kb(run.get("raw_bytes", run.get("response_raw_bytes", 0))),
        _encodings(run),
        _ms(run["server_cpu_ms"]),
        "-" if db_ms is None else _ms(db_ms),
    ]


def _encodings(run):
    if "encodings" in run:
        return "/".join(f"{n} {kind}" for kind, n in sorted(run["encodings"].items()))
    return run["encoding"]


def _mix(mix):
    return ", ".join(f"{n} {kind}" for kind, n in mix.items())


def _rejections(run):
    return f" ({_errors(run['errors'])})" if run["errors"] else ""


def _code(answer):
    try:
        return json.loads(answer)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return answer[:60]


def _sync_verdicts(f):
    """(target, pass, value, unit, the value in words) of the sync targets."""
    push, pull = f["push"], f["pull"]
    timed = push["median"]
    applied = timed["statuses"].get("applied", 0)
    limits = sorted(pull["by_limit"], key=int)
    first = pull["by_limit"][limits[0]]
    complete = first["incidents"] == pull["incidents_made"]
    others = "; ".join(
        f"{_ms(pull['by_limit'][limit]['ms'])} ms with limit {limit}" for limit in limits[1:]
    )
    pulls = [*pull["by_limit"].values(), f["member_first_sync"]]
    pulls += f["secretary_first_sync"].values()
    pages = sum(run["pages"] for run in pulls)
    gzipped = sum(run["encodings"].get("gzip", 0) for run in pulls)
    small = sum(run["uncompressed_small"] for run in pulls)
    return [
        (
            f"sync push of {push['commands']} commands < {SYNC_PUSH_TARGET_MS / 1000:g} s "
            f"(median of {push['repeats']})",
            timed["ms"] < SYNC_PUSH_TARGET_MS and applied == push["commands"],
            timed["ms"],
            "ms",
            f"{_ms(timed['ms'])} ms, {applied} of {push['commands']} applied; "
            f"{_ms(timed['ms'] / push['commands'])} ms per command = "
            f"{_times(timed['ms'] / push['commands'] / f['health_ms'])} x health "
            f"({_ms(f['health_ms'])} ms)",
        ),
        (
            f"sync pull of {pull['rows']} history rows < {SYNC_PULL_TARGET_MS / 1000:g} s "
            f"(limit {limits[0]}, following has_more)",
            first["ms"] < SYNC_PULL_TARGET_MS and complete,
            first["ms"],
            "ms",
            f"{_ms(first['ms'])} ms in {first['pages']} pages "
            f"({_times(first['ms'] / f['health_ms'])} x health)"
            + ("" if complete else f", INCOMPLETE: {first['incidents']} incidents")
            + (f"; {others}" if others else ""),
        ),
        (
            "sync payloads compressed (Content-Encoding: gzip on pull answers)",
            all(run["compressed"] for run in pulls),
            gzipped,
            "answers gzipped",
            f"{gzipped} of {pages} answers gzip"
            + (f", {small} under {SYNC_COMPRESS_MIN_SIZE} bytes sent as they are" if small else ""),
        ),
    ]


def _sync_verdict_lines(f):
    return [f"{target}: {_verdict(ok)} ({text})" for target, ok, _, _, text in _sync_verdicts(f)]


def verdicts(results):
    """One PASS/MISS per target, backend and (for the grids) tolerance."""
    found = []
    for name, result in results.items():
        http = result.get("http", {})
        if "locate" in http:
            ratio = http["locate"]["ratio"]
            found.append(
                {
                    "backend": name,
                    "target": "locate req/s >= 0.5 x health req/s",
                    "value": ratio,
                    "pass": ratio >= LOCATE_RATIO_TARGET,
                }
            )
        if "reports" in http:
            f = http["reports"]
            found += [
                {
                    "backend": name,
                    "target": f"reports req/s >= {REPORTS_RATIO_TARGET} x health req/s "
                    f"({http['clients']} clients)",
                    "value": f["ratio"],
                    "pass": f["ratio"] >= REPORTS_RATIO_TARGET,
                },
                {
                    "backend": name,
                    "target": f"reports p99 < {REPORTS_P99_TARGET_MS} ms "
                    f"({http['clients']} clients)",
                    "value": f["p99_ms"],
                    "unit": "ms",
                    "pass": _p99_ok(f),
                },
            ]
        for f in result.get("grids", ()):
            if f["simplify_m"] is None:
                continue
            found.append(
                {
                    "backend": name,
                    "target": f"grids?{f['query']} < 300 kB on the wire",
                    "value": f["wire_bytes"],
                    "encoding": f["encoding"],
                    "gzip_bytes": f["gzip_bytes"],
                    "map": _map_note(f),
                    "pass": f["wire_bytes"] < GRIDS_WIRE_TARGET,
                }
            )
        if "sync" in result:
            found += [
                {
                    "backend": name,
                    "target": target,
                    "value": value,
                    "unit": unit,
                    "detail": text,
                    "pass": ok,
                }
                for target, ok, value, unit, text in _sync_verdicts(result["sync"])
            ]
        if "emergency" in result:
            found += emergency.verdicts(name, result["emergency"])
    return found


def summary_text(results, found):
    lines = ["\n== summary =="]
    for name, result in results.items():
        if "skipped" in result:
            lines.append(f"  {name:<8} SKIPPED: {result['skipped']}")
        elif "error" in result:
            lines.append(f"  {name:<8} BROKEN: {result['error'].splitlines()[0]}")
    for v in found:
        if "gzip_bytes" in v:
            value = f"{_kb(v['value'])} kB sent as {v['encoding']}"
            if v["encoding"] != "gzip":
                value += f" (gzip would make it {_kb(v['gzip_bytes'])} kB)"
            if v["map"]:
                value += f"; {v['map']}"
        elif "detail" in v:
            value = v["detail"]
        elif "unit" in v:
            value = f"{_ms(v['value'])} {v['unit']}"
        else:
            value = f"{v['value']:.2f}"
        lines.append(f"  {v['backend']:<8} {_verdict(v['pass'])}  {v['target']}: {value}")
    return "\n".join(lines)


def write_json(path, payload):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, ensure_ascii=False, indent=1)


def _table(headers, rows):
    """Aligned lines: the first column to the left, figures to the right."""
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    return ["  " + "  ".join(_cells(row, widths)) for row in (headers, *rows)]


def _cells(row, widths):
    first, *rest = zip(row, widths, strict=True)
    return [f"{first[0]:<{first[1]}}", *(f"{cell:>{width}}" for cell, width in rest)]


def _map_note(f):
    """What an overview map would draw wrong, or "" if nothing."""
    counts = {"invalid": f["invalid"], "empty": f["empty"], "with unmatched edges": f["unmatched"]}
    return ", ".join(f"{n} grids {what}" for what, n in counts.items() if n)


def _max_shift(f):
    return "-" if f["simplify_m"] is None else f"{f['max_shift_m']:.1f}"


def _verdict(ok):
    return "PASS" if ok else "MISS"


def _errors(errors):
    return ", ".join(f"{count} x {kind}" for kind, count in sorted(errors.items())) or "0"


def _ratio(ratio):
    return "-" if ratio is None else f"{ratio:.2f}"


def _times(ratio):
    """A multiple of health: fewer decimals for bigger ones."""
    return f"{ratio:.0f}" if ratio >= 100 else f"{ratio:.1f}" if ratio >= 10 else f"{ratio:.2f}"


def _ms(ms):
    return "-" if ms is None else f"{ms:.1f}"


def _kb(n):
    return f"{n / 1000:.1f}"
