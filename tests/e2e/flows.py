"""What a person does in the app, as steps the tests share. Every step waits for a state of
the page (a text, a tag, a URL), never for a length of time."""

import io
import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, WAIT_MS

expect.set_options(timeout=WAIT_MS)

# Resolves true once a service worker controls the page, false after WAIT_MS (a promise, not a
# polled string: the app's CSP forbids eval; and bounded: a worker that failed to install must
# fail the test, not hang it).
CONTROLLED = f"""Promise.race([
  navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller ? true :
    new Promise((resolve) =>
      navigator.serviceWorker.addEventListener('controllerchange', () => resolve(true)))),
  new Promise((resolve) => setTimeout(() => resolve(false), {WAIT_MS})),
])"""


def login(page, user, lands=None):
    """Logs in and waits for the role's first screen: a member's home (the greeting) unless
    `lands` names the heading of another (调度台, 辖区概览, 吹哨事件)."""
    page.goto("/login")
    page.locator("input[name=phone]").fill(user.phone)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    heading = lands or f"{user.name}，您好"
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


def login_desk(page, user):
    """A secretary logs in and lands on the dispatch desk."""
    login(page, user, lands="调度台")


def login_admin(page, user):
    """A street or district admin logs in and lands on the area's overview."""
    login(page, user, lands="辖区概览")


def street_of(server, community_code):
    """(the street's code, the district's code) above a community."""
    from app.extensions import db
    from app.units.models import Unit

    with server.app.app_context():
        community = db.session.query(Unit).filter_by(code=community_code).one()
        return community.parent.code, community.parent.parent.code


def service_worker_ready(page):
    """The app shell is precached and the worker controls the page: every screen and a
    reload work with no network."""
    assert page.evaluate(CONTROLLED), "no service worker took the page"


def tab(page, name):
    page.locator(".van-tabbar").get_by_role("tab", name=re.compile(f"^{name}")).click()


def synced(page):
    """Home (or me): the sync line says everything is sent and nothing waits."""
    expect(page.locator(".sync-status").first).to_contain_text("已同步")


def sync_now(page):
    page.get_by_role("button", name="立即同步").first.click()


def jpeg(color=(200, 80, 40), size=(1200, 900)):
    """A camera-like photo: a JPEG with some detail, as bytes."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    for i in range(0, size[0], 40):
        draw.line([(i, 0), (size[0] - i, size[1])], fill=(i % 255, 120, 200), width=6)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def report(page, group, category, description, photo, shots=None):
    """Report an incident: category → a photo from the camera → the GPS fix (taken when the
    step opens) → description → submit."""
    tab(page, "上报")
    page.get_by_text(group, exact=True).click()
    page.get_by_text(category, exact=True).click()
    page.locator("input[name=camera]").set_input_files(
        {"name": "scene.jpg", "mimeType": "image/jpeg", "buffer": photo}
    )
    expect(page.get_by_role("img", name="现场照片 1")).to_be_visible()
    if shots:
        shots(page, "report-photos")
    page.get_by_role("button", name="下一步").click()
    expect(page.locator(".where")).to_contain_text("精度约")
    if shots:
        shots(page, "report-location")
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("情况描述").fill(description)
    if shots:
        shots(page, "report-description")
    page.get_by_role("button", name="提交上报").click()
    expect(page.get_by_role("heading", name=re.compile("您好"))).to_be_visible()


def incident_card(page, description):
    return page.locator(".incident-card", has_text=description)


def task_card(page, title):
    return page.locator(".task-card", has_text=title)


class Api:
    """The API as a logged-in person (the secretary's side in these tests), through
    Playwright's request context: the real server, cookies and CSRF as the app sends them."""

    def __init__(self, playwright, base, user):
        self.request = playwright.request.new_context(base_url=base)
        self.token = self.request.get("/api/auth/csrf").json()["csrf_token"]
        answer = self.post("/api/auth/login", {"phone": user.phone, "password": PASSWORD})
        self.token = answer.headers.get("x-csrftoken", self.token)

    def post(self, path, body):
        answer = self.request.post(path, data=body, headers={"X-CSRFToken": self.token})
        assert answer.ok, f"{path}: {answer.status} {answer.text()}"
        return answer

    def get(self, path):
        answer = self.request.get(path)
        assert answer.ok, f"{path}: {answer.status} {answer.text()}"
        return answer.json()

    def create_task(self, title, grid, capacity=1, hours=48):
        deadline = (datetime.now(UTC) + timedelta(hours=hours)).isoformat()
        body = {
            "title": title,
            "grid": grid,
            "target": f"{title}：完成并拍照反馈",
            "capacity": capacity,
            "deadline": deadline,
            "measures": "到现场核实，逐户走访",
        }
        return self.post("/api/tasks", body).json()

    def close(self):
        self.request.dispose()


def map_settled(page):
    """The desk's map shows its grids and has finished fitting them: clicks made before (on
    the map's first, wider view, or during the zoom's animation) land elsewhere, e.g. a
    street admin's drawn area reaching into the next street (403)."""
    expect(page.locator(".desk-map .leaflet-gl-grids-pane path").first).to_be_attached()
    page.wait_for_function(
        "() => !document.querySelector('.desk-map .leaflet-zoom-anim')"
        " && !document.querySelector('.desk-map .leaflet-pan-anim')"
    )
