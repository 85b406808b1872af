"""The demo's people the write scenarios act as: found in the database, logged in over HTTP."""

from bench.client import Client
from bench.common import BenchError
from bench.database import password_of, query

FIELD_ROLES = "('grid_member', 'team_member')"


def grid_members(url, count):
    """Phones of `count` grid members (one per grid), in the order of their grids' codes."""
    rows = query(
        url,
        """
        SELECT u.phone FROM user_account u
        JOIN user_scope s ON s.user_id = u.id
        JOIN unit g ON g.id = s.unit_id
        WHERE u.role = 'grid_member' AND u.active AND g.level = 'grid'
        ORDER BY g.code, u.phone
        LIMIT :count
        """,
        count=count,
    )
    if len(rows) < count:
        raise BenchError(f"{count} grid members wanted, the demo has {len(rows)}")
    return [row.phone for row in rows]


def claim_team(url, secretary_phone, count):
    """(grid code, phones): the grid of the secretary's community with the most members
    serving it (user_scope), and `count` of them, so that each may claim its tasks."""
    grids = query(
        url,
        f"""
        SELECT g.code, count(*) AS members FROM unit g
        JOIN user_scope s ON s.unit_id = g.id
        JOIN user_account u ON u.id = s.user_id
        WHERE g.level = 'grid' AND u.role IN {FIELD_ROLES} AND u.active
          AND g.parent_id IN (
            SELECT scope.unit_id FROM user_scope scope
            JOIN user_account secretary ON secretary.id = scope.user_id
            WHERE secretary.phone = :phone)
        GROUP BY g.code
        ORDER BY members DESC, g.code
        LIMIT 1
        """,
        phone=secretary_phone,
    )
    if not grids or grids[0].members < count:
        most = grids[0].members if grids else 0
        raise BenchError(
            f"claims need {count} members serving one grid, the demo's grids have at most "
            f"{most}: load more members (--members; the demo spreads them over 514 grids)"
        )
    code = grids[0].code
    rows = query(
        url,
        f"""
        SELECT u.phone FROM user_account u
        JOIN user_scope s ON s.user_id = u.id
        JOIN unit g ON g.id = s.unit_id
        WHERE g.code = :code AND u.role IN {FIELD_ROLES} AND u.active
        ORDER BY u.role, u.phone
        LIMIT :count
        """,
        code=code,
        count=count,
    )
    return code, [row.phone for row in rows]


def log_in(port, logins, phones):
    """One session per phone, logged in as the PWA does: its cookie and CSRF token headers."""
    sessions = []
    for phone in phones:
        client = Client(port)
        try:
            client.login(phone, password_of(logins, phone))
            sessions.append(client.session_headers())
        finally:
            client.close()
    return sessions
