#!/usr/bin/env bash
# Local data services for Haul: MariaDB primary (127.0.0.1:3306), its GTID read replica
# (127.0.0.1:3307), Redis (127.0.0.1:6379) and OpenSearch (127.0.0.1:9200). Real servers, no Docker,
# no systemd.
#
#   scripts/local-services.sh start    install if missing, start what is down, repair the replica
#   scripts/local-services.sh stop     stop what this script started (replica, primary, redis)
#   scripts/local-services.sh status   one line per service; exit 3 if a managed service is down
#                                      (--quiet: the exit code only)
#   scripts/local-services.sh kill <primary|replica|redis|opensearch>
#                                      SIGKILL one server (fault injection; only with HAUL_SERVICES_DIR);
#                                      start brings it back
#
# A second, isolated set (the fault scripts use one): HAUL_SERVICES_DIR (instead of .haul) and
# HAUL_MYSQL_PRIMARY_PORT, HAUL_MYSQL_REPLICA_PORT, HAUL_REDIS_PORT, HAUL_OPENSEARCH_PORT (defaults
# 3306, 3307, 6379, 9200; the OpenSearch runner takes no HTTP port above 9299).
# HAUL_MYSQL_URL set  => MariaDB is the user's own server: neither local MariaDB is touched.
# HAUL_REDIS_URL set  => Redis is the user's own server: local Redis is not touched.
# HAUL_OPENSEARCH_URL set => OpenSearch is the user's own: the local node is not touched.
# HAUL_OPENSEARCH_HEAP  heap of the local OpenSearch node (default 512m).
# HAUL_SERVICES_TIMEOUT  seconds to wait for a server to answer (default 60).
set -euo pipefail

PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
HAUL_DIR="${HAUL_SERVICES_DIR:-$REPO_ROOT/.haul}"
LOG_DIR="$HAUL_DIR/logs"
MYSQL_DIR="$HAUL_DIR/mysql"
REDIS_DIR="$HAUL_DIR/redis"
RUN_DIR="$HAUL_DIR/run"
# A unix socket path must fit in 108 bytes; deep checkouts fall back to tmpfs /run.
if (( ${#RUN_DIR} > 80 )); then
  RUN_DIR="/run/mysqld/haul-$(printf '%s' "$REPO_ROOT" | cksum | cut -d' ' -f1)"
fi

HOST=127.0.0.1
PRIMARY_PORT=${HAUL_MYSQL_PRIMARY_PORT:-3306}
REPLICA_PORT=${HAUL_MYSQL_REPLICA_PORT:-3307}
REDIS_PORT=${HAUL_REDIS_PORT:-6379}
TIMEOUT=${HAUL_SERVICES_TIMEOUT:-60}
REPL_USER=haul_repl
REPL_PASSWORD=haul_repl
ADMIN_USER=$(id -un)

# shellcheck source=scripts/local-services/opensearch.sh
source "$SCRIPT_DIR/local-services/opensearch.sh"

# Parity with RDS MySQL 8.4: its default sql_mode, UTC, utf8mb4.
SERVER_OPTIONS=(
  --bind-address="$HOST"
  --skip-name-resolve
  --character-set-server=utf8mb4
  --collation-server=utf8mb4_unicode_ci
  --default-time-zone=+00:00
  --sql-mode=ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION
  --explicit-defaults-for-timestamp=1
  --max-connections=500
  --gtid-strict-mode=1
)

BOOTSTRAP_SQL="
CREATE DATABASE IF NOT EXISTS \`haul\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE IF NOT EXISTS \`haul_test\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'haul'@'127.0.0.1' IDENTIFIED BY 'haul';
CREATE USER IF NOT EXISTS 'haul'@'localhost' IDENTIFIED BY 'haul';
GRANT ALL PRIVILEGES ON \`haul\`.* TO 'haul'@'127.0.0.1', 'haul'@'localhost' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON \`haul\\_%\`.* TO 'haul'@'127.0.0.1', 'haul'@'localhost' WITH GRANT OPTION;
-- The migration runner creates the read-only user for the query service.
GRANT CREATE USER ON *.* TO 'haul'@'127.0.0.1', 'haul'@'localhost';
CREATE USER IF NOT EXISTS '$REPL_USER'@'127.0.0.1' IDENTIFIED BY '$REPL_PASSWORD';
GRANT REPLICATION SLAVE ON *.* TO '$REPL_USER'@'127.0.0.1';
"
# Counts what BOOTSTRAP_SQL makes; 5 means done.
BOOTSTRAP_CHECK_SQL="SELECT
  (SELECT COUNT(*) FROM mysql.global_priv WHERE User='haul' AND Host IN ('127.0.0.1','localhost'))
+ (SELECT COUNT(*) FROM mysql.global_priv WHERE User='$REPL_USER' AND Host='127.0.0.1')
+ (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('haul','haul_test'))"

say() { printf '%s\n' "$*"; }
# One aligned line per service: line "<service>" "<what>".
line() { printf '%-16s %s\n' "$1" "$2"; }
die() { printf 'local-services: error: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }
elapsed() { local ms=$(( $(now_ms) - $1 )); printf '%d.%01ds' $(( ms / 1000 )) $(( (ms % 1000) / 100 )); }
relpath() { printf '%s' "${1#"$REPO_ROOT"/}"; }
redact_url() { printf '%s' "$1" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#'; }

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

wants_mysql() { [[ -z "${HAUL_MYSQL_URL:-}" ]]; }
wants_redis() { [[ -z "${HAUL_REDIS_URL:-}" ]]; }

# ---------------------------------------------------------------- installation

missing_binaries() {
  local bins=()
  wants_mysql && bins+=(mariadbd mariadb-install-db mariadb mariadb-admin mariadb-dump)
  wants_redis && bins+=(redis-server redis-cli)
  local b
  for b in "${bins[@]}"; do command -v "$b" >/dev/null 2>&1 || printf '%s ' "$b"; done
}

ensure_installed() {
  local missing; missing="$(missing_binaries)$(opensearch_missing_packages)"
  [[ -z "$missing" ]] && return 0
  local packages=()
  wants_mysql && packages+=(mariadb-server mariadb-client)
  wants_redis && packages+=(redis-server redis-tools)
  # shellcheck disable=SC2206 # package names, no globs
  packages+=($(opensearch_missing_packages))
  (( EUID == 0 )) || die "missing: $missing; install as root: apt-get install -y --no-install-recommends ${packages[*]}"
  command -v apt-get >/dev/null 2>&1 || die "missing: $missing and apt-get is not available; install ${packages[*]} yourself"
  local log="$LOG_DIR/apt.log" started; started=$(now_ms)
  line packages "installing ${packages[*]} (missing: ${missing% }); log $(relpath "$log")"
  # Keep package scripts from starting Debian's own services on our ports.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; made_policy=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
  } >"$log" 2>&1 || rc=$?
  (( made_policy )) && rm -f "$policy"
  (( rc == 0 )) || { tail -n 15 "$log" >&2; die "package installation failed (exit $rc); see $log"; }
  missing="$(missing_binaries)$(opensearch_missing_packages)"
  [[ -z "$missing" ]] || die "installed ${packages[*]} but still missing: $missing; see $log"
  line packages "installed in $(elapsed "$started")"
}

# ---------------------------------------------------------------- MariaDB

port_of()    { [[ $1 == primary ]] && echo "$PRIMARY_PORT" || echo "$REPLICA_PORT"; }
datadir_of() { echo "$MYSQL_DIR/$1"; }
sock_of()    { echo "$RUN_DIR/mysql-$1.sock"; }
pidfile_of() { echo "$RUN_DIR/mysql-$1.pid"; }
log_of()     { echo "$LOG_DIR/mariadb-$1.log"; }

# Admin access as the OS user over the socket (unix_socket authentication).
sql() {
  local role=$1; shift
  mariadb --no-defaults --protocol=socket --socket="$(sock_of "$role")" -u"$ADMIN_USER" \
    --batch --skip-column-names --connect-timeout=5 "$@"
}
mysql_up() {
  mariadb-admin --no-defaults --protocol=socket --socket="$(sock_of "$1")" -u"$ADMIN_USER" \
    --connect-timeout=2 ping >/dev/null 2>&1
}

init_datadir() {
  local role=$1 datadir; datadir=$(datadir_of "$role")
  [[ -d "$datadir/mysql" ]] && return 0
  # No system database: an empty or half-initialised directory of ours; start it afresh.
  rm -rf "$datadir"; mkdir -p "$datadir"
  local log; log=$(log_of "$role")
  mariadb-install-db --no-defaults --user="$ADMIN_USER" --datadir="$datadir" \
    --auth-root-authentication-method=socket --skip-test-db >>"$log" 2>&1 ||
    { tail -n 15 "$log" >&2; die "mariadb-install-db failed for the $role; see $log"; }
  # Identifies this primary's history, so a replica seeded from an older primary is noticed.
  [[ $role == primary ]] && cat /proc/sys/kernel/random/uuid >"$datadir/haul-instance-id"
  return 0
}

start_mariadbd() {
  local role=$1; shift
  local datadir sock pidfile log port
  datadir=$(datadir_of "$role"); sock=$(sock_of "$role"); pidfile=$(pidfile_of "$role")
  log=$(log_of "$role"); port=$(port_of "$role")
  if port_open "$port"; then
    if [[ $role == primary ]]; then
      die "$HOST:$port is taken by a server this script did not start; stop it, or set HAUL_MYSQL_URL to use your own server"
    fi
    die "$HOST:$port (the replica's port) is taken by a server this script did not start; stop it"
  fi
  rm -f "$sock" "$sock.lock"
  local log_size; log_size=$(stat -c %s "$log" 2>/dev/null || echo 0)
  start-stop-daemon --start --quiet --background --oknodo --pidfile "$pidfile" \
    --exec "$(command -v mariadbd)" --output "$log" -- \
    --no-defaults --user="$ADMIN_USER" --datadir="$datadir" --port="$port" --socket="$sock" \
    --pid-file="$pidfile" --log-error="$log" "${SERVER_OPTIONS[@]}" "$@" 9>&-
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until mysql_up "$role"; do
    if tail -c +"$(( log_size + 1 ))" "$log" 2>/dev/null | grep -q -E '\[ERROR\] (Aborting|mariadbd: )'; then
      tail -n 15 "$log" >&2; die "MariaDB $role failed to start; see $log"
    fi
    (( $(date +%s) < deadline )) || { tail -n 15 "$log" >&2; die "MariaDB $role did not answer within ${TIMEOUT}s; see $log"; }
    sleep 0.1
  done
}

stop_mariadbd() {
  local role=$1 pidfile pid=""; pidfile=$(pidfile_of "$role")
  [[ -f "$pidfile" ]] && pid=$(cat "$pidfile" 2>/dev/null || true)
  if ! mysql_up "$role" && ! { [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; }; then
    line "mariadb $role" "not running"; return 0
  fi
  local started; started=$(now_ms)
  mysql_up "$role" && sql "$role" -e 'SHUTDOWN' >/dev/null 2>&1 || { [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null; } || true
  local deadline=$(( $(date +%s) + TIMEOUT ))
  # Gone when it answers no more and has removed its pid file (a zombie may linger: not a pid check).
  while mysql_up "$role" || [[ -f "$pidfile" ]]; do
    if (( $(date +%s) >= deadline )); then
      [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
      rm -f "$pidfile"
      line "mariadb $role" "killed after ${TIMEOUT}s without a clean shutdown (see $(relpath "$(log_of "$role")"))"; return 0
    fi
    sleep 0.1
  done
  line "mariadb $role" "stopped in $(elapsed "$started")"
}

bootstrap_primary() {
  local marker; marker="$(datadir_of primary)/haul-bootstrap-$(printf '%s' "$BOOTSTRAP_SQL" | sha256sum | cut -c1-16)"
  if [[ -f "$marker" && "$(sql primary -e "$BOOTSTRAP_CHECK_SQL")" == 5 ]]; then return 0; fi
  sql primary -e "$BOOTSTRAP_SQL" || die "could not create the haul users and databases on the primary; see $(log_of primary)"
  rm -f "$(datadir_of primary)"/haul-bootstrap-*; : >"$marker"
  line "mariadb primary" "created users haul, $REPL_USER and databases haul, haul_test"
}

# Prints "io sql io_errno sql_errno" of the replica, or "none" when no source is configured.
replica_state() {
  sql replica --column-names -e 'SHOW SLAVE STATUS\G' 2>/dev/null | awk -F': ' '
    /^ *Slave_IO_Running:/  {io=$2} /^ *Slave_SQL_Running:/ {s=$2}
    /^ *Last_IO_Errno:/     {ie=$2} /^ *Last_SQL_Errno:/    {se=$2}
    END { if (io == "") print "none"; else print io, s, ie, se }'
}

seed_replica() {
  local reason=$1 started; started=$(now_ms)
  line "mariadb replica" "seeding from the primary: $reason"
  mysql_up replica && stop_mariadbd replica >/dev/null
  rm -rf "$(datadir_of replica)"
  init_datadir replica
  start_mariadbd replica --server-id=2 --read-only=1 --relay-log=relay-bin \
    --report-host="$HOST" --report-port="$REPLICA_PORT"
  # --gtid with --master-data=1 writes SET GLOBAL gtid_slave_pos for the snapshot.
  mariadb-dump --no-defaults --protocol=socket --socket="$(sock_of primary)" -u"$ADMIN_USER" \
      --all-databases --single-transaction --gtid --master-data=1 --routines --events --triggers \
      --flush-privileges 2>>"$(log_of replica)" | sql replica 2>>"$(log_of replica)" ||
    die "seeding the replica from the primary failed; see $(log_of replica)"
  sql replica -e "CHANGE MASTER TO MASTER_HOST='$HOST', MASTER_PORT=$PRIMARY_PORT,
      MASTER_USER='$REPL_USER', MASTER_PASSWORD='$REPL_PASSWORD', MASTER_CONNECT_RETRY=1,
      MASTER_USE_GTID=slave_pos; START SLAVE;" ||
    die "configuring replication on the replica failed; see $(log_of replica)"
  cp "$(datadir_of primary)/haul-instance-id" "$(datadir_of replica)/haul-primary-instance-id"
  wait_replicating || die "the freshly seeded replica does not replicate ($(replica_state)); see $(log_of replica)"
  line "mariadb replica" "seeded in $(elapsed "$started")"
}

wait_replicating() {
  local deadline=$(( $(date +%s) + 10 )) state
  while :; do
    state=$(replica_state)
    [[ "$state" == "Yes Yes "* ]] && return 0
    (( $(date +%s) < deadline )) || return 1
    sleep 0.1
  done
}

ensure_replica() {
  local datadir; datadir=$(datadir_of replica)
  if [[ ! -d "$datadir/mysql" ]]; then seed_replica "no replica yet"; return; fi
  if ! cmp -s "$(datadir_of primary)/haul-instance-id" "$datadir/haul-primary-instance-id"; then
    seed_replica "the primary was re-created"; return
  fi
  if ! mysql_up replica; then
    local started; started=$(now_ms)
    start_mariadbd replica --server-id=2 --read-only=1 --relay-log=relay-bin \
      --report-host="$HOST" --report-port="$REPLICA_PORT"
    line "mariadb replica" "server started in $(elapsed "$started")"
  fi
  local state io sqlt io_errno sql_errno
  state=$(replica_state)
  [[ "$state" == "Yes Yes "* ]] && return 0
  if [[ "$state" == none ]]; then seed_replica "replication was not configured"; return; fi
  read -r io sqlt io_errno sql_errno <<<"$state"
  # A thread that stopped on an error (e.g. 1236: the primary no longer has the binlog the replica
  # needs) will not recover. An IO thread that is "Connecting" retries by itself (primary restarted).
  if [[ "$sql_errno" != 0 || ( "$io" == No && "$io_errno" != 0 ) ]]; then
    seed_replica "replication broke: IO=$io errno $io_errno, SQL=$sqlt errno $sql_errno"; return
  fi
  # Threads stopped without an error, or the IO thread still connecting: (re)start and wait.
  sql replica -e 'START SLAVE' >/dev/null 2>&1 || true
  if wait_replicating; then line "mariadb replica" "replication resumed"
  else seed_replica "replication did not resume ($(replica_state))"; fi
}

start_mysql() {
  local started; started=$(now_ms)
  init_datadir primary
  if mysql_up primary; then
    say_mysql_line primary "up (already running)"
  else
    start_mariadbd primary --server-id=1 --log-bin=mysql-bin --binlog-format=ROW \
      --binlog-expire-logs-seconds=604800
    say_mysql_line primary "started in $(elapsed "$started")"
  fi
  bootstrap_primary
  local was_up=0; mysql_up replica && [[ "$(replica_state)" == "Yes Yes "* ]] && was_up=1
  ensure_replica
  if (( was_up )); then say_mysql_line replica "up (already running, replicating)"
  else say_mysql_line replica "up, replicating from $HOST:$PRIMARY_PORT"; fi
}

say_mysql_line() {
  line "mariadb $1" "$HOST:$(port_of "$1")  $2  (data $(relpath "$(datadir_of "$1")"), log $(relpath "$(log_of "$1")"))"
}

# ---------------------------------------------------------------- Redis

REDIS_PIDFILE="$RUN_DIR/redis.pid"
REDIS_LOG="$LOG_DIR/redis.log"
redis_cli() { redis-cli -h "$HOST" -p "$REDIS_PORT" "$@"; }
redis_up() { [[ "$(redis_cli ping 2>/dev/null)" == PONG ]]; }
redis_is_ours() {
  [[ -f "$REDIS_PIDFILE" ]] || return 1
  local pid; pid=$(redis_cli info server 2>/dev/null | awk -F: '/^process_id:/ {print $2}' | tr -d '\r')
  [[ -n "$pid" && "$pid" == "$(cat "$REDIS_PIDFILE" 2>/dev/null)" ]]
}

start_redis() {
  if redis_up; then
    if redis_is_ours; then line redis "$HOST:$REDIS_PORT  up (already running)"
    else line redis "$HOST:$REDIS_PORT  up (a server this script did not start; using it)"; fi
    return 0
  fi
  port_open "$REDIS_PORT" && die "127.0.0.1:$REDIS_PORT is taken by something that is not answering Redis PING"
  local started; started=$(now_ms)
  mkdir -p "$REDIS_DIR"
  redis-server --daemonize yes --bind "$HOST" --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$REDIS_DIR" --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_LOG" >>"$REDIS_LOG" 2>&1 9>&- ||
    { tail -n 15 "$REDIS_LOG" >&2; die "redis-server failed to start; see $REDIS_LOG"; }
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until redis_up; do
    (( $(date +%s) < deadline )) || { tail -n 15 "$REDIS_LOG" >&2; die "Redis did not answer within ${TIMEOUT}s; see $REDIS_LOG"; }
    sleep 0.05
  done
  line redis "$HOST:$REDIS_PORT  started in $(elapsed "$started")  (log $(relpath "$REDIS_LOG"))"
}

stop_redis() {
  if ! redis_up; then line redis "not running"; rm -f "$REDIS_PIDFILE"; return 0; fi
  if ! redis_is_ours; then line redis "$HOST:$REDIS_PORT was not started by this script; left running"; return 0; fi
  local started; started=$(now_ms)
  redis_cli shutdown nosave >/dev/null 2>&1 || true
  local deadline=$(( $(date +%s) + TIMEOUT ))
  while redis_up; do
    (( $(date +%s) < deadline )) || die "Redis did not stop within ${TIMEOUT}s; see $REDIS_LOG"
    sleep 0.05
  done
  rm -f "$REDIS_PIDFILE"
  line redis "stopped in $(elapsed "$started")"
}

# ---------------------------------------------------------------- commands

# The daemons must not inherit fd 9 (they would hold the lock forever): they start with 9>&-.
take_lock() {
  exec 9>"$RUN_DIR/local-services.lock"
  flock -w "$TIMEOUT" 9 || die "another local-services.sh is still running (lock $RUN_DIR/local-services.lock)"
}

cmd_start() {
  local started; started=$(now_ms)
  ensure_installed
  if wants_mysql; then start_mysql; else
    line mariadb "your server from HAUL_MYSQL_URL=$(redact_url "$HAUL_MYSQL_URL"); local primary and replica not started"
  fi
  if wants_redis; then start_redis; else
    line redis "your server from HAUL_REDIS_URL=$(redact_url "$HAUL_REDIS_URL"); local redis not started"
  fi
  if wants_opensearch; then start_opensearch; else
    line opensearch "your server from HAUL_OPENSEARCH_URL=$(redact_url "$HAUL_OPENSEARCH_URL"); local node not started"
  fi
  line "local services" "ready in $(elapsed "$started")"
}

cmd_stop() {
  if ! wants_mysql; then
    line mariadb "HAUL_MYSQL_URL is set: your server, not managed here"
  elif ! command -v mariadb-admin >/dev/null 2>&1; then
    line mariadb "not installed"
  else
    stop_mariadbd replica
    stop_mariadbd primary
  fi
  if ! wants_redis; then
    line redis "HAUL_REDIS_URL is set: your server, not managed here"
  elif ! command -v redis-cli >/dev/null 2>&1; then
    line redis "not installed"
  else
    stop_redis
  fi
  if wants_opensearch; then stop_opensearch; else
    line opensearch "HAUL_OPENSEARCH_URL is set: your server, not managed here"
  fi
}

cmd_status() {
  local down=0
  if ! wants_mysql; then
    line mariadb "your server: HAUL_MYSQL_URL=$(redact_url "$HAUL_MYSQL_URL")"
  elif ! command -v mariadb-admin >/dev/null 2>&1; then
    line mariadb "not installed"; down=1
  else
    if mysql_up primary; then
      line "mariadb primary" "$HOST:$PRIMARY_PORT  up, binlog at gtid $(sql primary -e 'SELECT @@gtid_binlog_pos')"
    else line "mariadb primary" "$HOST:$PRIMARY_PORT  down"; down=1; fi
    if mysql_up replica; then
      local state; state=$(replica_state)
      if [[ "$state" == "Yes Yes "* ]]; then
        line "mariadb replica" "$HOST:$REPLICA_PORT  up, replicating, applied gtid $(sql replica -e 'SELECT @@gtid_slave_pos')"
      else line "mariadb replica" "$HOST:$REPLICA_PORT  up, NOT replicating (IO SQL io_errno sql_errno: $state); run start to repair"; down=1; fi
    else line "mariadb replica" "$HOST:$REPLICA_PORT  down"; down=1; fi
  fi
  if ! wants_redis; then
    line redis "your server: HAUL_REDIS_URL=$(redact_url "$HAUL_REDIS_URL")"
  elif command -v redis-cli >/dev/null 2>&1 && redis_up; then
    line redis "$HOST:$REDIS_PORT  up"
  else line redis "$HOST:$REDIS_PORT  down"; down=1; fi
  if ! wants_opensearch; then
    line opensearch "your server: HAUL_OPENSEARCH_URL=$(redact_url "$HAUL_OPENSEARCH_URL")"
  else
    status_opensearch || down=1
  fi
  return $(( down ? 3 : 0 ))
}

# Fault injection: no clean shutdown. Only an isolated set, never the shared servers of the default one.
cmd_kill() {
  [[ -n "${HAUL_SERVICES_DIR:-}" ]] || die "kill works only on an isolated set (HAUL_SERVICES_DIR)"
  local pidfile
  case "$1" in
    primary|replica) pidfile=$(pidfile_of "$1") ;;
    redis) pidfile=$REDIS_PIDFILE ;;
    opensearch) pidfile=$OPENSEARCH_PIDFILE ;;
    *) usage; return ;;
  esac
  local pid; pid=$(cat "$pidfile" 2>/dev/null || true)
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || { line "$1" "not running"; return 0; }
  while kill -0 "$pid" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]]; do sleep 0.05; done
  rm -f "$pidfile"
  line "$1" "killed (pid $pid)"
}

usage() { printf 'usage: %s start | stop | status [--quiet] | kill <primary|replica|redis|opensearch>\n' "$(basename "$0")" >&2; return 2; }

main() {
  local cmd=${1:-} quiet=0
  case "$cmd" in
    start|stop) (( $# == 1 )) || { usage; return; } ;;
    kill) (( $# == 2 )) || { usage; return; } ;;
    status)
      [[ "${2:-}" == --quiet ]] && quiet=1
      (( $# == 1 + quiet )) || { usage; return; } ;;
    -h|--help|help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; return 0 ;;
    *) usage; return ;;
  esac
  mkdir -p "$LOG_DIR" "$RUN_DIR" "$MYSQL_DIR"
  if [[ $cmd == status ]]; then
    # Status only reads, so it takes no lock; --quiet answers with the exit code alone.
    if (( quiet )); then cmd_status >/dev/null; else cmd_status; fi
    return
  fi
  # Start and stop must not interleave.
  take_lock
  "cmd_$cmd" "${@:2}"
}

main "$@"
