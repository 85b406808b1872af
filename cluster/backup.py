"""pgBackRest for the test cluster: the stanza and a full backup, a moment whose counts are
noted, and the restore drill: that moment restored on a fresh instance, its counts compared.

WAL is archived continuously by the primary (archive_command in cluster/conf/patroni.yml)
into the repository (/tmp/gridlink-cluster/backup; production: a second disk or the object store).
Photos are not in the database: they are objects named by their sha256, written once and
never changed, so the object store keeps them (versioned, its lifecycle keeping deleted
versions longer than the oldest backup); the drill checks that every photo the restored
database knows is there.
"""

import shutil
import subprocess
import time

from cluster import __main__ as cluster

COUNTED = ("incident", "task", "history", "sync_command", "photo")
RESTORE_PORT = 15434


def pgbackrest(*args):
    return subprocess.run(
        [
            *cluster.AS_POSTGRES,
            "pgbackrest",
            f"--config={cluster.RUN / 'pgbackrest.conf'}",
            "--stanza=gridlink",
            *args,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def full_backup():
    """The stanza, a check that WAL reaches the repository, and a full backup (seconds)."""
    started = time.monotonic()
    pgbackrest("stanza-create")
    pgbackrest("check")
    pgbackrest("--type=full", "backup")
    return round(time.monotonic() - started, 1)


def counts(query):
    """{table: rows} of COUNTED, by `query(sql)` on some instance."""
    row = query("SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in COUNTED))
    return dict(zip(COUNTED, map(int, row.split("|")), strict=True))


def mark():
    """The counts at a moment (the writers are paused around it) and the moment itself."""
    leader = cluster.primary()
    moment = cluster.psql(leader, "SELECT now()")
    return moment, counts(lambda sql: cluster.psql(leader, sql, database="gridlink"))


def archive_now():
    """Switch to a new WAL segment and wait until the one before is in the repository."""
    leader = cluster.primary()
    segment = cluster.psql(leader, "SELECT pg_walfile_name(pg_switch_wal())")
    cluster.wait_for(
        "the WAL to be archived",
        lambda: cluster.psql(leader, "SELECT last_archived_wal FROM pg_stat_archiver") >= segment,
        timeout=120,
    )


def restore_drill(moment, s3_client, bucket):
    """Restore `moment` on a fresh instance; returns (seconds, counts found, photos missing)."""
    started = time.monotonic()
    target = cluster.RUN / "pg-restore"
    sock = cluster.RUN / "sock-restore"
    shutil.rmtree(target, ignore_errors=True)
    cluster.as_postgres(target, sock)
    pgbackrest(
        f"--pg1-path={target}",
        "--type=time",
        f"--target={moment}",
        "--target-action=promote",
        "restore",
    )
    cluster.start(
        "restore",
        [
            cluster.PG_BIN / "postgres",
            "-D",
            target,
            "-p",
            RESTORE_PORT,
            "-c",
            f"unix_socket_directories={sock}",
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "archive_mode=off",
            "-c",
            "hot_standby=on",
        ],
        postgres=True,
    )
    try:
        cluster.wait_for(
            "the restored instance to reach the moment and open",
            lambda: _opened(sock),
            timeout=180,
            alive="restore",
        )
        found = counts(lambda sql: _query(sock, sql))
        shas = _query(sock, "SELECT sha256 FROM photo").split()
    finally:
        cluster.stop("restore")
    missing = 0
    for sha in shas:
        try:
            s3_client.head_object(Bucket=bucket, Key=f"photos/{sha[:2]}/{sha[2:4]}/{sha}")
        except Exception:
            missing += 1
    return round(time.monotonic() - started, 1), found, missing


def _opened(sock):
    try:
        return _query(sock, "SELECT pg_is_in_recovery()") == "f"
    except subprocess.CalledProcessError:  # not accepting connections yet
        return False


def _query(sock, sql):
    return cluster.psql_at(sock, RESTORE_PORT, sql, "gridlink")
