#!/usr/bin/env bash
# The distinct causes of plan/converge mismatches that tests/difftest/difftest.py found, each as a
# minimal hand-reduced case: recipe + starting state, then plan, converge, converge again, each with
# its exit code and the changes (id, property, before -> after, status, error) of its JSON report.
#   ROUX=build/roux bash tests/difftest/causes.sh [NAME]
# Not a test (it asserts nothing): a reproduction sheet; docs in tests/difftest/README.md.
set -euo pipefail
source "$(dirname "$0")/../e2e/lib.sh"

show() {  # show LABEL: runs plan, converge, converge on $work and prints the three reports
  local label=$1 cmd n=0
  echo "=== $label"
  sed 's/^/    /' "$work/cookbooks/app/recipes/default.yaml"
  for cmd in plan converge converge; do
    n=$((n + 1))
    run_roux "$cmd" --policy "$work" --root "$work/root" --format json
    printf '%s\n' "$OUT" >"$work/r$n.json"
    echo "  $cmd: exit $RC"
    python3 - "$work/r$n.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
for r in rep["resources"]:
    if r["status"] == "unchanged" and not r["changes"]:
        continue
    ch = "; ".join(f"{c['property']}: {c['before']!r} -> {c['after']!r}" for c in r["changes"])
    err = f"  ERROR: {r['error']}" if r.get("error") else ""
    print(f"    {r['id']} {r['status']}: {ch}{err}")
PY
  done
}

fresh() {  # fresh: a new $work with a root holding etc/passwd and etc/group
  work=$(e2e_tmpdir)
  mkdir -p "$work/root/etc" "$work/root/srv"
  printf 'root:x:0:0:root:/root:/bin/sh\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\n' >"$work/root/etc/passwd"
  printf 'root:x:0:\nbin:x:2:\n' >"$work/root/etc/group"
  : >"$work/root/etc/shadow"; : >"$work/root/etc/gshadow"
}

want=${1:-}
run() { [ -z "$want" ] || [ "$want" = "$1" ]; }

if run setid; then
  fresh
  printf 'old\n' >"$work/root/srv/tool"
  write_policy "$work" app <<'Y'
resources:
  - file: /srv/tool
    content: "#!/bin/sh\n"
    mode: "2755"
    group: bin
Y
  show "setid: chmod 2755 then chown: the kernel clears setgid; converge claims 2755, the tree has 0755, every run re-does it"
fi

if run link-parent; then
  fresh
  write_policy "$work" app <<'Y'
resources:
  - link: /srv/app/current
    to: /etc/passwd
Y
  show "link-parent: a link whose folder does not exist: plan says would_change (exit 2), converge fails (exit 4)"
fi

if run dangling-parent; then
  fresh
  ln -s /srv/releases/9 "$work/root/srv/current"
  write_policy "$work" app <<'Y'
resources:
  - file: /srv/current/app.conf
    content: "x\n"
Y
  show "dangling-parent: a file below an existing link to nowhere: plan says it would create it, converge fails"
fi

if run below-new-link; then
  fresh
  write_policy "$work" app <<'Y'
resources:
  - directory: /srv/releases/1
  - link: /srv/current
    to: /srv/releases/1
  - file: /srv/current/app.conf
    content: "x\n"
    requires: link[/srv/current]
Y
  show "below-new-link: the deploy pattern: plan says the file fails (parent missing), converge creates it"
fi

if run below-repaired-link; then
  fresh
  mkdir -p "$work/root/srv/releases/1"
  printf 'x\n' >"$work/root/srv/releases/1/app.conf"
  write_policy "$work" app <<'Y'
resources:
  - link: /srv/current
    to: /srv/releases/1
  - file: /srv/current/app.conf
    content: "x\n"
    requires: link[/srv/current]
Y
  show "below-repaired-link: the link was deleted by hand; plan says the file fails, converge finds it unchanged"
fi

if run below-repointed-link; then
  fresh
  mkdir -p "$work/root/srv/releases/2"
  printf 'x\n' >"$work/root/srv/releases/2/app.conf"
  ln -s /etc/passwd "$work/root/srv/current"
  write_policy "$work" app <<'Y'
resources:
  - link: /srv/current
    to: /srv/releases/2
  - file: /srv/current/app.conf
    content: "x\n"
    requires: link[/srv/current]
Y
  show "below-repointed-link: the link points elsewhere (here at a file); plan looks through the old target and predicts a create, converge re-points the link first and finds the file unchanged"
fi

if run failed-change-recorded; then
  fresh
  ln -s /srv/nowhere/x "$work/root/srv/current"
  write_policy "$work" app <<'Y'
resources:
  - file: /srv/current/app.conf
    content: "x\n"
    mode: "0600"
    notify: exec[reload]
  - exec: reload
    command: "true"
    refresh_only: true
Y
  show "failed-change-recorded: converge lists 'ensure: absent -> file' on a FAILED resource (not made), drops the mode change plan listed, exits 4 though its report lists a change; plan notified exec[reload], converge did not"
fi

if run account-fixed-id; then
  fresh
  printf 'x\n' >"$work/root/srv/f"
  chown 2000 "$work/root/srv/f"
  write_policy "$work" app <<'Y'
resources:
  - user: svc
    uid: 2000
  - file: /srv/f
    owner: svc
Y
  show "account-fixed-id: a user the run creates with a fixed uid that already owns the file: plan says owner 2000 -> svc, converge changes nothing"
fi

if run account-free-id; then
  fresh
  printf 'x\n' >"$work/root/srv/f"
  write_policy "$work" app <<'Y'
resources:
  - group: svcg
  - user: svc
    group: svcg
  - file: /srv/f
    group: svcg
Y
  run_roux converge --policy "$work" --root "$work/root"
  # Drift: the group deleted by hand; the file and the user keep its (now nameless) gid.
  sed -i '/^svcg:/d' "$work/root/etc/group" "$work/root/etc/gshadow"
  show "account-free-id: a group deleted by hand is re-created by the run (free gid: groupadd picks the same one again); plan says the file's and the user's group change from the bare gid to svcg, converge changes neither"
fi

if run side-effect-parent; then
  fresh
  write_policy "$work" app <<'Y'
resources:
  - file: /srv/app/f
    content: "x\n"
  - directory: /srv/app/sub
Y
  show "side-effect-parent: the file's folder is created (as a parent) by a directory resource ordered after it: plan == converge, but the 2nd converge makes a change"
fi

if run absent-order; then
  fresh
  mkdir -p "$work/root/srv/old"
  printf 'x\n' >"$work/root/srv/old/f"
  write_policy "$work" app <<'Y'
resources:
  - file: /srv/old/f
    ensure: absent
  - directory: /srv/old
    ensure: absent
Y
  show "absent-order (not a plan lie): removing a file and then its folder cannot be expressed: the implicit parent edge orders directory[/srv/old] (absent) first, it fails as not empty, the file is skipped; adding requires: file[/srv/old/f] is a dependency cycle"
fi
