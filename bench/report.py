"""The human-readable tables, the PASS/MISS verdicts and the JSON artefact."""

import json
import os

from bench import emergency, households, live, wishes
from bench.grids import REPEATS
from bench.sync import SINGLE_REPORTS as SYNC_SINGLE_REPORTS

REQUESTS = {
    "hello": "bare GET /hello",
    "health": "GET /api/health",
    "bare_locate": "bare GET /locate",
    "locate": "GET /api/locate",
    "insert": "bare POST /insert",
    "reports": "POST /api/incidents",
    "claims": "POST /api/tasks/<id>/claim",
}
BARE_NAMES = {"hello": "/hello", "bare_locate": "/locate", "insert": "/insert"}
HTTP_COLUMNS = ["request", "req/s", "p50 ms", "p99 ms", "ok", "errors", "workers cores"]
HTTP_COLUMNS += ["worker ms/req", "db cores", "db ms/req", "clients cores", "/ bare", "/ health"]
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
    if "logins" in result:
        lines += logins_lines(result["logins"])
    if "live" in result:
        lines += live.lines(result["live"])
    if "wishes" in result:
        lines += wishes.lines(result["wishes"])
    if "emergency" in result:
        lines += emergency.lines(result["emergency"])
    if "households" in result:
        lines += households.lines(result["households"])
    return "\n".join(lines)


def _http_lines(http, claims):
    names = [name for name in REQUESTS if name in http]
    metered = "database" in http["meters"]
    rows = [_http_row(REQUESTS[name], http[name], metered) for name in names]
    lines = [
        f"\nHTTP: {http['clients']} concurrent clients (a process and a connection each), "
        f"{http['server']}, {http['duration']:g} s timed each (2 runs, each after "
        f"{http['warmup']:g} s warm-up), each endpoint next to its bare equivalent",
        *_table(HTTP_COLUMNS, rows),
    ]
    for name in names:
        f = http[name]
        if "bare" not in f:
            continue
        vs_health = (
            f"; / health {f['health_ratio']:.2f} ({_ratio(f['health_cpu_ratio'])} by CPU)"
            if "health_ratio" in f
            else ""
        )
        lines.append(
            f"  {name} / bare {BARE_NAMES[f['bare']]} = {f['bare_ratio']:.2f} by req/s, "
            f"{_ratio(f['bare_cpu_ratio'])} by server CPU per request{vs_health}"
        )
    if "claims" in http:
        lines += _claims_lines(http["claims"], claims)
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
        _ratio(f.get("bare_ratio")),
        _ratio(f.get("health_ratio")),
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
    return lines


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


def logins_lines(f):
    """The mass login: the others alone and during the logins, the logins, the hash."""
    rows = [
        [
            what,
            f"{o['rps']:.0f}",
            _ms(o["p50_ms"]),
            _ms(o["p99_ms"]),
            str(o["ok"]),
            _errors(o["errors"]),
        ]
        for what, o in (
            (f"others alone ({f['other_clients']} clients)", f["others_alone"]),
            ("others during the logins", f["others"]),
        )
    ]
    metered = "database_cpu_cores" in f
    db = (
        f", database {_ms(f['database_cpu_ms_per_login'])} ms "
        f"({f['database_login_cpu_cores']:.2f} cores)"
        if metered
        else ""
    )
    district = "-" if f["district_s"] is None else f"{f['district_s'] / 60:.1f} minutes"
    hashed = f["hash"]
    return [
        f"\nMass login: {f['login_clients']} clients log in {f['people']} different people "
        f"(each once, GET /api/auth/csrf then POST /api/auth/login) for {f['duration']:g} s "
        f"while {f['other_clients']} clients send locates and reports as grid members",
        *_table(HTTP_COLUMNS[:6], rows),
        f"  logins: {f['logins']} in {f['duration']:g} s = {f['logins_per_s']:.1f}/s: the "
        f"district's 13,000 in {district}; answers {_errors(f['outcomes'])}; throttled "
        f"{f['throttled']} x 429; other errors {_errors(f['errors'])}",
        f"  server CPU per login: workers {_ms(f['server_cpu_ms_per_login'])} ms "
        f"({f['server_login_cpu_cores']:.2f} of {f['server_cpu_cores']:.2f} worker cores){db}; "
        "the others' share taken off at their cost alone",
        f"  password hash {hashed['method']}: {hashed['cpu_ms']:.0f} ms CPU per check in the "
        "bench's process",
    ]


def summary_text(results, found, elsewhere=()):
    lines = ["\n== summary =="]
    for name, result in results.items():
        if "skipped" in result:
            lines.append(f"  {name:<8} SKIPPED: {result['skipped']}")
        elif "error" in result:
            lines.append(f"  {name:<8} BROKEN: {result['error'].splitlines()[0]}")
    for v in found:
        lines.append(f"  {v['backend']:<8} {_verdict(v['pass'])}  {v['target']}: {v['detail']}")
    for what, by in elsewhere:
        lines.append(f"  {'-':<8} ({by})  {what}")
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
