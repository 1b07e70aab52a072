#!/usr/bin/env bash
# Corrupt state never aborts a run (a crash is a defect, never an answer). Each corrupt file is
# planted where roux keeps it, then the command that reads it runs:
# - roux's own caches and records (the parse cache, the supermarket validators, history lines,
#   a kept report) are ignored or read as far as they make sense, with a warning, and rebuilt;
# - user-owned files (the lockfile, client.yaml) are exit 1, naming the file and what is wrong;
# - a signed but truncated cookbook tarball is refused (exit 1), not a NULL error string.
# Before the fix: SIGABRT (parse cache reserve(2^40), nlohmann type_error on a wrong-typed field
# of the lockfile, validators.json, history.jsonl or a report) and SIGSEGV (the tarball).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
command -v python3 >/dev/null || skip "python3 is needed to build the fixtures"

no_signal() {  # WHAT: the last run_roux did not die of a signal
  (( RC < 128 )) || fail "$1: roux died of signal $((RC - 128)): $ERR"
}

work=$(e2e_tmpdir)
root="$work/root"
mkdir -p "$root/etc"
export XDG_CACHE_HOME="$work/xdg"
write_policy "$work" app <<'EOF2'
resources:
  - file: /etc/motd
    content: "hello\n"
EOF2
run_roux converge --policy "$work" --root "$root"
expect_rc 2 "first converge"
state="$root/var/lib/roux"

# 1. A parse cache entry whose list claims 2^40 items (89 bytes: CBOR [3 (the format), DIGEST, [2, 1, 1,
# array(2^40)]], then an empty texts block: its 8-byte size, 0).
case_parse_cache() {
  cache="$XDG_CACHE_HOME/roux/parsed"
  version=$("$ROUX" --version | awk '{print $2}')
  # The recipe's entry is the one holding its digest; it is overwritten with 89 bytes.
  entry=$(python3 - "$cache" "$version" "$work/cookbooks/app/recipes/default.yaml" <<'PY'
import hashlib, os, struct, sys
cache, version, recipe = sys.argv[1:]
digest = hashlib.sha256(f"roux parse cache 3 {version}\n".encode() + open(recipe, "rb").read()).hexdigest()
(entry,) = [os.path.join(cache, n) for n in os.listdir(cache) if digest.encode() in open(os.path.join(cache, n), "rb").read()]
b = b"\x83\x03\x78\x40" + digest.encode() + b"\x84\x02\x01\x01\x9b" + struct.pack(">Q", 1 << 40) + struct.pack("<Q", 0)
assert len(b) == 89
open(entry, "wb").write(b)
print(entry)
PY
  ) || fail "no parse cache entry for the recipe after a converge"
  corrupt=$(sha256sum <"$entry")
  run_roux converge --policy "$work" --root "$root"
  no_signal "corrupt parse cache entry"
  expect_rc 0 "converge with a corrupt parse cache entry"
  grep -q "parse cache: ignoring corrupt entry" <<<"$ERR" || fail "no warning about the corrupt entry: $ERR"
  [ "$(sha256sum <"$entry")" != "$corrupt" ] || fail "the corrupt parse cache entry was not rebuilt"
  run_roux converge --policy "$work" --root "$root"
  expect_rc 0 "converge after the entry was rebuilt"
  [ -z "$ERR" ] || fail "the rebuilt entry still warns: $ERR"
  echo "ok: parse cache entry claiming 2^40 items ignored and rebuilt"
}

# 2. history.jsonl lines of the wrong shape: `roux history` lists what it can.
case_history_lines() {
  cat >>"$state/history.jsonl" <<'H'
[1, 2]
"a string"
{"run_id": 5, "mode": ["apply"], "exit_code": "2", "totals": [], "duration_ms": "x", "policy": {}}
{"run_id": "20990101T000000.000Z-1", "totals": {"changed": "many", "failed": 1.5}}
{"torn
H
  run_roux history --root "$root"
  no_signal "history with odd lines"
  expect_rc 0 "history with odd lines"
  grep -q "20990101T000000.000Z-1" <<<"$OUT" || fail "history lost the readable runs: $OUT"
  grep -q "skipped 3 unreadable lines" <<<"$ERR" || fail "history does not say it skipped lines: $ERR"
  run_roux history --root "$root" --format json
  no_signal "history --format json with odd lines"
  expect_rc 0 "history --format json"
  echo "ok: odd history lines"
}

# 3. A kept report with odd types: `roux report` shows what it can; a non-object is exit 1.
case_report_types() {
  run_id=20990101T000000.000Z-1
  cat >"$state/reports/$run_id.json" <<'R'
{"run_id": 1, "mode": null, "exit_code": "2", "duration_ms": [], "errors": [1, "real error"],
 "resources": [7, {"id": 2, "status": "failed", "error": 3, "skip_reason": {},
                   "changes": [{"property": 1, "before": 2, "after": null}, 5]}],
 "verify": [{"name": 1, "message": 2}, "x"], "totals": "none"}
R
  run_roux report "$run_id" --root "$root"
  no_signal "report with odd types"
  expect_rc 0 "report with odd types"
  grep -q "error: real error" <<<"$OUT" || fail "report lost the readable fields: $OUT"
  echo '[1, 2, 3]' >"$state/reports/$run_id.json"
  run_roux report "$run_id" --root "$root"
  no_signal "report that is an array"
  expect_rc 1 "report that is an array"
  grep -q "not a run report" <<<"$ERR" || fail "report that is an array: $ERR"
  echo "ok: odd report"
}

# 4. The lockfile (user-owned): each wrong-typed field is exit 1 naming the file and the field.
case_lockfile() {
  run_roux lock --policy "$work"
  expect_rc 0 "lock"
  lockfile="$work/policy.lock.json"
  cp "$lockfile" "$work/good.lock.json"
  lock_case() {  # PYTHON_EDIT WANT
    python3 - "$work/good.lock.json" "$lockfile" "$1" <<'PY'
import json, sys
src, dst, code = sys.argv[1:]
j = json.load(open(src))
exec(code)
open(dst, "w").write(json.dumps(j))
PY
    run_roux converge --policy "$work" --root "$root"
    no_signal "lockfile: $1"
    expect_rc 1 "lockfile: $1"
    grep -qF "$lockfile: not a valid lockfile: $2" <<<"$ERR" || fail "lockfile: $1: want '$2', got: $ERR"
  }
  lock_case 'j["lockfile_version"] = "1"' "lockfile_version must be 1"
  lock_case 'j["policy"] = 5' '"policy" must be a string, not number'
  lock_case 'j["cookbooks"] = {"a": 1}' '"cookbooks" must be an array'
  lock_case 'j["cookbooks"][0] = "app"' "cookbooks[0]: expected an object, not string"
  lock_case 'j["cookbooks"][0]["name"] = ["app"]' 'cookbooks[0]: "name" must be a string, not array'
  lock_case 'j["cookbooks"][0]["version"] = 1' 'cookbook app: "version" must be a string, not number'
  lock_case 'j["cookbooks"][0]["depends"] = {"x": 1}' "cookbook app: depends: x must be a constraint string"
  lock_case 'j["cookbooks"][0]["commit"] = False' 'cookbook app: "commit" must be a string, not boolean'
  run_roux update --all --policy "$work"
  no_signal "lock update over a bad lockfile"
  expect_rc 1 "lock update over a bad lockfile"
  cp "$work/good.lock.json" "$lockfile"
  run_roux converge --policy "$work" --root "$root"
  expect_rc 0 "converge with the lockfile restored"
  rm -f "$lockfile"
  echo "ok: wrong-typed lockfile fields"
}

# 5. client.yaml (user-owned): a list item of the wrong type names the file and line.
case_client_yaml() {
  printf 'sources:\n  - {url: x}\n' >"$work/client.yaml"
  run_roux converge --policy "$work" --root "$root" --config "$work/client.yaml"
  no_signal "client.yaml with a map as a source"
  expect_rc 1 "client.yaml with a map as a source"
  grep -q "client.yaml:2:.*sources: each item must be a string" <<<"$ERR" || fail "client.yaml: $ERR"
  echo "ok: client.yaml"
}

# 6. Supermarket: a signed tarball cut inside its gzip trailer.
case_supermarket() {
  run_roux keygen --out "$work/team"
  expect_rc 0 "keygen"
  market="$work/market"
  mkdir -p "$market"
  python3 - "$market/trunc-1.0.0.tar.gz" <<'PY'
import gzip, io, sys, tarfile
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as tf:
    for name, data in (("metadata.yaml", b"name: trunc\nversion: 1.0.0\n"),
                       ("recipes/default.yaml", b"resources:\n  - file: /etc/trunc\n    content: \"x\\n\"\n" * 20)):
        ti = tarfile.TarInfo(name)
        ti.size, ti.mode, ti.mtime = len(data), 0o644, 0
        tf.addfile(ti, io.BytesIO(data))
gz = gzip.compress(buf.getvalue(), mtime=0)
# Cut inside the gzip trailer (CRC and size): libarchive then fails with no message at all.
open(sys.argv[1], "wb").write(gz[:-4])
PY
  python3 - "$market" <<'PY'
import hashlib, json, sys
d = sys.argv[1]
sha = hashlib.sha256(open(d + "/trunc-1.0.0.tar.gz", "rb").read()).hexdigest()
u = {"trunc": {"1.0.0": {"download_url": "trunc-1.0.0.tar.gz", "dependencies": {},
                         "sha256": sha, "content_sha256": "a" * 64}}}
open(d + "/universe", "w").write(json.dumps(u, indent=2) + "\n")
PY
  "$ROUX" supermarket sign "$market/trunc-1.0.0.tar.gz" --key "$work/team.key" >/dev/null
  "$ROUX" supermarket sign "$market/universe" --key "$work/team.key" >/dev/null
  mkdir -p "$work/smpolicy"
  printf 'name: m\nsources:\n  - file://%s\nrun_list:\n  - trunc\n' "$market" >"$work/smpolicy/policy.yaml"
  run_roux converge --policy "$work/smpolicy" --root "$root" --trust "$work/team.pub"
  no_signal "truncated signed tarball"
  expect_rc 1 "truncated signed tarball"
  grep -q "unsafe archive refused: not a readable tar archive: corrupt or truncated data" <<<"$ERR" ||
    fail "truncated tarball: $ERR"
  echo "ok: truncated signed tarball refused"
}

# 7. The supermarket's cached validators.json (ETag, Last-Modified) with fields of other types.
case_validators() {
  run_roux keygen --out "$work/team2"
  expect_rc 0 "keygen"
  mkdir -p "$work/smpolicy"

  make_cookbook "$work/src" web 1.0.0
  run_roux supermarket publish "$work/src/web" --to "$work/market2" --key "$work/team2.key"
  expect_rc 0 "publish web"
  start_server "$work/market2" UP
  trap 'kill "${_SM_PIDS[@]}" 2>/dev/null || true' EXIT  # this case runs in a subshell
  url="http://127.0.0.1:$UP_PORT"
  printf 'name: m\nsources:\n  - %s\nrun_list:\n  - web\n' "$url" >"$work/smpolicy/policy.yaml"
  run_roux converge --policy "$work/smpolicy" --root "$root" --trust "$work/team2.pub"
  expect_rc 2 "converge from the HTTP supermarket"
  # The validators (ETag, Last-Modified) live in the supermarket's trusted record, kept outside a
  # --root tree: $XDG_CACHE_HOME/roux/supermarket/<url hash>.json.
  validators=$(find "$XDG_CACHE_HOME/roux/supermarket" -name '*.json' | head -1)
  [ -n "$validators" ] || fail "no supermarket record cached"
  for bad in '{"url": 5}' "{\"url\": \"$url/universe\", \"etag\": 5, \"last_modified\": []}" '[1]' 'not json'; do
    printf '%s\n' "$bad" >"$validators"
    : >"$UP_LOG"
    run_roux converge --policy "$work/smpolicy" --root "$root" --trust "$work/team2.pub"
    no_signal "validators.json: $bad"
    expect_rc 0 "validators.json: $bad"
    grep -q '^GET /universe 200' "$UP_LOG" || fail "validators.json $bad: the index was not fetched again: $(cat "$UP_LOG")"
  done
  echo "ok: corrupt validators.json means an unconditional fetch"
}

# Each case in a subshell, so one failure does not hide the others.
failed=()
# The parse cache case last: a binary that dies on its entry would die on every later run.
for c in history_lines report_types lockfile client_yaml supermarket validators parse_cache; do
  (case_$c) || failed+=("$c")
  rm -f "$work/policy.lock.json"  # a lockfile case that failed half-way must not leak into the next
done
[ ${#failed[@]} = 0 ] || fail "cases failed: ${failed[*]}"
echo "PASS: corrupt state never crashes"
