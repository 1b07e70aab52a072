#!/usr/bin/env bash
# Scale bench (docs/fleet.md "Scale"): N concurrent roux clients, each with its own --root (so its
# own state folder and cache) and its own trusted records (XDG_CACHE_HOME), against ONE nginx on
# 127.0.0.1 serving a signed supermarket of COOKBOOKS cookbooks. For each N, three phases:
#   cold     every client converges from nothing (index, signature, every tarball and its .sig)
#   noop     the same again, nothing changed (expected: one conditional request, answered 304)
#   publish  after one new version of one cookbook is published (index changed, one new tarball)
# and for each phase: client failures, requests and bytes per client-run, HTTP statuses, and the
# server's request rate (average over the phase and peak second), read from nginx's access log.
#
#   ROUX=build/roux bench/fleet.sh [N ...]        # default N: 50 200 (500 works, see docs/fleet.md)
#   COOKBOOKS=10 BLOB_KB=20 COMMAND=converge|plan bench/fleet.sh 50
# Exit 77 (skipped) when nginx is missing (Debian: apt-get install nginx; scripts/install-deps.sh
# --with-bench). Everything lives in a temp folder; nginx is started by this script (in the
# foreground, `daemon off`) and stopped by its pid at exit.
set -euo pipefail
ROUX=${ROUX:-$(cd "$(dirname "$0")/.." && pwd)/build/roux}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
COOKBOOKS=${COOKBOOKS:-10}
BLOB_KB=${BLOB_KB:-20}
COMMAND=${COMMAND:-converge}
if [ ! -x "$NGINX" ]; then
  echo "fleet.sh: SKIP: nginx is not installed (apt-get install nginx, or scripts/install-deps.sh --with-bench)" >&2
  exit 77
fi
[ -x "$ROUX" ] || { echo "fleet.sh: no roux binary at $ROUX (set ROUX=)" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(50 200)

work=$(mktemp -d /tmp/roux-bench-fleet.XXXXXX)
chmod 755 "$work"  # nginx's workers run as nobody
nginx_pid=""
cleanup() {
  if [ -n "$nginx_pid" ]; then
    kill "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The supermarket: COOKBOOKS cookbooks, each with a BLOB_KB kB incompressible file and one resource.
"$ROUX" keygen --out "$work/team" >/dev/null
make_cookbook() {  # NAME VERSION
  local d="$work/src/$1"
  rm -rf "$d"
  mkdir -p "$d/recipes" "$d/files"
  printf 'name: %s\nversion: %s\n' "$1" "$2" >"$d/metadata.yaml"
  printf 'resources:\n  - file: /etc/bench/%s.conf\n    content: "%s %s\\n"\n' "$1" "$1" "$2" >"$d/recipes/default.yaml"
  # 768 random bytes are 1,024 base64 characters: no reader that stops early (with pipefail, a
  # writer's SIGPIPE ended the script silently now and then under load)
  head -c $((BLOB_KB * 768)) /dev/urandom | base64 -w 0 >"$d/files/blob"
  "$ROUX" supermarket publish "$d" --to "$work/market" --key "$work/team.key" >/dev/null
}
for i in $(seq -w 1 "$COOKBOOKS"); do make_cookbook "cb$i" 1.0.0; done
first="cb$(printf '%0*d' "${#COOKBOOKS}" 1)"  # the cookbook that gets new versions (as seq -w numbers it)
chmod -R a+rX "$work/market"

# nginx, foreground, its own prefix; access log: time status method uri body_bytes bytes.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx/tmp"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  log_format bench '\$msec \$status \$request_method \$uri \$body_bytes_sent \$bytes_sent';
  access_log $work/nginx/access.log bench;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  default_type application/octet-stream;
  sendfile on;
  keepalive_timeout 5;
  server {
    listen 127.0.0.1:$port backlog=4096;
    root $work/market;
  }
}
EOF
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
nginx_pid=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "fleet.sh: nginx did not start: $(cat "$work/nginx/error.log")" >&2; exit 1; }
url="http://127.0.0.1:$port"

# The policy: every cookbook, no lockfile (each run resolves against the index: a new version
# is picked up, as by a fleet following the newest).
mkdir -p "$work/policy"
{
  printf 'name: fleet\nsources:\n  - %s\nrun_list:\n' "$url"
  for i in $(seq -w 1 "$COOKBOOKS"); do echo "  - cb$i"; done
} >"$work/policy/policy.yaml"

log_lines() { wc -l <"$work/nginx/access.log"; }
ms() { echo $(($(date +%s%N) / 1000000)); }

# run_phase N PHASE EXPECTED_RC: runs N clients at once, then prints one line of figures.
run_phase() {
  local n=$1 phase=$2 want=$3 i start_line end_line t0 t1 bad=0
  start_line=$(log_lines)
  t0=$(ms)
  local pids=()
  for i in $(seq 1 "$n"); do
    local root="$work/clients/$n/$i"
    mkdir -p "$root/etc/bench"
    (
      export XDG_CACHE_HOME="$root/.xdg"
      rc=0
      "$ROUX" "$COMMAND" --policy "$work/policy" --root "$root" --trust "$work/team.pub" --format json \
        >"$root/out.json" 2>"$root/err.txt" || rc=$?
      echo "$rc" >"$root/rc"
    ) &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
  t1=$(ms)
  sleep 0.2  # nginx writes its log line after the answer
  end_line=$(log_lines)
  for i in $(seq 1 "$n"); do
    [ "$(cat "$work/clients/$n/$i/rc" 2>/dev/null)" = "$want" ] || bad=$((bad + 1))
  done
  sed -n "$((start_line + 1)),${end_line}p" "$work/nginx/access.log" |
    awk -v n="$n" -v phase="$phase" -v bad="$bad" -v wall="$(((t1 - t0)))" '
      { req++; bytes += $6; st[$2]++; sec = int($1); per[sec]++
        if (first == "" || $1 < first) first = $1; if ($1 > last) last = $1 }
      END {
        peak = 0; for (s in per) if (per[s] > peak) peak = per[s]
        span = last - first; if (span < 0.001) span = 0.001
        other = req - st["200"] - st["304"]
        printf "%5d  %-8s %7.2f %5d %8.2f %11.0f %6d %6d %6d %9.0f %9d\n", n, phase, wall / 1000, bad, req / n,
          bytes / n, st["200"], st["304"], other, req / span, peak
      }'
  if [ "$bad" -gt 0 ]; then
    local first_bad
    for i in $(seq 1 "$n"); do
      if [ "$(cat "$work/clients/$n/$i/rc" 2>/dev/null)" != "$want" ]; then first_bad=$i; break; fi
    done
    echo "       first failing client ($first_bad): rc $(cat "$work/clients/$n/$first_bad/rc" 2>/dev/null), $(tail -2 "$work/clients/$n/$first_bad/err.txt" 2>/dev/null | tr '\n' ' ')" >&2
  fi
}

echo "roux $COMMAND x N clients against one nginx ($url), $COOKBOOKS cookbooks (index $(stat -c %s "$work/market/universe") B," \
  "tarball $(stat -c %s "$work/market/$first-1.0.0.tar.gz") B), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
printf "%5s  %-8s %7s %5s %8s %11s %6s %6s %6s %9s %9s\n" N phase wall_s fail req/run bytes/run 200 304 other req/s peak/s
round=0
for n in "${sizes[@]}"; do
  rm -rf "$work/clients/$n"
  run_phase "$n" cold 2
  run_phase "$n" noop 0
  round=$((round + 1))
  make_cookbook "$first" "1.0.$round"
  chmod -R a+rX "$work/market"
  run_phase "$n" publish 2
  [ -n "${KEEP:-}" ] || rm -rf "$work/clients/$n"
done
