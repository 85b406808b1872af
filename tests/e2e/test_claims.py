"""Claims decided by the server: two members claim the last place while offline and the one
who loses sees why; a task the secretary dispatches reaches the member at the next pull."""

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import GRID_MEMBER, SECRETARY, TEAM_MEMBER
from tests.e2e import flows


def test_two_offline_claims_on_one_place_one_wins_the_other_sees_why(
    playwright_instance, server, engine, people, units, phone, shots
):
    grid = units.grids[1]
    first = people.make(GRID_MEMBER, grid.code, name="张先到")
    second = people.make(TEAM_MEMBER, grid.code, name="刘后到")
    secretary = people.make(SECRETARY, units.code)
    api = flows.Api(playwright_instance, server.base, secretary)
    task = api.create_task("独居老人走访", grid.code, capacity=1)
    api.close()

    contexts, pages = {}, {}
    for who in (first, second):
        contexts[who.name] = phone()
        page = pages[who.name] = contexts[who.name].new_page()
        flows.login(page, who)
        flows.service_worker_ready(page)
        flows.tab(page, "任务")
        expect(flows.task_card(page, task["title"])).to_contain_text("名额 0/1")

    # Both claim with no signal; each phone shows its own claim at once.
    for who in (first, second):
        contexts[who.name].set_offline(True)
        page = pages[who.name]
        page.get_by_role("button", name=f"认领任务：{task['title']}").click()
        page.get_by_role("tab", name="我的任务").click()
        expect(flows.task_card(page, task["title"])).to_contain_text("认领待同步")

    # The first back online takes the place.
    contexts[first.name].set_offline(False)
    winner = flows.task_card(pages[first.name], task["title"])
    expect(winner).to_contain_text("名额 1/1")
    expect(winner.get_by_text("认领待同步")).to_be_hidden()

    # The second is refused, and told who holds it.
    contexts[second.name].set_offline(False)
    page = pages[second.name]
    page.get_by_role("tab", name="可认领").click()
    refused = page.locator(".refused .task-card", has_text=task["title"])
    expect(refused).to_contain_text("未通过：名额已满，已被 张先到")
    expect(page.get_by_role("tab", name="我的任务 0")).to_be_visible()
    shots(page, "tasks-claim-refused")
    flows.tab(page, "我的")
    expect(page.get_by_text("被拒绝的操作 (1)")).to_be_visible()
    expect(page.locator(".van-cell", has_text="认领任务").first).to_contain_text("名额已满")

    with engine.connect() as db:
        holders = (
            db.execute(
                text("SELECT user_id FROM task_claim WHERE task_id = :t AND live"),
                {"t": task["id"]},
            )
            .scalars()
            .all()
        )
        claimed = db.execute(text("SELECT claimed FROM task WHERE id = :t"), {"t": task["id"]})
        rejected = db.execute(
            text("SELECT count(*) FROM sync_command WHERE user_id = :u AND status = 'rejected'"),
            {"u": second.id},
        ).scalar()
    assert holders == [first.id]
    assert claimed.scalar() == 1
    assert rejected == 1


def test_a_dispatched_task_reaches_the_member_at_the_next_pull(
    playwright_instance, server, people, units, phone
):
    grid = units.grids[2]
    member = people.make(GRID_MEMBER, grid.code, name="陈网格")
    secretary = people.make(SECRETARY, units.code, name="周书记")

    page = phone().new_page()
    flows.login(page, member)
    flows.tab(page, "任务")
    page.get_by_role("tab", name="我的任务").click()
    expect(page.get_by_text("您还没有认领任务")).to_be_visible()

    api = flows.Api(playwright_instance, server.base, secretary)
    task = api.create_task("防汛沙袋清点", grid.code)
    assignment = {"task_id": task["id"], "user_id": member.id}
    api.post("/api/dispatch/assign", {"assignments": [assignment]})
    api.close()

    flows.tab(page, "首页")
    flows.sync_now(page)
    flows.tab(page, "任务")
    page.get_by_role("tab", name="我的任务").click()
    expect(flows.task_card(page, task["title"])).to_contain_text("名额 1/1")
