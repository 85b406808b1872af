"""A member's day without signal, in a real Chromium against the real server: everything done
offline survives a reload, arrives once when the signal returns, and shows as synced."""

import re

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import GRID_MEMBER, SECRETARY
from tests.e2e import flows


def test_offline_report_and_claim_survive_a_reload_and_arrive_once(
    playwright_instance, server, engine, people, units, phone, shots
):
    grid = units.grids[0]
    member = people.make(GRID_MEMBER, grid.code, name="王网格")
    secretary = people.make(SECRETARY, units.code, name="李书记")
    api = flows.Api(playwright_instance, server.base, secretary)
    task = api.create_task("清理楼道杂物", grid.code)
    api.close()

    context = phone(geolocation={"latitude": grid.lat, "longitude": grid.lng, "accuracy": 12})
    page = context.new_page()
    page.goto("/")
    shots(page, "login")
    flows.login(page, member)
    flows.synced(page)
    expect(page.locator(".grid-sketch path.mine")).to_be_visible()
    flows.service_worker_ready(page)
    shots(page, "home")

    flows.tab(page, "任务")
    expect(flows.task_card(page, task["title"])).to_be_visible()
    shots(page, "tasks")

    # No signal from here on.
    context.set_offline(True)
    description = "北门路楼道口堆放杂物，堵塞消防通道"
    flows.report(page, "城管", "乱堆乱放", description, flows.jpeg(), shots)
    # It says what happened: kept on the phone, because there is no network.
    expect(page.get_by_text("没有网络：上报事件已保存在手机上，联网后自动发送")).to_be_visible()
    card = flows.incident_card(page, description)
    expect(card.locator(".sync-tag")).to_have_text("待发送")
    status = page.locator(".sync-status")
    expect(status).to_contain_text("离线")
    # The photo is unsent work too: counted with the report.
    expect(status.locator(".waiting")).to_have_text("1 条待发送，1 张照片待上传")
    expect(page.locator(".counter", has_text="待同步").locator("strong")).to_have_text("2")

    flows.tab(page, "任务")
    page.get_by_role("button", name=f"认领任务：{task['title']}").click()
    expect(page.get_by_text("没有网络：认领任务已保存在手机上，联网后自动发送")).to_be_visible()
    page.get_by_role("tab", name="我的任务").click()
    expect(flows.task_card(page, task["title"])).to_contain_text("认领待同步")
    shots(page, "tasks-mine-offline")

    # A reload with no network: the shell from the service worker, the data from IndexedDB.
    page.reload()
    expect(flows.task_card(page, task["title"])).to_contain_text("认领待同步")
    flows.tab(page, "首页")
    expect(flows.incident_card(page, description).locator(".sync-tag")).to_have_text("待发送")
    flows.tab(page, "我的")
    expect(page.get_by_text("待发送 (2)")).to_be_visible()
    expect(page.get_by_text("待上传的照片 (1)")).to_be_visible()
    expect(page.get_by_role("tab", name="我的, 3 项未发送")).to_be_visible()
    shots(page, "me-offline")

    # 我的历史 holds both, from the phone alone, and opens what it lists.
    page.get_by_role("button", name=re.compile("^我的历史")).click()
    history = page.locator(".history")
    for what in (f"上报事件，{description}", f"认领任务，{task['title']}"):
        expect(history.get_by_role("button", name=re.compile(f"^{what}，待发送"))).to_be_visible()
    shots(page, "history-offline")
    history.get_by_role("button", name=re.compile(f"^上报事件，{description}")).click()
    expect(page).to_have_url(re.compile(r"/incidents/"))
    expect(page.locator(".history")).to_have_count(0)
    expect(page.get_by_text(description).first).to_be_visible()
    page.go_back()
    expect(history).to_be_visible()
    page.go_back()
    expect(page.get_by_text("待发送 (2)")).to_be_visible()

    # The signal returns: the app flushes by itself on "online".
    context.set_offline(False)
    expect(page.get_by_text("待发送 (0)")).to_be_visible()
    expect(page.get_by_text("待上传的照片 (1)")).to_be_hidden()
    flows.synced(page)
    expect(page.get_by_role("tab", name="我的", exact=True)).to_be_visible()
    shots(page, "me-synced")
    flows.tab(page, "首页")
    expect(flows.incident_card(page, description).locator(".sync-tag")).to_have_text("已同步")
    expect(flows.incident_card(page, description)).to_contain_text("已上报")
    flows.tab(page, "任务")
    page.get_by_role("tab", name="我的任务").click()
    mine = flows.task_card(page, task["title"])
    expect(mine).to_contain_text("名额 1/1")
    expect(mine.get_by_text("认领待同步")).to_be_hidden()

    with engine.connect() as db:
        incidents = db.execute(
            text("SELECT id, description FROM incident WHERE reporter_id = :u"), {"u": member.id}
        ).all()
        claims = db.execute(
            text("SELECT task_id, live FROM task_claim WHERE user_id = :u"), {"u": member.id}
        ).all()
        photos = db.execute(
            text(
                "SELECT p.sha256 FROM attachment a JOIN photo p ON p.sha256 = a.sha256 "
                "WHERE a.entity = 'incident' AND a.entity_id = :i"
            ),
            {"i": incidents[0].id if incidents else ""},
        ).all()
    assert [i.description for i in incidents] == [description]
    assert [(c.task_id, bool(c.live)) for c in claims] == [(task["id"], True)]
    assert len(photos) == 1, "the photo arrived and is attached to the incident"
