#!/usr/bin/env bash
# The Celery worker test needs the Redis server this machine kind provides on 127.0.0.1:6379.
# If it is down, start it (keeping nothing on disk) and say so; fail loudly if that does not work.
set -euo pipefail
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
if command -v redis-cli >/dev/null && redis_up; then
  exit 0
fi
if ! command -v redis-server >/dev/null; then
  echo "Installing Debian's redis-server for the Celery worker test"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
echo "Redis is not answering on 127.0.0.1:6379; starting it (redis-server --daemonize yes ...)"
mkdir -p /var/lib/redis /var/log/redis
redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
  --dir /var/lib/redis --logfile /var/log/redis/daftar.log
for _ in $(seq 1 30); do
  redis_up && { echo "Redis is up"; exit 0; }
  sleep 1
done
echo "ERROR: Redis did not start on 127.0.0.1:6379" >&2
exit 1
