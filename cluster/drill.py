"""`make cluster-test`: the cluster's failures under load, with every receipt the phones got.

Phones (threads, each a logged-in member with a device of its own) push command batches
through nginx: reports with a photo uploaded beside them, comments, claims racing for one pool
task, and the acknowledgement of a roll-call whose pushes a worker is sending. Meanwhile:

1. kill -9 the PostgreSQL primary (its Patroni and its postmaster: the node is gone); Patroni
   promotes the synchronous standby; the time until a phone's write is applied again is
   measured;
2. kill -9 one API node mid-request; nginx sends the next requests to the other;
3. kill -9 the worker that is sending the roll-call's pushes (the push service answers
   slowly, so it dies mid-send); the other worker takes the stale claims over;
4. start the old primary again: it rejoins as a standby (pg_rewind).

Then: every command that got an `applied` receipt is in the database, resending every
command applies nothing, the task is within its capacity, every phone got its push (twice at
most, once per crash), and both nodes hold the same commands. It prints the figures and exits
non-zero if any is wrong.
"""

import hashlib
import io
import json
import os
import random
import secrets
import shutil
import signal
import threading
import time
import traceback
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from PIL import Image
from sqlalchemy import create_engine, text

from cluster import __main__ as cluster
from cluster import backup

PHONES = 6
PUSH_PORT = 15950


def now_iso():
    return datetime.now(UTC).isoformat(timespec="seconds")


class PushService:
    """A push service on 127.0.0.1 that answers slowly (so a worker can die mid-send) and
    counts what each phone was sent (the payload's message id, decrypted as a browser would)."""

    def __init__(self, delay):
        self.delay, self.received, self.lock = delay, [], threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with service.lock:
                    service.received.append((self.path.rsplit("/", 1)[-1], body))
                time.sleep(service.delay)
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", PUSH_PORT), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Keys:
    """A browser's push subscription keys, to read what the push service got."""

    def __init__(self):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self.private = ec.generate_private_key(ec.SECP256R1())
        self.auth = secrets.token_bytes(16)
        point = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.p256dh = _b64(point)

    def decrypt(self, body):
        import http_ece

        return json.loads(
            http_ece.decrypt(
                body, private_key=self.private, auth_secret=self.auth, version="aes128gcm"
            )
        )


def _b64(raw):
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def photo_bytes():
    """A small JPEG no one sent before."""
    image = Image.new("RGB", (64, 48), tuple(random.randrange(256) for _ in range(3)))
    image.putpixel((random.randrange(64), random.randrange(48)), (1, 2, 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


class Phone:
    """A member's phone: an outbox of commands pushed until answered, every receipt kept."""

    def __init__(self, phone, password, cert):
        self.http = requests.Session()
        # Per request: a session's own `verify` loses to REQUESTS_CA_BUNDLE in the environment.
        self.cert = str(cert)
        self.phone, self.password = phone, password
        self.device = str(uuid.uuid4())
        self.seq = 0
        self.outbox = []
        self.sent = []  # every command, in seq order
        self.receipts = {}  # command_id -> status of its first receipt
        self.applied_at = []  # when pushes that applied something were answered
        self.failures = {}  # status or error -> count
        self.token = None
        self.keys = Keys()

    def call(self, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        if method != "GET":
            headers["X-CSRFToken"] = self.token
            # Over https the CSRF check wants the page the request came from, as browsers send.
            headers["Referer"] = cluster.URL + "/"
        reply = self.http.request(
            method, cluster.URL + path, headers=headers, timeout=30, verify=self.cert, **kwargs
        )
        if reply.headers.get("X-CSRFToken"):
            self.token = reply.headers["X-CSRFToken"]
        return reply

    def must(self, method, path, **kwargs):
        """A set-up request, sent again (as a person would) while a node is away."""
        reply = None
        for _ in range(60):
            try:
                reply = self.call(method, path, **kwargs)
                if reply.status_code < 500:
                    break
            except requests.RequestException:
                pass
            time.sleep(1)
        if reply is None:
            raise RuntimeError(f"{method} {path}: no answer in a minute")
        reply.raise_for_status()
        return reply

    def login(self):
        self.token = self.must("GET", "/api/auth/csrf").json()["csrf_token"]
        self.must("POST", "/api/auth/login", json={"phone": self.phone, "password": self.password})

    def subscribe(self, endpoint):
        self.must(
            "POST",
            "/api/push/subscriptions",
            json={
                "endpoint": endpoint,
                "keys": {"p256dh": self.keys.p256dh, "auth": _b64(self.keys.auth)},
            },
        )

    def command(self, kind, args):
        self.seq += 1
        command = {
            "command_id": str(uuid.uuid4()),
            "seq": self.seq,
            "type": kind,
            "args": args,
            "device_time": now_iso(),
        }
        self.outbox.append(command)
        self.sent.append(command)

    def note(self, what):
        self.failures[what] = self.failures.get(what, 0) + 1

    def upload(self, data):
        try:
            reply = self.call("POST", "/api/photos", files={"file": ("p.jpg", data, "image/jpeg")})
            if reply.status_code != 201:
                self.note(f"photo {reply.status_code}")
        except requests.RequestException as error:
            self.note(f"photo {type(error).__name__}")

    def flush(self, commands=None):
        """Push the outbox (or `commands`); True if the server answered."""
        batch = self.outbox[:30] if commands is None else commands
        if not batch:
            return True
        try:
            reply = self.call(
                "POST", "/api/sync/push", json={"device_id": self.device, "commands": batch}
            )
        except requests.RequestException as error:
            self.note(type(error).__name__)
            return False
        if reply.status_code != 200:
            self.note(reply.status_code)
            return False
        results = reply.json()["results"]
        done = set()
        for result in results:
            if result["status"] == "gap":
                break
            self.receipts.setdefault(result["command_id"], result["status"])
            done.add(result["command_id"])
        if commands is None:
            self.outbox = [c for c in self.outbox if c["command_id"] not in done]
            if any(r["status"] == "applied" for r in results):
                self.applied_at.append(time.monotonic())
        return results


class Load:
    def __init__(self, phones, grid_points, task_id):
        self.phones, self.points, self.task_id = phones, grid_points, task_id
        self.stop = threading.Event()
        self.going = threading.Event()  # cleared: the phones hold their next push
        self.going.set()
        self.call_id = None
        self.threads = [threading.Thread(target=self.run, args=(p,), daemon=True) for p in phones]

    def run(self, phone):
        claimed = acked = False
        while not self.stop.is_set():
            self.going.wait()
            data = photo_bytes()
            sha = hashlib.sha256(data).hexdigest()
            lat, lng = random.choice(self.points)
            report = {
                "id": str(uuid.uuid4()),
                "category": "clutter_piling",
                "description": "楼道口堆放杂物，堵塞消防通道",
                "lat": lat,
                "lng": lng,
                "photos": [{"sha256": sha, "kind": "close_up"}],
                "device_time": now_iso(),
            }
            phone.command("incident.report", report)
            phone.command("comment", {"entity": "incident", "id": report["id"], "note": "已到现场"})
            if not claimed:
                phone.command("task.claim", {"id": self.task_id})
                claimed = True
            if self.call_id and not acked:
                phone.command("rollcall.ack", {"id": self.call_id, "device_time": now_iso()})
                acked = True
            phone.upload(data)
            phone.flush()
            self.stop.wait(0.2)
        # Drain: what is still unanswered is sent until it is.
        for _ in range(60):
            if not phone.outbox or phone.flush() and not phone.outbox:
                break
            time.sleep(1)

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(120)


def first_applied_after(phones, moment):
    times = [t for p in phones for t in p.applied_at if t > moment]
    return min(times) if times else None


def main(args):
    reuse = "--reuse" in args  # a cluster left running by `--keep`, to work on the drill
    if not reuse and any(cluster.pid_of(name) for name in cluster.ORDER):
        raise SystemExit(
            "a cluster runs already: `make cluster-down` first (the drill starts its own)"
        )

    # The drill's push service is on 127.0.0.1, and a dead worker's claims are taken over soon.
    os.environ.update(
        PUSH_ALLOW_LOCAL_ENDPOINTS="1", PUSH_CLAIM_TIMEOUT_S="15", PUSH_MIN_INTERVAL_S="1"
    )
    started = time.monotonic()
    figures, problems = {}, []
    push = PushService(delay=1.5)
    try:
        if not reuse:
            shutil.rmtree(cluster.RUN, ignore_errors=True)  # a cluster of its own, from nothing
            cluster.up(members=int(os.environ.get("CLUSTER_MEMBERS", 1500)))
        figures["cluster up (s)"] = round(time.monotonic() - started, 1)
        run(figures, problems, push)
    except (
        Exception
    ) as error:  # a part that did not come back (cluster.Stuck too): the figures so far, then fail
        traceback.print_exc()
        problems.append(f"the drill stopped: {error!r}")
    finally:
        push.close()
        if "--keep" not in args:
            cluster.down()
    for name, value in figures.items():
        print(f"  {name}: {value}")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    print("cluster-test: " + ("FAILED" if problems else "passed"))
    return 1 if problems else 0


def run(figures, problems, push):
    keys = cluster.secrets_of_run()
    engine = create_engine(cluster.database_url(keys), pool_pre_ping=True)
    logins = json.loads((cluster.RUN / "admin" / "demo-logins.json").read_text())
    by_role = {login["role"]: login for login in logins}
    everyone = by_role["everyone else"]["password"]
    secretary_login = by_role["secretary"]
    community = secretary_login["unit"].split()[-1]
    with engine.connect() as db:
        phones = (
            db.execute(
                text(
                    "SELECT DISTINCT u.phone FROM user_account u "
                    "JOIN user_scope s ON s.user_id = u.id "
                    "JOIN unit g ON g.id = s.unit_id JOIN unit c ON c.id = g.parent_id "
                    "WHERE u.role = 'grid_member' AND c.code = :c ORDER BY u.phone LIMIT :n"
                ),
                {"c": community, "n": PHONES},
            )
            .scalars()
            .all()
        )
        grid_points = [
            (row.lat, row.lng)
            for row in db.execute(
                text(
                    "SELECT ST_Y(ST_PointOnSurface(g.geom)) AS lat, "
                    "ST_X(ST_PointOnSurface(g.geom)) AS lng "
                    "FROM unit g JOIN unit c ON c.id = g.parent_id WHERE c.code = :c"
                ),
                {"c": community},
            )
        ]
    cert = cluster.RUN / "tls" / "cert.pem"
    secretary = Phone(secretary_login["phone"], secretary_login["password"], cert)
    secretary.login()
    deadline = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    task = secretary.must(
        "POST",
        "/api/tasks",
        json={
            "title": "防汛巡查",
            "community": community,
            "target": "排查积水点",
            "capacity": 2,
            "deadline": deadline,
        },
    )
    task.raise_for_status()
    members = []
    for number in phones:
        # The demo's named logins have passwords of their own; everyone else shares one.
        password = next((x["password"] for x in logins if x["phone"] == number), everyone)
        phone = Phone(number, password, cert)
        phone.login()
        phone.subscribe(f"http://127.0.0.1:{PUSH_PORT}/push/{number}")
        members.append(phone)
    figures["pgBackRest full backup (s)"] = backup.full_backup()
    load = Load(members, grid_points, task.json()["id"])
    load.start()
    time.sleep(5)
    # A moment to restore later: the phones pause around it, so its counts are exact.
    load.going.clear()
    time.sleep(3)
    moment, at_moment = backup.mark()
    time.sleep(1)
    load.going.set()

    # 1. The primary goes, node and all.
    cluster.log("load running; killing the primary")
    old = cluster.primary()
    killed_at = time.monotonic()
    kill_node(old)
    cluster.wait_for("a new primary", lambda: cluster.primary() not in (None, old), timeout=90)
    promoted = time.monotonic()
    cluster.wait_for(
        "a write after the failover", lambda: first_applied_after(members, promoted), timeout=90
    )
    resumed = first_applied_after(members, killed_at)
    figures["failover: primary killed"] = old
    figures["failover: new primary after (s)"] = round(promoted - killed_at, 1)
    figures["failover: writes resumed after (s)"] = round(resumed - killed_at, 1)

    # 2. An API node goes mid-request.
    cluster.log("killing api1 mid-request")
    time.sleep(2)
    cluster.kill("api1")
    api_killed = time.monotonic()
    time.sleep(0.5)
    cluster.wait_for(
        "a write through the other node",
        lambda: first_applied_after(members, api_killed),
        timeout=60,
    )
    figures["api1 killed: writes through api2 after (s)"] = round(
        first_applied_after(members, api_killed) - api_killed, 1
    )
    cluster.start_api("api1", keys)
    cluster.wait_for("api1 back", lambda: cluster.api_up("api1"), alive="api1")

    # 3. A roll-call whose pushes one worker is sending when it is killed.
    cluster.log("a roll-call; killing worker1 mid-send")
    cluster.stop("worker2")  # so that worker1 is the one sending
    admin_login = by_role["district_admin"]
    admin = Phone(admin_login["phone"], admin_login["password"], cert)
    admin.login()
    call = admin.must(
        "POST",
        "/api/rollcalls",
        json={
            "scope": {"level": "community", "codes": [community]},
            "message": "叫应：防汛值守，请回复",
        },
    )
    call.raise_for_status()
    load.call_id = call.json()["id"]
    cluster.wait_for("a push in flight", lambda: push.received, timeout=60, every=0.05)
    cluster.kill("worker1")
    figures["worker1 killed with pushes in flight"] = len(push.received)
    cluster.start_worker("worker1", cluster.secrets_of_run())
    cluster.start_worker("worker2", cluster.secrets_of_run())

    # 4. The old primary comes back.
    cluster.log("the old primary back")
    node_log = cluster.RUN / "logs" / f"{old}.log"
    before = node_log.stat().st_size
    cluster.start_node(old, keys)
    cluster.wait_for(
        f"{old} back as a standby", lambda: cluster.role_of(old) == "replica", timeout=180
    )
    cluster.wait_for("a synchronous standby again", cluster.sync_standby_ready, timeout=120)
    with open(node_log, "rb") as f:
        f.seek(before)
        since = f.read().decode(errors="replace")
    figures[f"{old} rejoined as a standby; pg_rewind ran"] = "pg_rewind exit code=0" in since
    time.sleep(3)
    load.finish()

    check(figures, problems, engine, members, push, task.json()["id"])

    # 5. The restore drill: the moment noted before the failover, on a fresh instance.
    cluster.log("checks; then the restore drill")
    backup.archive_now()
    seconds, found, missing = backup.restore_drill(moment, cluster.s3_client(keys), cluster.BUCKET)
    figures["restore to a point in time (s)"] = seconds
    figures["counts at that moment / restored"] = f"{at_moment} / {found}"
    figures["photos of the restored data missing from the object store"] = missing
    if found != at_moment:
        problems.append("the restored counts differ from those at the moment")
    if missing:
        problems.append(f"{missing} photo(s) of the restored data are not in the object store")


def kill_node(name):
    """kill -9 the node's Patroni and its postmaster at once, as a lost machine would."""
    postmaster = cluster.RUN / f"pg-{name}" / "postmaster.pid"
    pid = int(postmaster.read_text().split()[0])
    os.kill(pid, signal.SIGKILL)
    cluster.kill(name)


def check(figures, problems, engine, members, push, task_id):
    applied = {cid for p in members for cid, status in p.receipts.items() if status == "applied"}
    unanswered = sum(len(p.outbox) for p in members)
    with engine.connect() as db:
        stored = set(
            db.execute(
                text("SELECT id FROM sync_command WHERE id = ANY(:ids)"), {"ids": list(applied)}
            ).scalars()
        )
        over = db.execute(text("SELECT count(*) FROM task WHERE claimed > capacity")).scalar()
        live = db.execute(
            text("SELECT count(*) FROM task_claim WHERE task_id = :t AND live"), {"t": task_id}
        ).scalar()
        total = db.execute(text("SELECT count(*) FROM sync_command")).scalar()
    lost = len(applied - stored)
    # Everything sent again, as a phone that lost its receipts would: nothing applies twice.
    again = 0
    for phone in members:
        for i in range(0, len(phone.sent), 30):
            results = phone.flush(phone.sent[i : i + 30])
            again += sum(1 for r in results or () if r["status"] == "applied")
            if not results:
                problems.append(f"a resend from {phone.phone} was not answered")
    figures["commands sent"] = sum(len(p.sent) for p in members)
    figures["applied receipts"] = len(applied)
    figures["unanswered at the end"] = unanswered
    figures["errors the phones saw (and resent)"] = merged(p.failures for p in members)
    figures["writes lost"] = lost
    figures["duplicates (applied again on resend)"] = again
    figures["task claims live / capacity"] = f"{live} / 2"
    if lost:
        problems.append(f"{lost} applied command(s) are not in the database")
    if again:
        problems.append(f"{again} command(s) applied twice")
    if over or live > 2:
        problems.append("a task is over its capacity")
    if unanswered:
        problems.append(f"{unanswered} command(s) never answered")
    # Pushes: each phone gets the roll-call, at most twice (once per crash).
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(pushed_ids(push, p) for p in members):
        time.sleep(1)
    counts = {}
    for phone in members:
        ids = pushed_ids(push, phone)
        counts[phone.phone] = len(ids)
    figures["pushes per phone (roll-call)"] = sorted(counts.values())
    figures["push duplicates"] = sum(max(0, n - 1) for n in counts.values())
    if any(n == 0 for n in counts.values()):
        problems.append("a phone never got its roll-call push")
    if any(n > 2 for n in counts.values()):
        problems.append("a push was sent more than twice")
    # Both nodes hold the same commands once the standby has caught up.
    time.sleep(2)
    leader = cluster.primary()
    other = next(name for name in cluster.NODES if name != leader)
    counts = {
        name: int(cluster.psql(name, "SELECT count(*) FROM sync_command", database="gridlink"))
        for name in (leader, other)
    }
    figures["sync_command rows on primary / standby"] = (
        f"{counts[leader]} / {counts[other]} (checked {total})"
    )
    if counts[leader] != counts[other]:
        problems.append("the standby's commands differ from the primary's")


def pushed_ids(push, phone):
    ids = []
    with push.lock:
        bodies = [body for name, body in push.received if name == phone.phone]
    for body in bodies:
        try:
            ids.append(phone.keys.decrypt(body).get("id"))
        except Exception:
            ids.append(None)
    return ids


def merged(dicts):
    total = {}
    for d in dicts:
        for k, v in d.items():
            total[str(k)] = total.get(str(k), 0) + v
    return total
