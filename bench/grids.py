"""The whole district's grid FeatureCollection: bytes, timings, shape after simplification, and
random points inside the grids for the locate load."""

import gzip
import json
import statistics

import numpy as np
import shapely

from bench.common import BenchError
from geo.metric import LocalFrame

REPEATS = 5  # per timing; the median hides the repeat that lands on a worker not yet warm
GZIP_LEVEL = 6  # Flask-Compress's default, for bodies the server sent uncompressed
INSET_DEG = 1e-5  # about 1 m: sampled points stay clear of edges the 6-digit rounding moves


def measure(client, simplify=None):
    """Figures of GET /api/grids[?simplify=N] with Accept-Encoding: gzip; and the raw body.

    The first request renders the collection (each worker keeps its own cache); repeats are
    served from a cache; a revalidation sends back the ETag it was given.
    """
    query = f"simplify={simplify:g}" if simplify else "full"
    path = "/api/grids" + (f"?{query}" if simplify else "")
    headers = {"Accept-Encoding": "gzip"}
    first = client.get(path, headers)
    if first.status != 200:
        raise BenchError(f"GET {path}: {first.status} {first.body[:300]!r}")
    raw = first.body
    encoding = first.headers.get("Content-Encoding", "identity")
    cached = [client.get(path, headers) for _ in range(REPEATS)]
    revalidate = {**headers, "If-None-Match": first.headers["ETag"]}
    revalidated = [client.get(path, revalidate) for _ in range(REPEATS)]
    figures = {
        "query": query,
        "simplify_m": simplify,
        "raw_bytes": len(raw),
        "wire_bytes": len(first.wire),
        "encoding": encoding,
        "gzip_bytes": len(first.wire if encoding == "gzip" else gzip.compress(raw, GZIP_LEVEL)),
        "first_ms": first.seconds * 1000,
        "cached_ms": _median_ms(cached),
        "revalidate_ms": _median_ms(revalidated),
        "revalidate_statuses": sorted({reply.status for reply in revalidated}),
    }
    return figures, raw


def _median_ms(replies):
    return statistics.median(reply.seconds for reply in replies) * 1000


def geometries(raw):
    """The features' geometries, in the order served (by grid code)."""
    features = json.loads(raw)["features"]
    geoms = np.empty(len(features), dtype=object)
    geoms[:] = [shapely.from_geojson(json.dumps(f["geometry"])) for f in features]
    return geoms


def shape(full, simplified):
    """How far a simplified map is from the full one, in terms an overview map cares about."""
    if len(full) != len(simplified):
        raise BenchError(f"{len(full)} grids in full, {len(simplified)} simplified")
    frame = LocalFrame.around(full)
    full_m, simplified_m = frame.to_metres(full), frame.to_metres(simplified)
    return {
        "grids": len(simplified),
        "vertices": int(shapely.get_num_coordinates(simplified).sum()),
        "max_shift_m": float(shapely.hausdorff_distance(full_m, simplified_m).max()),
        "invalid": int((~shapely.is_valid(simplified)).sum()),
        "empty": int(shapely.is_empty(simplified).sum()),
        # Grids whose edges no longer match their neighbours' vertex for vertex: where an
        # overview map may draw a sliver or a gap.
        "unmatched": int((~shapely.is_empty(shapely.coverage_invalid_edges(simplified_m))).sum()),
    }


def sample_points(geoms, count, seed):
    """`count` random (lng, lat) points, each inside a grid chosen uniformly at random."""
    rng = np.random.default_rng(seed)
    insets = shapely.buffer(geoms, -INSET_DEG)
    shapely.prepare(insets)
    points = []
    for index in rng.integers(len(geoms), size=count):
        points.append(_point_inside(insets[index], geoms[index], rng))
    return points


def _point_inside(inset, geom, rng, tries=200):
    """A uniform random point of `inset` by rejection; a representative point if it is too thin."""
    if not inset.is_empty:
        min_x, min_y, max_x, max_y = inset.bounds
        xs = rng.uniform(min_x, max_x, tries)
        ys = rng.uniform(min_y, max_y, tries)
        inside = np.flatnonzero(shapely.contains_xy(inset, xs, ys))
        if inside.size:
            return float(xs[inside[0]]), float(ys[inside[0]])
    point = geom.representative_point()
    return point.x, point.y
