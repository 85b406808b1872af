"""Deterministic demo district: real street and community names, generated boundaries.

No public grid (网格) boundaries exist, so the streets, communities and grids written here are
invented: a schematic urban core around Tongren's old town (27.72 N, 109.19 E), cut into
streets, communities and grids by Voronoi diagrams. Only the names, codes and the district
outline are real. Placement of each street is schematic, not its real location.

Rules (see also geo/data/README.md):
- Urban core: a union of four ellipses around the centre (fixed, not seeded), intersected with
  the district outline (converted to WGS-84, repaired) shrunk by 30 m; 53.7 km².
- Streets: the 7 streets of the code list. Communities: 36 of the 43 "community" rows (never
  villages): one per street, the other 29 apportioned by largest remainder in proportion to
  each street's further communities; each street keeps its lowest-coded ones. Result:
  环北 5/6, 河西 8/9, 灯塔 6/7, 川硐 3/4, 锦江 8/10, 铜兴 3/4, 正光 3/3.
- Grids: 514 in all; each community gets MIN_GRIDS, the rest is apportioned by largest
  remainder on community area. Codes are community code + 3 digits, names "北门社区第01网格".
- Each level is Voronoi cells of seeded random points relaxed by Lloyd's algorithm, clipped
  to the parent. Then all grid edges are noded together on a 1e-7 degree grid and every level
  is rebuilt from those faces, so grids tile their community exactly and communities their
  street, with identical shared vertices, even after writing coordinates to 7 decimals.
- With the defaults (seed 42): streets 5.5-9.0 km², communities 0.37-3.6 km² (median 1.2),
  grids 0.027-0.29 km² (median 0.10), 7-27 grids per community. Over seeds 0-19 the smallest
  grid is >= 0.023 km² and the largest <= 0.3 km². tests/geo/test_geo_demo.py checks the ranges.
"""

import argparse
import csv
import shutil
from pathlib import Path

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import MultiPolygon, Point

from .checks import check_units, polygonal
from .features import UnitFeature, read_units, write_units
from .metric import LocalFrame

DATA_DIR = Path(__file__).parent / "data"
DISTRICT_FILE = DATA_DIR / "bijiang_district.geojson"
DIVISIONS_FILE = DATA_DIR / "bijiang_divisions.csv"

CENTRE = (109.19, 27.72)  # lon, lat of Tongren's old town
# Urban core in metres east/north of CENTRE: (dx, dy, semi-axis a, semi-axis b, rotation deg).
# The district boundary is ~2.5 km south-west of the centre, so the city grows north.
CORE_ELLIPSES = (
    (0, 1800, 4200, 2500, 70),
    (2800, 5200, 2600, 1700, 40),
    (-2600, 600, 2100, 1700, 0),
    (1500, -1200, 2200, 1300, 20),
)
EDGE_MARGIN_M = 30.0  # keep clear of the district edge so its repair/rounding never matters
GRID_SIZE_DEG = 1e-7  # the precision written to file; noding happens on this grid
MIN_GRIDS = 5
COMMUNITY_SUFFIX = "居民委员会"
LLOYD_STEPS = {"street": 5, "community": 4, "grid": 4}


def load_divisions(path=DIVISIONS_FILE):
    """Rows of the division code list as dicts (code, name, level, parent_code)."""
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _largest_remainder(weights, total, minimum=0):
    """Integers >= minimum summing to total, proportional to weights beyond the minimum."""
    weights = np.asarray(weights, dtype=float)
    spare = total - minimum * len(weights)
    if spare < 0:
        raise ValueError(f"cannot give {len(weights)} units at least {minimum} each out of {total}")
    share = spare * weights / weights.sum()
    counts = np.floor(share).astype(int)
    # Ties go to the earlier (lower-coded) unit: argsort is stable on the negated remainder.
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[: spare - counts.sum()]] += 1
    return [int(c) + minimum for c in counts]


def choose_communities(rows, total):
    """{street code: [community rows]}: `total` communities, proportional, lowest codes kept."""
    streets = sorted((r for r in rows if r["level"] == "street"), key=lambda r: r["code"])
    by_street = {
        s["code"]: sorted(
            (r for r in rows if r["level"] == "community" and r["parent_code"] == s["code"]),
            key=lambda r: r["code"],
        )
        for s in streets
    }
    available = [len(by_street[s["code"]]) for s in streets]
    if total < len(streets) or total > sum(available):
        raise ValueError(f"communities must be between {len(streets)} and {sum(available)}")
    # One each first; the rest in proportion to the communities each street has beyond its
    # first, which keeps every count between 1 and what the street has.
    counts = [c + 1 for c in _largest_remainder([a - 1 for a in available], total - len(streets))]
    chosen = {s["code"]: by_street[s["code"]][:n] for s, n in zip(streets, counts, strict=True)}
    return streets, chosen


def _core_region(frame, district_m):
    blobs = []
    for dx, dy, a, b, rot in CORE_ELLIPSES:
        circle = Point(0, 0).buffer(1.0, quad_segs=32)
        blobs.append(affinity.translate(affinity.rotate(affinity.scale(circle, a, b), rot), dx, dy))
    core = shapely.union_all(blobs).intersection(district_m.buffer(-EDGE_MARGIN_M))
    # A sliver cut off by the district edge would be a useless island: keep the main body.
    return max(polygonal(core).geoms, key=lambda p: p.area)


def _sample_points(poly, n, rng):
    xmin, ymin, xmax, ymax = poly.bounds
    shapely.prepare(poly)
    points = []
    while len(points) < n:
        xy = rng.uniform((xmin, ymin), (xmax, ymax), size=(4 * n, 2))
        inside = shapely.contains_xy(poly, xy[:, 0], xy[:, 1])
        points.extend(xy[inside][: n - len(points)])
    return np.array(points)


def _voronoi_cells(poly, seeds):
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=poly, ordered=True)
    return [polygonal(c.intersection(poly)) for c in shapely.get_parts(cells)]


def _partition(poly, n, rng, steps):
    """n cells tiling `poly`: Voronoi of random seeds after `steps` Lloyd relaxations."""
    if n == 1:
        return [polygonal(poly)]
    seeds = _sample_points(poly, n, rng)
    for _ in range(steps + 1):
        cells = _voronoi_cells(poly, seeds)
        # A centroid can fall outside a non-convex region; the representative point cannot.
        seeds = np.array(
            [
                (c.centroid if poly.contains(c.centroid) else c.representative_point()).coords[0]
                for c in cells
            ]
        )
    return _absorb_fragments(cells)


def _absorb_fragments(cells):
    """Give each detached piece of a cell to the neighbour with the longest shared border.

    Clipping a Voronoi cell to a non-convex parent can leave a cell in two pieces; a grid in
    two pieces would puzzle the people who walk it.
    """
    cells = list(cells)
    for i, cell in enumerate(cells):
        if len(cell.geoms) < 2:
            continue
        main, *fragments = sorted(cell.geoms, key=lambda p: p.area, reverse=True)
        keep = [main]
        for piece in fragments:
            shared = [
                (piece.boundary.intersection(c.boundary).length, j)
                for j, c in enumerate(cells)
                if j != i
            ]
            length, j = max(shared)
            if length > 0:
                cells[j] = polygonal(cells[j].union(piece))
            else:
                keep.append(piece)
        cells[i] = MultiPolygon(keep)
    return cells


def _north_to_south(cells):
    """Cells ordered north to south, then west to east, so codes read like a map."""
    keys = [(-round(c.centroid.y, 3), round(c.centroid.x, 3)) for c in cells]
    return [cells[i] for i in sorted(range(len(cells)), key=keys.__getitem__)]


def _node(grids_deg):
    """Rebuild grids from one noded set of faces on the 1e-7 degree grid (see module doc)."""
    lines = shapely.boundary(np.array(grids_deg, dtype=object))
    noded = shapely.union_all(lines, grid_size=GRID_SIZE_DEG)
    faces = np.array(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))), dtype=object)
    tree = shapely.STRtree(np.array(grids_deg, dtype=object))
    points = shapely.point_on_surface(faces)
    owner = np.full(len(faces), -1)
    face_idx, grid_idx = tree.query(points, predicate="within")
    # Overlap slivers from clipping can lie in two grids: the lowest index wins, deterministically.
    for f, g in sorted(zip(face_idx, grid_idx, strict=True), reverse=True):
        owner[f] = g
    orphans = np.flatnonzero(owner < 0)
    if len(orphans):
        _, nearest = tree.query_nearest(points[orphans], all_matches=False)
        owner[orphans] = nearest
    return [
        MultiPolygon(polygonal(shapely.coverage_union_all(faces[owner == g])).geoms)
        for g in range(len(grids_deg))
    ]


def _merge(geoms):
    return polygonal(shapely.coverage_union_all(np.array(geoms, dtype=object)))


def build(*, seed=42, streets=7, communities=36, grids=514):
    """The demo units as {level: [UnitFeature]} in WGS-84 (district: the repaired outline)."""
    rows = load_divisions()
    district_row = next(r for r in rows if r["level"] == "district")
    street_rows, chosen = choose_communities(rows, communities)
    if streets != len(street_rows):
        raise ValueError(f"the code list has {len(street_rows)} streets, not {streets}")

    outline = read_units(DISTRICT_FILE, "district")
    district = check_units(outline, "district", crs="gcj02").features[0]
    frame = LocalFrame(*CENTRE)
    region = _core_region(frame, frame.to_metres(district.geometry))
    rng = np.random.default_rng(seed)

    street_cells = _north_to_south(_partition(region, len(street_rows), rng, LLOYD_STEPS["street"]))
    community_cells = []  # (row, cell in metres), in street then code order
    for street, cell in zip(street_rows, street_cells, strict=True):
        members = chosen[street["code"]]
        cells = _north_to_south(_partition(cell, len(members), rng, LLOYD_STEPS["community"]))
        community_cells.extend(zip(members, cells, strict=True))

    counts = _largest_remainder([c.area for _, c in community_cells], grids, MIN_GRIDS)
    if max(counts) > 999:
        raise ValueError("a community would get more than 999 grids: codes have 3 digits")
    grid_rows, grid_cells = [], []
    for (community, cell), n in zip(community_cells, counts, strict=True):
        for k, g in enumerate(_north_to_south(_partition(cell, n, rng, LLOYD_STEPS["grid"])), 1):
            grid_rows.append((community, k))
            grid_cells.append(frame.to_degrees(g))

    grid_geoms = _node(grid_cells)
    if any(g.is_empty for g in grid_geoms):  # cannot happen with a tiling; never write it
        raise RuntimeError("a generated grid came out empty")
    units = {"district": [district], "street": [], "community": [], "grid": []}
    for i, ((community, k), geom) in enumerate(zip(grid_rows, grid_geoms, strict=True)):
        short = community["name"].removesuffix(COMMUNITY_SUFFIX)
        units["grid"].append(
            UnitFeature(
                f"{community['code']}{k:03d}",
                f"{short}第{k:02d}网格",
                "grid",
                community["code"],
                geom,
                i,
            )
        )
    for i, (community, _) in enumerate(community_cells):
        geom = _merge([g.geometry for g in units["grid"] if g.parent_code == community["code"]])
        units["community"].append(
            UnitFeature(
                community["code"],
                community["name"].removesuffix(COMMUNITY_SUFFIX),
                "community",
                community["parent_code"],
                geom,
                i,
            )
        )
    for i, street in enumerate(street_rows):
        geom = _merge([c.geometry for c in units["community"] if c.parent_code == street["code"]])
        units["street"].append(
            UnitFeature(street["code"], street["name"], "street", district_row["code"], geom, i)
        )
    return units


def generate(out_dir, *, seed=42, streets=7, communities=36, grids=514):
    """Write the demo district's four GeoJSON files into out_dir; returns {level: path}.

    district.geojson is the real outline copied byte for byte: GCJ-02 and invalid, so an
    importer must repair and convert it (crs "gcj02"). The others are WGS-84, 7 decimals.
    The same arguments always give byte-identical files.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    units = build(seed=seed, streets=streets, communities=communities, grids=grids)
    paths = {"district": out / "district.geojson"}
    shutil.copyfile(DISTRICT_FILE, paths["district"])
    for level, name in (("street", "streets"), ("community", "communities"), ("grid", "grids")):
        paths[level] = out / f"{name}.geojson"
        write_units(units[level], paths[level])
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m geo.demo", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", help="directory to write the four .geojson files into")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--streets", type=int, default=7)
    parser.add_argument("--communities", type=int, default=36)
    parser.add_argument("--grids", type=int, default=514)
    args = parser.parse_args(argv)
    paths = generate(
        args.out_dir,
        seed=args.seed,
        streets=args.streets,
        communities=args.communities,
        grids=args.grids,
    )
    for level, path in paths.items():
        print(f"{level}: {path}")


if __name__ == "__main__":
    main()
