"""GridLink geometry: GeoJSON I/O, validation and repair, CRS conversion, simplification, demo data.

Pure Python (shapely, numpy); no Flask, no database.
"""

from .checks import Issue, Report, check_units, polygonal, repair
from .crs import gcj02_to_wgs84, out_of_china, to_wgs84, wgs84_to_gcj02
from .features import LEVELS, GeoJSONError, UnitFeature, read_units, units_to_geojson, write_units
from .metric import LocalFrame, area_m2
from .simplify import round_coords, simplify_coverage

__all__ = [
    "LEVELS",
    "GeoJSONError",
    "Issue",
    "LocalFrame",
    "Report",
    "UnitFeature",
    "area_m2",
    "check_units",
    "gcj02_to_wgs84",
    "out_of_china",
    "polygonal",
    "read_units",
    "repair",
    "round_coords",
    "simplify_coverage",
    "to_wgs84",
    "units_to_geojson",
    "wgs84_to_gcj02",
    "write_units",
]
