"""微心愿 end to end, in Chromium against the real server: a party member claims a wish with
no signal, fulfils it with a photo and the beneficiary's confirmation on the phone, the signal
returns and it arrives once, and the secretary sees it counted."""

import re

from playwright.sync_api import expect
from sqlalchemy import text

from app.people.models import GRID_MEMBER, PARTY_MEMBER, SECRETARY
from tests.e2e import flows
from tests.e2e.conftest import PASSWORD


def test_a_party_member_claims_and_fulfils_a_wish_offline_and_the_secretary_counts_it(
    playwright_instance, server, engine, people, units, phone, shots
):
    grid = units.grids[0]
    member = people.make(GRID_MEMBER, grid.code, name="王网格")
    secretary = people.make(SECRETARY, units.code, name="李书记")
    volunteer = people.make(PARTY_MEMBER, units.code, name="党员小陈")
    need = "给独居老人送一台电饭煲"
    collector = flows.Api(playwright_instance, server.base, member)
    wish = collector.post(
        "/api/wishes",
        {
            "grid": grid.code,
            "category": "daily_needs",
            "need": need,
            "place": "锦江路3栋附近",
            "beneficiary_name": "杨秀英",
            "beneficiary_phone": "13800001111",
            "address": "锦江路12号3栋2单元401",
        },
    ).json()
    collector.close()
    desk = flows.Api(playwright_instance, server.base, secretary)
    desk.post(f"/api/wishes/{wish['id']}/verify", {"passed": True})

    context = phone(geolocation={"latitude": grid.lat, "longitude": grid.lng, "accuracy": 12})
    page = context.new_page()
    page.goto("/login")
    page.locator("input[name=phone]").fill(volunteer.phone)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="心愿墙")).to_be_visible()
    card = page.locator(".wish-card", has_text=need)
    expect(card).to_contain_text("锦江路3栋附近")
    expect(card).not_to_contain_text("杨秀英")  # the wall is masked
    flows.service_worker_ready(page)
    shots(page, "wish-wall")

    context.set_offline(True)
    page.get_by_role("button", name=f"认领心愿：{need}").click()
    expect(page.get_by_text("没有网络：认领心愿已保存在手机上，联网后自动发送")).to_be_visible()
    page.get_by_role("tab", name=re.compile("^我的认领")).click()
    page.locator(".wish-card", has_text=need).get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/wishes/"))
    page.get_by_role("button", name="实现心愿").click()
    page.locator("input[name=camera]").set_input_files(
        {"name": "delivered.jpg", "mimeType": "image/jpeg", "buffer": flows.jpeg()}
    )
    expect(page.get_by_role("img", name="现场照片 1")).to_be_visible()
    page.get_by_text("受益人已在本机确认").click()
    shots(page, "wish-fulfil-offline")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("没有网络：实现心愿已保存在手机上，联网后自动发送")).to_be_visible()
    expect(page.get_by_text("已实现")).to_be_visible()  # shown at once, from the outbox

    context.set_offline(False)
    page.go_back()
    flows.tab(page, "我的")
    flows.synced(page)
    with engine.connect() as db:
        claims = db.execute(
            text("SELECT user_id FROM wish_claim WHERE wish_id = :w"), {"w": wish["id"]}
        )
        assert [row[0] for row in claims] == [volunteer.id]
        state = db.execute(text("SELECT state FROM wish WHERE id = :w"), {"w": wish["id"]}).scalar()
        assert state == "fulfilled"
        arrived = db.execute(
            text(
                # the volunteer's own upload: other tests' people may have sent the same bytes
                "SELECT count(*) FROM attachment JOIN photo_uploader USING (sha256) "
                "WHERE entity = 'wish' AND entity_id = :w AND photo_uploader.user_id = :v"
            ),
            {"w": wish["id"], "v": volunteer.id},
        ).scalar()
        assert arrived == 1

    office = phone(viewport={"width": 1280, "height": 800}, is_mobile=False, has_touch=False)
    screen = office.new_page()
    flows.login_desk(screen, secretary)
    screen.goto("/party")
    expect(screen.get_by_role("heading", name="党建工作台")).to_be_visible()
    expect(screen.locator("[data-test=wish-count]", has_text=units.name)).to_contain_text("1 件")
    shots(screen, "party-desk")
    desk.close()
