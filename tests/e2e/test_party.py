"""The secretaries' and leaders' party screens end to end, in Chromium against the real
server: a secretary records a wish and verifies it onto the wall, then withdraws it with the
reason; a leader plans and holds a joint meeting whose decision becomes a task, and the task
verified closes (销号) the problem on the meeting's page."""

import re

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import SECRETARY
from tests.e2e import flows


def test_a_secretary_records_a_wish_verifies_it_and_withdraws_it_with_the_reason(
    server, engine, people, units, phone, shots
):
    grid = units.grids[1]
    secretary = people.make(SECRETARY, units.code, name="周书记")
    need = "帮独居老人换一个门锁"
    page = phone().new_page()
    flows.login_desk(page, secretary)
    page.goto("/party/wishes")
    page.get_by_role("button", name="登记心愿").click()
    page.locator("select[name=grid]").select_option(grid.code)
    page.locator("select[name=category]").select_option("repair")
    page.locator("input[name=need]").fill(need)
    page.locator("input[name=place]").fill("滨江花园附近")
    page.locator("input[name=beneficiary_name]").fill("吴秀兰")
    page.locator("input[name=address]").fill("滨江花园8栋1单元302")
    page.get_by_role("button", name="登记心愿").click()

    # Back on the list: the secretary sees who it is for; 核实 puts it on the wall.
    wish = page.get_by_role("article", name=need)
    expect(wish).to_contain_text("吴秀兰")
    expect(wish).to_contain_text("待核实")
    shots(page, "party-wish-verify")
    wish.get_by_role("button", name="核实通过").click()
    expect(wish).to_have_count(0)
    expect(page.locator("[data-test=wish-tally]")).to_contain_text("待认领 1 件")
    with engine.connect() as db:
        row = db.execute(
            text("SELECT id, state, grid_id FROM wish WHERE need = :n"), {"n": need}
        ).one()
        assert row.state == "published"

    # Withdrawn while nobody holds it, and the reason is required and kept.
    page.get_by_role("tab", name=re.compile("^待认领")).click()
    wish.get_by_role("button", name="撤回").click()
    submit = wish.get_by_role("button", name="撤回")
    expect(submit).to_be_disabled()
    wish.locator("input[name=reason]").fill("家属已自行解决")
    submit.click()
    expect(wish).to_have_count(0)
    page.get_by_role("tab", name=re.compile("^已撤回")).click()
    expect(wish).to_contain_text("家属已自行解决")
    with engine.connect() as db:
        state, reason = db.execute(
            text("SELECT state, reason FROM wish WHERE id = :w"), {"w": row.id}
        ).one()
    assert (state, reason) == ("withdrawn", "家属已自行解决")
