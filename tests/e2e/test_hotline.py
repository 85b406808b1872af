"""A 12345 operator logs into the PWA and lands on the call form: files a caller's case with
the caller's number and a point tapped on the map, sees it among the cases they filed with its
state, and once the community has closed it records the caller's verdict (回访) from there."""

import uuid

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import GRID_MEMBER, HOTLINE_OPERATOR, SECRETARY, TEAM_MEMBER
from tests.e2e import flows


def test_an_operator_files_a_call_and_records_its_return_visit(
    playwright_instance, server, engine, people, units, phone, shots
):
    _, district = flows.street_of(server, units.code)
    operator = people.make(HOTLINE_OPERATOR, district, name="刘话务")
    description = f"来电反映：小区门口井盖松动 {uuid.uuid4().hex[:6]}"

    page = phone().new_page()
    flows.login(page, operator, lands="12345 来电登记")
    tabs = page.locator(".van-tabbar")
    expect(tabs).to_contain_text("12345")
    expect(tabs).not_to_contain_text("上报")  # no grid to report in, no tasks

    page.get_by_label("来电号码").fill("13800001234")
    page.get_by_label("来电人称呼").fill("李先生")
    page.get_by_label("问题类型").select_option("manhole_cover")
    # The caller is not where the operator is: the point is a tap on the map, on a grid.
    grid_shape = page.locator(".picker path.leaflet-interactive").first
    expect(grid_shape).to_be_visible()
    box = grid_shape.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator(".where")).to_have_text("已选定位置，可再点地图修改")
    page.get_by_label("来电人所说的地址").fill("某小区东门")
    page.get_by_label("问题描述").fill(description)
    shots(page, "hotline-call")
    page.get_by_role("button", name="登记并转交社区").click()

    filed = page.locator(".filed-case", has_text=description)
    expect(filed).to_contain_text("已上报")
    expect(filed).to_contain_text("138****1234")  # masked below secretary
    expect(page.get_by_label("问题描述")).to_have_value("")  # ready for the next call
    with engine.connect() as db:
        row = db.execute(
            text(
                "SELECT i.id, i.source, i.resident_phone, i.address, g.code AS grid,"
                " c.code AS community FROM incident i JOIN unit g ON g.id = i.grid_id"
                " JOIN unit c ON c.id = i.community_id WHERE i.description = :d"
            ),
            {"d": description},
        ).one()
    assert (row.source, row.address) == ("hotline_12345", "某小区东门")
    assert "13800001234" not in row.resident_phone  # encrypted at rest

    # The community handles and closes it like any other case.
    secretary = people.make(SECRETARY, row.community, name="钱书记")
    handler = people.make(TEAM_MEMBER, row.grid, name="孙综合")
    checker = people.make(GRID_MEMBER, row.grid, name="冯网格")
    desk = flows.Api(playwright_instance, server.base, secretary)
    desk.post(f"/api/incidents/{row.id}/accept", {})
    desk.post(f"/api/incidents/{row.id}/dispatch", {"assignee_id": handler.id})
    member = flows.Api(playwright_instance, server.base, handler)
    member.post(
        f"/api/incidents/{row.id}/handle",
        {"note": "已更换", "photos": [{"sha256": "c" * 64, "kind": "after"}]},
    )
    check = flows.Api(playwright_instance, server.base, checker)
    check.post(f"/api/incidents/{row.id}/check", {"passed": True})
    for api in (desk, member, check):
        api.close()

    page.reload()
    expect(filed).to_contain_text("已结案")
    filed.get_by_role("button", name=f"满意：{description}", exact=True).click()
    expect(filed).to_contain_text("已回访：满意")
    shots(page, "hotline-return-visit")
    with engine.connect() as db:
        visit = db.execute(
            text("SELECT verdict, by FROM return_visit WHERE incident_id = :i"), {"i": row.id}
        ).one()
    assert (visit.verdict, visit.by) == ("satisfied", "call_centre")
    page.reload()
    expect(filed).to_contain_text("已回访：满意")  # given once: no buttons again
    expect(filed.get_by_role("button")).to_have_count(0)
