"""回访 and 考核 on the desk: the secretary records a resident's verdict on a closed case from
the desk's panel, then opens 考核, sees the grids on the map by grade and follows the grid's
按期结案率 to the case behind it."""

import uuid

from playwright.sync_api import expect

from app.people.models import GRID_MEMBER, SECRETARY
from tests.e2e import flows

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "is_mobile": False, "has_touch": False}


def test_a_return_visit_and_the_case_behind_a_figure(
    playwright_instance, server, people, units, phone, shots
):
    grid = units.grids[1]
    member = people.make(GRID_MEMBER, grid.code, name="周网格")
    secretary = people.make(SECRETARY, units.code, name="吴书记")
    description = "楼道堆放纸箱，已当场清理"
    api = flows.Api(playwright_instance, server.base, member)
    case = str(uuid.uuid4())
    api.post(
        "/api/incidents",
        {
            "id": case,
            "category": "clutter_piling",
            "description": description,
            "lat": grid.lat,
            "lng": grid.lng,
            "handled_on_spot": True,
            "photos": [
                {"sha256": "a" * 64, "kind": "before"},
                {"sha256": "b" * 64, "kind": "after"},
            ],
        },
    )
    api.close()
    desk_api = flows.Api(playwright_instance, server.base, secretary)
    desk_api.post(f"/api/incidents/{case}/check", {"passed": True})
    desk_api.close()

    desk = phone(**DESKTOP).new_page()
    flows.login_desk(desk, secretary)
    panel = desk.get_by_role("region", name="待回访")
    expect(panel).to_contain_text(description)
    panel.get_by_role("button", name=f"满意：{description}", exact=True).click()
    expect(desk.get_by_text("回访已记录")).to_be_visible()
    expect(panel).to_have_count(0)  # nothing left to visit

    with server.app.app_context():  # the worker's job: the facts follow the history
        from app.assessment import facts

        facts.refresh()

    desk.goto("/assessment")
    table = desk.get_by_role("table", name="排名表")
    row = table.locator("tr", has_text=grid.code)
    expect(row).to_contain_text("100.0%")  # 按期结案率: the one case, on time
    # The grids on the map, coloured by grade (one case: 样本不足, grey), with their legend;
    # a grid tapped picks its row.
    legend = desk.get_by_role("list", name="图例")
    expect(legend).to_contain_text("未排名")
    shapes = desk.locator(".grade-map path.leaflet-interactive")
    expect(shapes.first).to_be_visible()
    assert shapes.first.get_attribute("fill") == "#c8c9cc"
    shapes.first.click(force=True)
    expect(table.locator("tr.picked")).to_have_count(1)
    shots(desk, "assessment")
    row.get_by_role("button", name=f"查看 {grid.name} 的按期结案率明细").click()
    behind = desk.get_by_role("region", name=f"{grid.name}：按期结案率")
    expect(behind.get_by_role("figure", name="近六期走势", exact=False)).to_contain_text("100.0%")
    behind.get_by_role("link", name=f"案件 {case[:8]}").click()
    expect(desk.get_by_text(description).first).to_be_visible()
