#!/usr/bin/env bash
# A converge makes each written file durable before its rename (its own fsync, or a syncfs of its
# filesystem between the temp file's creation and its rename: the batched pass) but syncs
# each changed folder once, not once per file: 30 files in 3 folders cost at most 30 file syncs and one
# fsync per changed folder (the old binary synced each folder once per file written in it). Folders are synced before a command runs (an exec sees durable
# changes) and before the report is written (the report never claims a change whose name is not
# durable). Counted with strace -y, which names the file behind each descriptor. Skips without strace.
source "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || skip "strace is not installed"
work=$(e2e_tmpdir)
{
  echo "resources:"
  for d in a b c; do printf '  - directory: /srv/%s\n    mode: "0755"\n' "$d"; done
  for i in $(seq 0 29); do
    d=$(echo a b c | cut -d' ' -f$((i % 3 + 1)))
    printf '  - file: /srv/%s/f%02d\n    content: "file %d\\n"\n    mode: "0640"\n' "$d" "$i" "$i"
  done
  printf '  - exec: touch-marker\n    command: "echo ran-after-files"\n    creates: /srv/never\n'
  printf '  - file: /srv/c/after-exec\n    content: "late\\n"\n'
} | write_policy "$work" sync
mkdir -p "$work/root/srv"
strace -f -y -qq -o "$work/trace" -e trace=fsync,fdatasync,syncfs,execve,openat,renameat \
  "$ROUX" converge --policy "$work" --root "$work/root" --format json >"$work/out.json" 2>"$work/err" || true
[ -s "$work/out.json" ] && grep -q "\"exit_code\": 2" "$work/out.json" || fail "converge under strace: $(cat "$work/err")"
python3 - "$work/trace" "$work/root" "$work/out.json" <<'PY'
import collections, json, os, re, sys
trace, root, out = sys.argv[1], os.path.realpath(sys.argv[2]), sys.argv[3]
rep = json.load(open(out))
assert rep["exit_code"] == 2 and rep["totals"]["failed"] == 0, rep["totals"]
syncs, order = collections.Counter(), []
# strace -f writes "PID  call": the pid padded with spaces to 5 columns, so a pid below 10000
# (pids wrap at pid_max) is followed by several spaces. Split on the first run of spaces: a
# split on one space left the rest starting with spaces, the resumed half of a call then did not
# match and that fsync was lost (the flake "0 fsyncs for /srv/a/f00" once pids had wrapped).
pending = {}  # pid -> a call strace split because another thread ran meanwhile (converge --jobs)
for raw in open(trace):
    pid, line = (raw.rstrip("\n").split(None, 1) + [""])[:2]
    if line.endswith("<unfinished ...>"):
        pending[pid] = line[: -len("<unfinished ...>")].rstrip()
        continue
    resumed = re.match(r"<\.\.\. (\w+) resumed>(.*)", line)
    if resumed:
        # (an execve resumed under another pid, its thread group's leader, is no sync)
        assert pid in pending or resumed.group(1) not in ("fsync", "fdatasync", "syncfs"), f"a sync resumed without its start: {raw}"
        line = pending.pop(pid, "") + re.sub(r"^\)\s+=", ") =", resumed.group(2))
    m = re.search(r"\b(fsync|fdatasync|syncfs)\(\d+<([^>]*)>\) = 0", line)
    c = re.search(r'\bopenat\(\d+<[^>]*>, "([^"]+\.roux-tmp)", O_WRONLY\|O_CREAT', line)
    r = re.search(r'\brenameat\(\d+<[^>]*>, "([^"]+\.roux-tmp)", \d+<[^>]*>, "[^"]+"\) = 0', line)
    if m and m.group(1) == "syncfs":
        order.append(("syncfs", m.group(2)))
    elif c:
        order.append(("create", c.group(1)))
    elif r:
        order.append(("rename", r.group(1)))
    elif m:
        syncs[m.group(2)] += 1
        order.append(("sync", m.group(2)))
    elif "execve(" in line and "ran-after-files" in line:
        order.append(("exec", ""))
assert not pending or all(not re.search(r"\b(fsync|fdatasync|syncfs)\(", l) for l in pending.values()), \
    f"syncs never resumed in the trace: {pending}"
def rel(p): return p[len(root):] if p.startswith(root + "/") else p
# /srv/c changes again after the exec (after-exec), so it is synced twice: before the exec, then
# before the report.
for d, want in (("a", 1), ("b", 1), ("c", 2)):
    folder = f"{root}/srv/{d}"
    assert syncs[folder] == want, f"/srv/{d} synced {syncs[folder]} times, want {want}: {dict(syncs)}"
for i in range(30):
    f = f"{root}/srv/{'abc'[i % 3]}/f{i:02d}"
    tmp = f"{root}/srv/{'abc'[i % 3]}/.f{i:02d}.roux-tmp"
    n = syncs[f] + syncs[tmp]
    name = os.path.basename(tmp)
    made = [k for k, (e, p) in enumerate(order) if e == "create" and p == name]
    moved = [k for k, (e, p) in enumerate(order) if e == "rename" and p == name]
    assert made and moved, f"{rel(f)}: temp file created {len(made)}, renamed {len(moved)} times"
    batched = any(e == "syncfs" for e, _ in order[made[0]:moved[0]])
    if n != 1 and not (n == 0 and batched):  # the trace lines of that file say why (a split strace did not join, or a real miss)
        seen = [l.rstrip() for l in open(trace) if f"f{i:02d}" in l]
        raise AssertionError(f"{rel(f)}: {n} fsyncs and no syncfs between its temp file and its rename, "
                             f"want its data synced once, before the rename; trace: {seen}")
dirs_synced = [p for p in syncs if os.path.isdir(p)]
twice = [rel(p) for p in dirs_synced if syncs[p] > 1 and rel(p) != "/srv/c"]
assert not twice, f"folders synced more than once: {twice}"
assert syncs[f"{root}/srv"] == 1, "the folder holding the new folders is synced once"
# Before the exec ran, every folder changed so far was synced.
exec_at = [i for i, (k, _) in enumerate(order) if k == "exec"]
assert exec_at, "the exec did not run"
before = {p for k, p in order[:exec_at[0]] if k == "sync"}
for d in "abc":
    assert f"{root}/srv/{d}" in before, f"/srv/{d} was not synced before the exec ran"
# The late file's folder is synced after it was written (before the report).
after = [p for k, p in order[exec_at[0]:] if k == "sync"]
assert f"{root}/srv/c" in after, "the folder of the file written after the exec was not synced"
print(f"ok: {sum(syncs.values())} syncs; {len(dirs_synced)} folders synced, each once (/srv/c twice)")
PY
