-- The pgbench twin of the baseline read endpoint: one row by primary key (ids 1..1000 exist).
\set id random(1, 1000)
SELECT id, name, number, created_at FROM bench_baseline_row WHERE id = :id;
