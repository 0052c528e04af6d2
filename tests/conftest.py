"""Cross-app tests use the same fixtures as the apps' own tests."""

from daftar.conftest import *  # noqa: F403
