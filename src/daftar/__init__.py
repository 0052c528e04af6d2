"""Daftar: software for a city's network of e-city service offices."""
