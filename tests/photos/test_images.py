"""Photo content checks, metadata reading and stripping, thumbnails; images made in memory."""

import io
import struct
import zlib
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest
from PIL import ExifTags, Image

from app.photos.images import (
    PHOTO_KINDS,
    THUMBNAIL_SIZE,
    PhotoRejected,
    inspect,
    sanitize,
    thumbnail,
)

# Bijiang District, Tongren: 27.7183 N, 109.1854 E.
LAT, LNG = 27.7183, 109.1854


def _dms(value):
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction(round((value - degrees - minutes / 60) * 3600 * 1000), 1000)
    return (Fraction(degrees), Fraction(minutes), seconds)


def _exif(orientation=None, gps=(LAT, LNG), taken="2024:05:01 09:30:15", offset="+08:00"):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "CheapPhone"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    if taken:
        sub[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    if gps:
        lat, lng = gps
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(
            {
                ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
                ExifTags.GPS.GPSLatitude: _dms(abs(lat)),
                ExifTags.GPS.GPSLongitudeRef: "E" if lng >= 0 else "W",
                ExifTags.GPS.GPSLongitude: _dms(abs(lng)),
            }
        )
    return exif


def _image(size=(400, 300), mode="RGB"):
    # A left/right split so that a rotation is visible in the pixels, not only the size.
    im = Image.new(mode, size, "red")
    im.paste(Image.new(mode, (size[0] // 2, size[1]), "blue"))
    return im


def _encode(im, fmt, **params):
    buffer = io.BytesIO()
    im.save(buffer, fmt, **params)
    return buffer.getvalue()


def _jpeg(size=(400, 300), **exif_args):
    return _encode(
        _image(size),
        "JPEG",
        exif=_exif(**exif_args),
        comment=b"secret note",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><gps>27.7,109.1</gps></x:xmpmeta>',
    )


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_bomb(width, height):
    # A header claiming any size, then the start of compressed zeros: under a hundred bytes.
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    zeros = zlib.compress(b"\x00" * 10000, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zeros)


def _assert_no_metadata(data):
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        assert not im.getexif()
        assert not im.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "Comment"):
            assert key not in im.info
    assert b"secret note" not in data and b"CheapPhone" not in data and b"xmpmeta" not in data


def test_photo_kinds():
    assert PHOTO_KINDS == ("close_up", "wide", "before", "after")


@pytest.mark.parametrize(
    ("fmt", "mime", "mode"),
    [("JPEG", "image/jpeg", "RGB"), ("PNG", "image/png", "RGBA"), ("WEBP", "image/webp", "RGB")],
)
def test_accepts_jpeg_png_webp_with_dimensions(fmt, mime, mode):
    info = inspect(_encode(_image((640, 480), mode), fmt))
    assert (info.mime, info.width, info.height) == (mime, 640, 480)
    assert info.taken_at is None and info.gps is None


def test_jpeg_with_extra_images_is_a_jpeg():
    # Phones write MPO (Ultra HDR gain maps, depth maps); Pillow calls it MPO, we call it JPEG.
    data = _encode(_image(), "MPO", save_all=True, append_images=[_image((40, 30))])
    assert inspect(data).mime == "image/jpeg"
    assert Image.open(io.BytesIO(sanitize(data))).format == "JPEG"


def test_reads_exif_gps_and_time():
    info = inspect(_jpeg())
    lat, lng = info.gps
    assert lat == pytest.approx(LAT, abs=1e-6) and lng == pytest.approx(LNG, abs=1e-6)
    assert info.taken_at == datetime(2024, 5, 1, 9, 30, 15, tzinfo=timezone(timedelta(hours=8)))


def test_reads_southern_western_gps_and_naive_time():
    info = inspect(_jpeg(gps=(-33.8688, -70.6693), offset=None))
    assert info.gps == (pytest.approx(-33.8688, abs=1e-6), pytest.approx(-70.6693, abs=1e-6))
    assert info.taken_at == datetime(2024, 5, 1, 9, 30, 15) and info.taken_at.tzinfo is None


def test_reads_exif_from_webp_and_png():
    for fmt in ("WEBP", "PNG"):
        info = inspect(_encode(_image(), fmt, exif=_exif()))
        assert info.gps == (pytest.approx(LAT, abs=1e-6), pytest.approx(LNG, abs=1e-6))


def test_junk_exif_values_mean_no_metadata_not_a_rejection():
    info = inspect(_jpeg(gps=(0, 0), taken="0000:00:00 00:00:00", offset="junk"))
    assert (info.gps, info.taken_at, info.mime) == (None, None, "image/jpeg")


def test_damaged_exif_costs_the_metadata_not_the_photo():
    # An IFD entry pointing past the end of the EXIF block: Pillow warns "Corrupt EXIF data".
    exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x12\x00\x03\xff\xff\xff\xff"
    data = _encode(_image(), "JPEG", exif=exif)
    info = inspect(data)
    assert (info.mime, info.width, info.height, info.gps) == ("image/jpeg", 400, 300, None)
    _assert_no_metadata(sanitize(data))
    _assert_no_metadata(thumbnail(data))


def test_orientation_is_reported_as_displayed():
    info = inspect(_jpeg(orientation=6))
    assert (info.width, info.height) == (300, 400)


def test_text_file_named_jpg_is_not_an_image(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_text("this is not a photo\n")
    with pytest.raises(PhotoRejected) as caught:
        inspect(path.read_bytes())
    assert caught.value.code == "not_an_image"


def test_empty_upload_is_not_an_image():
    with pytest.raises(PhotoRejected) as caught:
        inspect(b"")
    assert caught.value.code == "not_an_image"


def test_png_named_jpg_is_detected_as_png(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(_encode(_image(), "PNG"))
    assert inspect(path.read_bytes()).mime == "image/png"


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "GIF"),
    ],
)
def test_other_image_types_are_unsupported(data, named):
    with pytest.raises(PhotoRejected) as caught:
        inspect(data)
    assert caught.value.code == "unsupported_type"
    assert named in caught.value.message


def test_real_gif_is_unsupported():
    with pytest.raises(PhotoRejected) as caught:
        inspect(_encode(_image(), "GIF"))
    assert caught.value.code == "unsupported_type"


def test_truncated_jpeg_is_corrupt():
    data = _encode(Image.effect_noise((800, 600), 60).convert("RGB"), "JPEG")
    with pytest.raises(PhotoRejected) as caught:
        inspect(data[: len(data) // 2])
    assert caught.value.code == "corrupt"


def test_truncated_png_is_corrupt():
    data = _encode(Image.effect_noise((400, 300), 60), "PNG")
    with pytest.raises(PhotoRejected) as caught:
        inspect(data[: len(data) // 2])
    assert caught.value.code == "corrupt"


def test_damaged_header_is_corrupt():
    with pytest.raises(PhotoRejected) as caught:
        inspect(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    assert caught.value.code == "corrupt"


def test_oversize_is_too_large():
    data = _jpeg()
    assert inspect(data, max_bytes=len(data)).mime == "image/jpeg"
    with pytest.raises(PhotoRejected) as caught:
        inspect(data, max_bytes=len(data) - 1)
    assert caught.value.code == "too_large"


@pytest.mark.parametrize(
    "size",
    [
        (9000, 9000),  # 81 MP: over our limit, under Pillow's own warning threshold
        (10000, 10000),  # 100 MP: Pillow warns (an exception under -W error)
        (50000, 50000),  # 2.5 GP: Pillow raises DecompressionBombError
    ],
)
def test_huge_dimensions_in_a_tiny_file_are_too_many_pixels(size):
    data = _png_bomb(*size)
    assert len(data) < 100
    for check in (inspect, sanitize, thumbnail):
        with pytest.raises(PhotoRejected) as caught:
            check(data)
        assert caught.value.code == "too_many_pixels"


def test_pixel_limit_is_a_parameter():
    data = _encode(_image((100, 100)), "PNG")
    assert inspect(data, max_pixels=100 * 100).width == 100
    with pytest.raises(PhotoRejected) as caught:
        inspect(data, max_pixels=100 * 100 - 1)
    assert caught.value.code == "too_many_pixels"


def test_sanitize_removes_all_metadata_and_keeps_the_format():
    for fmt, data in (
        ("JPEG", _jpeg()),
        ("PNG", _encode(_image(), "PNG", exif=_exif())),
        ("WEBP", _encode(_image(), "WEBP", exif=_exif(), xmp=b"<x:xmpmeta/>")),
    ):
        assert inspect(data).gps is not None
        clean = sanitize(data)
        _assert_no_metadata(clean)
        assert Image.open(io.BytesIO(clean)).format == fmt
        info = inspect(clean)
        assert (info.gps, info.taken_at, info.width, info.height) == (None, None, 400, 300)


def test_sanitize_applies_orientation():
    clean = sanitize(_jpeg(orientation=6))
    _assert_no_metadata(clean)
    with Image.open(io.BytesIO(clean)) as im:
        assert im.size == (300, 400)
        # Orientation 6 means "turn 90 degrees clockwise to view": blue (left) ends up on top.
        top, bottom = im.getpixel((150, 20)), im.getpixel((150, 380))
    assert top[2] > 200 and top[0] < 60
    assert bottom[0] > 200 and bottom[2] < 60


def test_sanitize_keeps_png_transparency():
    im = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    im.paste((255, 0, 0, 255), (0, 0, 25, 40))
    with Image.open(io.BytesIO(sanitize(_encode(im, "PNG")))) as out:
        assert out.mode == "RGBA" and out.getpixel((40, 20))[3] == 0


def test_sanitize_keeps_icc_profile():
    icc = b"\x00" * 16 + b"RGB " + b"\x00" * 108  # only the colour space field matters here
    data = _encode(_image(), "JPEG", icc_profile=icc, exif=_exif())
    assert Image.open(io.BytesIO(sanitize(data))).info.get("icc_profile") == icc


def test_sanitize_rejects_what_inspect_rejects():
    with pytest.raises(PhotoRejected) as caught:
        sanitize(b"hello")
    assert caught.value.code == "not_an_image"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_thumbnail_is_small_jpeg_without_metadata(fmt):
    data = _encode(_image((2000, 1500), "RGBA" if fmt == "PNG" else "RGB"), fmt, exif=_exif())
    thumb = thumbnail(data)
    _assert_no_metadata(thumb)
    with Image.open(io.BytesIO(thumb)) as im:
        assert im.format == "JPEG" and max(im.size) == THUMBNAIL_SIZE
        assert im.size == (320, 240)


def test_thumbnail_applies_orientation_and_size_parameter():
    with Image.open(io.BytesIO(thumbnail(_jpeg((1600, 1200), orientation=6), size=100))) as im:
        assert im.size == (75, 100)


def test_thumbnail_does_not_enlarge_small_images():
    with Image.open(io.BytesIO(thumbnail(_jpeg((120, 90))))) as im:
        assert im.size == (120, 90)
