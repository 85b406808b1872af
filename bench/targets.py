"""The targets of bench/targets.json against a run's figures: PASS or MISS per target and backend.

Each target's value comes from one function of a backend's figures (MEASURES, by the target's
id), which also says what else a PASS needs (e.g. every receipt applied) and the value in words.
Targets measured elsewhere ("by": "make audit") are listed, not judged.
"""

import json
from pathlib import Path

from bench import wishes

PATH = Path(__file__).with_name("targets.json")
FIRST_SYNC_LIMIT = "500"  # the page the PWA asks for (pwa/src/sync/engine.js PULL_LIMIT)


def load(path=PATH):
    return json.loads(Path(path).read_text(encoding="utf-8"))["targets"]


def verdicts(results, targets=None):
    """One verdict per target, backend (that ran) and measurement the run made of it."""
    found = []
    for backend, result in results.items():
        if "skipped" in result or "error" in result:
            continue
        for target in targets or load():
            if "by" in target:
                continue
            for value, also, detail in MEASURES[target["id"]](result):
                found.append(
                    {
                        "backend": backend,
                        "id": target["id"],
                        "target": target["what"],
                        "value": value,
                        "unit": target.get("unit"),
                        "pass": also and within(target, value),
                        "detail": detail,
                    }
                )
    return found


def elsewhere(targets=None):
    """The targets another command measures: (what, which command)."""
    return [(t["what"], t["by"]) for t in targets or load() if "by" in t]


def within(target, value):
    if value is None:
        return False
    if "below" in target and not value < target["below"]:
        return False
    return "at_least" not in target or value >= target["at_least"]


# -- the measurements, each a function of a backend's figures yielding (value, also, detail) --


def _bare_ratio(name):
    def measure(result):
        f = result.get("http", {}).get(name)
        if f is None:
            return
        bare = result["http"][f["bare"]]
        yield (
            f["bare_ratio"],
            True,
            f"{f['bare_ratio']:.2f} by req/s ({f['rps']:.0f} / {bare['rps']:.0f}); "
            f"{_ratio(f['bare_cpu_ratio'])} by server CPU per request",
        )

    return measure


def _p99(name):
    def measure(result):
        f = result.get("http", {}).get(name)
        if f is not None:
            yield f["p99_ms"], True, f"{_ms(f['p99_ms'])} ms (p50 {_ms(f['p50_ms'])} ms)"

    return measure


def _push(result):
    if "sync" not in result:
        return
    push = result["sync"]["push"]
    timed, commands = push["median"], push["commands"]
    applied = timed["statuses"].get("applied", 0)
    duplicates = push["resend"]["statuses"].get("duplicate", 0)
    yield (
        timed["ms"],
        applied == duplicates == commands,
        f"{_ms(timed['ms'])} ms = {commands * 1000 / timed['ms']:.0f} commands/s, "
        f"{applied} of {commands} applied, {duplicates} duplicates when sent again; "
        f"worker {_ms(timed['server_cpu_ms'])} ms, db {_ms(timed.get('database_cpu_ms'))} ms",
    )


def _pull(result):
    if "sync" not in result:
        return
    pull = result["sync"]["pull"]
    limits = sorted(pull["by_limit"], key=int)
    first = pull["by_limit"][limits[0]]
    complete = first["incidents"] == pull["incidents_made"]
    others = "".join(f"; {_ms(pull['by_limit'][n]['ms'])} ms with limit {n}" for n in limits[1:])
    yield (
        first["ms"],
        complete,
        f"{_ms(first['ms'])} ms in {first['pages']} pages"
        + ("" if complete else f", INCOMPLETE: {first['incidents']} incidents")
        + others,
    )


def _pull_compressed(result):
    if "sync" not in result:
        return
    f = result["sync"]
    pulls = [*f["pull"]["by_limit"].values(), f["member_first_sync"]]
    pulls += f["secretary_first_sync"].values()
    pages = sum(run["pages"] for run in pulls)
    gzipped = sum(run["encodings"].get("gzip", 0) for run in pulls)
    small = sum(run["uncompressed_small"] for run in pulls)
    yield (
        gzipped,
        all(run["compressed"] for run in pulls),
        f"{gzipped} of {pages} answers gzip"
        + (f", {small} too small to compress sent as they are" if small else ""),
    )


def _first_sync(who):
    def measure(result):
        if "sync" not in result:
            return
        run = result["sync"][f"{who}_first_sync"]
        run = run.get(FIRST_SYNC_LIMIT, run)  # the secretary's is given per page size
        yield (
            run["ms"],
            True,
            f"{_ms(run['ms'])} ms, {run['pages']} pages, {run['changes']} changes, "
            f"{run['wire_bytes'] / 1000:.1f} kB",
        )

    return measure


def _district_switch(result):
    f = result.get("emergency")
    if f is not None:
        yield (
            f["switch_s"],
            f["pull_sees_switch"],
            f"{f['switch_s']:.2f} s, {f['grids']} grids, {f['tasks']} tasks; "
            f"the next pull sees it: {f['pull_sees_switch']}",
        )


def _roll_call(result):
    f = result.get("emergency")
    if f is None:
        return
    once = f["acknowledged"] == f["asked"] == f["history_rows"]
    yield (
        f["wall_s"],
        once and not f["errors"],
        f"{f['wall_s']:.1f} s for {f['requests']} requests ({f['resends']} resends), "
        f"{f['req_per_s']:.0f} req/s; {f['acknowledged']} of {f['asked']} acknowledged, "
        f"{f['history_rows']} history rows, {f['errors']} errors",
    )


def _ack_p99(result):
    f = result.get("emergency")
    if f is not None:
        yield f["p99_ms"], True, f"{_ms(f['p99_ms'])} ms (p50 {_ms(f['p50_ms'])} ms)"


def _mass_login(result):
    f = result.get("logins")
    if f is None:
        return
    others, alone = f["others"], f["others_alone"]
    district = "-" if f["district_s"] is None else f"{f['district_s'] / 60:.1f} min"
    yield (
        others["p99_ms"],
        not others["errors"],
        f"{_ms(others['p99_ms'])} ms ({_ms(alone['p99_ms'])} ms without the logins); "
        f"{f['logins_per_s']:.1f} logins/s: 13,000 in {district}; {f['throttled']} x 429",
    )


def _grids_wire(result):
    for f in result.get("grids", ()):
        if f["simplify_m"] is None:
            continue
        detail = f"{f['query']}: {f['wire_bytes'] / 1000:.1f} kB sent as {f['encoding']}"
        if f["encoding"] != "gzip":
            detail += f" (gzip would make it {f['gzip_bytes'] / 1000:.1f} kB)"
        # What an overview map would draw wrong.
        counts = {
            "invalid": f["invalid"],
            "empty": f["empty"],
            "with unmatched edges": f["unmatched"],
        }
        detail += "".join(f"; {n} grids {what}" for what, n in counts.items() if n)
        yield f["wire_bytes"], True, detail


def _live(key, detail):
    def measure(result):
        f = result.get("live")
        if f is not None:
            # A PASS also needs the repeat with the ETag to be a 304 and the later poll to see
            # the acknowledgements.
            seen = f["repeat_status"] == 304 and f["after_sees"] == f["acknowledged"]
            yield f[key], seen, detail(f)

    return measure


def _open311(result):
    f = result.get("open311")
    if f is not None:
        # A PASS also needs the pages to hold every case once.
        yield (
            f["max_ms"],
            f["all_once"],
            (
                f"slowest of {f['pages']} pages of {f['page_size']} ({f['cases']} cases); median "
                f"{_ms(f['median_ms'])} ms, {f['page_wire_bytes'] / 1000:.0f} kB a page on the wire"
            ),
        )


def _patrol(key, detail):
    def measure(result):
        f = result.get("patrols")
        if f is not None:
            yield f[key], f["points"] == 2900, detail(f)  # a PASS also needs the track whole

    return measure


def _households(result):
    f = result.get("households")
    if f is not None:  # a PASS also needs every household pulled
        yield (
            f["wire_bytes"],
            f["households"] == 3000,
            f"{f['households']:,} households in {f['pages']} pages, "
            f"{f['raw_bytes'] / 1000:.0f} kB unpacked, {f['first_sync_s']:.2f} s",
        )


def _assessment(key, detail):
    def measure(result):
        f = result.get("assessment")
        if f is not None:
            yield f[key], f["incidents"] > 0, detail(f)

    return measure


MEASURES = {
    "health_vs_hello": _bare_ratio("health"),
    "locate_vs_bare": _bare_ratio("locate"),
    "reports_vs_insert": _bare_ratio("reports"),
    "reports_p99": _p99("reports"),
    "claims_vs_insert": _bare_ratio("claims"),
    "claims_p99": _p99("claims"),
    "push": _push,
    "pull": _pull,
    "pull_compressed": _pull_compressed,
    "secretary_first_sync": _first_sync("secretary"),
    "member_first_sync": _first_sync("member"),
    "district_switch": _district_switch,
    "roll_call": _roll_call,
    "ack_p99": _ack_p99,
    "mass_login_others_p99": _mass_login,
    "grids_wire": _grids_wire,
    "households_first_sync_wire": _households,
    "assessment_month": _assessment(
        "month_s",
        lambda f: (
            f"{f['month_cases']:,.0f} cases due in the month, {f['month_units']} units ranked; "
            f"a year of {f['incidents']:,} cases"
        ),
    ),
    "assessment_ranking_page": _assessment(
        "ranking_ms", lambda f: f"median of the page's answers, {f['ranking_kb']} kB"
    ),
    "assessment_year_xlsx": _assessment(
        "year_xlsx_s",
        lambda f: f"{f['year_xlsx_case_rows']:,} cases on their lines, {f['year_xlsx_mb']} MB",
    ),
    "open311_page": _open311,
    "patrol_batch": _patrol(
        "max_batch_ms",
        lambda f: (
            f"slowest of {f['batches']}: {_ms(f['max_batch_ms'])} ms (median "
            f"{_ms(f['median_batch_ms'])} ms; the app's CPU at most {_ms(f['max_batch_cpu_ms'])} "
            f"ms; {f['batch_gzip_bytes'] / 1000:.1f} kB gzipped); {f['points']} points held"
        ),
    ),
    "patrol_coverage": _patrol(
        "coverage_ms",
        lambda f: (
            f"median {_ms(f['coverage_ms'])} ms (CPU {_ms(f['coverage_cpu_ms'])} ms); "
            f"{f['coverage']:.0%} of the grid"
        ),
    ),
    "live_wire": _live(
        "wire_bytes",
        lambda f: (
            f"{f['wire_bytes'] / 1000:.1f} kB ({f['encoding']}) for {f['asked']} asked; "
            f"repeat {f['repeat_status']}"
        ),
    ),
    "live_ms": _live(
        "median_ms",
        lambda f: (
            f"median {_ms(f['median_ms'])} ms, p99 {_ms(f['p99_ms'])} ms "
            f"over {f['polls']} polls; reading anew median {_ms(f['read_median_ms'])} ms; "
            f"repeat {f['repeat_status']}"
        ),
    ),
    **wishes.TARGETS,
}


def _ratio(ratio):
    return "-" if ratio is None else f"{ratio:.2f}"


def _ms(ms):
    return "-" if ms is None else f"{ms:.1f}"
