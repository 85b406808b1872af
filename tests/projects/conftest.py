"""The project tests share the wish tests' map and people."""

from tests.wishes.conftest import crowd, place  # noqa: F401
