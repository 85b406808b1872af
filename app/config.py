"""Settings: Base / Dev / Test / Prod, every one overridable from the environment."""

import os
from datetime import timedelta
from zoneinfo import ZoneInfo


def _bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name):
    return [item for item in os.environ.get(name, "").replace(",", " ").split() if item]


class Base:
    # Signs sessions, remember-me cookies, CSRF tokens and sync cursors. Without it the
    # instance's own key is used (instance/secret_key, app/security.py); only dev and test
    # make one. Old keys in SECRET_KEY_FALLBACKS (comma-separated) are still accepted, so a
    # key can be rotated without logging everyone out or resyncing every phone.
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SECRET_KEY_FALLBACKS = _list("SECRET_KEY_FALLBACKS")
    MAKE_SECRET_KEY = True
    # Encrypts residents' personal data at rest (app/privacy/crypto.py): 32 bytes, URL-safe
    # base64. Without it the instance's key file (instance/personal_data_key) is used; only dev
    # and test make one. Old keys in PERSONAL_DATA_KEY_FALLBACKS still read, until
    # `flask privacy rekey` has written everything again under the new one.
    PERSONAL_DATA_KEY = os.environ.get("PERSONAL_DATA_KEY")
    PERSONAL_DATA_KEY_FALLBACKS = _list("PERSONAL_DATA_KEY_FALLBACKS")
    # How many reverse proxies in front of the app append to X-Forwarded-For (and set
    # X-Forwarded-Proto): the client's address is read through that many, no more. With
    # none trusted, X-Forwarded-For is ignored: anyone could write one.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))
    # Strict-Transport-Security's max-age; 0 sends none (the demo is served over http).
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", 0))
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    # No pre-ping: a `SELECT 1` before every checkout was a round trip in each request (12 %
    # of a report's time, bench/README.md). A connection found dead instead fails its request
    # with a 503 to retry (app/errors.py), and SQLAlchemy then replaces every connection
    # older than it; DATABASE_POOL_RECYCLE (seconds) renews connections before a firewall
    # drops them idle. DATABASE_PRE_PING=1 pings again, where connections die unseen often.
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": _bool("DATABASE_PRE_PING", False),
        "pool_recycle": int(os.environ.get("DATABASE_POOL_RECYCLE", 1800)),
    }
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 24 * 1024 * 1024))
    PHOTO_ROOT = os.environ.get("PHOTO_ROOT")  # default: instance/photos
    PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", 20 * 1024 * 1024))
    # Several API nodes share photos and resumable uploads through an S3-compatible object
    # store: set its bucket (and, off AWS, its endpoint). Unset: local disk (PHOTO_ROOT,
    # UPLOAD_ROOT). Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (boto3 reads them).
    S3_BUCKET = os.environ.get("S3_BUCKET") or None
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL") or None
    S3_REGION = os.environ.get("S3_REGION", "us-east-1")
    S3_PREFIX = os.environ.get("S3_PREFIX", "")  # e.g. "bijiang/": one bucket, many districts
    S3_ADDRESSING_STYLE = os.environ.get("S3_ADDRESSING_STYLE", "path")

    # Sessions are records on the server (app/people/sessions.py), each with an idle and an
    # absolute lifetime. A session outlives a browser restart; field phones stay offline for
    # days, so "remember me" keeps a member logged in for weeks (and can still be ended).
    SESSION_IDLE = timedelta(hours=int(os.environ.get("SESSION_IDLE_HOURS", 24)))
    PERMANENT_SESSION_LIFETIME = timedelta(days=int(os.environ.get("SESSION_DAYS", 7)))
    REMEMBER_IDLE = timedelta(days=int(os.environ.get("REMEMBER_IDLE_DAYS", 14)))
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_DAYS", 42)))
    # How stale a session's "last seen" may get before a request writes it again.
    SESSION_TOUCH = timedelta(minutes=int(os.environ.get("SESSION_TOUCH_MINUTES", 5)))
    # The cookie only names the session; its lifetimes are the record's. Signing the cookie
    # again on every response cost a tenth of health's CPU for nothing: it is sent when it
    # changes (a login, a new CSRF token), lasting as long as the session may.
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("COOKIE_SECURE", True)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("COOKIE_SECURE", True)

    # CSRF tokens live as long as the session: a token that expired while the phone was
    # offline would reject the whole outbox for no gain.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_HEADERS = ["X-CSRFToken", "X-CSRF-Token"]

    # Login throttling (app/people/services.py, _wait), over the window: this many failures
    # lock one phone number at one address; past the caps per phone (from every address) and
    # per address (for every phone), only pairs with no failure since their last success may
    # try. Carrier NAT puts thousands behind one address: its cap blocks none of them who
    # type the right password.
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", 5))
    LOGIN_MAX_FAILURES_PER_PHONE = int(os.environ.get("LOGIN_MAX_FAILURES_PER_PHONE", 20))
    LOGIN_MAX_FAILURES_PER_IP = int(os.environ.get("LOGIN_MAX_FAILURES_PER_IP", 100))
    LOGIN_FAILURE_WINDOW = timedelta(minutes=int(os.environ.get("LOGIN_WINDOW_MINUTES", 15)))
    # Password hashes (app/people/passwords.py): Argon2id, OWASP's baseline (19 MiB, 2 passes,
    # 1 lane), about 25 ms of a core per check. Raising them rehashes each password at its
    # owner's next login. At most LOGIN_CONCURRENCY checks run at once on a host; a login past
    # them is answered 429 with Retry-After: 1, so a mass login leaves the rest of the cores
    # to everyone else (1 of `make run`'s 2).
    PASSWORD_HASH_MEMORY_KIB = int(os.environ.get("PASSWORD_HASH_MEMORY_KIB", 19 * 1024))
    PASSWORD_HASH_PASSES = int(os.environ.get("PASSWORD_HASH_PASSES", 2))
    LOGIN_CONCURRENCY = int(os.environ.get("LOGIN_CONCURRENCY", 1))
    # Ended sessions and login attempts are kept this many days (who logged in from where,
    # who guessed at whose password), then the worker deletes them (app/people/prune.py).
    LOGIN_RECORDS_DAYS = int(os.environ.get("LOGIN_RECORDS_DAYS", 90))
    # A one-time code from a reset (or for a new account) stops working after this long.
    ONE_TIME_CODE_HOURS = int(os.environ.get("ONE_TIME_CODE_HOURS", 24))

    COMPRESS_MIMETYPES = [
        "application/json",
        "application/geo+json",
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "image/svg+xml",
    ]
    COMPRESS_MIN_SIZE = 1024

    # How long a worker trusts the versions of the catalogue and calendar it last read before
    # asking again (app/catalogue/services.py): a new version reaches every worker in this time.
    REFERENCE_CHECK_SECONDS = float(os.environ.get("REFERENCE_CHECK_SECONDS", 5))

    # The most positions a drawn GeoJSON area may have (geo/geojson.py says why).
    POLYGON_MAX_VERTICES = int(os.environ.get("POLYGON_MAX_VERTICES", 10_000))
    # The most pixels a photo may have, read from its header before it is decoded
    # (app/photos/images.py says why).
    PHOTO_MAX_PIXELS = int(os.environ.get("PHOTO_MAX_PIXELS", 40_000_000))

    # How long a phone may stay away and still catch up change by change; after that its
    # cursor gets "resync" and it takes a new snapshot (its outbox is kept).
    SYNC_RETENTION_DAYS = int(os.environ.get("SYNC_RETENTION_DAYS", 60))

    # Patrols (app/patrols): tracks older than this many days are reduced to their figures;
    # points less accurate than PATROL_ACCURACY_M are kept but not counted; coverage is the
    # grid's share within PATROL_COVERAGE_M of the track.
    PATROL_TRACK_DAYS = int(os.environ.get("PATROL_TRACK_DAYS", 180))
    PATROL_ACCURACY_M = float(os.environ.get("PATROL_ACCURACY_M", 50))
    PATROL_COVERAGE_M = float(os.environ.get("PATROL_COVERAGE_M", 30))
    # A patrol left running (a lost phone, a flat battery) holds back the judging of its
    # grid's plan windows: the worker ends it after PATROL_SILENCE_H hours without a point
    # (at its last point), or once it has run PATROL_MAX_H hours.
    PATROL_SILENCE_H = float(os.environ.get("PATROL_SILENCE_H", 2))
    PATROL_MAX_H = float(os.environ.get("PATROL_MAX_H", 12))

    # The district's clock (an IANA zone, checked at start): sentences meant for people tell
    # times on it; the answers' structured times stay ISO 8601 in UTC.
    DISTRICT_TIMEZONE = str(ZoneInfo(os.environ.get("DISTRICT_TIMEZONE", "Asia/Shanghai")))

    # The public view of cases (the residents' tracking page, Open311: docs/open311.md):
    # points rounded to this many decimals of a degree (3: about 100 m).
    PUBLIC_POINT_DECIMALS = int(os.environ.get("PUBLIC_POINT_DECIMALS", 3))
    # Open311 clients: posts an hour unless the key says otherwise; a page's size.
    OPEN311_HOURLY_LIMIT = int(os.environ.get("OPEN311_HOURLY_LIMIT", 600))
    OPEN311_PAGE_SIZE = int(os.environ.get("OPEN311_PAGE_SIZE", 100))
    OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "碧江区综治中心")

    # Residents' reports (随手拍, docs/residents.md): per kind, (per device, per address,
    # window in hours); a device with this many reports rejected in so many days is refused.
    RESIDENT_LIMITS = {
        "report": (5, 50, 24),
        "photo": (30, 300, 24),
        "comment": (20, 200, 24),
        "second": (20, 200, 24),
    }
    RESIDENT_MAX_REJECTED = int(os.environ.get("RESIDENT_MAX_REJECTED", 3))
    RESIDENT_REJECTION_DAYS = int(os.environ.get("RESIDENT_REJECTION_DAYS", 30))
    RESIDENT_PHOTO_MAX_BYTES = int(os.environ.get("RESIDENT_PHOTO_MAX_BYTES", 8 * 1024 * 1024))

    # Web Push (docs/push.md). Without VAPID_PRIVATE_KEY (PEM text) a key pair is made once
    # in the instance folder; the subject is how a push service reaches the operator.
    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY")
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:admin@example.com")
    # At most one push per person per this many seconds; what comes meanwhile waits and
    # goes out together in the next one.
    PUSH_MIN_INTERVAL_S = int(os.environ.get("PUSH_MIN_INTERVAL_S", 30))
    # A batch is given up ("failed") once each of the person's phones failed this many
    # times in a row (404/410 are not failures: the subscription is removed).
    PUSH_MAX_ATTEMPTS = int(os.environ.get("PUSH_MAX_ATTEMPTS", 5))
    PUSH_TTL_S = int(os.environ.get("PUSH_TTL_S", 24 * 3600))
    PUSH_TIMEOUT_S = float(os.environ.get("PUSH_TIMEOUT_S", 10))
    PUSH_CONCURRENCY = int(os.environ.get("PUSH_CONCURRENCY", 16))
    PUSH_BATCH_PEOPLE = int(os.environ.get("PUSH_BATCH_PEOPLE", 200))
    # A claim older than this is taken to be from a worker that died mid-round.
    PUSH_CLAIM_TIMEOUT_S = int(os.environ.get("PUSH_CLAIM_TIMEOUT_S", 600))
    # Browsers' push services are public https hosts; anything else could aim the worker
    # at the internal network (app/netguard.py). Endpoints must be on one of these hosts
    # (`*.name`: any host under name); set it empty to allow any public host.
    PUSH_SERVICE_HOSTS = tuple(
        host.strip().lower().rstrip(".")
        for host in os.environ.get(
            "PUSH_SERVICE_HOSTS",
            # Chrome, Samsung Internet, Opera; Firefox; Edge; Safari.
            "fcm.googleapis.com,updates.push.services.mozilla.com,"
            "*.notify.windows.com,*.push.apple.com",
        ).split(",")
        if host.strip()
    )
    # Tests only: push to any http(s) URL (tests point the worker at a local fake).
    PUSH_ALLOW_LOCAL_ENDPOINTS = _bool("PUSH_ALLOW_LOCAL_ENDPOINTS", False)
    PUSH_WORKER_INTERVAL_S = float(os.environ.get("PUSH_WORKER_INTERVAL_S", 5))

    # An optional basemap for the app's maps: a tile URL template (天地图 Tianditu suits
    # government use: its coordinates are GPS's). None: grids draw on a plain background.
    # A GCJ-02 basemap (most commercial Chinese tiles) is named so: the app shifts what it
    # draws at the edge; stored data stays WGS-84.
    BASEMAP_URL = os.environ.get("BASEMAP_URL") or None
    # Drawn over it: the labels (注记) of a basemap that serves them apart (天地图's cva_w).
    BASEMAP_LABELS_URL = os.environ.get("BASEMAP_LABELS_URL") or None
    BASEMAP_CRS = os.environ.get("BASEMAP_CRS", "wgs84")
    BASEMAP_ATTRIBUTION = os.environ.get("BASEMAP_ATTRIBUTION", "")
    BASEMAP_SUBDOMAINS = os.environ.get("BASEMAP_SUBDOMAINS", "")

    API_TITLE = "GridLink 网格通 API"
    API_VERSION = "1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"

    PWA_DIST = os.environ.get(
        "PWA_DIST", os.path.join(os.path.dirname(os.path.dirname(__file__)), "pwa", "dist")
    )


class Dev(Base):
    # The demo is served over plain http on 127.0.0.1.
    SESSION_COOKIE_SECURE = _bool("COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = _bool("COOKIE_SECURE", False)


class Test(Dev):
    TESTING = True
    SECRET_KEY = "test-only"
    # base64 of "test-only-personal-data-key-0032"
    PERSONAL_DATA_KEY = "dGVzdC1vbmx5LXBlcnNvbmFsLWRhdGEta2V5LTAwMzI="
    # Tests log in hundreds of times; the tests of hashing set the real parameters.
    PASSWORD_HASH_MEMORY_KIB = 64
    PASSWORD_HASH_PASSES = 1
    LOGIN_CONCURRENCY = 100  # tests log in from threads; the test of the bound sets 1
    # Tests empty the tables between them: a version read in one must not stand in the next.
    REFERENCE_CHECK_SECONDS = 0
    # Tests move the clock by days; the tests of lifetimes set their own.
    SESSION_IDLE = REMEMBER_IDLE = timedelta(days=3650)
    PERMANENT_SESSION_LIFETIME = REMEMBER_COOKIE_DURATION = timedelta(days=3650)


class Prod(Base):
    # A key made on the spot would differ between hosts, and a lost instance folder would
    # silently log everyone out (or lose residents' data): production is given SECRET_KEY and
    # PERSONAL_DATA_KEY, or instance key files put there beforehand.
    MAKE_SECRET_KEY = False
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", 365 * 24 * 3600))


CONFIGS = {"dev": Dev, "test": Test, "prod": Prod}


def load(name=None):
    return CONFIGS[(name or os.environ.get("GRIDLINK_ENV", "dev")).lower()]
