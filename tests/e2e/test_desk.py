"""The secretary's desk on a desktop and the member's phone, one case from report to close:
accept, dispatch with a deadline (the picker: the grid's own first, found by name or phone), a
new task given to the member; the member sees both at the next pull, starts and handles the
case with a photo and a point; the secretary checks it from the case's panel, with the photos
before and after side by side and the timeline."""

import re
import uuid

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import GRID_MEMBER, SECRETARY, STREET_ADMIN, TEAM_MEMBER
from tests.e2e import flows

DESKTOP = {
    "viewport": {"width": 1280, "height": 800},
    "device_scale_factor": 1,
    "is_mobile": False,
    "has_touch": False,
}


def test_desk_dispatches_and_the_member_handles_it(
    playwright_instance, server, engine, people, units, phone, shots
):
    grid = units.grids[3]
    member = people.make(GRID_MEMBER, grid.code, name="赵网格")
    secretary = people.make(SECRETARY, units.code, name="孙书记")
    people.make(TEAM_MEMBER, units.code, name="钱综合")  # serves the whole community
    people.make(GRID_MEMBER, units.grids[4].code, name="冯邻格")  # another grid: not offered
    description = "小区东门路灯不亮，夜间行人摔倒"
    api = flows.Api(playwright_instance, server.base, member)
    api.post(
        "/api/incidents",
        {
            "id": str(uuid.uuid4()),
            "category": "clutter_piling",
            "description": description,
            "lat": grid.lat,
            "lng": grid.lng,
            "photos": [{"sha256": "a" * 64, "kind": "close_up"}],
        },
    )
    api.close()

    # The member is logged in on the phone before anything is dispatched.
    mobile = phone(geolocation={"latitude": grid.lat, "longitude": grid.lng, "accuracy": 8})
    member_page = mobile.new_page()
    flows.login(member_page, member)
    flows.service_worker_ready(member_page)
    expect(flows.incident_card(member_page, description)).to_contain_text("已上报")

    desk = phone(**DESKTOP).new_page()
    flows.login_desk(desk, secretary)
    case = desk.locator("article.item", has_text=description)
    expect(case).to_contain_text("已上报")
    desk.get_by_role("button", name=f"立案：{description}", exact=True).click()
    expect(case).to_contain_text("已立案")
    desk.get_by_role("button", name=f"派遣：{description}").click()
    dialog = desk.get_by_role("dialog")
    picker = dialog.get_by_role("group", name="网格员")
    offered = picker.locator("label.choice strong")
    expect(offered.first).to_have_text("赵网格")
    names = offered.all_inner_texts()
    assert "冯邻格" not in names and names.index("赵网格") < names.index("钱综合"), names
    expect(picker.locator("label.choice", has_text="钱综合")).to_contain_text("网格综合队员")
    dialog.get_by_label("搜索姓名或手机号尾号").fill("钱")
    expect(offered).to_have_text(["钱综合"])
    dialog.get_by_label("搜索姓名或手机号尾号").fill(member.phone[-4:])
    expect(offered).to_have_text(["赵网格"])
    dialog.get_by_role("radio", name=re.compile("^赵网格")).check()
    expect(picker).to_contain_text("已选：赵网格")
    shots(desk, "desk-picker")
    dialog.get_by_role("button", name="确定").click()
    expect(case).to_contain_text("已派遣")
    expect(case).to_contain_text("赵网格")

    desk.get_by_role("button", name="新建任务").click()
    dialog.get_by_label("任务名称").fill("路灯线路排查")
    dialog.get_by_label("网格", exact=True).select_option(grid.code)
    dialog.get_by_label("目标（定目标）").fill("排查东门一带路灯线路，记录故障点")
    dialog.get_by_role("radio", name=re.compile("^赵网格")).check()
    dialog.get_by_role("button", name="确定").click()
    task = desk.locator("article.item", has_text="路灯线路排查")
    expect(task).to_contain_text("名额 1/1")
    expect(task).to_contain_text("赵网格")
    shots(desk, "desk")
    desk.set_viewport_size({"width": 360, "height": 640})
    expect(desk.get_by_role("button", name="新建任务")).to_be_in_viewport()
    shots(desk, "desk-phone")
    desk.set_viewport_size(DESKTOP["viewport"])

    # The member's next pull brings both.
    flows.sync_now(member_page)
    expect(flows.incident_card(member_page, description)).to_contain_text("已派遣")
    flows.tab(member_page, "任务")
    member_page.get_by_role("tab", name="我的任务").click()
    expect(flows.task_card(member_page, "路灯线路排查")).to_be_visible()

    # Start and handle the case on the phone, with an after photo and the point.
    flows.tab(member_page, "首页")
    flows.incident_card(member_page, description).click()
    member_page.get_by_role("button", name="开始处置").click()
    expect(member_page.locator(".tags")).to_contain_text("处置中")
    member_page.get_by_role("button", name="处置完成").click()
    member_page.get_by_label("情况说明").fill("已更换灯泡，恢复照明")
    member_page.locator("input[name=album]").set_input_files(
        {"name": "after.jpg", "mimeType": "image/jpeg", "buffer": flows.jpeg((40, 160, 90))}
    )
    expect(member_page.get_by_role("img", name="现场照片 1")).to_be_visible()
    expect(member_page.locator(".where")).to_contain_text("精度约")
    shots(member_page, "incident-handle")
    member_page.get_by_role("button", name="提交处置结果").click()
    expect(member_page.locator(".tags")).to_contain_text("已处置")
    member_page.get_by_text("返回").click()
    flows.synced(member_page)
    expect(flows.incident_card(member_page, description).locator(".sync-tag")).to_have_text(
        "已同步"
    )

    # The secretary checks the work from the case's panel: the photos before and after side
    # by side, the timeline with the member's note; then the case closes and leaves the queue.
    desk.get_by_role("button", name="刷新").click()
    expect(case).to_contain_text("已处置")
    case.get_by_role("button", name=f"详情：{description}").click()
    panel = desk.get_by_role("region", name=f"事件详情：{description}")
    expect(panel.get_by_role("heading", name="处置前")).to_be_visible()
    expect(panel.get_by_role("heading", name="处置后")).to_be_visible()
    after = panel.get_by_role("img", name="处置后，第 1 张")
    expect(after).to_have_js_property("complete", True)
    assert after.evaluate("img => img.naturalWidth") > 0, "the after photo is shown"
    timeline = panel.locator(".timeline")
    expect(timeline).to_contain_text("已更换灯泡，恢复照明")
    expect(timeline).to_contain_text("孙书记")
    before, later = (panel.locator(".evidence > section").nth(i).bounding_box() for i in (0, 1))
    assert abs(before["y"] - later["y"]) < 2 and later["x"] > before["x"], "side by side"
    desk_map = desk.locator(".map-col")
    expect(desk_map).to_be_hidden()  # the panel takes the map's place, beside the queue
    queue_box = desk.locator(".queue-col").bounding_box()
    assert panel.bounding_box()["x"] + panel.bounding_box()["width"] <= queue_box["x"] + 1
    panel.get_by_role("button", name="放大查看：处置后，第 1 张").click()
    viewer = desk.get_by_role("dialog", name="处置后，第 1 张")
    expect(viewer.get_by_role("img")).to_be_visible()
    shots(desk, "desk-panel-photo")
    viewer.get_by_role("button", name="关闭").click()
    shots(desk, "desk-panel")
    panel.get_by_role("button", name=f"核查通过：{description}").click()
    expect(case).to_be_hidden()
    expect(panel).to_be_hidden()
    expect(desk_map).to_be_visible()

    with engine.connect() as db:
        state = db.execute(
            text("SELECT state, assignee_id FROM incident WHERE description = :d"),
            {"d": description},
        ).one()
        after = db.execute(
            text(
                "SELECT count(*) FROM attachment a JOIN incident i ON i.id = a.entity_id "
                "JOIN photo p ON p.sha256 = a.sha256 WHERE i.description = :d AND a.kind = 'after'"
            ),
            {"d": description},
        ).scalar()
    assert tuple(state) == ("closed", member.id)
    assert after == 1, "the after photo arrived (over tus) and is attached"


def test_on_a_phone_the_roll_call_and_the_push_offer_leave_the_queue_on_the_first_screen(
    playwright_instance, server, people, units, phone, shots
):
    street, _ = flows.street_of(server, units.code)
    secretary = people.make(SECRETARY, units.code, name="卫书记")
    admin = people.make(STREET_ADMIN, street, name="蒋街道")
    member = people.make(GRID_MEMBER, units.grids[0].code, name="沈网格")
    api = flows.Api(playwright_instance, server.base, member)
    api.post(
        "/api/incidents",
        {
            "id": str(uuid.uuid4()),
            "category": "clutter_piling",
            "description": "单元门口堆放废旧家具",
            "lat": units.grids[0].lat,
            "lng": units.grids[0].lng,
            "photos": [],
        },
    )
    api.close()
    api = flows.Api(playwright_instance, server.base, admin)
    api.post(
        "/api/rollcalls",
        {"scope": {"level": "community", "codes": [units.code]}, "message": "暴雨预警，请回复在岗"},
    )
    api.close()

    mobile = phone()
    # A phone never asked for notifications (headless Chromium answers "denied" by itself).
    mobile.add_init_script(
        "Object.defineProperty(Notification, 'permission', { get: () => 'default' })"
    )
    page = mobile.new_page()
    flows.login_desk(page, secretary)
    bar = page.locator(".notes")
    expect(bar.locator(".rollcall-card")).to_contain_text("暴雨预警，请回复在岗")
    expect(bar.locator(".push-offer")).to_be_visible()
    expect(page.locator(".queue-col article.item", has_text="单元门口堆放废旧家具")).to_be_visible()
    first = page.locator(".queue-col article.item").first  # (other tests' cases may come first)
    expect(first).to_be_in_viewport()
    box = first.bounding_box()
    assert box["y"] + 48 <= 640, f"the first case shows on the first screen: {box}"
    notes = bar.bounding_box()
    assert notes["height"] <= 140, f"the notes are a compact bar: {notes}"
    shots(page, "desk-phone-notes")

    # The roll-call is answered from the bar, as from the card anywhere else.
    bar.get_by_role("button", name=re.compile("^叫应应答")).click()
    expect(bar.locator(".rollcall-card")).to_contain_text("已应答")
    bar.get_by_role("button", name="以后再说").click()
    expect(bar.locator(".push-offer")).to_be_hidden()
