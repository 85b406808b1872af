"""The phone says what is true, in a real Chromium against the real server: what became of an
action (sent, or kept and why), a failing server told apart from no network, photos still on
the phone counted as unsent work, what was done shown with its evidence, large text, touch
targets, and errors in the reader's language."""

import re

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import GRID_MEMBER, SECRETARY
from tests.e2e import flows

# A proxy in front of a server that is down: an HTML page, no JSON error.
BAD_GATEWAY = {"status": 502, "content_type": "text/html", "body": "<h1>502 Bad Gateway</h1>"}


def _member(people, units, phone, index, name):
    """A member of grid `index` logged in on a phone whose requests the test may route (no
    service worker in between)."""
    grid = units.grids[index]
    member = people.make(GRID_MEMBER, grid.code, name=name)
    context = phone(
        geolocation={"latitude": grid.lat, "longitude": grid.lng, "accuracy": 9},
        service_workers="block",
    )
    page = context.new_page()
    flows.login(page, member)
    flows.synced(page)
    return grid, member, context, page


def _task(playwright_instance, server, people, units, grid, title):
    secretary = people.make(SECRETARY, units.code)
    api = flows.Api(playwright_instance, server.base, secretary)
    task = api.create_task(title, grid.code)
    api.close()
    return task


def test_online_work_is_said_sent_and_a_502_is_not_offline(
    playwright_instance, server, engine, people, units, phone, shots
):
    grid, member, context, page = _member(people, units, phone, 4, "钱网格")
    task = _task(playwright_instance, server, people, units, grid, "核查违章搭建")
    flows.sync_now(page)
    flows.synced(page)

    description = "菜市场门口井盖松动"
    flows.report(page, "城管", "乱堆乱放", description, flows.jpeg())
    expect(page.get_by_text("已上报，1 张照片正在上传")).to_be_visible()
    expect(flows.incident_card(page, description).locator(".sync-tag")).to_have_text("已同步")

    # The server fails behind its proxy: the phone is online, and says so.
    context.route("**/api/sync/**", lambda route: route.fulfill(**BAD_GATEWAY))
    flows.tab(page, "任务")
    page.get_by_role("button", name=f"认领任务：{task['title']}").click()
    expect(
        page.get_by_text("服务器暂时无法连接：认领任务已保存在手机上，稍后自动重试")
    ).to_be_visible()
    flows.tab(page, "我的")
    status = page.locator(".sync-status")
    expect(status.locator(".line")).to_have_text(
        "服务器暂时无法连接：操作已保存在手机上，稍后自动重试"
    )
    expect(status).not_to_contain_text("离线")
    expect(page.get_by_role("tab", name="我的, 1 项未发送")).to_be_visible()
    expect(page.locator(".van-toast")).to_be_hidden()
    shots(page, "me-server-502")

    context.unroute("**/api/sync/**")
    flows.sync_now(page)
    flows.synced(page)
    with engine.connect() as db:
        claims = db.execute(
            text("SELECT task_id FROM task_claim WHERE user_id = :u AND live"), {"u": member.id}
        ).all()
    assert [c.task_id for c in claims] == [task["id"]]


def test_photos_not_yet_sent_are_unsent_work_until_they_arrive(
    server, engine, people, units, phone, shots
):
    grid, member, context, page = _member(people, units, phone, 4, "孙网格")
    # Uploads break off (tus over a dropping link): the report goes, its photos do not.
    context.route("**/api/uploads**", lambda route: route.abort("connectionreset"))

    description = "路灯杆倾斜，两处"
    flows.tab(page, "上报")
    page.get_by_text("城管", exact=True).click()
    page.get_by_text("乱堆乱放", exact=True).click()
    page.locator("input[name=album]").set_input_files(
        [
            {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": flows.jpeg((200, 80, 40))},
            {"name": "b.jpg", "mimeType": "image/jpeg", "buffer": flows.jpeg((40, 80, 200))},
        ]
    )
    expect(page.get_by_role("img", name="现场照片 2")).to_be_visible()
    page.get_by_role("button", name="下一步").click()
    expect(page.locator(".where")).to_contain_text("精度约 9 米")
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("情况描述").fill(description)
    page.get_by_role("button", name="提交上报").click()
    expect(page.get_by_text("已上报，2 张照片正在上传")).to_be_visible()

    card = flows.incident_card(page, description)
    expect(card.locator(".sync-tag")).to_have_text("2 张照片待上传")
    expect(page.locator(".counter", has_text="待同步").locator("strong")).to_have_text("2")
    # tus tries each upload again for ~20 s (photos.js) before the flush gives up.
    expect(page.locator(".sync-status .line")).to_contain_text("服务器暂时无法连接", timeout=60_000)
    expect(page.locator(".sync-status .waiting")).to_have_text("2 张照片待上传")
    expect(page.get_by_role("tab", name="我的, 2 项未发送")).to_be_visible()
    shots(page, "home-photos-waiting")
    flows.tab(page, "我的")
    expect(page.get_by_text("待上传的照片 (2)")).to_be_visible()

    context.unroute("**/api/uploads**")
    flows.sync_now(page)
    flows.synced(page)
    expect(page.get_by_text("待上传的照片 (2)")).to_be_hidden()
    expect(page.get_by_role("tab", name="我的", exact=True)).to_be_visible()
    flows.tab(page, "首页")
    expect(card.locator(".sync-tag")).to_have_text("已同步")
    with engine.connect() as db:
        photos = db.execute(
            text(
                "SELECT count(*) FROM attachment a JOIN incident i ON i.id = a.entity_id "
                "JOIN photo p ON p.sha256 = a.sha256 WHERE i.description = :d"
            ),
            {"d": description},
        ).scalar()
    assert photos == 2


def test_what_was_done_shows_with_its_evidence(
    playwright_instance, server, people, units, phone, shots
):
    grid, member, context, page = _member(people, units, phone, 4, "周网格")
    task = _task(playwright_instance, server, people, units, grid, "清点防汛沙袋")
    description = "河堤护栏缺损"
    flows.report(page, "城管", "乱堆乱放", description, flows.jpeg())
    flows.synced(page)

    # The incident: its case number, where it is on a map, and what happened so far.
    flows.incident_card(page, description).click()
    expect(page.get_by_text("案件编号")).to_be_visible()
    expect(page.locator(".case-number")).to_contain_text(re.compile(r"[0-9A-F]{8}"))
    expect(page.locator(".where-map.leaflet-container")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text(f"上报 · {member.name}")
    expect(page.locator(".van-toast")).to_be_hidden()
    page.evaluate("window.scrollTo(0, 0)")
    shots(page, "incident-detail")
    page.get_by_text("返回").click()

    # The task: claimed, then completed in one form.
    flows.tab(page, "任务")
    page.get_by_role("button", name=f"认领任务：{task['title']}").click()
    expect(page.get_by_text("已认领", exact=True)).to_be_visible()
    page.get_by_role("tab", name="我的任务").click()
    flows.task_card(page, task["title"]).locator(".body").click()
    page.get_by_role("button", name="完成任务").click()
    expect(page.locator("textarea")).to_have_count(1)
    expect(page.get_by_role("button", name="提交进展")).to_be_hidden()
    page.get_by_label("情况说明").fill("沙袋 120 袋，已入库")
    page.locator("input[name=camera]").set_input_files(
        {"name": "done.jpg", "mimeType": "image/jpeg", "buffer": flows.jpeg((30, 150, 90))}
    )
    expect(page.locator(".where")).to_contain_text("精度约")
    page.get_by_role("button", name="提交完成").click()
    expect(page.get_by_text("已提交完成，1 张照片正在上传")).to_be_visible()

    done = page.locator(".done")
    expect(done).to_contain_text("沙袋 120 袋，已入库")
    expect(done).to_contain_text(f"完成人{member.name}")
    expect(done).to_contain_text(re.compile(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d"))
    expect(page.get_by_role("img", name="处置照片，第 1 张")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text(f"完成 · {member.name}")
    expect(page.locator(".van-toast")).to_be_hidden()
    page.locator(".done").scroll_into_view_if_needed()
    shots(page, "task-completed")


def test_large_text_and_touch_targets(server, people, units, phone, shots):
    grid, member, context, page = _member(people, units, phone, 4, "吴网格")

    flows.tab(page, "我的")
    toggle = page.get_by_role("switch", name=re.compile("大字模式"))
    toggle.click()
    expect(toggle).to_have_attribute("aria-checked", "true")
    size = "el => parseFloat(getComputedStyle(el).fontSize)"
    assert page.locator(".sync-status .sub").last.evaluate(size) >= 16
    page.reload()
    expect(page.locator("html.large-text")).to_have_count(1)
    shots(page, "me-large-text")
    # Every notification row is a 44 px target (the label toggles its box).
    rows = page.locator("label.kind")
    expect(rows.first).to_be_visible()
    for row in rows.all():
        assert row.bounding_box()["height"] >= 44

    flows.tab(page, "上报")
    page.get_by_text("城管", exact=True).click()
    page.get_by_text("乱堆乱放", exact=True).click()
    page.get_by_role("button", name="暂不拍照").click()
    expect(page.locator(".where")).to_contain_text("精度约")
    for name in ("放大地图", "缩小地图"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, (name, box)
    page.get_by_role("button", name="下一步").click()
    urgent = page.get_by_role("checkbox", name="紧急事件").bounding_box()
    assert urgent["height"] >= 44, urgent


def test_desk_errors_are_in_the_readers_language(server, people, units, phone):
    secretary = people.make(SECRETARY, units.code, name="郑书记")
    context = phone(service_workers="block")
    context.route("**/api/dispatch**", lambda route: route.fulfill(**BAD_GATEWAY))
    page = context.new_page()
    flows.login_desk(page, secretary)
    expect(page.locator(".note[role=alert]")).to_have_text("服务器暂时出错，请稍后再试")
    expect(page.get_by_text("HTTP 502")).to_have_count(0)
