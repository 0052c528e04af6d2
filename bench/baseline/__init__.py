"""Two bare endpoints (insert one row, read one row by primary key): the baselines every benchmark
result is divided by. Installed only when DAFTAR_BENCH=1."""
