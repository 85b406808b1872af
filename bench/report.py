"""The human-readable tables, the PASS/MISS verdicts and the JSON artefact."""

import json
import os

from bench.grids import REPEATS

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


def _ms(ms):
    return "-" if ms is None else f"{ms:.1f}"


def _kb(n):
    return f"{n / 1000:.1f}"
