"""平急结合 end to end, as issue 6's "Done means" says it: a street admin puts three
communities into a level-II flood response from the console; a member's phone, offline, shows
the banner and the emergency tasks first and takes the roll-call answer, which overtakes the
other queued work when the signal returns; the admin's live view fills up; the admin ends the
response and the member's banner goes."""

import re

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import GRID_MEMBER, STREET_ADMIN
from tests.e2e import flows
from tests.e2e.test_desk import DESKTOP

STREET = "520602007"  # three communities in the e2e district (conftest._prepare)
TITLE = "防汛Ⅱ级应急响应"


def _communities(engine):
    with engine.connect() as db:
        rows = db.execute(
            text(
                "SELECT c.code, c.name, min(g.code) AS grid FROM unit c "
                "JOIN unit g ON g.parent_id = c.id AND g.level = 'grid' "
                "JOIN unit s ON s.id = c.parent_id "
                "WHERE c.level = 'community' AND s.code = :street "
                "GROUP BY c.code, c.name ORDER BY c.code"
            ),
            {"street": STREET},
        ).all()
    assert len(rows) == 3, rows
    return rows


def test_street_admin_switches_three_communities_and_the_member_answers_offline(
    server, engine, people, phone, shots
):
    communities = _communities(engine)
    member = people.make(GRID_MEMBER, communities[0].grid, name="陈网格")
    silent = people.make(GRID_MEMBER, communities[1].grid, name="吴网格")
    admin = people.make(STREET_ADMIN, STREET, name="周街道")

    mobile = phone()
    member_page = mobile.new_page()
    flows.login(member_page, member)
    flows.synced(member_page)
    flows.service_worker_ready(member_page)
    banner = member_page.locator(".emergency-banner")
    expect(banner).to_be_hidden()

    # The street admin starts the response over the three communities from the console.
    desk = phone(**DESKTOP).new_page()
    flows.login(desk, admin)
    flows.tab(desk, "我的")
    desk.get_by_text("应急指挥台").click()
    expect(desk.get_by_role("heading", name="进行中的应急响应 (0)")).to_be_visible()
    desk.get_by_role("button", name="启动应急响应").click()
    dialog = desk.get_by_role("dialog")
    dialog.get_by_label("启动原因").fill("锦江水位超警戒线 0.8 米，预计今夜持续强降雨")
    for c in communities:
        dialog.get_by_label(c.name, exact=True).check()
    expect(dialog.get_by_text("已选 3 个")).to_be_visible()
    expect(dialog.get_by_label("Ⅱ级（橙）")).to_be_checked()
    shots(desk, "emergency-console-start")
    dialog.get_by_role("button", name="确定").click()
    card = desk.locator("article.switch", has_text=TITLE)
    expect(card).to_be_visible()
    expect(desk.get_by_role("heading", name="进行中的应急响应 (1)")).to_be_visible()
    # A row per community with people to ask (the third has none in this district).
    row = card.locator("table.units tbody tr", has_text=communities[0].name).first
    expect(row.locator("td.acked")).to_have_text("0")
    expect(card.locator("tr.silent", has_text="陈网格")).to_be_visible()
    # The admin's own phone shows the mode too (a street admin has no grid: any switch pulled).
    expect(desk.locator(".emergency-banner")).to_contain_text(TITLE)

    # The member's next pull brings the switch, its roll-call and the tasks; then no signal.
    flows.sync_now(member_page)
    expect(banner).to_contain_text(TITLE)
    mobile.set_offline(True)
    member_page.reload()
    expect(banner).to_contain_text(TITLE)
    shots(member_page, "emergency-member-banner-offline")
    flows.tab(member_page, "任务")
    first = member_page.locator(".task-card").first
    expect(first.locator(".emergency-tag")).to_have_text("应急")
    expect(first).to_contain_text("雨前排查")
    # Work queued offline first, the roll-call answered after it.
    member_page.get_by_role("button", name="认领任务：雨前排查").click()
    prompt = member_page.locator(".rollcall-card")
    prompt.get_by_role("button", name=re.compile("^叫应应答")).click()
    expect(prompt).to_contain_text("已应答，联网后优先发送")
    shots(member_page, "emergency-member-tasks-offline")

    # The signal returns: the app flushes by itself; the answer goes first.
    mobile.set_offline(False)
    expect(prompt).to_be_hidden()
    banner.click()
    expect(member_page.locator(".rollcall-card")).to_contain_text("已应答 · ")
    shots(member_page, "emergency-member-mode")
    member_page.get_by_text("返回").click()

    # The live view fills up (it polls); the silent member is named.
    expect(row.locator("td.acked")).to_have_text("1")
    expect(card.locator("tr.silent", has_text="吴网格")).to_be_visible()
    shots(desk, "emergency-console-live")
    desk.set_viewport_size({"width": 360, "height": 640})
    expect(desk.get_by_role("button", name="启动应急响应")).to_be_in_viewport()
    shots(desk, "emergency-console-phone")
    desk.set_viewport_size(DESKTOP["viewport"])

    with engine.connect() as db:
        sent = db.execute(
            text(
                "SELECT type, device_id, status FROM sync_command WHERE user_id = :u "
                "ORDER BY received_at, seq"
            ),
            {"u": member.id},
        ).all()
        answered = text(
            "SELECT count(*) FROM roll_call_person WHERE user_id = :u "
            "AND acknowledged_at IS NOT NULL"
        )
        acks = db.execute(answered, {"u": member.id}).scalar()
        silent_acks = db.execute(answered, {"u": silent.id}).scalar()
    assert [(s.type, s.status) for s in sent] == [
        ("rollcall.ack", "applied"),
        ("task.claim", "applied"),
    ], "the acknowledgement overtook the claim queued before it"
    assert sent[0].device_id != sent[1].device_id, "in a lane (device id) of its own"
    assert (acks, silent_acks) == (1, 0)

    # The admin ends the response; the member's banner goes with the next pull.
    card.get_by_role("button", name=f"结束响应：{TITLE}").click()
    dialog.get_by_label("说明").fill("水位回落，解除响应")
    dialog.get_by_role("button", name="确定").click()
    expect(desk.get_by_text("没有进行中的应急响应")).to_be_visible()
    expect(desk.locator(".emergency-banner")).to_be_hidden()
    flows.tab(member_page, "首页")
    flows.sync_now(member_page)
    flows.synced(member_page)
    expect(banner).to_be_hidden()
