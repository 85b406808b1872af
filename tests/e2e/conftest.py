"""End-to-end fixtures: the real server (gunicorn serving the API and the built PWA, service
worker included) on a free port, a small demo district in its database, and Debian's Chromium
driven by Playwright.

The server's database is E2E_DATABASE_URL (PostGIS; it is wiped), or a temporary SQLite file
when that is not set. GRIDLINK_REQUIRE_POSTGIS=1 makes a missing E2E_DATABASE_URL a failure and
GRIDLINK_REQUIRE_BROWSER=1 a missing Chromium or PWA build; otherwise they skip these tests.
"""

import itertools
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine

from tests.e2e.server import DIST, ROOT, Server, make_app, wipe

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", ROOT / "artifacts"))
SCREENSHOTS = ARTIFACTS / "screenshots"
PASSWORD = "e2e-password-1"
# UI states are awaited, never slept on; this bounds each wait (a slow CI machine is fine).
WAIT_MS = 20_000


def _required(env):
    return os.environ.get(env) == "1"


def _missing(env, reason):
    if _required(env):
        pytest.fail(f"{env}=1 but {reason}")
    pytest.skip(reason)


def _database_url(tmp_path_factory):
    url = os.environ.get("E2E_DATABASE_URL")
    if url:
        wipe(url)
        return url
    if _required("GRIDLINK_REQUIRE_POSTGIS"):
        pytest.fail("GRIDLINK_REQUIRE_POSTGIS=1 but E2E_DATABASE_URL is not set")
    return "sqlite:///" + str(tmp_path_factory.mktemp("e2e-db") / "gridlink.db")


def _prepare(url, tmp_path_factory):
    """Schema and the small demo district (7 streets, 13 communities, 65 grids: street
    520602007 has three communities, for an emergency over several)."""
    from app.units.importer import import_units
    from geo import demo as geo_demo

    app = make_app(url)
    with app.app_context():
        files = geo_demo.generate(
            tmp_path_factory.mktemp("e2e-demo"), seed=7, streets=7, communities=13, grids=65
        )
        for level in ("district", "street", "community", "grid"):
            import_units(str(files[level]), level, crs="gcj02" if level == "district" else "wgs84")
    return app


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    if not (DIST / "index.html").is_file() or not (DIST / "sw.js").is_file():
        _missing("GRIDLINK_REQUIRE_BROWSER", f"no PWA build in {DIST}: run `make pwa`")
    url = _database_url(tmp_path_factory)
    app = _prepare(url, tmp_path_factory)
    running = Server(url, tmp_path_factory.mktemp("e2e-instance"))
    try:
        running.start()
    except RuntimeError as error:
        pytest.fail(str(error))
    running.app = app
    yield running
    running.stop()


@pytest.fixture(scope="session")
def engine(server):
    """A connection to the server's database, to check what it holds."""
    engine = create_engine(server.url)
    yield engine
    engine.dispose()


_phones = itertools.count(1)


@pytest.fixture(scope="session")
def people(server):
    """Makes users on the server's database: people.make(role, unit_code) → {id, phone, name}."""
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.people.models import TEAM_MEMBER, User
    from app.units.models import Unit

    cheap = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")

    def make(role, unit_code, name=None):
        n = next(_phones)
        with server.app.app_context():
            unit = db.session.query(Unit).filter_by(code=unit_code).one()
            user = User(
                phone=f"177{n:08d}",
                name=name or f"测试{n}",
                password_hash=cheap,
                role=role,
                force="community_main" if role == TEAM_MEMBER else None,
            )
            user.units = [unit]
            db.session.add(user)
            db.session.commit()
            return SimpleNamespace(id=user.id, phone=user.phone, name=user.name)

    return SimpleNamespace(make=make)


@pytest.fixture(scope="session")
def units(server):
    """The first community and its grids: {community, grids: [{code, name, lat, lng}]}."""
    from app.extensions import db
    from app.units.models import Unit

    with server.app.app_context():
        grid = db.session.query(Unit).filter_by(level="grid").order_by(Unit.code).first()
        community = grid.parent
        grids = []
        for g in sorted(community.children, key=lambda u: u.code):
            p = g.geom.representative_point()
            grids.append(SimpleNamespace(code=g.code, name=g.name, lat=p.y, lng=p.x))
        return SimpleNamespace(code=community.code, name=community.name, grids=grids)


@pytest.fixture(scope="session")
def playwright_instance():
    if not os.path.exists(CHROMIUM):
        _missing("GRIDLINK_REQUIRE_BROWSER", f"no Chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    # Never a browser download: Debian's Chromium, as installed by .ci/run.
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    )
    yield browser
    browser.close()


@pytest.fixture
def phone(request, browser, server):
    """phone(**options) → a new browser context like a member's phone: 360×640, zh-CN, touch,
    GPS allowed. Closed after the test; on a failure each page's screen is kept first."""
    contexts = []

    def make(**options):
        settings = {
            "viewport": {"width": 360, "height": 640},
            "device_scale_factor": 2,
            "is_mobile": True,
            "has_touch": True,
            "locale": "zh-CN",
            "timezone_id": "Asia/Shanghai",
            "base_url": server.base,
            "permissions": ["geolocation"],
            **options,
        }
        context = browser.new_context(**settings)
        context.set_default_timeout(WAIT_MS)
        context.set_default_navigation_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield make
    report = getattr(request.node, "rep_call", None)
    for i, context in enumerate(contexts):
        if report is not None and report.failed:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            for j, page in enumerate(context.pages):
                name = f"failed-{request.node.name}-{i}-{j}.png"
                try:
                    page.screenshot(path=str(SCREENSHOTS / name))
                except Exception as error:  # a crashed page still lets the others be kept
                    sys.stderr.write(f"no screenshot {name}: {error}\n")
        context.close()


@pytest.fixture(scope="session", autouse=True)
def _fresh_failure_screens():
    """Screens of failures are this run's only."""
    for old in SCREENSHOTS.glob("failed-*.png"):
        old.unlink()


@pytest.fixture(scope="session")
def shots():
    """shots(page, name): a screenshot kept as a test artifact (artifacts/screenshots)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled", caret="hide")

    return take


@pytest.fixture(autouse=True)
def _server_log_on_failure(request, server):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        sys.stderr.write(f"\n--- server log (tail) ---\n{server.log_tail()}\n")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
