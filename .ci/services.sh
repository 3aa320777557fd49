#!/usr/bin/env bash
# Make sure the servers the tests need are up: MariaDB on 127.0.0.1:3306 (root, no password) and
# Redis on 127.0.0.1:6379, and that HAProxy is installed. Start them if they are installed but stopped; install them from Debian's
# packages where they are missing. The test harness also runs throwaway servers from these binaries.
set -euo pipefail

need_install=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_install+=(mariadb-server mariadb-client)
command -v redis-server >/dev/null 2>&1 || need_install+=(redis-server)
# HAProxy stands in for the ALB in the tests and the local stages; openssl makes the test CAs.
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need_install+=(haproxy)
command -v openssl >/dev/null 2>&1 || need_install+=(openssl)
# Headless Chromium opens `scale loadtest --report` pages in the tests and checks the charts are drawn.
command -v chromium >/dev/null 2>&1 || need_install+=(chromium)
if [ ${#need_install[@]} -gt 0 ]; then
  echo "installing ${need_install[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_install[@]}" >/dev/null
fi

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "$name did not come up" >&2; return 1
}

if ! mariadb-admin -h127.0.0.1 -uroot ping >/dev/null 2>&1; then
  echo "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_for MariaDB mariadb-admin -h127.0.0.1 -uroot ping
fi
# A fresh Debian install authenticates root through the unix socket only; allow the empty-password TCP login the tests use.
if ! mariadb -h127.0.0.1 -uroot -e 'select 1' >/dev/null 2>&1; then
  mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket; FLUSH PRIVILEGES;"
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping
fi
echo "services: MariaDB $(mariadb -h127.0.0.1 -uroot -N -e 'select version()'), Redis $(redis-cli -h 127.0.0.1 info server | grep redis_version | tr -d '\r')"
