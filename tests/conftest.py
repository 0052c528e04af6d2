"""Cross-app tests use the same fixtures as the apps' own tests."""

from daftar.conftest import *  # noqa: F403
from daftar.conftest import _fresh_cache  # noqa: F401 - autouse: caches cleared around every test
