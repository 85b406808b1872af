import pytest


@pytest.fixture(autouse=True)
def upload_root(app, tmp_path, monkeypatch):
    """Each test's uploads in a directory of its own (the app is shared by the session)."""
    root = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(root))
    return root
