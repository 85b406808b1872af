"""December: the district admin's overview says next year's holidays are not entered yet (until
they are, 元旦 would count as a working day), and the admin enters them on 我的 → 工作日历; a
weekday given as a 调休 working day is refused at its row."""

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

from playwright.sync_api import expect

from app.people.models import DISTRICT_ADMIN
from tests.e2e import flows

CST = timezone(timedelta(hours=8))


def test_the_district_enters_next_years_holidays(phone, people, units, server, shots):
    from app.catalogue import services as catalogue

    with server.app.app_context():
        _, before = catalogue.document("holidays")
    _, district = flows.street_of(server, units.code)
    admin = people.make(DISTRICT_ADMIN, district, name="闵区管")
    page = phone().new_page()
    page.clock.set_fixed_time(datetime(2026, 12, 2, 10, tzinfo=CST))  # the phone's today
    try:
        flows.login_admin(page, admin)
        page.get_by_role("alert").filter(has_text="尚未录入2027年节假日安排").click()

        expect(page.get_by_role("heading", name="工作日历")).to_be_visible()
        year_2026 = page.get_by_role("region", name="2026年")
        expect(year_2026.get_by_text("2月15日至2月23日（9天）")).to_be_visible()
        page.get_by_role("button", name="录入2027年安排").click()

        form = page.get_by_role("form", name="2027年节假日安排")
        form.get_by_role("button", name="添加放假").click()
        form.get_by_label("节日名称，如：春节").fill("元旦")
        form.get_by_label("放假首日").fill("2027-01-01")
        form.get_by_label("放假末日").fill("2027-01-03")
        expect(form.get_by_text("共3天")).to_be_visible()
        form.get_by_role("button", name="添加调休上班日").click()
        form.get_by_label("名称，如：春节调休上班").fill("测试调休")
        form.get_by_label("上班日期").fill("2027-01-05")  # a Tuesday
        form.get_by_role("button", name="保存").click()
        expect(form.get_by_role("alert")).to_have_text("调休上班日应为周六或周日")
        shots(page, "calendar-refused")

        form.get_by_label("上班日期").fill("2027-01-09")  # a Saturday
        form.get_by_role("button", name="保存").click()
        year_2027 = page.get_by_role("region", name="2027年")
        expect(year_2027.get_by_text("1月1日至1月3日（3天）")).to_be_visible()
        expect(year_2027.get_by_text("测试调休")).to_be_visible()
        expect(page.get_by_text("尚未录入2027年节假日安排")).to_have_count(0)
        shots(page, "calendar")

        with server.app.test_request_context():
            calendar = catalogue.calendar()
            assert not calendar.is_working_day(date(2027, 1, 1))
            assert calendar.is_working_day(date(2027, 1, 9))
    finally:
        with server.app.test_request_context():  # the other tests' calendar, as it was
            catalogue.save_document("holidays", before, SimpleNamespace(id=admin.id))
