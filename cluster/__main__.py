"""The test cluster on one machine: `python -m cluster up | down | status | test`.

etcd, two PostgreSQL 15 + PostGIS nodes under Patroni (synchronous replication), the object
store (moto's S3 server), two gunicorn API nodes, two workers and nginx with TLS in front,
all from Debian's packages and PyPI, on 127.0.0.1 ports 15000-15999. Every process's id is
kept in /tmp/gridlink-cluster/pids, so `down` stops exactly what `up` started. How the same
parts are laid out in production: docs/deploy.md; the drill: cluster/drill.py.
"""

import base64
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "cluster" / "conf"
# Outside the checkout: PostgreSQL runs as `postgres`, which may not enter a root's home.
RUN = Path(os.environ.get("GRIDLINK_CLUSTER_RUN", "/tmp/gridlink-cluster"))
BIN = Path(sys.executable).parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
AS_POSTGRES = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]

ETCD, ETCD_PEER = 15379, 15380
NODES = {"node1": {"pg": 15432, "rest": 15008}, "node2": {"pg": 15433, "rest": 15009}}
APIS = {"api1": 15501, "api2": 15502}
WORKERS = ("worker1", "worker2")
S3_PORT, HTTPS, HTTP = 15900, 15443, 15080
URL = f"https://127.0.0.1:{HTTPS}"
BUCKET = "gridlink"
# Started in this order, stopped in the reverse one.
ORDER = ["etcd", *NODES, "s3", *APIS, *WORKERS, "nginx"]


def log(message):
    print(f"[cluster {time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- processes ----------------------------------------------------------------------------------


def pid_file(name):
    return RUN / "pids" / f"{name}.pid"


def pid_of(name):
    try:
        pid = int(pid_file(name).read_text())
    except (FileNotFoundError, ValueError):
        return None
    try:
        # A child of this process that died is a zombie until reaped: reap it, it is gone.
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return None
    except ChildProcessError:
        pass  # not ours (started by another `python -m cluster`): signal 0 tells
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def start(name, argv, env=None, postgres=False):
    """Start a process in a session of its own, its output in logs/<name>.log, its id kept."""
    if pid_of(name):
        raise SystemExit(f"{name} runs already (pid {pid_of(name)}): `make cluster-down` first")
    out = open(RUN / "logs" / f"{name}.log", "ab")
    process = subprocess.Popen(
        (AS_POSTGRES if postgres else []) + [str(a) for a in argv],
        env={**os.environ, **(env or {})},
        cwd=RUN,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    pid_file(name).write_text(str(process.pid))
    return process.pid


def kill(name):
    """kill -9 the part `name`, every process of it (its session), as a lost machine would
    go; and wait until it is gone."""
    pid = pid_of(name)
    if pid is None:
        return None
    os.killpg(pid, signal.SIGKILL)
    wait_for(f"{name} to die", lambda: pid_of(name) is None, timeout=30, every=0.05)
    pid_file(name).unlink(missing_ok=True)
    return pid


def stop(name, timeout=30):
    pid = pid_of(name)
    if pid is not None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while pid_of(name) and time.monotonic() < deadline:
            time.sleep(0.2)
        if pid_of(name):
            os.kill(pid, signal.SIGKILL)
    pid_file(name).unlink(missing_ok=True)


class Stuck(Exception):
    """A part did not come up, or back, in time."""


def wait_for(what, check, timeout=120, every=0.5, alive=None):
    """Until check() is true; fails at once if the process `alive` has died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive and not pid_of(alive):
            raise Stuck(f"{alive} stopped (its log: {RUN / 'logs' / alive}.log)")
        try:
            if check():
                return
        except (requests.RequestException, OSError):
            pass
        time.sleep(every)
    raise Stuck(f"timed out waiting for {what} (logs: {RUN / 'logs'})")


# -- state --------------------------------------------------------------------------------------


def secrets_of_run():
    """The cluster's secrets, made once per run directory (mode 0600): in production they come
    from the environment, the same on every node."""
    path = RUN / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    vapid = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    made = {
        name: secrets.token_urlsafe(24)
        for name in ("superuser", "replication", "rewind", "gridlink", "s3")
    }
    made["secret_key"] = secrets.token_urlsafe(48)
    made["personal_data_key"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
    made["vapid"] = vapid.decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(made, f)
    return made


def database_url(keys, name="gridlink"):
    """libpq's multi-host form: both nodes, and the session must be able to write, so every
    new connection lands on whichever node is primary now (app/config.py pre-pings them)."""
    hosts = "&".join(f"host=127.0.0.1:{node['pg']}" for node in NODES.values())
    return (
        f"postgresql+psycopg://gridlink:{keys['gridlink']}@/{name}?{hosts}"
        "&target_session_attrs=read-write&connect_timeout=3"
    )


def app_env(keys, instance):
    return {
        "GRIDLINK_ENV": "prod",
        "FLASK_APP": "wsgi",
        "GRIDLINK_INSTANCE": str(RUN / instance),
        "SECRET_KEY": keys["secret_key"],
        "VAPID_PRIVATE_KEY": keys["vapid"],
        "PERSONAL_DATA_KEY": keys["personal_data_key"],
        "DATABASE_URL": database_url(keys),
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{S3_PORT}",
        "AWS_ACCESS_KEY_ID": "gridlink",
        "AWS_SECRET_ACCESS_KEY": keys["s3"],
        "TRUSTED_PROXIES": "1",
        "PWA_DIST": str(ROOT / "pwa" / "dist"),
        "PUSH_WORKER_INTERVAL_S": "1",
        "PYTHONUNBUFFERED": "1",
    }


def render(template, out, **values):
    text = (CONF / template).read_text().format(run=RUN, **values)
    (RUN / out).write_text(text)
    return RUN / out


def as_postgres(*paths):
    for path in paths:
        path.mkdir(parents=True, exist_ok=True)
        shutil.chown(path, "postgres", "postgres")
        path.chmod(0o700)


# -- the parts ----------------------------------------------------------------------------------


def start_etcd():
    start(
        "etcd",
        [
            "etcd",
            "--name=etcd1",
            f"--data-dir={RUN / 'etcd'}",
            f"--listen-client-urls=http://127.0.0.1:{ETCD}",
            f"--advertise-client-urls=http://127.0.0.1:{ETCD}",
            f"--listen-peer-urls=http://127.0.0.1:{ETCD_PEER}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{ETCD_PEER}",
            f"--initial-cluster=etcd1=http://127.0.0.1:{ETCD_PEER}",
        ],
    )
    wait_for("etcd", lambda: requests.get(f"http://127.0.0.1:{ETCD}/health", timeout=2).ok)


def patroni_config(name, keys):
    node = NODES[name]
    path = render(
        "patroni.yml",
        f"patroni-{name}.yml",
        name=name,
        rest_port=node["rest"],
        etcd_port=ETCD,
        pg_port=node["pg"],
        data_dir=RUN / f"pg-{name}",
        superuser_password=keys["superuser"],
        replication_password=keys["replication"],
        rewind_password=keys["rewind"],
        pgbackrest_conf=RUN / "pgbackrest.conf",
    )
    shutil.chown(path, "postgres", "postgres")
    path.chmod(0o600)
    return path


def start_node(name, keys):
    as_postgres(RUN / f"sock-{name}", RUN / f"home-{name}")
    data = RUN / f"pg-{name}"
    if not data.exists():
        as_postgres(data)
    start(name, ["patroni", patroni_config(name, keys)], postgres=True)


def role_of(name):
    """ "primary", "replica" or None, as the node's Patroni says."""
    try:
        answer = requests.get(f"http://127.0.0.1:{NODES[name]['rest']}/patroni", timeout=2)
    except requests.RequestException:
        return None
    body = answer.json()
    if body.get("state") != "running":
        return None
    return "primary" if body.get("role") in ("master", "primary") else "replica"


def primary():
    return next((name for name in NODES if role_of(name) == "primary"), None)


def sync_standby_ready():
    cluster = requests.get(f"http://127.0.0.1:{NODES['node1']['rest']}/cluster", timeout=2).json()
    return any(
        member.get("role") == "sync_standby" and member.get("state") in ("streaming", "running")
        for member in cluster.get("members", ())
    )


def psql(node, sql, database="postgres"):
    """SQL as the postgres superuser, over the node's Unix socket."""
    return psql_at(RUN / f"sock-{node}", NODES[node]["pg"], sql, database)


def psql_at(socket_dir, port, sql, database):
    return subprocess.run(
        [
            *AS_POSTGRES,
            PG_BIN / "psql",
            "-h",
            socket_dir,
            "-p",
            str(port),
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-qAtc",
            sql,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def make_database(keys):
    leader = primary()
    exists = psql(leader, "SELECT 1 FROM pg_roles WHERE rolname = 'gridlink'")
    if not exists:
        psql(leader, f"CREATE ROLE gridlink LOGIN PASSWORD '{keys['gridlink']}'")
        psql(leader, "CREATE DATABASE gridlink OWNER gridlink")
        # The migration asks for PostGIS; the app's role need not be a superuser.
        psql(leader, "CREATE EXTENSION IF NOT EXISTS postgis", database="gridlink")


def flask(keys, *args, instance="admin"):
    subprocess.run(
        [BIN / "flask", *args], env={**os.environ, **app_env(keys, instance)}, cwd=ROOT, check=True
    )


def start_s3(keys):
    start("s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(S3_PORT)])
    wait_for("the object store", lambda: requests.get(f"http://127.0.0.1:{S3_PORT}", timeout=2))
    client = s3_client(keys)
    if BUCKET not in [b["Name"] for b in client.list_buckets().get("Buckets", ())]:
        client.create_bucket(Bucket=BUCKET)


def s3_client(keys):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{S3_PORT}",
        region_name="us-east-1",
        aws_access_key_id="gridlink",
        aws_secret_access_key=keys["s3"],
    )


def start_api(name, keys):
    start(
        name,
        [
            BIN / "gunicorn",
            "--config",
            ROOT / "gunicorn.conf.py",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{APIS[name]}",
            "--access-logfile",
            "-",
            "wsgi:app",
        ],
        {**app_env(keys, name), "PYTHONPATH": str(ROOT)},
    )


def api_up(name):
    answer = requests.get(f"http://127.0.0.1:{APIS[name]}/api/health", timeout=3)
    return answer.status_code == 200


def start_worker(name, keys):
    start(name, [BIN / "flask", "worker", "run"], {**app_env(keys, name), "PYTHONPATH": str(ROOT)})


def start_nginx():
    from app.security import _APP_CSP

    tls = RUN / "tls"
    if not (tls / "cert.pem").exists():
        tls.mkdir(exist_ok=True)
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "30",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                tls / "key.pem",
                "-out",
                tls / "cert.pem",
            ],
            check=True,
            capture_output=True,
        )
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (RUN / "nginx" / temp).mkdir(parents=True, exist_ok=True)
    # The pages nginx serves itself carry the headers the app would give them (one policy,
    # app/security.py's).
    page = "\n".join(
        f'            add_header {name} "{value}" always;'
        for name, value in (
            ("Content-Security-Policy", _APP_CSP),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
            ("X-Frame-Options", "DENY"),
            ("Strict-Transport-Security", "max-age=31536000"),
        )
    )
    conf = render(
        "nginx.conf",
        "nginx.conf",
        upstreams="\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;"
            for port in APIS.values()
        ),
        http_port=HTTP,
        https_port=HTTPS,
        dist=ROOT / "pwa" / "dist",
        page_headers=page,
    )
    start("nginx", ["nginx", "-c", conf, "-g", "daemon off; user root;"])
    cert = str(tls / "cert.pem")
    wait_for("nginx", lambda: requests.get(f"{URL}/api/health", verify=cert, timeout=3).ok)


# -- commands -----------------------------------------------------------------------------------


def up(members=13000):
    for sub in ("pids", "logs"):
        (RUN / sub).mkdir(parents=True, exist_ok=True)
    shutil.chown(RUN / "logs", "postgres", "postgres")
    RUN.chmod(0o755)
    as_postgres(RUN / "backup", RUN / "pgbackrest-lock", RUN / "pgbackrest-spool")
    keys = secrets_of_run()
    render(
        "pgbackrest.conf",
        "pgbackrest.conf",
        pg1_port=NODES["node1"]["pg"],
        pg2_port=NODES["node2"]["pg"],
    ).chmod(0o644)
    log("etcd")
    start_etcd()
    log("PostgreSQL node1 (Patroni bootstraps it)")
    start_node("node1", keys)
    wait_for("a primary", lambda: primary() is not None, timeout=180, alive="node1")
    log("PostgreSQL node2 (a synchronous standby)")
    start_node("node2", keys)
    wait_for("the synchronous standby", sync_standby_ready, timeout=180, alive="node2")
    make_database(keys)
    log("the object store")
    start_s3(keys)
    log("schema and the demo district")
    flask(keys, "db", "upgrade")
    flask(keys, "demo", "load", "--if-empty", "--members", str(members))
    log("API nodes, workers, nginx")
    for name in APIS:
        start_api(name, keys)
    for name in APIS:
        wait_for(name, lambda name=name: api_up(name))
    for name in WORKERS:
        start_worker(name, keys)
    start_nginx()
    flask(keys, "demo", "logins")
    log(f"GridLink cluster: {URL}  (self-signed certificate: {RUN / 'tls' / 'cert.pem'})")
    log(f"primary: {primary()}; `make cluster-down` stops it")


def down():
    for name in reversed(ORDER):
        if pid_of(name):
            log(f"stopping {name}")
        stop(name)


def status():
    for name in ORDER:
        pid = pid_of(name)
        role = f" ({role_of(name)})" if name in NODES and pid else ""
        print(f"{name:<8} {'pid ' + str(pid) if pid else 'stopped'}{role}")


def main(argv):
    try:
        run(argv)
    except Stuck as stuck:
        raise SystemExit(str(stuck)) from None


def run(argv):
    command = argv[0] if argv else "status"
    if command == "up":
        up(int(os.environ.get("CLUSTER_MEMBERS", 13000)))
    elif command == "down":
        down()
    elif command == "status":
        status()
    elif command == "test":
        from cluster import drill

        sys.exit(drill.main(argv[1:]))
    else:
        raise SystemExit("usage: python -m cluster up | down | status | test [--keep]")


if __name__ == "__main__":
    main(sys.argv[1:])
