# peers.sh: how each peer converges, is reset and is drifted. Sourced by
# gen.sh, run.sh and clean.sh. To add a peer (as roux was added):
#   1. give it an initial in gen_workload.py INITIALS (roux -> 'n') and,
#      if it needs one, a render_<peer>() there (or render from
#      $PEERBENCH_BASE/<peer>/workload.json in its own tool);
#   2. add a pb_argv_<peer> function below that sets the PB_ARGV array to the
#      one command that converges the host to workload.json;
#   3. optionally a pb_state_<peer> function naming its private state dirs
#      (deleted before each first-converge run), a pb_prepare_<peer>
#      function for untimed one-off setup after such a reset, and a
#      pb_collect_<peer> FILE function run (untimed) after each timed run to
#      keep the peer's own timing figures.
# Nothing here may touch anything outside $PEERBENCH_BASE except the
# benchmark users (pb<initial>NNN) that the workload declares.

: "${PEERBENCH_BASE:=/tmp/peerbench}"
export PEERBENCH_BASE

pb_argv_puppet() {
  local b=$PEERBENCH_BASE/puppet s=$PEERBENCH_BASE/puppet/state
  # all of puppet's own directories redirected under $s (defaults: /etc/puppet,
  # /var/cache/puppet, ...); otherwise stock settings (reports stored,
  # filebucket backups on change, facts gathered by facter).
  PB_ARGV=(puppet apply --confdir "$s/etc" --codedir "$s/code"
           --vardir "$s/var" --logdir "$s/log" --rundir "$s/run"
           --publicdir "$s/public" "$b/manifest.pp")
}
pb_state_puppet() { echo "$PEERBENCH_BASE/puppet/state"; }

pb_argv_cfengine() {
  local b=$PEERBENCH_BASE/cfengine
  # -K: ignore promise locks (run everything every time); workdir (state DBs,
  # package-list cache) moved from /var/lib/cfengine3 to $b/work.
  PB_ARGV=(env "CFENGINE_TEST_OVERRIDE_WORKDIR=$b/work"
           cf-agent -K -f "$b/policy.cf")
}
pb_state_cfengine() { echo "$PEERBENCH_BASE/cfengine/work"; }
# untimed, after each reset: what the Debian package's install did for
# /var/lib/cfengine3 (bin -> /usr/bin, so cf-agent finds cf-promises for
# pre-validation; a host key pair from cf-key, else cf-agent aborts)
pb_prepare_cfengine() {
  local w=$PEERBENCH_BASE/cfengine/work
  mkdir -p "$w" && ln -sfn /usr/bin "$w/bin"
  [ -f "$w/ppkeys/localhost.priv" ] ||
    CFENGINE_TEST_OVERRIDE_WORKDIR=$w cf-key >/dev/null
}

pb_argv_ansible() {
  local b=$PEERBENCH_BASE/ansible
  PB_ARGV=(env "ANSIBLE_CONFIG=$b/ansible.cfg"
           ansible-playbook -c local -i localhost, "$b/playbook.yml")
}
pb_state_ansible() { echo "$PEERBENCH_BASE/ansible/tmp"; }

# variant (ansible-core only): files as ONE copy task from a staged tree
# (remote_src), no per-directory loop; see gen_workload.py ANSIBLE_FILES_TREE
pb_argv_ansibletree() {
  local b=$PEERBENCH_BASE/ansibletree
  PB_ARGV=(env "ANSIBLE_CONFIG=$b/ansible.cfg"
           ansible-playbook -c local -i localhost, "$b/playbook.yml")
}
pb_state_ansibletree() { echo "$PEERBENCH_BASE/ansibletree/tmp"; }

# roux: the binary from $ROUX (default: roux on PATH), converging / (the
# live host, as the peers do); its state folder (run lock, last_run.json,
# history, backups of replaced files, parsed-recipe cache) moved from
# /var/lib/roux to $b/state. Stock settings otherwise: facts gathered, the
# report written to the state folder, a replaced file backed up.
pb_argv_roux() {
  local b=$PEERBENCH_BASE/roux
  PB_ARGV=("${ROUX:-roux}" converge --policy "$b/policy.yaml"
           --state-dir "$b/state")
}
pb_state_roux() { echo "$PEERBENCH_BASE/roux/state"; }
# base: another roux binary ($PB_EXTRA_BASE), its own tree, state and users (bench/peers.sh BASELINE)
pb_argv_base() {
  local b=$PEERBENCH_BASE/base
  PB_ARGV=("$PB_EXTRA_BASE" converge --policy "$b/policy.yaml" --state-dir "$b/state")
}
pb_state_base() { echo "$PEERBENCH_BASE/base/state"; }
# untimed, after each timed run: roux's own account of where the run's time
# went (phases_ms of last_run.json: facts, lock, compile, converge) -> FILE
pb_collect_roux() {
  /usr/bin/python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(json.dumps({"duration_ms": d["duration_ms"], "phases_ms": d["phases_ms"]}))' \
    "$PEERBENCH_BASE/roux/state/last_run.json" >"$1" 2>/dev/null || true
}

# --- generic helpers -------------------------------------------------------

pb_argv() { "pb_argv_$1"; }

pb_users() {  # user names declared in the peer's workload.json
  /usr/bin/python3 -c 'import json,sys
for u in json.load(open(sys.argv[1]))["users"]: print(u["name"])' \
    "$PEERBENCH_BASE/$1/workload.json"
}

# remove everything the workload created: tree, users (with home), peer state
pb_clean() {
  local peer=$1 u d
  [ -f "$PEERBENCH_BASE/$peer/workload.json" ] || return 0
  for u in $(pb_users "$peer"); do
    case $u in pb?[0-9][0-9][0-9]) ;; *) continue ;; esac
    if getent passwd "$u" >/dev/null; then userdel -r "$u" 2>/dev/null || userdel -r -f "$u"; fi
    if getent group "$u" >/dev/null; then groupdel "$u"; fi
  done
  rm -rf "$PEERBENCH_BASE/$peer/root"
  if declare -F "pb_state_$peer" >/dev/null; then
    for d in $("pb_state_$peer"); do
      case $d in "$PEERBENCH_BASE"/*) rm -rf "$d" ;; esac
    done
  fi
}

# reset to empty (untimed): clean, then the peer's one-off setup if any
pb_reset() {
  pb_clean "$1"
  if declare -F "pb_prepare_$1" >/dev/null; then "pb_prepare_$1"; fi
}

# change one managed file's content by hand (the drift case)
pb_drift() {
  local f
  f=$(/usr/bin/python3 -c 'import json,sys
print(json.load(open(sys.argv[1]))["drift_file"])' "$PEERBENCH_BASE/$1/workload.json")
  printf 'drifted by hand at %s\n' "$(date +%s.%N)" > "$f"
}
