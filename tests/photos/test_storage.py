"""Content-addressed photo storage, on local disk and in the object store: dedupe, atomic
writes, strict keys."""

import hashlib
import threading

import pytest

from app.photos.storage import LocalPhotoStore, PhotoStore, S3PhotoStore, check_sha
from tests.s3 import keys

PHOTO = b"\xff\xd8\xff" + b"pretend jpeg" * 1000


def _files(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_put_returns_sha256_and_stores_under_fan_out_dirs(tmp_path):
    store = LocalPhotoStore(tmp_path)
    sha = store.put(PHOTO)
    assert sha == hashlib.sha256(PHOTO).hexdigest()
    assert _files(tmp_path) == [tmp_path / sha[:2] / sha[2:4] / sha]
    assert isinstance(store, PhotoStore)


def test_same_content_twice_is_one_file_different_content_two(tmp_path):
    store = LocalPhotoStore(tmp_path)
    assert store.put(PHOTO) == store.put(bytes(PHOTO))
    assert len(_files(tmp_path)) == 1
    store.put(PHOTO + b"!")
    assert len(_files(tmp_path)) == 2


def test_open_exists_path_and_delete(tmp_path):
    store = LocalPhotoStore(tmp_path)
    sha = store.put(PHOTO)
    assert store.exists(sha)
    with store.open(sha) as f:
        assert f.read() == PHOTO
    assert store.path_or_none(sha).read_bytes() == PHOTO
    store.put_derived(sha, "thumb", b"small")
    store.delete(sha)
    assert not store.exists(sha) and store.path_or_none(sha) is None
    assert _files(tmp_path) == []
    store.delete(sha)  # deleting twice is fine
    with pytest.raises(FileNotFoundError):
        store.open(sha)


def test_missing_photo(tmp_path):
    store = LocalPhotoStore(tmp_path / "not-yet-created")
    sha = hashlib.sha256(b"never uploaded").hexdigest()
    assert not store.exists(sha) and store.path_or_none(sha) is None
    with pytest.raises(FileNotFoundError):
        store.open(sha)
    with pytest.raises(FileNotFoundError):
        store.open_derived(sha, "thumb")


def test_derived_files(tmp_path):
    store = LocalPhotoStore(tmp_path)
    sha = store.put(PHOTO)
    store.put_derived(sha, "thumb", b"v1")
    store.put_derived(sha, "thumb", b"v2")
    store.put_derived(sha, "display", b"clean")
    with store.open_derived(sha, "thumb") as f:
        assert f.read() == b"v2"
    with store.open_derived(sha, "display") as f:
        assert f.read() == b"clean"
    with store.open(sha) as f:
        assert f.read() == PHOTO
    with pytest.raises(ValueError):
        store.put_derived(sha, "../x", b"")
    with pytest.raises(ValueError):
        store.open_derived(sha, "")


@pytest.mark.parametrize(
    "bad",
    [
        "../etc/passwd",
        "../../" + "a" * 58,
        "A" * 64,
        "a" * 63,
        "a" * 65,
        "a" * 64 + "\n",
        "g" * 64,
        "\u0661" * 64,  # Arabic-Indic digit one: `\d` would let it in
        "",
        None,
        b"a" * 64,
    ],
)
def test_invalid_sha_raises_value_error(tmp_path, bad):
    store = LocalPhotoStore(tmp_path)
    with pytest.raises(ValueError):
        check_sha(bad)
    for call in (store.exists, store.open, store.path_or_none, store.delete):
        with pytest.raises(ValueError):
            call(bad)
    with pytest.raises(ValueError):
        store.put_derived(bad, "thumb", b"x")
    with pytest.raises(ValueError):
        store.open_derived(bad, "thumb")


def test_concurrent_puts_of_the_same_bytes_leave_one_complete_file(tmp_path):
    store = LocalPhotoStore(tmp_path)
    data = bytes(range(256)) * 4096  # 1 MiB, so writes overlap
    barrier = threading.Barrier(8)
    results, errors = [], []

    def put():
        try:
            barrier.wait()
            results.append(store.put(data))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sha = hashlib.sha256(data).hexdigest()
    assert errors == [] and results == [sha] * 8
    files = _files(tmp_path)
    assert files == [tmp_path / sha[:2] / sha[2:4] / sha]
    assert files[0].read_bytes() == data
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_failed_write_leaves_no_temp_file(tmp_path, monkeypatch):
    store = LocalPhotoStore(tmp_path)

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr("app.photos.storage.os.replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.put(PHOTO)
    assert _files(tmp_path) == []


def test_the_object_store_keeps_photos_as_the_disk_does(s3_bucket):
    store = S3PhotoStore(s3_bucket, s3_bucket.bucket, "bijiang/photos/")
    sha = store.put(PHOTO)
    assert store.put(bytes(PHOTO)) == sha == hashlib.sha256(PHOTO).hexdigest()
    store.put_derived(sha, "thumb", b"small")
    store.put_derived(sha, "display", b"clean")
    assert keys(s3_bucket, "bijiang/photos/") == [
        f"{sha[:2]}/{sha[2:4]}/{name}" for name in (sha, f"{sha}.display", f"{sha}.thumb")
    ]
    assert store.exists(sha) and store.path_or_none(sha) is None
    with store.open(sha) as f:
        assert f.read() == PHOTO
    with store.open_derived(sha, "thumb") as f:
        assert f.read() == b"small"
    other = store.put(PHOTO + b"!")
    store.delete(sha)
    store.delete(sha)  # deleting twice is fine
    assert not store.exists(sha) and store.exists(other)
    assert keys(s3_bucket, "bijiang/photos/") == [f"{other[:2]}/{other[2:4]}/{other}"]
    with pytest.raises(FileNotFoundError):
        store.open(sha)
    with pytest.raises(FileNotFoundError):
        store.open_derived(sha, "thumb")
    with pytest.raises(ValueError):
        store.open_derived(sha, "../x")
