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
    flows.login_admin(desk, admin)
    desk.get_by_role("link", name="应急指挥台").first.click()  # one tap from the overview
    expect(desk.get_by_role("heading", name="进行中的应急响应 (0)")).to_be_visible()
    desk.get_by_role("button", name="启动应急响应").click()
    dialog = desk.get_by_role("dialog")
    dialog.get_by_label("启动原因").fill("锦江水位超警戒线 0.8 米，预计今夜持续强降雨")
    for c in communities:
        dialog.get_by_label(c.name, exact=True).check()
    expect(dialog.get_by_text("已选 3 个")).to_be_visible()
    # The level is chosen, never defaulted: until it is, nothing can be started.
    expect(dialog.get_by_label("Ⅱ级（橙）")).not_to_be_checked()
    expect(dialog.get_by_text("请选择响应级别")).to_be_visible()
    expect(dialog.get_by_role("button", name="确定")).to_be_disabled()
    dialog.locator("label.level", has_text="Ⅱ级（橙）").click()
    expect(dialog.get_by_label("Ⅱ级（橙）")).to_be_checked()
    shots(desk, "emergency-console-start")
    dialog.get_by_role("button", name="确定").click()
    card = desk.locator("article.switch", has_text=TITLE)
    expect(card).to_be_visible()
    expect(desk.get_by_role("heading", name="进行中的应急响应 (1)")).to_be_visible()
    # A row per community with people to ask (the third has none in this district).
    row = card.locator("table.units tbody tr", has_text=communities[0].name).first
    expect(row.locator("td.acked")).to_have_text("0")
    # The live view counts; names come when a community's list is opened, by grid.
    expect(card.get_by_text("陈网格")).to_be_hidden()
    card.get_by_role("button", name=f"{communities[0].name}未应答名单").click()
    group = card.locator(".silent-list section", has_text="陈网格")
    expect(group.locator("h5")).to_contain_text("未应答 1 人")
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
    expect(member_page.locator(".task-card.emergency", has_text="雨前排查")).to_be_visible()
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
    card.get_by_role("button", name=f"{communities[1].name}未应答名单").click()
    expect(card.locator(".silent-list section", has_text="吴网格")).to_be_visible()
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


def test_street_admin_draws_the_area_on_the_map_and_sends_a_member_to_reinforce(
    server, engine, people, phone, shots
):
    """A polygon clicked on the console's map starts a switch over the grids it touches (the
    preview and the server agree), then a member of another community is sent to one of them."""
    communities = _communities(engine)
    helper = people.make(GRID_MEMBER, communities[2].grid, name="郑支援")
    admin = people.make(STREET_ADMIN, STREET, name="冯街道")

    # On a phone, with a finger: three taps make an area; the toolbar's buttons are big enough.
    small = phone().new_page()
    flows.login_admin(small, admin)
    small.goto("/emergency")
    small.get_by_role("button", name="在地图上圈定范围").click()
    box = small.locator(".desk-map").bounding_box()
    for fx, fy in ((0.3, 0.3), (0.7, 0.3), (0.5, 0.7)):
        small.touchscreen.tap(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    toolbar = small.get_by_role("toolbar", name="画范围工具")
    expect(toolbar.get_by_role("status")).to_contain_text("已画 3 个点")
    done = toolbar.get_by_role("button", name="完成")
    expect(done).to_be_enabled()
    assert done.bounding_box()["height"] >= 44
    shots(small, "emergency-console-draw-phone")
    done.click()
    expect(small.get_by_role("dialog").locator(".preview")).to_contain_text("将覆盖")
    shots(small, "emergency-console-draw-preview-phone")

    desk = phone(**DESKTOP).new_page()
    flows.login_admin(desk, admin)
    desk.goto("/emergency")
    expect(desk.get_by_role("heading", name="进行中的应急响应 (0)")).to_be_visible()

    # A triangle clicked around the middle of the map, one corner undone and placed again.
    desk.get_by_role("button", name="在地图上圈定范围").click()
    toolbar = desk.get_by_role("toolbar", name="画范围工具")
    expect(toolbar).to_be_visible()
    flows.map_settled(desk)
    box = desk.locator(".desk-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-60, -40), (60, -40), (0, 200)):
        desk.mouse.click(cx + dx, cy + dy)
    expect(toolbar.get_by_role("status")).to_contain_text("已画 3 个点")
    toolbar.get_by_role("button", name="撤销上一个点").click()
    desk.mouse.click(cx, cy + 50)
    expect(toolbar.get_by_role("status")).to_contain_text("将覆盖")
    toolbar.get_by_role("button", name="完成").click()

    dialog = desk.get_by_role("dialog")
    expect(dialog.get_by_label("范围")).to_have_value("polygon")
    preview = dialog.locator(".preview")
    expect(preview).to_contain_text("将覆盖")
    n = int(re.search(r"将覆盖 (\d+) 个网格", preview.inner_text()).group(1))
    assert n >= 1
    dialog.get_by_label("启动原因").fill("山体滑坡隐患，圈定范围内转移群众")
    dialog.locator("label.level", has_text="Ⅱ级（橙）").click()
    dialog.get_by_role("button", name="确定").click()
    card = desk.locator("article.switch", has_text=TITLE)
    expect(card).to_contain_text(f"覆盖 {n} 个网格")  # the server took what the preview said
    with engine.connect() as db:
        scope = db.execute(
            text("SELECT scope, polygon FROM emergency_switch WHERE state = 'active'")
        ).one()
    assert scope.scope == "polygon"

    # Reinforcement: the member is found by name and sent to the first grid of the switch.
    card.get_by_role("button", name=f"{TITLE}：派员支援").click()
    dialog.get_by_label("搜索姓名或手机号尾号").fill("郑支援")
    dialog.get_by_role("radio", name=re.compile("郑支援")).check()
    dialog.get_by_label("支援网格").select_option(index=1)
    dialog.get_by_role("button", name="派出").click()
    expect(desk.get_by_text(re.compile("已派 郑支援 支援"))).to_be_visible()
    expect(card.locator(".sent")).to_contain_text("郑支援")
    with engine.connect() as db:
        sent = db.execute(
            text("SELECT count(*) FROM emergency_reinforcement WHERE user_id = :u"),
            {"u": helper.id},
        ).scalar()
    assert sent == 1

    # A change of level is chosen too: the current one is not offered as the answer.
    card.get_by_role("button", name=f"调整级别：{TITLE}").click()
    expect(dialog.get_by_role("button", name="确定")).to_be_disabled()
    dialog.locator("label.level", has_text="Ⅰ级（红）").click()
    dialog.get_by_role("button", name="确定").click()
    severe = "防汛Ⅰ级应急响应"
    card = desk.locator("article.switch", has_text=severe)
    expect(card).to_be_visible()

    card.get_by_role("button", name=f"结束响应：{severe}").click()
    dialog.get_by_label("说明").fill("隐患排除")
    dialog.get_by_role("button", name="确定").click()
    expect(desk.get_by_text("没有进行中的应急响应")).to_be_visible()
