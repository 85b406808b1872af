"""住户 on a member's phone: the grid's households with their tags and when each is due, a
visit recorded with the form its 独居老人 needs, and the household no longer overdue; the
secretary's desk lists what is overdue."""

import uuid

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import GRID_MEMBER, SECRETARY
from tests.e2e import flows


def _household(server, secretary, grid):
    from app.extensions import db
    from app.households import services
    from app.people.models import User

    with server.app.app_context():
        body = {
            "id": str(uuid.uuid4()),
            "grid": grid,
            "address": "清水塘路28号",
            "building": "2栋",
            "room": "301",
            "members": [
                {
                    "name": "杨秀英",
                    "relationship": "head",
                    "phone": "13712345678",
                    "tags": ["elderly_alone"],
                }
            ],
        }
        services.create(db.session.get(User, secretary.id), body)
        return body["id"]


def test_a_member_visits_an_elderly_neighbour_from_the_register(
    server, people, units, phone, shots, engine
):
    grid = units.grids[1].code
    member = people.make(GRID_MEMBER, grid, name="周网格")
    secretary = people.make(SECRETARY, units.code, name="吴书记")
    household = _household(server, secretary, grid)

    desk = phone(
        viewport={"width": 1280, "height": 800}, is_mobile=False, has_touch=False
    ).new_page()
    flows.login_desk(desk, secretary)
    expect(desk.get_by_label("逾期未走访").get_by_text("清水塘路28号")).to_be_visible()

    page = phone().new_page()
    flows.login(page, member)
    page.goto("/households")
    row = page.locator(f"[data-household='{household}']")
    expect(row.get_by_text("独居老人")).to_be_visible()
    expect(row.get_by_text("从未走访")).to_be_visible()
    shots(page, "households")
    row.click()
    page.get_by_role("button", name="走访 清水塘路28号 2栋 301").click()
    form = page.locator(".visit-form")
    form.locator("select[name=health]").select_option("fair")
    form.locator("textarea[name=note]").fill("老人身体尚可，叮嘱天冷添衣")
    shots(page, "visit-form")
    form.get_by_role("button", name="保存走访记录").click()
    expect(page.locator(".visit").get_by_text("老人身体尚可，叮嘱天冷添衣")).to_be_visible()
    expect(page.locator(".household-page").get_by_text("下次走访")).to_be_visible()
    # Sent through sync: once the pull brings it back it is no longer waiting on the phone.
    expect(page.locator(".visit").get_by_text("待发送")).to_have_count(0)
    with engine.connect() as connection:
        forms = connection.execute(text("SELECT forms FROM visit")).scalar()
    assert "fair" in str(forms)
