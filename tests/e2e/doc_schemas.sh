#!/usr/bin/env bash
# roux doc schemas --out DIR writes the JSON Schemas embedded in the binary (the ones the compiler
# gates properties with): the files equal the repository's schemas/, byte for byte, and a recipe
# with a yaml-language-server modeline validates against the written files (a misspelt property,
# a bad mode and a bad ensure do not), with every $ref resolved from DIR alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c "import jsonschema, yaml" 2>/dev/null || skip "python3-jsonschema/python3-yaml missing"

work=$(e2e_tmpdir)
run_roux doc schemas --out "$work/schemas"
expect_rc 0 "doc schemas"
count=$(cd "$ROUX_SOURCE_DIR/schemas" && find . -name '*.json' | wc -l)
[ "$OUT" = "wrote $count schemas to $work/schemas (recipes: $work/schemas/recipe.schema.json)" ] || fail "output: $OUT"
# Each $id is rebased onto the folder written (editors resolve a relative $ref against the $id:
# with the repository's https://roux.example/ ids, yaml-language-server tried to fetch that host);
# nothing else differs.
diff -r <(cd "$ROUX_SOURCE_DIR/schemas" && grep -rv '"\$id"' . | sort) <(cd "$work/schemas" && grep -rv '"\$id"' . | sort) ||
  fail "the written schemas differ from the repository's beyond their \$id"
grep -q "^  \"\$id\": \"file://$work/schemas/resources/file.schema.json\",\$" "$work/schemas/resources/file.schema.json" ||
  fail "file.schema.json's \$id: $(grep '"\$id"' "$work/schemas/resources/file.schema.json")"
# With the repository's id base: byte for byte the repository's files.
run_roux doc schemas --out "$work/repo-ids" --id-base https://roux.example/schemas/
expect_rc 0 "doc schemas --id-base"
diff -r "$ROUX_SOURCE_DIR/schemas" "$work/repo-ids" || fail "the written schemas differ from the repository's"
# Again into the same folder: the same files (overwritten, not appended).
cp -r "$work/schemas" "$work/first"
run_roux doc schemas --out "$work/schemas"
expect_rc 0 "doc schemas again"
diff -r "$work/first" "$work/schemas" || fail "the schemas written twice differ"

cat >"$work/good.yaml" <<YAML
# yaml-language-server: \$schema=$work/schemas/recipe.schema.json
resources:
  - file: /etc/motd
    content: "hello\n"
    mode: "0644"
  - git: /srv/app
    repository: git@git.example.com:ops/app.git
    submodules: recursive
  - archive: /opt/app/1.4.1
    ensure: absent
YAML
cat >"$work/bad.yaml" <<'YAML'
resources:
  - file: /etc/motd
    contnet: "hello\n"
  - file: /etc/issue
    mode: "rwx"
  - service: ssh
    ensure: sideways
YAML
/usr/bin/python3 - "$work/schemas" "$work/good.yaml" "$work/bad.yaml" <<'PY' || fail "validation against the written schemas"
import glob, json, os, sys
import jsonschema, yaml
d = sys.argv[1]
store = {}
for p in glob.glob(os.path.join(d, "**", "*.json"), recursive=True):
    s = json.load(open(p))
    jsonschema.Draft202012Validator.check_schema(s)
    store[s["$id"]] = s
recipe = json.load(open(os.path.join(d, "recipe.schema.json")))
v = jsonschema.Draft202012Validator(recipe, resolver=jsonschema.RefResolver(recipe["$id"], recipe, store=store))
good = list(v.iter_errors(yaml.safe_load(open(sys.argv[2]))))
assert not good, [e.message for e in good]
bad = list(v.iter_errors(yaml.safe_load(open(sys.argv[3]))))
assert bad, "the bad recipe validated"
text = json.dumps([str(e) for e in bad])
for word in ("contnet", "rwx", "sideways"):
    assert word in text, (word, [e.message for e in bad])
PY
# A real editor, where one is installed (yaml-language-server is an npm package, not a Debian one:
# YLS=/path/to/yaml-language-server/bin/yaml-language-server, or on PATH).
yls=${YLS:-$(command -v yaml-language-server || true)}
if [ -n "$yls" ] && command -v node >/dev/null; then
  yls=$(readlink -f "$yls")
  printf '# yaml-language-server: $schema=%s\n' "$work/schemas/recipe.schema.json" | cat - "$work/bad.yaml" > "$work/bad-modeline.yaml"
  node "$ROUX_SOURCE_DIR/tests/schemas/lsp_diagnostics.js" "$yls" "$work/bad-modeline.yaml" > "$work/lsp-bad" 2>&1 || true
  grep -q '^4:5 Property contnet is not allowed' "$work/lsp-bad" || fail "yaml-language-server: $(cat "$work/lsp-bad")"
  grep -q '^6:11 .*pattern' "$work/lsp-bad" || fail "yaml-language-server (mode): $(cat "$work/lsp-bad")"
  if grep -q 'Problems loading reference' "$work/lsp-bad"; then fail "yaml-language-server: $(cat "$work/lsp-bad")"; fi
  node "$ROUX_SOURCE_DIR/tests/schemas/lsp_diagnostics.js" "$yls" "$work/good.yaml" > "$work/lsp-good" 2>&1 || true
  [ "$(cat "$work/lsp-good")" = "no diagnostics" ] || fail "yaml-language-server on the good recipe: $(cat "$work/lsp-good")"
  echo "yaml-language-server: $(tr '\n' ';' < "$work/lsp-bad")"
else
  echo "yaml-language-server not installed (npm i yaml-language-server; YLS=.../bin/yaml-language-server): editor check skipped"
fi
echo "PASS: doc schemas: written files equal schemas/ (ids rebased onto the folder), a recipe validates against them, bad ones do not"
