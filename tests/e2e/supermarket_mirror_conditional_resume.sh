#!/usr/bin/env bash
# `roux supermarket mirror` against a loopback upstream that counts requests:
#  - a second run with nothing changed makes one conditional request, answered 304, and nothing else;
#  - a tarball download cut short (4 times: the first try and its 3 retries) leaves its bytes in
#    the mirror's state folder; the run says the mirror keeps its last good copy (exit 3, index
#    unchanged); the next run asks only for the rest (Range) and verifies the whole file;
#  - a kept part that is not the file's start fails verification and is downloaded again;
#  - an upstream serving garbage, then an upstream that is down: exit 3, a warning, the mirror unchanged;
#  - a mirror of the mirror serves byte for byte what the upstream serves (signatures intact), and
#    a client converges from it;
#  - a first mirror with the upstream down has nothing to keep: exit 1.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"

work=$(e2e_tmpdir)
run_roux keygen --out "$work/team"
expect_rc 0 "keygen"
trust=(--trust "$work/team.pub")

make_cookbook "$work/src" base 1.0.0
run_roux supermarket publish "$work/src/base" --to "$work/up" --key "$work/team.key"
expect_rc 0 "publish base"

# The upstream: cuts the first 4 answers for big-1.0.0.tar.gz after 50000 bytes of body.
SM_SERVER=range_serve.py start_server "$work/up" UP big-1.0.0.tar.gz 50000 4
url="http://127.0.0.1:$UP_PORT"
requests() { grep -c . "$UP_LOG" || true; }

run_roux supermarket mirror --from "$url" --to "$work/mirror" "${trust[@]}"
expect_rc 0 "first mirror"
grep -q "1 version copied, 0 already present" <<<"$OUT" || fail "first mirror counts: $OUT"

# Nothing changed upstream: exactly one request, conditional, answered 304.
: >"$UP_LOG"
run_roux supermarket mirror --from "$url" --to "$work/mirror" "${trust[@]}"
expect_rc 0 "second mirror"
grep -q "0 versions copied, 1 already present; upstream index not modified (304)" <<<"$OUT" || fail "304 said: $OUT"
[ "$(requests)" = 1 ] || fail "a mirror run with nothing changed makes one request: $(cat "$UP_LOG")"
grep -q '^GET /universe 304 inm="[0-9a-f]*-[0-9a-f]*" ' "$UP_LOG" || fail "not a conditional 304: $(cat "$UP_LOG")"
grep -q ' sent=0$' "$UP_LOG" || fail "the 304 sent a body: $(cat "$UP_LOG")"

# A big cookbook (incompressible 300 kB) whose download is cut: resume.
make_cookbook "$work/src" big 1.0.0
mkdir -p "$work/src/big/files"
head -c 300000 /dev/urandom >"$work/src/big/files/blob"
run_roux supermarket publish "$work/src/big" --to "$work/up" --key "$work/team.key"
expect_rc 0 "publish big"
size=$(stat -c %s "$work/up/big-1.0.0.tar.gz")
[ "$size" -gt 250000 ] || fail "big tarball is only $size bytes"
cp "$work/mirror/universe" "$work/universe.before"
: >"$UP_LOG"
run_roux supermarket mirror --from "$url" --to "$work/mirror" "${trust[@]}"
expect_rc 3 "mirror with the download cut 4 times"
grep -q "big 1.0.0 (.*big-1.0.0.tar.gz): download failed" <<<"$ERR" || fail "which download failed: $ERR"
grep -q "roux: warning: the mirror $work/mirror keeps its last good copy (index serial 1, unchanged)" <<<"$ERR" ||
  fail "last good copy not said: $ERR"
cmp -s "$work/universe.before" "$work/mirror/universe" || fail "the mirror's index changed on a failed run"
[ ! -e "$work/mirror/big-1.0.0.tar.gz" ] || fail "an unverified tarball is in the mirror"
part="$work/mirror/.mirror/partial/big-1.0.0.tar.gz.part"
[ "$(stat -c %s "$part")" = 200000 ] || fail "part file: $(stat -c %s "$part" 2>&1) bytes, want 200000"
for from in 50000 100000 150000; do
  grep -q "^GET /big-1.0.0.tar.gz 206 .* range=bytes=$from- sent=50000$" "$UP_LOG" || fail "retry from $from: $(cat "$UP_LOG")"
done

: >"$UP_LOG"
run_roux supermarket mirror --from "$url" --to "$work/mirror" "${trust[@]}"
expect_rc 0 "mirror resumes"
grep -q "1 version copied, 1 already present; upstream index not modified (304); 1 interrupted download resumed (200000 bytes not downloaded again)" <<<"$OUT" ||
  fail "resume said: $OUT"
grep -q "^GET /big-1.0.0.tar.gz 206 .* range=bytes=200000- sent=$((size - 200000))$" "$UP_LOG" || fail "resumed request: $(cat "$UP_LOG")"
[ "$(grep -c '^GET /big-1.0.0.tar.gz ' "$UP_LOG")" = 1 ] || fail "the tarball was asked for more than once: $(cat "$UP_LOG")"
cmp -s "$work/up/big-1.0.0.tar.gz" "$work/mirror/big-1.0.0.tar.gz" || fail "resumed tarball differs"
[ ! -e "$part" ] || fail "the part file is left after a verified download"
cmp -s "$work/up/universe" "$work/mirror/universe" || fail "mirror index = upstream index"

# A kept part that is not this file's start: verification fails, the whole file is fetched again.
make_cookbook "$work/src" big 1.1.0
mkdir -p "$work/src/big/files"
head -c 100000 /dev/urandom >"$work/src/big/files/blob"
run_roux supermarket publish "$work/src/big" --to "$work/up" --key "$work/team.key"
expect_rc 0 "publish big 1.1.0"
head -c 1000 /dev/urandom >"$work/mirror/.mirror/partial/big-1.1.0.tar.gz.part"
: >"$UP_LOG"
run_roux supermarket mirror --from "$url" --to "$work/mirror" "${trust[@]}"
expect_rc 0 "mirror with a foreign part file"
grep -q "big 1.1.0 (.*): the resumed download failed verification (.*signature check failed.*); downloading it again" <<<"$ERR" ||
  fail "no warning about the bad part: $ERR"
grep -q "^GET /big-1.1.0.tar.gz 206 .* range=bytes=1000- " "$UP_LOG" || fail "the part was not resumed first: $(cat "$UP_LOG")"
grep -q "^GET /big-1.1.0.tar.gz 200 .* range=- " "$UP_LOG" || fail "not downloaded again whole: $(cat "$UP_LOG")"
cmp -s "$work/up/big-1.1.0.tar.gz" "$work/mirror/big-1.1.0.tar.gz" || fail "big 1.1.0 differs"

# The upstream serves garbage as its index: the mirror keeps its copy.
cp "$work/mirror/universe" "$work/universe.good"
cp "$work/up/universe" "$work/up-universe.good"
printf '<html>502 Bad Gateway</html>\n' >"$work/up/universe"
run_roux supermarket mirror --from "$url" --to "$work/mirror" "${trust[@]}"
expect_rc 3 "upstream serves garbage"
grep -q "index signature check failed" <<<"$ERR" || fail "garbage not named: $ERR"
grep -q "keeps its last good copy (index serial 3, unchanged)" <<<"$ERR" || fail "last good copy: $ERR"
cmp -s "$work/universe.good" "$work/mirror/universe" || fail "garbage reached the mirror"
cp "$work/up-universe.good" "$work/up/universe"

# A mirror of the mirror serves exactly what the upstream serves.
SM_SERVER=range_serve.py start_server "$work/mirror" MIR
run_roux supermarket mirror --from "http://127.0.0.1:$MIR_PORT" --to "$work/mirror2" "${trust[@]}"
expect_rc 0 "mirror of the mirror"
n=0
for f in "$work"/up/*; do
  b=$(basename "$f")
  cmp -s "$f" "$work/mirror/$b" || fail "mirror: $b differs from the upstream's"
  cmp -s "$f" "$work/mirror2/$b" || fail "mirror of the mirror: $b differs from the upstream's"
  n=$((n + 1))
done
[ "$n" = 8 ] || fail "compared $n files, want 8 (index, 3 tarballs, 4 signatures)"
[ "$(ls "$work/mirror2" | wc -l)" = 8 ] || fail "mirror2 holds more than the upstream: $(ls "$work/mirror2")"
mkdir -p "$work/policy"
printf 'name: m\nsources:\n  - http://127.0.0.1:%s/\nrun_list:\n  - big\n  - base\n' "$MIR_PORT" >"$work/policy/policy.yaml"
root=$(e2e_tmpdir)
mkdir -p "$root/etc"
run_roux converge --policy "$work/policy" --root "$root" "${trust[@]}" --format json
expect_rc 2 "converge from the mirror"
[ "$(cat "$root/etc/big.conf")" = "big 1.1.0" ] || fail "big.conf from the mirror"

# The upstream is down: a warning, exit 3, the mirror unchanged.
kill "${_SM_PIDS[0]}"
wait "${_SM_PIDS[0]}" 2>/dev/null || true
run_roux supermarket mirror --from "$url" --to "$work/mirror" "${trust[@]}"
expect_rc 3 "upstream down"
grep -q "roux: warning: .*127.0.0.1:$UP_PORT/universe: .*onnect" <<<"$ERR" || fail "unreachable not said: $ERR"
grep -q "keeps its last good copy (index serial 3, unchanged)" <<<"$ERR" || fail "last good copy: $ERR"
grep -q "using the index cached" <<<"$ERR" && fail "the mirror must not pretend the upstream answered: $ERR"
cmp -s "$work/universe.good" "$work/mirror/universe" || fail "mirror changed while the upstream was down"

# Nothing to keep: a first mirror from a dead upstream fails.
run_roux supermarket mirror --from "$url" --to "$work/mirror3" "${trust[@]}"
expect_rc 1 "first mirror, upstream down"
grep -q "^roux: error: .*127.0.0.1:$UP_PORT/universe" <<<"$ERR" || fail "error: $ERR"
echo "ok"
