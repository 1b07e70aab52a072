#!/usr/bin/env bash
# `roux explain ID` and `roux plan --explain ID`: why a resource is in the plan: its outcome,
# each property that differs, where it was declared, its tags, and every edge that orders or
# refreshes it. The text is API: checked verbatim. An unknown id names the nearest. Nothing changes.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root=$work/root
mkdir -p "$root/etc/nginx"
echo old >"$root/etc/nginx/nginx.conf"
write_policy "$work" web <<'EOF2'
tags: [base]
resources:
  - directory: /etc/nginx
  - file: /etc/nginx/nginx.conf
    content: "worker_processes {{attr.web.workers}};\nuser {{attr.web.user}};\n"
    mode: "0640"
    tags: [web]
    notify:
      resource: exec[reload-nginx]
      action: run
  - exec: reload-nginx
    command: "true"
    refresh_only: true
  - exec: long-reload
    command: "true aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    refresh_only: true
    subscribe: file[/etc/motd]
  - file: /etc/motd
    content: "hi\n"
    requires: file[/etc/nginx/nginx.conf]
EOF2
# Attribute levels: the cookbook's defaults, the policy's attributes over them.
printf 'web:\n  workers: 1\n  user: www-data\n' >"$work/cookbooks/web/attributes.yaml"
printf 'attributes:\n  web:\n    workers: 2\n' >>"$work/policy.yaml"
common=(--policy "$work" --root "$root")
recipe=$work/cookbooks/web/recipes/default.yaml
before=$(tree_checksum "$root" var/lib/roux)

run_roux explain 'file[/etc/nginx/nginx.conf]' "${common[@]}"
expect_rc 2 "explain (the plan has changes)"
want="file[/etc/nginx/nginx.conf]: would change
  declared at $recipe:4:5 (recipe web::default)
  tags: base, web
  attributes read by its recipe text:
    attr.web.workers: policy attributes ($work/policy.yaml)
    attr.web.user: cookbook web attributes.yaml
  differs:
    content: sha256:$(printf 'old\n' | sha256sum | cut -c1-12) (4 bytes) -> sha256:$(printf 'worker_processes 2;\nuser www-data;\n' | sha256sum | cut -c1-12) (35 bytes)
    mode: 0644 -> 0640
  ordered after:
    directory[/etc/nginx] (implicit)
  ordered before:
    file[/etc/motd]
  notifies when it changes:
    exec[reload-nginx] (run, delayed)"
[ "$OUT" = "$want" ] || fail "explain file: got
$OUT
want
$want"

run_roux plan --explain 'exec[reload-nginx]' "${common[@]}"
expect_rc 2 "plan --explain"
want="exec[reload-nginx]: would change
  declared at $recipe:11:5 (recipe web::default)
  tags: base
  differs:
    run: (none) -> true (notified by file[/etc/nginx/nginx.conf]) (predicted)
  refreshed when these change:
    file[/etc/nginx/nginx.conf] (run, delayed)"
[ "$OUT" = "$want" ] || fail "explain exec (who notified it, said once in its run line): got
$OUT
want
$want"

# A run line cut short (a long command) no longer says who notified: its own line says it.
run_roux explain 'exec[long-reload]' "${common[@]}"
expect_rc 2 "explain of an exec with a long command"
grep -qx '  notified in this plan by: file\[/etc/motd\]' <<<"$OUT" || fail "long command: who notified is not told:
$OUT"

run_roux explain 'directory[/etc/nginx]' "${common[@]}"
want="directory[/etc/nginx]: unchanged: no property differs from the host
  declared at $recipe:3:5 (recipe web::default)
  tags: base
  ordered before:
    file[/etc/nginx/nginx.conf]"
[ "$OUT" = "$want" ] || fail "explain directory: got
$OUT
want
$want"

run_roux explain 'file[/etc/nginx/ngnix.conf]' "${common[@]}"
expect_rc 1 "explain of an unknown id"
[ "$ERR" = "roux: error: explain: no resource file[/etc/nginx/ngnix.conf] in the policy; did you mean file[/etc/nginx/nginx.conf]?" ] ||
  fail "unknown id: $ERR"
[ "$(tree_checksum "$root" var/lib/roux)" = "$before" ] || fail "explain changed the host"
echo "explain: ok"
