#!/usr/bin/env bash
# roux bootstrap with a policy that never settles (an exec without a guard, a file whose content
# flips on every run): it stops after --passes, names the resources that changed on each pass,
# exits 6 (changes and failure, as converge would), and says what to do next.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/supermarket/helpers.sh"
source "$(dirname "$0")/supermarket/bootstrap_lib.sh"
command -v python3 >/dev/null || skip "python3 is needed for the loopback HTTP server"

work=$(e2e_tmpdir)
run_roux keygen --out "$work/team"
expect_rc 0 "keygen"
mkdir -p "$work/src/flappy/recipes"
printf 'name: flappy\nversion: 1.0.0\n' >"$work/src/flappy/metadata.yaml"
# stamp: no guard, so it runs (a change) every pass; flip: its content depends on whether the
# marker exists, and the exec after it toggles the marker, so it flips every pass.
cat >"$work/src/flappy/recipes/default.yaml" <<'YAML'
resources:
  - file: /etc/steady.conf
    content: "steady\n"
  - exec: stamp
    command: "date +%s%N > \"$ROUX_ROOT/etc/stamp\""
  - exec: toggle
    command: "if [ -e \"$ROUX_ROOT/etc/marker\" ]; then rm \"$ROUX_ROOT/etc/marker\"; else touch \"$ROUX_ROOT/etc/marker\"; fi"
YAML
publish_and_serve "$work" flappy flappy

root=$(e2e_tmpdir)
mkdir -p "$root/etc"
run_roux bootstrap --source "$URL" --policy flappy --trust "$work/team.pub" --root "$root" --format json
expect_rc 6 "a policy that never settles"
python3 - "$OUT" <<'PY' || fail "never-settles JSON: $OUT"
import json, sys
j = json.loads(sys.argv[1])
assert j["settled"] is False and j["exit_code"] == 6, j
p = j["passes"]
assert len(p) == 3, p   # the default --passes
assert sorted(p[0]["changed"]) == ["exec[stamp]", "exec[toggle]", "file[/etc/steady.conf]"], p[0]
for later in p[1:]:
    assert sorted(later["changed"]) == ["exec[stamp]", "exec[toggle]"], later
assert any("change on every run: exec[stamp], exec[toggle]" in n for n in j["next_steps"]), j["next_steps"]
PY
[ "$(cat "$root/etc/steady.conf")" = steady ] || fail "the steady file"

# The text summary names the resources on each later pass, and --passes bounds the loop.
root2=$(e2e_tmpdir)
mkdir -p "$root2/etc"
run_roux bootstrap --source "$URL" --policy flappy --trust "$work/team.pub" --root "$root2" --passes 2
expect_rc 6 "never settles, --passes 2"
grep -q "^  pass 2 .*2 changed, 0 failed$" <<<"$OUT" || fail "pass 2 line: $OUT"
grep -q "^            changed: exec\[stamp\], exec\[toggle\]$" <<<"$OUT" || fail "pass 2 names its changes: $OUT"
grep -q "^  pass 3" <<<"$OUT" && fail "a third pass ran with --passes 2: $OUT"
grep -q "^  result    NOT SETTLED after 2 passes, .* (exit 6)$" <<<"$OUT" || fail "result line: $OUT"
grep -q "^  next      these resources change on every run: exec\[stamp\], exec\[toggle\]; give each a guard" <<<"$OUT" ||
  fail "next step: $OUT"
echo "PASS: a policy that never settles is reported with the resources of each pass, exit 6"
