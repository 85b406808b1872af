"""A patrol's track: the wire's encoded batches, merging them exactly once, and its figures.

Pure Python and numpy, no Flask. A point is identified by its `seq` (1, 2, 3, … per patrol,
numbered by the phone as it records): a batch resent, arriving out of order or overlapping
another adds only the seqs not held yet, and the track is always in seq order.

The wire (docs/sync.md, `patrol.track`): coordinates as one Google encoded polyline at 6
decimal places (about 0.1 m), times as whole seconds after the previous point (the first
after the batch's `start`), accuracies as whole metres. 290 points are about 2.9 kB of JSON.
"""

from dataclasses import dataclass

import numpy as np
import shapely

from geo.metric import LocalFrame

PRECISION = 6  # decimal places of the encoded polyline
EARTH_RADIUS_M = 6_371_008.8


def encode_polyline(coords, precision=PRECISION):
    """(lat, lng) pairs as Google's encoded polyline (the PWA's pwa/src/lib/polyline.js)."""
    factor, out, previous = 10**precision, [], (0, 0)
    for lat, lng in coords:
        now = (round(lat * factor), round(lng * factor))
        for value in (now[0] - previous[0], now[1] - previous[1]):
            value = ~(value << 1) if value < 0 else value << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        previous = now
    return "".join(out)


def decode_polyline(text, precision=PRECISION):
    """[(lat, lng)] of an encoded polyline; ValueError if it is not one."""
    values, shift, result = [], 0, 0
    for char in text:
        byte = ord(char) - 63
        if not 0 <= byte < 64:
            raise ValueError("not an encoded polyline")
        result |= (byte & 0x1F) << shift
        shift += 5
        if byte < 0x20:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            shift = result = 0
        elif shift > 60:
            raise ValueError("not an encoded polyline")
    if shift or len(values) % 2:
        raise ValueError("not an encoded polyline")
    factor = 10**precision
    pairs = np.cumsum(np.array(values, dtype=np.int64).reshape(-1, 2), axis=0) / factor
    return [tuple(pair) for pair in pairs.tolist()]


@dataclass
class Points:
    """Points in seq order, as parallel arrays: lng, lat (degrees), t (seconds after the
    patrol's start), accuracy (metres)."""

    seq: np.ndarray
    lng: np.ndarray
    lat: np.ndarray
    t: np.ndarray
    accuracy: np.ndarray

    @classmethod
    def empty(cls):
        return cls(*(np.empty(0, dtype=kind) for kind in (np.int64, float, float, np.int64, float)))

    @classmethod
    def stored(cls, line, samples):
        """From the patrol's columns: the LineString and {"seq", "t", "accuracy"}."""
        if line is None or not samples:
            return cls.empty()
        n = len(samples["seq"])
        coords = shapely.get_coordinates(line)[:n]  # one point is stored twice: see store()
        return cls(
            np.array(samples["seq"], dtype=np.int64),
            coords[:, 0],
            coords[:, 1],
            np.array(samples["t"], dtype=np.int64),
            np.array(samples["accuracy"], dtype=float),
        )

    def __len__(self):
        return len(self.seq)

    def merged(self, other):
        """These points and those of `other` whose seq is new, in seq order."""
        seq = np.concatenate([self.seq, other.seq])
        _, first = np.unique(seq, return_index=True)  # sorted seqs; the copy held first wins
        pick = lambda a, b: np.concatenate([a, b])[first]  # noqa: E731
        return Points(
            seq[first],
            pick(self.lng, other.lng),
            pick(self.lat, other.lat),
            pick(self.t, other.t),
            pick(self.accuracy, other.accuracy),
        )

    def store(self):
        """(LineString, samples) for the patrol's columns. A LineString needs two points, so
        a track of one point holds it twice; `samples` says how many there are."""
        if not len(self):
            return None, None
        coords = np.column_stack([self.lng, self.lat])
        if len(coords) == 1:
            coords = np.vstack([coords, coords])
        samples = {
            "seq": self.seq.tolist(),
            "t": self.t.tolist(),
            "accuracy": [round(a, 1) for a in self.accuracy.tolist()],
        }
        return shapely.linestrings(coords), samples

    def counted(self, max_accuracy_m):
        """The points accurate enough to count."""
        keep = self.accuracy <= max_accuracy_m
        return Points(*(a[keep] for a in (self.seq, self.lng, self.lat, self.t, self.accuracy)))

    def shape(self):
        """The points as one WGS-84 geometry (a Point for one, None for none)."""
        if not len(self):
            return None
        if len(self) == 1:
            return shapely.Point(self.lng[0], self.lat[0])
        return shapely.linestrings(np.column_stack([self.lng, self.lat]))

    def length_m(self):
        """Metres along the points (haversine between neighbours)."""
        if len(self) < 2:
            return 0.0
        lat, lng = np.radians(self.lat), np.radians(self.lng)
        a = (
            np.sin(np.diff(lat) / 2) ** 2
            + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lng) / 2) ** 2
        )
        return float(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1))).sum())

    def first_within(self, shape, radius_m):
        """The index of the first point within `radius_m` of a WGS-84 shape, or None."""
        if not len(self):
            return None
        frame = LocalFrame(float(self.lng.mean()), float(self.lat.mean()))
        points = frame.to_metres(shapely.points(np.column_stack([self.lng, self.lat])))
        near = np.flatnonzero(shapely.dwithin(points, frame.to_metres(shape), radius_m))
        return int(near[0]) if len(near) else None


def from_wire(batch, offset_s):
    """Points of a `patrol.track` batch (already checked by its schema); `offset_s` is the
    batch's `start` in seconds after the patrol's. ValueError if the parts disagree."""
    coords = decode_polyline(batch["line"])
    n = len(coords)
    if not n or len(batch["dt"]) != n or len(batch["accuracy"]) != n:
        raise ValueError("line, dt and accuracy must give the same number of points")
    lat, lng = (np.array(c, dtype=float) for c in zip(*coords, strict=True))
    if np.any(np.abs(lat) > 90) or np.any(np.abs(lng) > 180):
        raise ValueError("a point off the globe")
    return Points(
        np.arange(batch["from_seq"], batch["from_seq"] + n, dtype=np.int64),
        lng,
        lat,
        offset_s + np.cumsum(np.array(batch["dt"], dtype=np.int64)),
        np.array(batch["accuracy"], dtype=float),
    )
