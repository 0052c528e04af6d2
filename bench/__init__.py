"""Daftar's benchmark suite (issue 9): data generator, load tests, baselines. Not shipped."""
