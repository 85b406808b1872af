"""bench/targets.json and the verdicts the bench prints for it."""

import pytest

from bench import targets


def test_every_target_is_measured_by_the_bench_or_named_elsewhere():
    listed = targets.load()
    ours = {t["id"] for t in listed if "by" not in t}
    assert ours == set(targets.MEASURES)
    assert all("below" in t or "at_least" in t or t["id"] == "pull_compressed" for t in listed)
    assert [by for _, by in targets.elsewhere(listed)] == ["make audit"] * 2


@pytest.mark.parametrize(
    ("bounds", "value", "ok"),
    [
        ({"below": 60}, 59.9, True),
        ({"below": 60}, 60, False),
        ({"at_least": 0.7}, 0.7, True),
        ({"at_least": 0.7}, 0.69, False),
        ({"below": 60}, None, False),
        ({}, 3, True),
    ],
)
def test_within(bounds, value, ok):
    assert targets.within(bounds, value) is ok


def _sync(ms, applied, duplicates):
    run = {"ms": ms, "statuses": {"applied": applied}, "server_cpu_ms": 1.0}
    return {
        "sync": {
            "push": {
                "commands": 500,
                "median": run,
                "resend": {"statuses": {"duplicate": duplicates}},
            }
        }
    }


@pytest.mark.parametrize(
    ("ms", "applied", "duplicates", "verdict"),
    [
        (550, 500, 500, True),
        (650, 500, 500, False),  # too slow
        (550, 499, 500, False),  # a command not applied
        (550, 500, 499, False),  # a resend applied again: not exactly once
    ],
)
def test_a_push_passes_only_fast_and_exactly_once(ms, applied, duplicates, verdict):
    push = [t for t in targets.load() if t["id"] == "push"]
    (found,) = targets.verdicts({"postgis": _sync(ms, applied, duplicates)}, push)
    assert found["pass"] is verdict
    assert found["value"] == ms


def test_ratios_are_to_the_bare_equivalent():
    http = {
        "hello": {"rps": 1000.0},
        "health": {"rps": 700.0, "bare": "hello", "bare_ratio": 0.7, "bare_cpu_ratio": 0.6},
    }
    chosen = [t for t in targets.load() if t["id"] in ("health_vs_hello", "locate_vs_bare")]
    found = targets.verdicts({"postgis": {"http": http}, "sqlite": {"skipped": "no"}}, chosen)
    assert [(v["id"], v["pass"]) for v in found] == [("health_vs_hello", True)]
    assert found[0]["detail"].startswith("0.70 by req/s (700 / 1000)")
