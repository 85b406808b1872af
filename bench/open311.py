"""The Open311 scenario: 90 days of the district's cases in the categories open to residents
(CASES_PER_DAY a day, spread over every grid and over the open and closed states), then
`GET /open311/v2/requests.json` over those 90 days, page after page of 1,000, as a client
system harvesting the district would, with no login: each page's time and bytes, and that
the pages together hold every case once. The cases are written straight into the database
(a bulk insert): the scenario measures reading them, not reporting them.
"""

import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, insert, select, text

from app.catalogue.catalogue import load_catalogue
from app.incidents.models import Incident  # the app's table, not a copy of its columns
from bench.client import Client
from bench.common import BenchError
from bench.database import query
from bench.load import percentile

CASES_PER_DAY = 500
DAYS = 90
PAGE_SIZE = 1000
# Of the shipped catalogue's resident-open subcategories (app/catalogue/data/categories.json).
CATEGORIES = ("clutter_piling", "garbage_collection", "street_light", "manhole_cover")
OPEN_CODES = [s.code for s in load_catalogue().subcategories() if s.resident_open]
STATES = ("reported", "accepted", "dispatched", "handled", "closed", "closed", "rejected")


def measure(server, url, seed):
    """Seed the cases, then harvest them: {"cases", "pages", page times, bytes, ...}."""
    now = datetime.now(UTC)
    _seed(url, now, random.Random(seed))
    start = now - timedelta(days=DAYS)
    period = f"start_date={start.isoformat()}&end_date={now.isoformat()}"
    codes = ", ".join(f"'{code}'" for code in OPEN_CODES)  # the catalogue's own snake_case
    cases = query(
        url,
        "SELECT count(*) AS n FROM incident WHERE reported_at >= :start AND reported_at <= :end"
        f" AND category_code IN ({codes})",
        start=start,
        end=now,
    )[0].n  # the seeded ones, and the demo's own
    client = Client(server.port)
    seen, times, sizes = set(), [], []
    try:
        page = 1
        while True:
            path = (
                f"/open311/v2/requests.json?{period.replace('+', '%2B')}"
                f"&page_size={PAGE_SIZE}&page={page}"
            )
            answer = client.get(path, {"Accept-Encoding": "gzip"})
            if answer.status != 200:
                raise BenchError(f"{path} answered {answer.status}: {answer.body[:300]!r}")
            rows = answer.json()
            if not rows:
                break
            times.append(answer.seconds * 1000)
            sizes.append(len(answer.wire))
            seen.update(row["service_request_id"] for row in rows)
            page += 1
        extended = client.get(
            f"/open311/v2/requests.json?page_size={PAGE_SIZE}&extensions=true",
            {"Accept-Encoding": "gzip"},
        )
    finally:
        client.close()
    times.sort()
    return {
        "cases": cases,
        "pages": len(times),
        "all_once": len(seen) == cases,
        "page_size": PAGE_SIZE,
        "median_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
        "page_wire_bytes": round(sum(sizes) / len(sizes)),
        "extensions_ms": extended.seconds * 1000,
    }


def _seed(url, now, rnd):
    """CASES_PER_DAY cases a day over the DAYS days before `now`, in random grids."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            grids = connection.execute(
                text(
                    "SELECT g.id, g.parent_id, c.parent_id FROM unit g "
                    "JOIN unit c ON c.id = g.parent_id WHERE g.level = 'grid'"
                )
            ).all()
            reporter = connection.execute(
                select(text("id")).select_from(text("user_account")).limit(1)
            ).scalar()
            rows = []
            for day in range(DAYS):
                for _ in range(CASES_PER_DAY):
                    grid, community, street = rnd.choice(grids)
                    at = now - timedelta(days=day, seconds=rnd.randrange(1, 86400))
                    state = rnd.choice(STATES)
                    rows.append(
                        {
                            "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                            "category_code": rnd.choice(CATEGORIES),
                            "urgent": False,
                            "description": "性能测试：楼道堆放杂物，请尽快清理",
                            "lat": 27.7 + rnd.random() / 10,
                            "lng": 109.15 + rnd.random() / 10,
                            "grid_id": grid,
                            "community_id": community,
                            "street_id": street,
                            "reporter_id": reporter,
                            "state": state,
                            "source": "resident",
                            "self_handled": False,
                            "escalation": 0,
                            "rework_count": 0,
                            "supervised": False,
                            "reason": "不属实" if state == "rejected" else None,
                            "reported_at": at,
                            "updated_at": at + timedelta(hours=2),
                            "deadline": at + timedelta(days=2),
                        }
                    )
            started = time.perf_counter()
            connection.execute(insert(Incident.__table__), rows)
        if engine.dialect.name == "postgresql":
            # What autovacuum does in a while: statistics, and the visibility map that lets a
            # page's ids come from the index alone.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE incident"))
        print(f"  open311: {len(rows)} cases written in {time.perf_counter() - started:.1f} s")
    finally:
        engine.dispose()
