"""The demo's households: a 十联户 group whose 联户长 logs in with the printed login."""

import functools

from werkzeug.security import generate_password_hash

from app.households import demo as households_demo
from app.households.demo import seed_households
from app.people import demo as people_demo
from app.people.demo import seed_people


def test_the_demo_liaison_sees_its_group_masked(db, district, client, monkeypatch):
    # The demo's passwords hashed at the tests' cost, not scrypt's default.
    cheap = functools.partial(generate_password_hash, method="scrypt:1024:8:1")
    for module in (people_demo, households_demo):
        monkeypatch.setattr(module, "hash_password", cheap)
    logins = seed_people(members=len(district["grid"]) + 5)
    seed_households(logins)
    db.session.commit()
    liaison = next(entry for entry in logins if entry["role"] == "liaison")
    assert logins[-1]["role"] == "everyone else"
    response = client.post(
        "/api/auth/login", json={"phone": liaison["phone"], "password": liaison["password"]}
    )
    assert response.status_code == 200
    households = client.get("/api/households").get_json()
    assert len(households) == 10
    assert all(
        "*" in m["name"] and "****" in m["phone"]
        for h in households
        for m in h["members"]
        if m["phone"]
    )
