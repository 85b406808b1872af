import pytest


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
