"""A community's register in its secretary's first sync: `python -m bench.households [URL]`.

Imports a community of HOUSEHOLDS households (about 2.5 people each, a third tagged) through
`flask households import`'s importer, then times the secretary's first pull from the first
page to the last, counting the bytes on the wire (gzip, as phones ask) and decompressed.
Prints the figures as JSON; the target is under 300 kB on the wire. Without a URL it uses a
temporary SQLite file; a PostgreSQL URL's schema `public` is dropped first: give it a
database of its own (gridlink_bench_households). `make bench`'s `households` scenario runs it
last on each backend (`measure`), when the other scenarios are done with the database."""

import csv
import gzip
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from bench.common import module_figures

HOUSEHOLDS = 3000
TARGET_WIRE_BYTES = 300_000
HEADER = [
    "网格",
    "地址",
    "楼栋",
    "单元",
    "房号",
    "姓名",
    "与户主关系",
    "电话",
    "身份证号",
    "人员标签",
]


def measure(url):
    """The figures of `python -m bench.households URL`, run in a process of its own (its app
    is not the served one); a SQLite URL is replaced by a new file beside it."""
    if url.startswith("sqlite:///"):
        url = None  # the bench's SQLite file holds the demo district: a temporary one instead
    return module_figures("bench.households", *([url] if url else []))


def lines(f):
    return [
        f"\nhouseholds: a secretary's first sync of {f['households']:,} households "
        f"({f['people']:,} people): {f['wire_bytes'] / 1000:.0f} kB on the wire "
        f"({f['raw_bytes'] / 1000:.0f} kB unpacked), {f['pages']} pages, {f['first_sync_s']:.2f} s"
    ]


def _spreadsheet(path, grids, rng, tags_to_choose):
    rows = [HEADER]
    for number in range(HOUSEHOLDS):
        grid = grids[number % len(grids)]
        place = ("锦江北路", number // 120 + 1, number // 60 % 2 + 1, number % 60 + 101)
        for position in range(rng.choice((1, 2, 2, 3, 3, 4))):
            tags = rng.choice(tags_to_choose) if rng.random() < 0.12 else ""
            rows.append(
                [
                    grid.code,
                    f"{place[0]}{place[1]}号",
                    f"{place[1]}栋",
                    f"{place[2]}单元",
                    str(place[3]),
                    f"住户{number}-{position}",
                    "head" if position == 0 else "child",
                    f"135{number:04d}{position:04d}",
                    "",
                    tags,
                ]
            )
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerows(rows)
    return len(rows) - 1


def main():
    # Imported here: `make bench` imports this module for `measure` without an app.
    from app.extensions import db
    from app.households.importer import import_households
    from app.households.models import PERSON_TAGS
    from app.people.models import SECRETARY
    from app.units.importer import import_units
    from bench.session_lookup import _app
    from geo import demo as geo_demo
    from tests.conftest import PASSWORD, CsrfClient, make_user

    url = sys.argv[1] if len(sys.argv) > 1 else None
    work = Path(tempfile.mkdtemp(prefix="bench-households-"))
    app = _app(url or f"sqlite:///{work / 'gridlink.db'}")
    app.test_client_class = CsrfClient
    rng = random.Random(7)
    with app.app_context():
        paths = geo_demo.generate(work / "map", seed=7, streets=7, communities=7, grids=35)
        for level in ("district", "street", "community", "grid"):
            import_units(str(paths[level]), level, crs="gcj02" if level == "district" else "wgs84")
        from app.units.models import Unit

        units = db.session.query(Unit).order_by(Unit.code).all()
        community = next(u for u in units if u.level == "community")
        grids = [u for u in units if u.parent_id == community.id]
        people = _spreadsheet(work / "register.csv", grids, rng, PERSON_TAGS)
        started = time.perf_counter()
        import_households(work / "register.csv")
        imported_s = time.perf_counter() - started
        secretary = make_user(SECRETARY, [community])
        phone = secretary.phone
    client = app.test_client()
    client.post("/api/auth/login", json={"phone": phone, "password": PASSWORD})
    pages = wire = raw = households = 0
    cursor = None
    started = time.perf_counter()
    while True:
        path = "/api/sync/pull?limit=500" + (f"&cursor={cursor}" if cursor else "")
        reply = client.get(path, headers={"Accept-Encoding": "gzip"})
        body = reply.get_data()
        wire += len(body)
        if reply.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        raw += len(body)
        page = json.loads(body)
        pages += 1
        households += sum(change["entity"] == "household" for change in page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "backend": "postgis" if url else "sqlite",
                "households": households,
                "people": people,
                "import_s": round(imported_s, 2),
                "first_sync_s": round(seconds, 2),
                "pages": pages,
                "wire_bytes": wire,
                "raw_bytes": raw,
                "target_wire_bytes": TARGET_WIRE_BYTES,
                "pass": wire < TARGET_WIRE_BYTES and households == HOUSEHOLDS,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
