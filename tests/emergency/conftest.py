import pytest

from app import clock


@pytest.fixture
def switch_body():
    def body(scope="community", codes=(), **fields):
        level = scope
        scope = {"level": level}
        if level != "district":
            scope["codes"] = list(codes)
        return {
            "kind": "flood",
            "level": "II",
            "reason": "锦江水位超警戒",
            "scope": scope,
            **fields,
        }

    return body


@pytest.fixture
def frozen(monkeypatch):
    """A clock that stands still until moved: frozen.move(minutes=...)."""
    from datetime import timedelta

    class Frozen:
        at = clock.now()

        def move(self, **delta):
            self.at += timedelta(**delta)

    frozen = Frozen()
    monkeypatch.setattr(clock, "now", lambda: frozen.at)
    return frozen
