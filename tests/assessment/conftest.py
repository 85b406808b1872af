"""The field's indicators use the wish tests' tiny map and its people."""

from tests.wishes.conftest import crowd, place  # noqa: F401
