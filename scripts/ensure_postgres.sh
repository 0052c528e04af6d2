#!/usr/bin/env bash
# The test suite's second run needs the PostgreSQL server this machine kind provides on 127.0.0.1:5432.
# If it is down, start it with the documented command and say so; fail loudly if that does not work.
set -euo pipefail
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  exit 0
fi
echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it (pg_ctlcluster ... main start)"
if ! command -v pg_ctlcluster >/dev/null; then
  echo "ERROR: PostgreSQL is not installed (Debian: apt-get install postgresql)" >&2
  exit 1
fi
pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && { echo "PostgreSQL is up"; exit 0; }
  sleep 1
done
echo "ERROR: PostgreSQL did not start on 127.0.0.1:5432" >&2
exit 1
