"""Resumable photo uploads over tus 1.0.0, as the PWA's tus-js-client speaks it."""

import base64
import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

from app.photos.models import Photo
from app.photos.services import store
from app.uploads import tus
from tests.conftest import Auth
from tests.photos.test_images import _jpeg, _png_bomb

TUS = {"Tus-Resumable": "1.0.0"}
CHUNKED = "application/offset+octet-stream"


def metadata(**values):
    return ",".join(f"{key} {base64.b64encode(v.encode()).decode()}" for key, v in values.items())


def create(client, data, sha=None, length=None, **headers):
    return client.post(
        "/api/uploads",
        headers={
            **TUS,
            "Upload-Length": str(len(data) if length is None else length),
            "Upload-Metadata": metadata(
                sha256=sha or hashlib.sha256(data).hexdigest(),
                filename="IMG_0001.jpg",
                filetype="image/jpeg",
            ),
            **headers,
        },
    )


def patch(client, url, chunk, offset, **headers):
    return client.patch(
        url,
        data=chunk,
        content_type=CHUNKED,
        headers={**TUS, "Upload-Offset": str(offset), **headers},
    )


def head(client, url):
    return client.head(url, headers=TUS)


def offset_of(client, url):
    response = head(client, url)
    assert response.status_code == 200, response.status_code
    return int(response.headers["Upload-Offset"])


def thirds(data):
    a, b = len(data) // 3, 2 * len(data) // 3
    return [(0, data[:a]), (a, data[a:b]), (b, data[b:])]


def b64(digest):
    return base64.b64encode(digest).decode()


def error(response):
    assert response.headers["Tus-Resumable"] == "1.0.0"
    body = response.get_json()
    assert set(body["error"]) >= {"code", "message", "fields"}
    return body["error"]


def left_on_disk(root):
    """Upload directories and their files still under the upload root (or in its bucket)."""
    if not isinstance(root, Path):
        return root.files()
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def photo_count(db):
    return db.session.query(Photo).count()


@pytest.fixture
def member(cast, as_user):
    return as_user(cast.member)


def test_options_tells_what_the_server_speaks(app, member):
    response = member.options("/api/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Resumable"] == "1.0.0"
    assert response.headers["Tus-Version"] == "1.0.0"
    extensions = response.headers["Tus-Extension"].split(",")
    assert {"creation", "creation-with-upload", "termination", "checksum"} <= set(extensions)
    assert response.headers["Tus-Max-Size"] == str(app.config["PHOTO_MAX_BYTES"])
    assert set(response.headers["Tus-Checksum-Algorithm"].split(",")) == {"sha1", "sha256"}


def test_a_photo_in_three_chunks_is_stored_once_and_served_to_its_uploader(
    db, cast, as_user, member, upload_root
):
    data = _jpeg(size=(1200, 900))
    sha = hashlib.sha256(data).hexdigest()
    created = create(member, data)
    assert created.status_code == 201
    url = created.headers["Location"]
    assert url.startswith("/api/uploads/") and sha not in url
    assert created.headers["Upload-Offset"] == "0"
    for offset, chunk in thirds(data):
        assert offset_of(member, url) == offset
        sent = patch(member, url, chunk, offset)
        assert sent.status_code == 204, sent.get_json()
        assert sent.headers["Upload-Offset"] == str(offset + len(chunk))
        assert sent.headers["Tus-Resumable"] == "1.0.0"
    photo = db.session.get(Photo, sha)
    assert photo.size == len(data) and photo.uploaded_by_id == cast.member.id
    assert (photo.width, photo.height) == (1200, 900)
    # The upload stays visible as complete (a lost 204 is found again by HEAD), its bytes go.
    done = head(member, url)
    assert done.headers["Upload-Offset"] == done.headers["Upload-Length"] == str(len(data))
    assert done.headers["Cache-Control"] == "no-store"
    assert done.headers["Upload-Metadata"].startswith("sha256 ")
    assert [name.rsplit("/", 1)[1] for name in left_on_disk(upload_root)] == ["state.json"]
    with member.get(f"/api/photos/{sha}") as served:
        assert served.status_code == 200 and served.mimetype == "image/jpeg"
    with member.head(f"/api/photos/{sha}") as known:
        assert known.status_code == 200 and known.data == b""
    with as_user(cast.outsider).head(f"/api/photos/{sha}") as hidden:
        assert hidden.status_code == 404
    with member.head("/api/photos/" + "0" * 64) as unknown:
        assert unknown.status_code == 404


def test_an_interrupted_upload_resumes_where_head_says(db, member):
    data = _jpeg(size=(900, 700))
    url = create(member, data).headers["Location"]
    (_, first), (second_at, second), (third_at, third) = thirds(data)
    assert patch(member, url, first, 0).status_code == 204
    # The connection drops halfway through the second chunk: what arrived is kept.
    half = second[: len(second) // 2]
    cut = member.patch(
        url,
        input_stream=Body(half, length=len(second)),
        content_type=CHUNKED,
        headers={**TUS, "Upload-Offset": str(second_at)},
    )
    assert cut.status_code == 400  # nobody reads it: the phone is gone
    assert offset_of(member, url) == second_at + len(half)
    # A phone that thinks it is still at the start is told where the upload is.
    stale = patch(member, url, data[:100], 0)
    assert stale.status_code == 409
    assert error(stale)["code"] == "offset_mismatch"
    assert stale.headers["Upload-Offset"] == str(second_at + len(half))
    resumed_at = offset_of(member, url)
    assert patch(member, url, data[resumed_at:], resumed_at).status_code == 204
    assert photo_count(db) == 1


def test_creation_is_idempotent_per_user_and_photo(cast, as_user, member):
    data = _jpeg()
    first, again = create(member, data), create(member, data)
    assert first.status_code == again.status_code == 201
    assert first.headers["Location"] == again.headers["Location"]
    url = first.headers["Location"]
    assert patch(member, url, data[:500], 0).status_code == 204
    # The phone lost the URL (or the 201) and creates again: same upload, and where it stands.
    resumed = create(member, data)
    assert resumed.headers["Location"] == url and resumed.headers["Upload-Offset"] == "500"
    other = create(as_user(cast.colleague), data)
    assert other.status_code == 201 and other.headers["Location"] != url
    # Same sha256, another length: one of the two declarations is wrong.
    wrong = create(member, data, length=len(data) - 1)
    assert wrong.status_code == 409 and error(wrong)["code"] == "length_mismatch"


def test_a_photo_one_uploaded_before_is_an_upload_born_complete(db, member, upload_root):
    data = _jpeg(size=(640, 480))
    url = create(member, data).headers["Location"]
    assert patch(member, url, data, 0).status_code == 204
    member.delete(url, headers=TUS)  # the phone forgot the upload, not the photo
    created = create(member, data)
    assert created.status_code == 201
    assert created.headers["Upload-Offset"] == created.headers["Upload-Length"] == str(len(data))
    again = created.headers["Location"]
    assert offset_of(member, again) == len(data)  # tus-js-client's resume: done at once
    # tus-js-client without uploadDataDuringCreation PATCHes at 0 after any creation: the
    # offsets disagree (409, which it retries by asking HEAD, which says done).
    late = patch(member, again, data[:1000], 0)
    assert late.status_code == 409 and late.headers["Upload-Offset"] == str(len(data))
    # With uploadDataDuringCreation the POST's own answer says done; the body is not kept.
    with_body = member.post(
        "/api/uploads",
        data=data,
        content_type=CHUNKED,
        headers={
            **TUS,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(sha256=hashlib.sha256(data).hexdigest()),
        },
    )
    assert with_body.status_code == 201
    assert with_body.headers["Upload-Offset"] == str(len(data))
    assert photo_count(db) == 1
    assert not [name for name in left_on_disk(upload_root) if name.endswith("/data")]


def test_a_photo_only_someone_else_uploaded_is_a_new_upload_revealing_nothing(
    db, cast, as_user, member
):
    """The outsider (another street's grid) creates an upload of the member's photo: it
    starts at 0 like one of a photo nobody has, whatever length they declare, and must
    send every byte; then it is theirs too, stored once."""
    data, unknown = _jpeg(size=(640, 480)), _jpeg(size=(640, 481))
    assert patch(member, create(member, data).headers["Location"], data, 0).status_code == 204
    outsider = as_user(cast.outsider)

    def where(response):
        assert response.status_code == 201, response.get_json()
        return response.headers["Upload-Offset"], response.headers["Upload-Length"]

    guessed = create(outsider, data, length=1234)  # no 409 telling the real length
    assert where(guessed) == ("0", "1234")
    assert outsider.delete(guessed.headers["Location"], headers=TUS).status_code == 204
    assert where(create(outsider, unknown)) == ("0", str(len(unknown)))
    assert where(create(outsider, data)) == ("0", str(len(data)))
    url = create(outsider, data).headers["Location"]
    assert offset_of(outsider, url) == 0
    assert patch(outsider, url, data[:700], 0).headers["Upload-Offset"] == "700"
    assert offset_of(outsider, url) == 700
    assert patch(outsider, url, data[700:], 700).headers["Upload-Offset"] == str(len(data))
    assert photo_count(db) == 1


def test_a_photo_stored_by_someone_else_midway_leaves_the_upload_where_it_was(
    db, cast, as_user, member
):
    data = _jpeg(size=(500, 400))
    url = create(member, data).headers["Location"]
    assert patch(member, url, data[:700], 0).status_code == 204
    colleague = as_user(cast.colleague)
    assert patch(colleague, create(colleague, data).headers["Location"], data, 0).status_code == 204
    assert offset_of(member, url) == 700
    rest = patch(member, url, data[700:], 700)
    assert rest.status_code == 204 and rest.headers["Upload-Offset"] == str(len(data))
    assert photo_count(db) == 1


def test_creation_with_upload_takes_the_first_chunk_in_the_post(db, member):
    data = _jpeg(size=(420, 300))
    sha = hashlib.sha256(data).hexdigest()
    created = member.post(
        "/api/uploads",
        data=data[:1000],
        content_type=CHUNKED,
        headers={
            **TUS,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(sha256=sha),
            "Upload-Checksum": "sha256 " + b64(hashlib.sha256(data[:1000]).digest()),
        },
    )
    assert created.status_code == 201 and created.headers["Upload-Offset"] == "1000"
    url = created.headers["Location"]
    assert patch(member, url, data[1000:], 1000).status_code == 204
    assert db.session.get(Photo, sha) is not None


def test_a_wrong_whole_file_hash_discards_the_upload_and_stores_nothing(db, member, upload_root):
    data = _jpeg(size=(410, 310))
    declared = hashlib.sha256(b"some other photo").hexdigest()
    url = create(member, data, sha=declared).headers["Location"]
    assert patch(member, url, data[:1000], 0).status_code == 204
    last = patch(member, url, data[1000:], 1000)
    assert last.status_code == 460
    assert error(last)["code"] == "sha256_mismatch"
    assert photo_count(db) == 0
    assert not store().exists(declared)
    assert head(member, url).status_code == 404
    assert left_on_disk(upload_root) == []


def test_a_chunk_that_fails_its_checksum_is_460_and_not_kept(db, member):
    data = _jpeg(size=(430, 320))
    url = create(member, data).headers["Location"]
    chunk = data[:2000]
    wrong = patch(
        member, url, chunk, 0, **{"Upload-Checksum": "sha1 " + b64(hashlib.sha1(b"x").digest())}
    )
    assert wrong.status_code == 460
    assert error(wrong)["code"] == "checksum_mismatch"
    assert offset_of(member, url) == 0
    right = patch(
        member, url, chunk, 0, **{"Upload-Checksum": "sha1 " + b64(hashlib.sha1(chunk).digest())}
    )
    assert right.status_code == 204 and offset_of(member, url) == 2000
    unknown = patch(member, url, data[2000:], 2000, **{"Upload-Checksum": "md5 AAAA"})
    assert unknown.status_code == 400 and "Upload-Checksum" in error(unknown)["fields"]
    assert offset_of(member, url) == 2000
    rest = data[2000:]
    last = patch(
        member,
        url,
        rest,
        2000,
        **{"Upload-Checksum": "sha256 " + b64(hashlib.sha256(rest).digest())},
    )
    assert last.status_code == 204
    assert photo_count(db) == 1


def test_not_an_image_gets_the_photo_services_error_and_nothing_is_stored(db, member, upload_root):
    data = b"this is not a picture at all, whatever its name says " * 40
    url = create(member, data).headers["Location"]
    assert patch(member, url, data[:1000], 0).status_code == 204
    last = patch(member, url, data[1000:], 1000)
    assert last.status_code == 415
    assert error(last)["code"] == "not_an_image"
    assert photo_count(db) == 0
    assert head(member, url).status_code == 404
    assert left_on_disk(upload_root) == []


def test_uploads_belong_to_the_user_who_made_them(cast, as_user, member):
    data = _jpeg()
    url = create(member, data).headers["Location"]
    outsider = as_user(cast.outsider)
    assert head(outsider, url).status_code == 404
    assert error(patch(outsider, url, data, 0))["code"] == "not_found"
    assert outsider.delete(url, headers=TUS).status_code == 404
    made_up = patch(outsider, "/api/uploads/" + "0" * 32, data, 0)
    assert patch(outsider, url, data, 0).get_json() == made_up.get_json()  # nothing told apart
    assert offset_of(member, url) == 0
    assert head(member, "/api/uploads/not-an-id").status_code == 404


def test_too_large_is_413_at_creation_and_past_the_end(app, member):
    limit = app.config["PHOTO_MAX_BYTES"]
    too_big = member.post(
        "/api/uploads",
        headers={
            **TUS,
            "Upload-Length": str(limit + 1),
            "Upload-Metadata": metadata(sha256="a" * 64),
        },
    )
    assert too_big.status_code == 413
    assert error(too_big)["code"] == "too_large"
    assert "Upload-Length" in error(too_big)["fields"]
    data = _jpeg()
    url = create(member, data).headers["Location"]
    past = patch(member, url, data + b"extra", 0)
    assert past.status_code == 413 and offset_of(member, url) == 0


def test_termination_removes_the_upload(db, member, upload_root):
    data = _jpeg()
    url = create(member, data).headers["Location"]
    assert patch(member, url, data[:1000], 0).status_code == 204
    gone = member.delete(url, headers=TUS)
    assert gone.status_code == 204 and gone.headers["Tus-Resumable"] == "1.0.0"
    assert head(member, url).status_code == 404
    assert patch(member, url, data[1000:], 1000).status_code == 404
    assert member.delete(url, headers=TUS).status_code == 404
    assert left_on_disk(upload_root) == []
    # Created again, it starts from nothing.
    again = create(member, data)
    assert again.headers["Location"] == url and again.headers["Upload-Offset"] == "0"


class Body:
    """A request body for the test client: `data`, announced as `length` bytes (longer than
    the data: the connection drops), sent up to `hold` bytes, then held until `release`."""

    def __init__(self, data, length=None, hold=None):
        self.data, self.length, self.hold, self.pos = data, length or len(data), hold, 0
        self.inside, self.release = threading.Event(), threading.Event()

    # The test client measures the body by seeking to its end.
    def tell(self):
        return self.pos

    def seek(self, pos, whence=0):
        self.pos = self.length if whence == 2 else pos
        return self.pos

    def read(self, size=-1):
        end = len(self.data) if size < 0 else min(len(self.data), self.pos + size)
        if self.hold is not None:
            if self.pos >= self.hold:
                self.inside.set()
                assert self.release.wait(10)
            else:
                end = min(end, self.hold)
        chunk, self.pos = self.data[self.pos : end], end
        return chunk


def test_two_patches_at_the_same_offset_one_wins(app, db, cast, member):
    data = _jpeg(size=(450, 330))
    url = create(member, data).headers["Location"]
    chunk = data[:3000]
    second_phone_tab = app.test_client()
    Auth(second_phone_tab).login(cast.member)
    held = Body(chunk, hold=100)
    outcome = {}

    def slow():
        outcome["slow"] = member.patch(
            url,
            input_stream=held,
            content_type=CHUNKED,
            headers={**TUS, "Upload-Offset": "0"},
        )

    thread = threading.Thread(target=slow)
    thread.start()
    try:
        assert held.inside.wait(10)
        racing = patch(second_phone_tab, url, chunk, 0)
        assert racing.status_code == 423 and error(racing)["code"] == "locked"
    finally:
        held.release.set()
        thread.join(10)
    assert outcome["slow"].status_code == 204
    late = patch(second_phone_tab, url, chunk, 0)
    assert late.status_code == 409
    assert offset_of(member, url) == len(chunk)
    assert patch(member, url, data[3000:], 3000).status_code == 204
    assert photo_count(db) == 1


def test_two_patches_from_threads_exactly_one_succeeds(app, db, cast, member):
    data = _jpeg(size=(460, 340))
    url = create(member, data).headers["Location"]
    clients = []
    for _ in range(2):
        client = app.test_client()
        Auth(client).login(cast.member)
        clients.append(client)
    barrier = threading.Barrier(2)
    statuses = []

    def send(client):
        barrier.wait(10)
        statuses.append(patch(client, url, data[:4000], 0).status_code)

    threads = [threading.Thread(target=send, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(statuses)[0] == 204 and sorted(statuses)[1] in (409, 423)
    assert offset_of(member, url) == 4000


def test_errors_keep_the_json_shape_and_the_tus_headers(app, member):
    data = _jpeg()
    no_version = member.post("/api/uploads", headers={"Upload-Length": "10"})
    assert no_version.status_code == 412 and no_version.headers["Tus-Version"] == "1.0.0"
    assert error(no_version)["code"] == "unsupported_tus_version"
    no_sha = member.post(
        "/api/uploads",
        headers={**TUS, "Upload-Length": "10", "Upload-Metadata": metadata(filename="a.jpg")},
    )
    assert no_sha.status_code == 422 and "sha256" in error(no_sha)["fields"]
    bad_sha = create(member, data, sha="A" * 64)
    assert bad_sha.status_code == 422 and "sha256" in error(bad_sha)["fields"]
    bad_metadata = member.post(
        "/api/uploads", headers={**TUS, "Upload-Length": "10", "Upload-Metadata": "sha256 %%%"}
    )
    assert bad_metadata.status_code == 400 and "Upload-Metadata" in error(bad_metadata)["fields"]
    no_length = member.post(
        "/api/uploads", headers={**TUS, "Upload-Metadata": metadata(sha256="a" * 64)}
    )
    assert no_length.status_code == 400 and "Upload-Length" in error(no_length)["fields"]
    url = create(member, data).headers["Location"]
    wrong_type = member.patch(
        url, data=data, content_type="image/jpeg", headers={**TUS, "Upload-Offset": "0"}
    )
    assert wrong_type.status_code == 415
    no_offset = member.patch(url, data=data, content_type=CHUNKED, headers=TUS)
    assert no_offset.status_code == 400 and "Upload-Offset" in error(no_offset)["fields"]
    no_csrf = member.patch(
        url, data=data, content_type=CHUNKED, headers={**TUS, "Upload-Offset": "0"}, csrf=False
    )
    assert no_csrf.status_code == 400 and error(no_csrf)["code"] == "csrf_failed"
    anonymous = app.test_client().head(url, headers=TUS)
    assert anonymous.status_code == 401 and anonymous.headers["Tus-Resumable"] == "1.0.0"
    assert offset_of(member, url) == 0


def test_prune_removes_abandoned_uploads(runner, member, upload_root):
    if not isinstance(upload_root, Path):
        pytest.skip("an object's age cannot be set: test_prune_in_the_object_store")
    old, fresh = _jpeg(size=(401, 300)), _jpeg(size=(402, 300))
    old_url = create(member, old).headers["Location"]
    fresh_url = create(member, fresh).headers["Location"]
    assert patch(member, old_url, old[:100], 0).status_code == 204
    week_ago = time.time() - 8 * 86400
    for path in upload_root.rglob("*"):
        if old_url.rsplit("/", 1)[1] in str(path):
            os.utime(path, (week_ago, week_ago))
    # The object store's upload locks on SQLite live here too: not a user's folder.
    (upload_root / ".locks").mkdir()
    (upload_root / ".locks" / ("a" * 32)).touch()
    result = runner.invoke(args=["uploads", "prune"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 upload" in result.output
    assert head(member, old_url).status_code == 404
    assert offset_of(member, fresh_url) == 0


def test_a_server_failure_while_storing_forgets_the_last_chunk_only(db, member, monkeypatch):
    data = _jpeg(size=(470, 350))
    url = create(member, data).headers["Location"]
    assert patch(member, url, data[:1000], 0).status_code == 204

    def broken(user, data):
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as m:
        m.setattr("app.photos.services.upload", broken)
        failed = patch(member, url, data[1000:], 1000)
    assert failed.status_code == 500 and error(failed)["code"] == "internal_error"
    assert offset_of(member, url) == 1000  # never "done" before the photo is stored
    assert patch(member, url, data[1000:], 1000).status_code == 204
    assert photo_count(db) == 1


def test_a_completed_upload_past_the_pixel_cap_is_refused_and_not_kept(db, member, upload_root):
    data = _png_bomb(8192, 8192)
    url = create(member, data).headers["Location"]
    last = patch(member, url, data, 0)
    assert last.status_code == 422 and error(last)["code"] == "too_many_pixels"
    assert photo_count(db) == 0


def test_prune_in_the_object_store(app, member, upload_root):
    """Old uploads go with their chunks, and so do chunks a stopped removal left behind."""
    if isinstance(upload_root, Path):
        pytest.skip("the object store's own")
    data = _jpeg(size=(403, 300))
    url = create(member, data).headers["Location"]
    assert patch(member, url, data[:100], 0).status_code == 204
    upload_root.client.put_object(
        Bucket=upload_root.client.bucket, Key="bijiang/uploads/9/" + "f" * 32 + "/000000000000000"
    )
    with app.app_context():
        assert tus.prune(now=time.time() - 3600) == 0
        assert len(left_on_disk(upload_root)) == 3
        assert tus.prune(days=0, now=time.time() + 60) == 1
    assert left_on_disk(upload_root) == []
    assert head(member, url).status_code == 404
