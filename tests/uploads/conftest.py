import pytest

from tests.s3 import keys


class S3Root:
    """The uploads' objects in the test's bucket, named as on disk (a chunk as `data`)."""

    def __init__(self, client):
        self.client = client

    def files(self):
        names = keys(self.client, "bijiang/uploads/")
        return sorted(
            name.rsplit("/", 1)[0] + "/data" if name.rsplit("/", 1)[1].isdigit() else name
            for name in names
        )


@pytest.fixture(autouse=True, params=["disk", "s3"])
def upload_root(request, app, tmp_path, monkeypatch):
    """Each test's uploads in a directory of its own (the app is shared by the session), or
    in a bucket of its own on the test S3 server."""
    root = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(root))
    if request.param == "s3":
        return S3Root(request.getfixturevalue("s3"))
    return root
