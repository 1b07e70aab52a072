#!/usr/bin/env bash
# roux explain names, for each attribute a resource's recipe text reads, the precedence level that
# set it last, over all four levels (issue #14, 4: "which attribute and precedence level set
# it"): cookbook attributes.yaml < policy attributes < node attributes (-j) < policy
# override_attributes, and "not set"; and the edges that order it, explicit and implicit. The
# text is API: checked verbatim. explain.sh covers the other lines.
source "$(dirname "$0")/lib.sh"

work=$(e2e_tmpdir)
root=$work/root
mkdir -p "$root/etc"
write_policy "$work" web <<'EOF'
resources:
  - directory: /etc/nginx
  - file: /etc/nginx/nginx.conf
    content: "workers {{attr.nginx.workers}} user {{attr.nginx.user}} port {{attr.nginx.port}} log {{attr.nginx.log}}{{#attr.nginx.tls}} tls{{/attr.nginx.tls}}\n"
    requires: exec[prep]
  - exec: prep
    command: "true"
    creates: /etc/nginx/prep
EOF
printf 'nginx:\n  workers: 2\n  user: www\n  port: 80\n  log: warn\n' >"$work/cookbooks/web/attributes.yaml"
cat >"$work/policy.yaml" <<'EOF'
name: e2e
sources:
  - cookbooks
run_list:
  - web
attributes:
  nginx:
    workers: 4
    log: info
override_attributes:
  nginx:
    port: 8080
EOF
echo '{"nginx": {"workers": 8, "port": 9090}}' >"$work/node.json"
run_roux explain 'file[/etc/nginx/nginx.conf]' -j "$work/node.json" --policy "$work" --root "$root" --config /dev/null
expect_rc 2 "explain"
want="file[/etc/nginx/nginx.conf]: would change
  declared at $work/cookbooks/web/recipes/default.yaml:3:5 (recipe web::default)
  attributes read by its recipe text:
    attr.nginx.workers: node attributes (-j $work/node.json)
    attr.nginx.user: cookbook web attributes.yaml
    attr.nginx.port: policy override_attributes ($work/policy.yaml)
    attr.nginx.log: policy attributes ($work/policy.yaml)
    attr.nginx.tls: not set
  differs:
    ensure: absent -> file
    mode: (none) -> 0644
  ordered after:
    exec[prep] (requires/before)
    directory[/etc/nginx] (implicit)"
[ "$OUT" = "$want" ] || fail "explain:
$OUT
want
$want"
# The values really are those levels' (the plan's diff shows the rendered line).
run_roux plan -j "$work/node.json" --policy "$work" --root "$root" --config /dev/null
grep -qx '        +workers 8 user www port 8080 log info' <<<"$OUT" || fail "rendered: $OUT"
echo "ok"
