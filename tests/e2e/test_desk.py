"""The secretary's desk on a desktop and the member's phone, one case from report to close:
accept, dispatch with a deadline, a new task given to the member; the member sees both at the
next pull, starts and handles the case with a photo and a point; the secretary checks it."""

import uuid

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import GRID_MEMBER, SECRETARY
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
    dialog.get_by_label("网格员").select_option(str(member.id))
    dialog.get_by_role("button", name="确定").click()
    expect(case).to_contain_text("已派遣")
    expect(case).to_contain_text("赵网格")

    desk.get_by_role("button", name="新建任务").click()
    dialog.get_by_label("任务名称").fill("路灯线路排查")
    dialog.get_by_label("网格", exact=True).select_option(grid.code)
    dialog.get_by_label("目标（定目标）").fill("排查东门一带路灯线路，记录故障点")
    dialog.get_by_label("直接指派给（可选）").select_option(str(member.id))
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

    # The secretary checks the work: the case closes and leaves the queue.
    desk.get_by_role("button", name="刷新").click()
    expect(case).to_contain_text("已处置")
    desk.get_by_role("button", name=f"核查通过：{description}").click()
    expect(case).to_be_hidden()

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
