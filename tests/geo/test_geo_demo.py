import csv
import re
import time
from collections import Counter

import numpy as np
import pytest
import shapely

from geo.checks import check_units
from geo.demo import DISTRICT_FILE, DIVISIONS_FILE, generate, main
from geo.features import read_units
from geo.metric import area_m2


@pytest.fixture(scope="module")
def divisions():
    with open(DIVISIONS_FILE, encoding="utf-8", newline="") as f:
        return {r["code"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def units(demo_paths):
    return {level: read_units(path, level) for level, path in demo_paths.items()}


def test_published_totals(units):
    assert [len(units[k]) for k in ("district", "street", "community", "grid")] == [1, 7, 36, 514]


def test_codes_and_names_are_real_and_well_formed(units, divisions):
    codes = [u.code for level in units.values() for u in level]
    assert len(codes) == len(set(codes))
    for street in units["street"]:
        row = divisions[street.code]
        assert row["level"] == "street" and street.name == row["name"]
        assert street.parent_code == "520602"
    for community in units["community"]:
        row = divisions[community.code]
        assert row["level"] == "community"  # never a village
        assert community.name == row["name"].removesuffix("居民委员会")
        assert community.name.endswith("社区") and community.parent_code == row["parent_code"]
    names = {c.code: c.name for c in units["community"]}
    for grid in units["grid"]:
        assert re.fullmatch(r"\d{12}\d{3}", grid.code)
        assert grid.code[:12] == grid.parent_code and grid.parent_code in names
        assert grid.name == f"{names[grid.parent_code]}第{int(grid.code[-3:]):02d}网格"
    sequences = Counter(g.parent_code for g in units["grid"])
    for community, n in sequences.items():
        own = sorted(int(g.code[-3:]) for g in units["grid"] if g.parent_code == community)
        assert own == list(range(1, n + 1))


def test_36_communities_are_each_streets_lowest_codes(units, divisions):
    chosen = Counter(c.parent_code for c in units["community"])
    assert chosen == {
        "520602002": 5,
        "520602003": 8,
        "520602005": 6,
        "520602006": 3,
        "520602007": 8,
        "520602008": 3,
        "520602009": 3,
    }
    for street, n in chosen.items():
        all_codes = sorted(
            c
            for c, r in divisions.items()
            if r["level"] == "community" and r["parent_code"] == street
        )
        kept = sorted(c.code for c in units["community"] if c.parent_code == street)
        assert kept == all_codes[:n]


def test_levels_nest_without_overlaps_or_gaps(demo_reports):
    for level, report in demo_reports.items():
        assert report.ok, report.as_text()
        assert all(
            f.geometry.geom_type == "MultiPolygon" and f.geometry.is_valid for f in report.features
        )
        if level != "district":
            assert not report.repairs, report.as_text()
    # Streets cover only the urban core: the rest of the district is one big expected gap.
    [rural] = demo_reports["street"].warnings
    assert rural.kind == "gap" and rural.area_m2 > 900e6
    assert demo_reports["community"].warnings == []
    assert demo_reports["grid"].warnings == []


def test_nesting_is_exact_not_just_within_tolerance(demo_paths, demo_reports):
    streets = {f.code: f.geometry for f in demo_reports["street"].features}
    communities = check_units(
        read_units(demo_paths["community"], "community"), "community", streets, tolerance_m=0.0
    )
    assert communities.ok and communities.warnings == []
    grids = check_units(
        read_units(demo_paths["grid"], "grid"),
        "grid",
        {f.code: f.geometry for f in communities.features},
        tolerance_m=0.0,
    )
    assert grids.ok and grids.warnings == []
    assert shapely.coverage_is_valid(np.array([f.geometry for f in grids.features]))


def test_plausible_sizes(demo_reports):
    grids = np.array([area_m2(f.geometry) for f in demo_reports["grid"].features]) / 1e6
    assert 0.02 < grids.min() and grids.max() < 0.35
    assert 0.05 < np.median(grids) < 0.2
    core = sum(area_m2(f.geometry) for f in demo_reports["street"].features) / 1e6
    assert 40 < core < 60 and grids.sum() == pytest.approx(core, rel=1e-6)
    per_community = Counter(f.parent_code for f in demo_reports["grid"].features)
    assert min(per_community.values()) >= 5 and len(per_community) == 36


def test_district_file_is_the_real_outline_unchanged(demo_paths):
    assert demo_paths["district"].read_bytes() == DISTRICT_FILE.read_bytes()


def test_same_seed_same_bytes_other_seed_other_bytes(demo_paths, tmp_path):
    start = time.perf_counter()
    again = generate(tmp_path / "again")
    assert time.perf_counter() - start < 5
    for level, path in demo_paths.items():
        assert again[level].read_bytes() == path.read_bytes(), level
    other = generate(tmp_path / "other", seed=7)
    assert other["grid"].read_bytes() != demo_paths["grid"].read_bytes()
    assert other["district"].read_bytes() == demo_paths["district"].read_bytes()


def test_other_totals_and_the_command_line(tmp_path, capsys):
    main([str(tmp_path), "--seed", "3", "--grids", "200", "--communities", "20"])
    assert "grids.geojson" in capsys.readouterr().out
    grids = read_units(tmp_path / "grids.geojson", "grid")
    communities = read_units(tmp_path / "communities.geojson", "community")
    assert len(grids) == 200 and len(communities) == 20
    report = check_units(grids, "grid", {c.code: c.geometry for c in communities})
    assert report.ok and report.warnings == []
    with pytest.raises(ValueError):
        generate(tmp_path / "bad", communities=50)
