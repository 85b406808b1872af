"""Photo content checks, metadata stripping and thumbnails, with Pillow and nothing else."""

import io
import warnings
from dataclasses import dataclass
from datetime import datetime

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

PHOTO_KINDS = ("close_up", "wide", "before", "after")

# A 50 MP phone photo is about 15 MB as JPEG; 20 MiB leaves room without inviting abuse.
MAX_BYTES = 20 * 1024 * 1024
# Read from the header, before a pixel is decoded: decoding costs CPU per pixel whatever the
# file's size (a 65 KB PNG of 67 MP took 1 s of a worker's CPU in grey, 2-3 s in colour).
# 40 MP passes what phones save by default (12-32 MP, the 48/50 MP sensors bin to 12 MP)
# and what the app sends (1920 px on the long side); 50 MP+ full-resolution modes do not.
# The setting PHOTO_MAX_PIXELS overrides it. Pillow's own bomb check (89 MP) stays behind it.
MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = 320
THUMBNAIL_MIME = "image/jpeg"

# MPO is how Pillow names a JPEG carrying extra images (Ultra HDR gain maps, depth maps):
# phones write these routinely, and the first image is an ordinary JPEG.
_MIME = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Only these decoders ever see uploaded bytes; MPO is reached through the JPEG opener.
_DECODERS = ("JPEG", "PNG", "WEBP")
_SUPPORTED_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_SEND = "send JPEG, PNG or WebP"


class PhotoRejected(Exception):
    """An upload that is not a photo we keep. `code` is a stable machine word:
    not_an_image, unsupported_type, too_large, too_many_pixels or corrupt."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ImageInfo:
    """What the bytes say. Width and height are as displayed (EXIF orientation applied).
    `taken_at` is the camera's DateTimeOriginal: timezone-aware when the phone wrote an
    offset, naive (camera local time) otherwise. `gps` is (lat, lng) as the phone wrote it."""

    mime: str
    width: int
    height: int
    taken_at: datetime | None
    gps: tuple[float, float] | None


def inspect(data: bytes, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> ImageInfo:
    """Decode `data` fully (its name and declared type are never trusted) or raise PhotoRejected."""
    if len(data) > max_bytes:
        raise PhotoRejected("too_large", f"photo is {len(data)} bytes, the limit is {max_bytes}")
    with _open(data, max_pixels) as im:
        mime = _MIME[im.format]
        width, height = im.size
        # Decoding JPEG at 1/8 scale still reads every byte (so truncation is caught) at
        # 1/64 of the memory; other formats ignore the hint.
        im.draft(None, (max(1, width // 8), max(1, height // 8)))
        _decode(im)
        taken_at, gps, orientation = _metadata(im)
    if orientation in (5, 6, 7, 8):  # the four EXIF orientations that turn the image 90 degrees
        width, height = height, width
    return ImageInfo(mime, width, height, taken_at, gps)


def sanitize(data: bytes, max_pixels: int = MAX_PIXELS) -> bytes:
    """The photo as served back: upright, re-encoded in its own format, with no EXIF (so no
    GPS), XMP or comments. An ICC colour profile is kept so colours stay right."""
    with _open(data, max_pixels) as im:
        fmt = "JPEG" if im.format == "MPO" else im.format
        _decode(im)
        icc = im.info.get("icc_profile")
        transparency = im.info.get("transparency")
        try:
            out = _upright(im)
            params = {}
            if fmt == "JPEG":
                if out.mode not in ("RGB", "L"):
                    out = out.convert("RGB")
                params.update(quality=85, optimize=True)
            elif fmt == "WEBP":
                params.update(quality=85)
            elif transparency is not None:
                params["transparency"] = transparency
            return _save(out, fmt, icc, **params)
        except Exception as exc:
            raise PhotoRejected("corrupt", f"could not re-encode the image: {exc}") from exc


def thumbnail(data: bytes, size: int = THUMBNAIL_SIZE, max_pixels: int = MAX_PIXELS) -> bytes:
    """A metadata-free JPEG (THUMBNAIL_MIME) at most `size` pixels on its long side, for lists.
    JPEG rather than WebP because every phone's web view shows it."""
    if size < 1:
        raise ValueError(f"thumbnail size must be positive: {size}")
    with _open(data, max_pixels) as im:
        icc = im.info.get("icc_profile")
        # JPEG can decode straight to a smaller scale: much less time and memory on big photos.
        im.draft(None, (size, size))
        _decode(im)
        try:
            out = _upright(im)
            out.thumbnail((size, size), Image.Resampling.LANCZOS)
            out = _flatten(out)
            return _save(out, "JPEG", icc, quality=80, optimize=True)
        except Exception as exc:
            raise PhotoRejected("corrupt", f"could not make a thumbnail: {exc}") from exc


def _open(data: bytes, max_pixels: int) -> Image.Image:
    try:
        im = _pillow_open(data)
    except UnidentifiedImageError:
        raise _unidentified(data) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # The warning only arrives as an exception when warnings are errors (as in the tests);
        # otherwise it is logged and the size check below rejects the image.
        raise PhotoRejected("too_many_pixels", "image dimensions exceed the limit") from None
    except Exception as exc:  # a malformed header can raise almost anything
        raise PhotoRejected("corrupt", f"could not read the image header: {exc}") from exc
    width, height = im.size
    if width * height > max_pixels:
        im.close()
        raise PhotoRejected(
            "too_many_pixels", f"image is {width}x{height} pixels, the limit is {max_pixels}"
        )
    return im


def _pillow_open(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=_DECODERS)
    except UserWarning:
        # Only reached when warnings are errors (as in the tests): Pillow warns about damaged
        # EXIF, common on cheap phones, while reading the header. A server only logs that and
        # goes on; do the same so both accept the same files. catch_warnings is not
        # thread-safe, which is why it is used on this path alone.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return Image.open(io.BytesIO(data), formats=_DECODERS)


def _upright(im: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(im)
    except Exception:  # damaged EXIF: better shown unturned than refused
        return im.copy()


def _unidentified(data: bytes) -> PhotoRejected:
    head = bytes(data[:16])
    if head.startswith(_SUPPORTED_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return PhotoRejected("corrupt", "the image header is damaged")
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return PhotoRejected(
            "unsupported_type",
            f"HEIC/HEIF is not supported: {_SEND} "
            "(set the camera to 'most compatible', or let the app convert)",
        )
    for magic, name in (
        (b"GIF8", "GIF"),
        (b"BM", "BMP"),
        (b"II*\x00", "TIFF"),
        (b"MM\x00*", "TIFF"),
    ):
        if head.startswith(magic):
            return PhotoRejected("unsupported_type", f"{name} is not supported: {_SEND}")
    if head[4:8] == b"ftyp" and head[8:12] in _AVIF_BRANDS:
        return PhotoRejected("unsupported_type", f"AVIF is not supported: {_SEND}")
    return PhotoRejected("not_an_image", "not a JPEG, PNG or WebP image")


def _decode(im: Image.Image) -> None:
    try:
        im.load()
    except Exception as exc:  # decoders signal damage with many types
        raise PhotoRejected("corrupt", f"the image data is damaged or truncated: {exc}") from exc


def _metadata(im: Image.Image) -> tuple[datetime | None, tuple[float, float] | None, int | None]:
    try:
        exif = im.getexif()
        orientation = exif.get(ExifTags.Base.Orientation)
    except Exception:  # broken EXIF is common on cheap phones; pixels are fine
        return None, None, None
    return _safe(_taken_at, exif), _safe(_gps, exif), orientation


def _safe(read, exif):
    try:
        return read(exif)
    except Exception:  # one bad tag must not cost the other tags
        return None


def _taken_at(exif: Image.Exif) -> datetime | None:
    tags = exif.get_ifd(ExifTags.IFD.Exif)
    raw = tags.get(ExifTags.Base.DateTimeOriginal)
    if not isinstance(raw, str):
        return None
    try:
        taken = datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:  # phones without a clock write "0000:00:00 00:00:00"
        return None
    offset = tags.get(ExifTags.Base.OffsetTimeOriginal)
    if isinstance(offset, str):
        try:
            taken = taken.replace(tzinfo=datetime.strptime(offset.strip("\x00 "), "%z").tzinfo)
        except ValueError:
            pass
    return taken


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    tags = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat = _degrees(tags[ExifTags.GPS.GPSLatitude], tags.get(ExifTags.GPS.GPSLatitudeRef), "S")
    lng = _degrees(tags[ExifTags.GPS.GPSLongitude], tags.get(ExifTags.GPS.GPSLongitudeRef), "W")
    # NaN (a zero denominator) fails these comparisons too. (0, 0) is what some phones
    # write when they had no fix; nobody governs a grid in the Gulf of Guinea.
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat, lng) == (0, 0):
        return None
    return round(lat, 7), round(lng, 7)


def _degrees(dms, ref, negative: str) -> float:
    degrees, minutes, seconds = (float(part) for part in dms)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if isinstance(ref, str) and ref.strip("\x00 ").upper() == negative else value


def _flatten(im: Image.Image) -> Image.Image:
    # JPEG has no alpha: put transparent pixels on white, as a list shows them, not black.
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        background = Image.new("RGB", im.size, "white")
        background.paste(im, mask=im.getchannel("A"))
        return background
    return im.convert("RGB") if im.mode != "RGB" else im


def _save(im: Image.Image, fmt: str, icc: bytes | None, **params) -> bytes:
    # Pillow copies some of im.info (comments, for one) into the file it writes; start empty.
    im.info = {}
    icc = _icc_for(icc, im.mode)
    if icc:
        params["icc_profile"] = icc
    buffer = io.BytesIO()
    im.save(buffer, fmt, **params)
    return buffer.getvalue()


def _icc_for(icc: bytes | None, mode: str) -> bytes | None:
    # A profile describes one colour space; attaching it to converted pixels would lie.
    space = icc[16:20] if icc else None
    if space == b"RGB " and mode in ("RGB", "RGBA") or space == b"GRAY" and mode in ("L", "LA"):
        return icc
    return None
