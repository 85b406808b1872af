"""The mass login: many different people logging in at once (the district after its secret key
rotated), and what everyone else's requests see meanwhile.

`--login-clients` of the load processes each log in a slice of the demo's people, each person
once, as the PWA does it (`GET /api/auth/csrf`, then `POST /api/auth/login` with its cookie and
token), with no pause; the other load processes send the grid members' locates and reports.
First the others run alone (their baseline: latency, and server CPU per request), then with the
logins. All from the loopback address: a per-address cap shows as 429s, counted apart.
"""

import json
import random
import statistics
import time
from http.cookies import SimpleCookie

from bench import load, members, writes
from bench.database import demo_login, query
from bench.load import json_body

DISTRICT = 13_000  # the people of the district, to say how long all their logins take
HASH_REPEATS = 5


class Logins:
    """For each phone in turn, once: the CSRF token (and the anonymous session's cookie),
    then the login with them; a login told to wait (429) is sent again after its
    Retry-After, as the PWA's user would."""

    def __init__(self, phones, password):
        self.phones = phones
        self.password = password
        self._session = ("", "")
        self._again = 0  # logins sent again so far: request i is step i - _again
        self._retry_at = None

    def __call__(self, i):
        person, step = divmod(i - self._again, 2)
        if person >= len(self.phones):
            return None
        if step == 0:
            self._session = ("", "")
            return "GET", "/api/auth/csrf", None, {}, "csrf"
        if self._retry_at is not None:
            time.sleep(max(0.0, self._retry_at - time.monotonic()))
            self._retry_at = None
        return self._login(person)

    def _login(self, person):
        cookie, token = self._session
        body = json.dumps({"phone": self.phones[person], "password": self.password})
        headers = {"Content-Type": "application/json", "Cookie": cookie, "X-CSRFToken": token}
        return "POST", "/api/auth/login", body.encode(), headers, "login"

    def answered(self, response, body):
        if response.status == 429 and self._session[1]:
            self._retry_at = time.monotonic() + float(response.headers.get("Retry-After") or 1)
            self._again += 1
            return
        if response.status != 200 or self._session[1]:
            return  # not an answer to the token's request
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or ():
            cookies.load(header)
        cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())
        self._session = (cookie, json_body(response, body).get("csrf_token", ""))


def measure(server, pool, meters, url, logins, points, args):
    """Figures of the others alone, of the others and the logins together, of the hash."""
    n = args.clients
    login_clients = min(args.login_clients, n - 1)
    others = n - login_clients
    password = demo_login(logins, "everyone else")[1]
    people = _people(url, logins, args.seed)
    if args.logins:
        people = people[: args.logins]
    # Half the others read (locate), half write (reports), each as a grid member of their own.
    sessions = members.log_in(server.port, logins, members.grid_members(url, others))
    gzip_ok = {"Accept-Encoding": "gzip"}
    write = {"Content-Type": "application/json", **gzip_ok}
    other_jobs = []
    for i, session in enumerate(sessions):
        mine = points[i::others] or points
        if i % 2:
            request = writes.Reports(mine)
            headers = {**session, **write}
        else:
            request = load.Paths([f"/api/locate?lat={lat:.6f}&lng={lng:.6f}" for lng, lat in mine])
            headers = {"Cookie": session["Cookie"], **gzip_ok}
        other_jobs.append(load.Job(headers, request))
    idle = [load.Job({}, load.Idle())] * login_clients
    login_jobs = [
        load.Job(gzip_ok, Logins(people[i::login_clients], password)) for i in range(login_clients)
    ]
    alone, alone_cpu = pool.run(
        server.port, other_jobs + idle, meters, warmup=args.warmup, duration=args.login_duration / 4
    )
    parts, cpu = pool.run(
        server.port,
        other_jobs + login_jobs,
        meters,
        warmup=args.warmup,
        duration=args.login_duration,
    )
    return _figures(
        alone[:others], alone_cpu, parts[:others], parts[others:], cpu, args, len(people)
    ) | {
        "login_clients": login_clients,
        "other_clients": others,
        "hash": _hash(url, people[0], password),
    }


def _people(url, logins, seed):
    """Phones of every active demo account sharing the bulk password, in a shuffled order."""
    printed = {login["phone"] for login in logins}
    phones = [
        row.phone
        for row in query(url, "SELECT phone FROM user_account WHERE active ORDER BY phone")
        if row.phone not in printed
    ]
    random.Random(seed).shuffle(phones)
    return phones


def _figures(alone, alone_cpu, others, logins, cpu, args, people):
    duration, alone_duration = args.login_duration, args.login_duration / 4
    before = load.summary(alone, alone_cpu, alone_duration)
    during = load.summary(others, {}, duration)
    tried = load.summary(logins, {}, duration)
    done = tried["outcomes"].get("login 200", 0)
    throttled = sum(count for kind, count in tried["errors"].items() if "429" in kind.split())
    figures = {
        "people": people,
        "duration": duration,
        "others_alone": before,
        "others": during,
        "outcomes": tried["outcomes"],
        "errors": {k: v for k, v in tried["errors"].items() if "429" not in k.split()},
        "throttled": throttled,
        "logins": done,
        "logins_per_s": done / duration,
        "district_s": DISTRICT * duration / done if done else None,
        "client_cpu_cores": tried["client_cpu_cores"],
    }
    # What the logins cost the server: all it did meanwhile, less the others' share at the
    # cost per request they had alone.
    for meter, seconds in cpu.items():
        per_other = before[f"{meter}_cpu_ms_per_request"] or 0.0
        login_s = max(0.0, seconds - during["ok"] * per_other / 1000)
        figures[f"{meter}_cpu_cores"] = seconds / duration
        figures[f"{meter}_login_cpu_cores"] = login_s / duration
        figures[f"{meter}_cpu_ms_per_login"] = login_s * 1000 / done if done else None
    return figures


def _hash(url, phone, password):
    """The password hash of a person logged in: its method and parameters, and the CPU one
    check of it takes here (in the bench's process, as in a worker)."""
    stored = query(url, "SELECT password_hash FROM user_account WHERE phone = :phone", phone=phone)[
        0
    ].password_hash
    # Here, not at the top: the load processes unpickle Logins from this module, and the
    # app's imports would take them seconds on a busy machine, past the window's start.
    from app.people import passwords

    times = []
    for _ in range(HASH_REPEATS):
        started = time.process_time()
        passwords.matches(stored, password)
        times.append((time.process_time() - started) * 1000)
    # Argon2id: "$argon2id$v=19$m=19456,t=2,p=1$salt$hash"; werkzeug's: "scrypt:32768:8:1$..".
    method = stored.rsplit("$", 2)[0] if stored.startswith("$") else stored.split("$")[0]
    return {"method": method, "cpu_ms": statistics.median(times)}
