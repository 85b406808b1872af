"""住户 on a member's phone: the grid's households with their tags and when each is due, a
visit recorded with the form its 独居老人 needs, and the household no longer overdue; the
secretary's desk lists what is overdue. Two phones edit one household offline: what each
changed alone is merged, the field both changed is the secretary's conflict on the desk."""

import uuid

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import GRID_MEMBER, SECRETARY
from tests.e2e import flows


def _household(server, secretary, grid, address="清水塘路28号", members=()):
    from app.extensions import db
    from app.households import services
    from app.people.models import User

    with server.app.app_context():
        body = {
            "id": str(uuid.uuid4()),
            "grid": grid,
            "address": address,
            "building": "2栋",
            "room": "301",
            "members": [
                {
                    "id": str(uuid.uuid4()),
                    "name": "杨秀英",
                    "relationship": "head",
                    "phone": "13712345678",
                    "tags": ["elderly_alone"],
                },
                *members,
            ],
        }
        services.create(db.session.get(User, secretary.id), body)
        return body


def test_a_member_visits_an_elderly_neighbour_from_the_register(
    server, people, units, phone, shots, engine
):
    grid = units.grids[1].code
    member = people.make(GRID_MEMBER, grid, name="周网格")
    secretary = people.make(SECRETARY, units.code, name="吴书记")
    household = _household(server, secretary, grid)["id"]

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


def _edit_offline(page, context, fill):
    """On the household's page with no signal: 修改, `fill(form)`, save; kept on the phone."""
    context.set_offline(True)
    page.get_by_role("button", name="修改", exact=True).click()
    form = page.locator(".edit-form")
    fill(form)
    form.get_by_role("button", name="保存修改").click()
    expect(page.get_by_text("没有网络：修改住户已保存在手机上，联网后自动发送")).to_be_visible()
    expect(page.locator(".household-page .tags").get_by_text("待发送")).to_be_visible()


def _online_and_sent(page, context):
    context.set_offline(False)
    expect(page.locator(".household-page .tags").get_by_text("待发送")).to_have_count(0)


def test_two_phones_edit_one_household_offline_merged_by_field_and_the_clash_decided(
    server, people, units, phone, shots, engine
):
    grid = units.grids[2].code
    first = people.make(GRID_MEMBER, grid, name="郑网格")
    second = people.make(GRID_MEMBER, grid, name="冯网格")
    secretary = people.make(SECRETARY, units.code, name="何书记")
    child = {"id": str(uuid.uuid4()), "name": "陈小明", "relationship": "child", "tags": []}
    household = _household(server, secretary, grid, address="桐木坪路6号", members=[child])

    phones = []
    for who in (first, second):
        context = phone()
        page = context.new_page()
        flows.login(page, who)
        page.goto(f"/households/{household['id']}")
        expect(page.locator(".member", has_text="陈小明")).to_be_visible()
        phones.append((page, context))
    (one, one_context), (two, two_context) = phones

    def first_edit(form):  # the room, and the building
        form.locator("input[name=room]").fill("302")
        form.locator("input[name=building]").fill("3栋")

    def second_edit(form):  # the child's relationship, and the building otherwise
        form.locator(f"[data-member='{child['id']}'] select[name=relationship]").select_option(
            "grandchild"
        )
        form.locator("input[name=building]").fill("5栋")

    _edit_offline(one, one_context, first_edit)
    _edit_offline(two, two_context, second_edit)
    shots(two, "household-edit-offline")
    # The phone shows its own change at once.
    expect(two.locator(".member", has_text="陈小明")).to_contain_text("孙子女")

    _online_and_sent(one, one_context)
    _online_and_sent(two, two_context)
    with engine.connect() as connection:
        building, room = connection.execute(
            text("SELECT building, room FROM household WHERE id = :id"), {"id": household["id"]}
        ).one()
        relationship = connection.execute(
            text("SELECT relationship FROM household_member WHERE id = :id"), {"id": child["id"]}
        ).scalar()
        clashes = connection.execute(
            text("SELECT field FROM household_conflict WHERE household_id = :id"),
            {"id": household["id"]},
        ).scalars()
        # Each phone's own field merged; the building is the first phone's until decided.
        assert (building, room, relationship) == ("3栋", "302", "grandchild")
        assert list(clashes) == ["building"]

    desk = phone(
        viewport={"width": 1280, "height": 800}, is_mobile=False, has_touch=False
    ).new_page()
    flows.login_desk(desk, secretary)
    conflicts = desk.get_by_label("待定的住户信息冲突")
    clash = conflicts.locator(".van-cell", has_text="桐木坪路6号")
    expect(clash).to_contain_text("楼栋")
    expect(clash).to_contain_text("现值：3栋")
    expect(clash).to_contain_text("冯网格 改为：5栋")
    shots(desk, "household-conflict-desk")
    clash.get_by_role("button", name="采用新值").click()
    expect(conflicts.locator(".van-cell", has_text="桐木坪路6号")).to_have_count(0)
    with engine.connect() as connection:
        building = connection.execute(
            text("SELECT building FROM household WHERE id = :id"), {"id": household["id"]}
        ).scalar()
    assert building == "5栋"
