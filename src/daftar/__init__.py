"""Daftar: software for a city's network of e-city service offices."""

from .celery import app as celery_app

__all__ = ["celery_app"]
