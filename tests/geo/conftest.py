"""Fixtures for the geo tests: the demo district, generated once per session, and its checks."""

import pytest

from geo import check_units, read_units
from geo.demo import generate

FILES = {
    "district": "district.geojson",
    "street": "streets.geojson",
    "community": "communities.geojson",
    "grid": "grids.geojson",
}


@pytest.fixture(scope="session")
def demo_paths(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def demo_reports(demo_paths):
    """check_units level by level, each level's parents being the previous level's output."""
    reports = {}
    parents = None
    for level in ("district", "street", "community", "grid"):
        crs = "gcj02" if level == "district" else "wgs84"
        report = check_units(read_units(demo_paths[level], level), level, parents, crs=crs)
        reports[level] = report
        parents = {f.code: f.geometry for f in report.features}
    return reports
