"""Each role lands where its work is (a member at home, a secretary at the desk, a street admin
on the area's overview with the console a tap away and each community's desk a tap away, a
department on the cases it was called to), and on a wide screen the desk is a desk: map and
queue side by side, no bottom tabs, the push offer floating instead of pushing it down."""

from playwright.sync_api import expect

from app.people.models import DEPARTMENT, GRID_MEMBER, SECRETARY, STREET_ADMIN
from tests.e2e import flows
from tests.e2e.test_desk import DESKTOP


def test_each_role_lands_where_its_work_is_and_the_desk_is_a_desk(
    server, people, units, phone, shots
):
    street, district = flows.street_of(server, units.code)
    member = people.make(GRID_MEMBER, units.grids[0].code, name="韩网格")
    secretary = people.make(SECRETARY, units.code, name="曹书记")
    admin = people.make(STREET_ADMIN, street, name="魏街道")
    department = people.make(DEPARTMENT, district, name="严城管")

    page = phone().new_page()
    flows.login(page, member)  # home: the greeting and the member's grid
    expect(page.locator(".van-tabbar")).to_be_visible()

    page = phone().new_page()
    flows.login(page, department, lands="吹哨事件")
    expect(page.get_by_text("暂无需要本部门处置的事件")).to_be_visible()

    # The secretary on a desktop: a desk, not a stretched phone.
    desk = phone(**DESKTOP).new_page()
    flows.login_desk(desk, secretary)
    expect(desk.locator(".van-tabbar")).to_be_hidden()
    nav = desk.get_by_role("navigation", name="切换页面")
    expect(nav.get_by_role("link", name="我的")).to_be_visible()
    expect(desk.locator(".map-col .leaflet-container")).to_be_visible()  # the map's own chunk
    map_box = desk.locator(".map-col").bounding_box()
    queue_box = desk.locator(".queue-col").bounding_box()
    assert map_box["x"] + map_box["width"] <= queue_box["x"], "map and queue side by side"
    assert abs(map_box["y"] - queue_box["y"]) < 60 and map_box["y"] < 160, (map_box, queue_box)
    assert map_box["height"] > 500, "the map fills the screen's height"
    offer = desk.locator(".push-offer")
    if offer.count():  # a browser that can take pushes is offered them, in a corner
        box = offer.bounding_box()
        assert box["x"] > queue_box["x"] and box["y"] > 400, box
    shots(desk, "desk-wide")
    desk.set_viewport_size({"width": 360, "height": 640})
    expect(desk.locator(".van-tabbar")).to_be_visible()  # on a phone, the phone's tabs
    desk.set_viewport_size(DESKTOP["viewport"])

    # The street admin: the area's overview, each community's desk and the console one tap.
    over = phone(**DESKTOP).new_page()
    flows.login_admin(over, admin)
    expect(over.locator(".van-tabbar")).to_be_hidden()
    expect(over.get_by_role("link", name="应急指挥台").first).to_be_visible()
    row = over.locator(".units li", has_text=units.name)
    expect(row).to_contain_text("在办事件")
    shots(over, "overview")
    row.get_by_role("link").click()
    expect(over.get_by_role("heading", name="调度台", exact=True)).to_be_visible()
    expect(over).to_have_url(f"{server.base}/desk?community={units.code}")
    picker = over.get_by_role("combobox", name="社区", exact=True)
    expect(picker).to_have_value(units.code)  # any community of the street from here
    other = picker.locator("option").nth(1)
    other_code = other.get_attribute("value")
    assert other_code != units.code
    picker.select_option(other_code)
    expect(over).to_have_url(f"{server.base}/desk?community={other_code}")
    expect(picker).to_have_value(other_code)
    # The desk is the other community's: its grids, not the first's.
    expect(over.get_by_role("combobox", name="网格", exact=True)).not_to_contain_text(units.name)
    over.get_by_role("link", name="概览").click()
    expect(over.get_by_role("heading", name="辖区概览")).to_be_visible()
    over.get_by_role("link", name="应急指挥台").first.click()
    expect(over.get_by_role("button", name="启动应急响应")).to_be_visible()
