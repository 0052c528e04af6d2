-- The pgbench twin of the baseline insert endpoint: one single-row INSERT in its own transaction,
-- into the same table (bench_baseline_row) with the same indexes, returning the new id.
\set n random(1, 1000000)
INSERT INTO bench_baseline_row (name, number, created_at) VALUES ('ردیف ' || :n, :n, now()) RETURNING id;
