#!/usr/bin/env python3
"""Random differential test of `roux plan` against `roux converge`, host family (issue #9).

The file family (difftest.py) converges into a --root tree. Packages, services, users, groups and
crontabs cannot be (apt and init scripts refuse --root), so this family runs on the live root of the
namespace sandbox (tests/sandbox/run.sh: an overlay of a debootstrapped Debian 12, real dpkg/apt from
the fixture repository /srv/repo, real useradd, SysV init scripts). One sandbox start runs every seed
in turn (one dpkg database: no -j).

A seed decides a policy over this vocabulary (fixtures in /srv/repo):
  package rouxd (installed, latest, a pinned 1.0-1/1.1-1, absent, purged, hold), rouxtool, librouxd;
  template /etc/rouxd.conf notifying service[rouxd] (restart or reload, delayed or immediately);
  service rouxd (running, enabled); groups dtg1..2 and users dtu1..2 (fixed or free ids, primary and
  supplementary groups, home + manage_home, shell, absent); cron.d entries and user crontab entries;
  files owned by the users and groups the run creates;
and a starting state: the baseline (fixture packages purged, no test accounts), converged, or
converged and then drifted with the host's own tools (apt-get remove, a downgrade, apt-mark, service
stop, update-rc.d disable, usermod -s, userdel, groupdel, a crontab or cron.d edit, chown).

Checks per seed (as in difftest.py):
  1  plan changes nothing: the files of /etc /home /srv /usr /var (not roux's state folder),
     dpkg's status and selections, and whether rouxd runs (its pid);
  2  plan's exit code matches its report;
  3  plan's (id, property, before, after) multiset, statuses, failure texts and exit code equal
     converge's;
  4  a second converge changes nothing;
  5  the host after the first converge matches the policy, read with dpkg-query, the init script,
     the rc2.d links, /etc/passwd and /etc/group, the crontab spool and cron.d files, os.lstat.
Between seeds the baseline is restored and compared with the first baseline, so what one seed
leaks fails that seed, not the next.

  python3 tests/difftest/hostdiff.py --roux build/roux --seeds 0-19          # runs the sandbox itself
  python3 tests/difftest/hostdiff.py --roux build/roux --setup 7 --out DIR   # write one seed's policy
Inside the sandbox (ROUX_SANDBOX set) it runs the seeds directly. Exit 0 all passed, 1 a mismatch,
77 sandbox unavailable.
"""
import argparse
import collections
import grp
import hashlib
import json
import os
import pwd
import random
import shutil
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import difftest as ft  # noqa: E402  (the file family: shared report checks)

PKGS = ["rouxd", "rouxtool", "librouxd"]
VERSIONS = ["1.0-1", "1.1-1"]
SHELLS = ["/bin/sh", "/bin/bash", "/usr/sbin/nologin"]
SCHEDULES = ["*/5 * * * *", "15 3 * * *", "@hourly", "@daily", "0 */2 * * mon-fri"]
COMMANDS = ["/bin/true", "/usr/bin/env true", "echo hi >/dev/null"]
STATE = "/var/lib/roux"


def sh(cmd, check=False):
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise RuntimeError(f"{cmd}: exit {p.returncode}: {p.stderr.strip()[:300]}")
    return p


class Gen:
    """One seed's policy (a list of resource dicts in declaration order) and starting state."""

    def __init__(self, seed):
        self.seed = seed
        self.r = random.Random(seed * 7919 + 17)
        self.res = []           # [(id, dict of properties, in order)]
        self.start = "blank"
        self.drifts = []        # shell commands applied after the converged start

    def add(self, typ, name, **props):
        d = {typ: name}
        d.update({k: v for k, v in props.items() if v is not None})
        self.res.append(d)
        return f"{typ}[{name}]"

    def generate(self):
        r = self.r
        # Packages.
        rouxd_ensure = None
        if r.random() < 0.85:
            kind = r.choice(["installed", "installed", "latest", "pin", "pin", "absent", "purged"])
            props = {}
            if kind == "pin":
                props["ensure"] = "installed"
                props["version"] = r.choice(VERSIONS)
            else:
                props["ensure"] = kind
            if props["ensure"] in ("installed", "latest") and r.random() < 0.3:
                props["hold"] = r.choice([True, False])
            rouxd_ensure = props["ensure"]
            self.add("package", "rouxd", **props)
        if r.random() < 0.5:
            self.add("package", "rouxtool", ensure=r.choice(["installed", "installed", "absent", "purged"]))
        if r.random() < 0.2:
            # librouxd absent only where nothing needs it (else the policy fights itself).
            ok_absent = rouxd_ensure in (None, "absent", "purged")
            self.add("package", "librouxd", ensure=r.choice(["installed", "absent"]) if ok_absent else "installed")
        installed = rouxd_ensure in ("installed", "latest")
        # Config + service.
        svc = None
        if installed and r.random() < 0.7 or r.random() < 0.1:
            props = {}
            if r.random() < 0.8:
                props["running"] = r.choice([True, False])
            if r.random() < 0.7:
                props["enabled"] = r.choice([True, False])
            if installed and r.random() < 0.6:
                props["requires"] = "package[rouxd]"
            svc = self.add("service", "rouxd", **props)
        if installed and r.random() < 0.6:
            props = {"source": "rouxd.conf.mustache", "mode": r.choice(["0644", "0640"])}
            if r.random() < 0.8:
                props["requires"] = "package[rouxd]"
            if svc and r.random() < 0.8:
                action = r.choice(["restart", "reload"])
                timing = r.choice(["delayed", "delayed", "immediately"])
                if action == "restart" and timing == "delayed" and r.random() < 0.5:
                    props["notify"] = svc
                else:
                    props["notify"] = {"resource": svc, "action": action, "timing": timing}
            self.add("template", "/etc/rouxd.conf", **props)
            if svc and r.random() < 0.3:
                # A second notifier: restart and reload to the same service (a restart subsumes a reload).
                self.add("file", "/etc/rouxd.extra", content=f"extra {r.randint(0, 3)}\n", mode="0644",
                         notify={"resource": svc, "action": r.choice(["reload", "restart"])})
        # Accounts.
        groups = []
        for i in (1, 2):
            if r.random() < 0.6:
                name = f"dtg{i}"
                props = {}
                if r.random() < 0.5:
                    props["gid"] = 2100 + r.randint(0, 4) * 2 + i
                if r.random() < 0.15:
                    props = {"ensure": "absent"}
                else:
                    groups.append(name)
                self.add("group", name, **props)
        users = []
        for i in (1, 2):
            if r.random() < 0.6:
                name = f"dtu{i}"
                if r.random() < 0.15:
                    self.add("user", name, ensure="absent", remove_home=r.choice([True, False, None]))
                    continue
                props = {}
                if r.random() < 0.5:
                    props["uid"] = 2200 + r.randint(0, 4) * 2 + i
                if groups and r.random() < 0.6:
                    props["group"] = r.choice(groups)
                if r.random() < 0.5:
                    sup = [g for g in groups + ["adm", "staff"] if r.random() < 0.4]
                    props["groups"] = sup
                    if r.random() < 0.3:
                        props["append"] = True
                if r.random() < 0.6:
                    props["home"] = r.choice([f"/home/{name}", f"/srv/dthome/{name}", f"/home/{name}-h"])
                    props["manage_home"] = r.choice([True, True, False])
                if r.random() < 0.6:
                    props["shell"] = r.choice(SHELLS)
                if r.random() < 0.3:
                    props["comment"] = r.choice(["Difftest user", "dt"])
                users.append(name)
                self.add("user", name, **props)
        # Files owned by the accounts the run creates.
        if (users or groups) and r.random() < 0.6:
            self.add("directory", "/srv/dt", mode="0755")
            for j in range(r.randint(1, 2)):
                props = {"content": f"owned {j}\n", "mode": r.choice(["0644", "0640", "0600"])}
                if users and r.random() < 0.8:
                    props["owner"] = r.choice(users)
                if groups and r.random() < 0.6:
                    props["group"] = r.choice(groups)
                self.add("file", f"/srv/dt/f{j}", **props)
        # Cron.
        for j in range(r.choice([0, 0, 1, 2])):
            props = {"schedule": r.choice(SCHEDULES), "command": r.choice(COMMANDS)}
            if users and r.random() < 0.5:
                props["user"] = r.choice(users)
            if r.random() < 0.1:
                props = {"ensure": "absent"}
            self.add("cron", f"dt-job{j}", **props)
        for u in users:
            if r.random() < 0.4:
                self.add("cron", f"dt-{u}-tab", target="crontab", user=u, schedule=r.choice(SCHEDULES),
                         command=r.choice(COMMANDS), requires=f"user[{u}]")
        if r.random() < 0.3:
            self.r.shuffle(self.res)  # declaration order at random too (requires: keeps what must hold)
        # Starting state.
        self.start = r.choice(["blank", "converged", "drifted", "drifted"])
        if self.start == "drifted":
            self.drifts = self.pick_drifts()
        return self

    def pick_drifts(self):
        """1-3 edits by the host's own tools, chosen among those that touch what the policy manages."""
        r = self.r
        names = {(next(iter(d)), d[next(iter(d))]) for d in self.res}
        has = lambda typ, name: (typ, name) in names
        pool = []
        if has("package", "rouxd"):
            pool += ["apt-get remove -y -q rouxd >/dev/null 2>&1",
                     "apt-get install -y -q --allow-downgrades rouxd=1.0-1 >/dev/null 2>&1",
                     "apt-get install -y -q --allow-change-held-packages rouxd=1.1-1 >/dev/null 2>&1",
                     "dpkg --purge rouxd >/dev/null 2>&1",
                     "apt-mark unhold rouxd >/dev/null 2>&1", "apt-mark hold rouxd >/dev/null 2>&1"]
        if has("package", "rouxtool"):
            pool += ["dpkg --purge rouxtool >/dev/null 2>&1", "apt-get install -y -q rouxtool >/dev/null 2>&1"]
        if has("package", "librouxd"):
            pool += ["apt-get install -y -q librouxd >/dev/null 2>&1"]
        if has("service", "rouxd"):
            pool += ["[ -x /etc/init.d/rouxd ] && /etc/init.d/rouxd stop >/dev/null 2>&1",
                     "[ -x /etc/init.d/rouxd ] && /etc/init.d/rouxd start >/dev/null 2>&1",
                     "update-rc.d rouxd disable >/dev/null 2>&1", "update-rc.d rouxd enable >/dev/null 2>&1"]
        if has("template", "/etc/rouxd.conf"):
            pool += ["echo 'greeting = drifted' > /etc/rouxd.conf", "chmod 600 /etc/rouxd.conf",
                     "rm -f /etc/rouxd.conf"]
        for i in (1, 2):
            if has("user", f"dtu{i}"):
                pool += [f"usermod -s /bin/false dtu{i} >/dev/null 2>&1", f"userdel dtu{i} >/dev/null 2>&1",
                         f"userdel -r dtu{i} >/dev/null 2>&1", f"gpasswd -d dtu{i} adm >/dev/null 2>&1",
                         f"usermod -a -G staff dtu{i} >/dev/null 2>&1", f"usermod -c drifted dtu{i} >/dev/null 2>&1",
                         f"sed -i 's/^@hourly/@daily/; s/^15 3/16 3/; s/true$/false/' "
                         f"/var/spool/cron/crontabs/dtu{i} 2>/dev/null",
                         f"echo '7 7 * * * /bin/foreign' >> /var/spool/cron/crontabs/dtu{i} 2>/dev/null"]
            if has("group", f"dtg{i}"):
                pool += [f"groupdel dtg{i} >/dev/null 2>&1", f"groupmod -g {2150 + i} dtg{i} >/dev/null 2>&1"]
            else:
                pool += [f"groupadd dtg{i} >/dev/null 2>&1"]
        if any(t == "cron" and n.startswith("dt-job") for t, n in names):
            pool += ["sed -i 's/true$/false/; s/^@hourly/@daily/' /etc/cron.d/dt-job0 2>/dev/null",
                     "rm -f /etc/cron.d/dt-job1", "echo '1 1 * * * root /bin/true' > /etc/cron.d/dt-job0"]
        if has("directory", "/srv/dt"):
            pool += ["chown root:root /srv/dt/f0 2>/dev/null", "rm -f /srv/dt/f1", "chmod 0777 /srv/dt/f0",
                     "rm -rf /srv/dt"]
        if not pool:
            pool = ["true"]
        return r.sample(pool, min(len(pool), r.randint(1, 3)))

    def recipe_yaml(self):
        return json.dumps({"resources": self.res}, indent=1)  # JSON is YAML

    def write_policy(self, pol):
        cb = os.path.join(pol, "cookbooks", "dt")
        os.makedirs(os.path.join(cb, "recipes"), exist_ok=True)
        os.makedirs(os.path.join(cb, "templates"), exist_ok=True)
        with open(os.path.join(pol, "policy.yaml"), "w") as f:
            f.write(f"name: hostdiff-{self.seed}\nsources:\n  - cookbooks\nrun_list:\n  - dt\n"
                    f"attributes:\n  dt:\n    greeting: seed{self.seed % 3}\n")
        with open(os.path.join(cb, "metadata.yaml"), "w") as f:
            f.write("name: dt\nversion: 1.0.0\n")
        with open(os.path.join(cb, "templates", "rouxd.conf.mustache"), "w") as f:
            f.write("greeting = {{attr.dt.greeting}}\n")
        with open(os.path.join(cb, "recipes", "default.yaml"), "w") as f:
            f.write(self.recipe_yaml() + "\n")


# ---- the host: baseline, snapshot, oracle ----

SNAP_ROOTS = ["/etc", "/home", "/srv", "/usr", "/var", "/opt", "/root"]
SNAP_SKIP = (STATE, "/var/log", "/var/cache/apt/archives/partial", "/var/lib/apt/lists/partial")


def snapshot():
    """Everything plan must not change (not roux's own state folder, not logs)."""
    s = {}
    for top in SNAP_ROOTS:
        for dirpath, dirnames, filenames in os.walk(top):
            if dirpath.startswith(SNAP_SKIP):
                dirnames[:] = []
                continue
            for n in dirnames + filenames:
                p = os.path.join(dirpath, n)
                if p.startswith(SNAP_SKIP):
                    continue
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                e = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_size,
                     st.st_mtime_ns)
                if stat.S_ISLNK(st.st_mode):
                    e += (os.readlink(p),)
                s[p] = e
    s["<rouxd pid>"] = rouxd_pid()
    return s


def rouxd_pid():
    try:
        pid = open("/run/rouxd.pid").read().strip()
        os.kill(int(pid), 0)
        return pid
    except (OSError, ValueError):
        return None


def snap_diff(a, b):
    out = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            out.append(f"{k}: {a.get(k)} => {b.get(k)}")
    return out


def restore_baseline():
    """Back to the baseline: no fixture package, no test account, crontab, cron.d file or state."""
    sh("[ -x /etc/init.d/rouxd ] && /etc/init.d/rouxd stop; pkill -f /usr/sbin/rouxd; rm -f /run/rouxd.pid")
    sh("apt-mark unhold rouxd librouxd rouxtool")
    sh("dpkg --purge rouxd rouxtool librouxd")
    for u in ("dtu1", "dtu2"):
        sh(f"userdel -f {u}")
    for g in ("dtg1", "dtg2", "dtu1", "dtu2"):
        sh(f"groupdel {g}")
    sh("rm -rf /srv/dt /srv/dthome /home/dtu* /var/spool/cron/crontabs/dtu* /etc/cron.d/dt-* "
       "/etc/rouxd.conf* /etc/rouxd.extra /var/log/rouxd.log /etc/rc?.d/*rouxd " + STATE)
    # The shadow tools' backups (/etc/passwd- ...) and dpkg's status-old are not state.
    sh("rm -f /etc/passwd- /etc/group- /etc/shadow- /etc/gshadow- /etc/subuid- /etc/subgid-")


def baseline_view():
    """What a leak would show in: accounts, cron, dpkg status, the test folders."""
    v = {}
    for f in ("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/var/lib/dpkg/status",
              "/etc/subuid", "/etc/subgid"):
        try:
            v[f] = hashlib.sha256(open(f, "rb").read()).hexdigest()[:16]
        except OSError:
            v[f] = None
    for d in ("/etc/cron.d", "/var/spool/cron/crontabs", "/home", "/srv", "/etc/init.d"):
        v[d] = sorted(os.listdir(d)) if os.path.isdir(d) else None
    v["holds"] = sh("apt-mark showhold").stdout
    v["rouxd"] = rouxd_pid()
    return v


def pkg_state(name):
    p = sh(f"dpkg-query -W -f '${{Status}}|${{Version}}' {name}")
    if p.returncode != 0:
        return ("not-installed", None)
    status, _, ver = p.stdout.partition("|")
    want, _, st = status.partition(" ")
    st = st.split(" ")[-1]
    if st == "installed":
        return ("installed", ver)
    if st == "config-files":
        return ("config-files", None)
    return (st, None)


def held(name):
    return name in sh("apt-mark showhold").stdout.split()


def service_running():
    return sh("[ -x /etc/init.d/rouxd ] && /etc/init.d/rouxd status").returncode == 0


def service_enabled():
    return any(n.startswith("S") and n[3:] == "rouxd" for n in os.listdir("/etc/rc2.d"))


def passwd(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def group(name):
    try:
        return grp.getgrnam(name)
    except KeyError:
        return None


def check_final(gen, conv):
    """The host read directly against the policy, for each resource converge called done."""
    st = ft.statuses(conv)
    bad = []
    for d in gen.res:
        typ = next(iter(d))
        name = d[typ]
        rid = f"{typ}[{name}]"
        if st.get(rid) not in ("changed", "unchanged"):
            continue
        if typ == "package":
            state, ver = pkg_state(name)
            ens = d.get("ensure", "installed")
            if ens in ("installed", "latest"):
                cand = "1.1-1" if name == "rouxd" else "1.0-1"
                want = d.get("version") or (cand if ens == "latest" else None)
                if state != "installed" or (want and ver != want):
                    bad.append(f"{rid}: {state} {ver}, policy {ens} {want or ''}")
                if "hold" in d and held(name) != d["hold"]:
                    bad.append(f"{rid}: hold {held(name)}, policy {d['hold']}")
            elif ens == "absent" and state == "installed":
                bad.append(f"{rid}: installed, policy absent")
            elif ens == "purged" and state != "not-installed":
                bad.append(f"{rid}: {state}, policy purged")
        elif typ == "service":
            if "running" in d and service_running() != d["running"]:
                bad.append(f"{rid}: running {service_running()}, policy {d['running']}")
            if "enabled" in d and service_enabled() != d["enabled"]:
                bad.append(f"{rid}: enabled {service_enabled()}, policy {d['enabled']}")
        elif typ == "group":
            g = group(name)
            if d.get("ensure") == "absent":
                if g:
                    bad.append(f"{rid}: exists, policy absent")
            elif not g:
                bad.append(f"{rid}: missing")
            elif "gid" in d and g.gr_gid != d["gid"]:
                bad.append(f"{rid}: gid {g.gr_gid}, policy {d['gid']}")
        elif typ == "user":
            u = passwd(name)
            if d.get("ensure") == "absent":
                if u:
                    bad.append(f"{rid}: exists, policy absent")
                continue
            if not u:
                bad.append(f"{rid}: missing")
                continue
            if "uid" in d and u.pw_uid != d["uid"]:
                bad.append(f"{rid}: uid {u.pw_uid}, policy {d['uid']}")
            if "group" in d and (group(d["group"]) is None or u.pw_gid != group(d["group"]).gr_gid):
                bad.append(f"{rid}: gid {u.pw_gid}, policy group {d['group']}")
            if "shell" in d and u.pw_shell != d["shell"]:
                bad.append(f"{rid}: shell {u.pw_shell}, policy {d['shell']}")
            if "home" in d and u.pw_dir != d["home"]:
                bad.append(f"{rid}: home {u.pw_dir}, policy {d['home']}")
            if d.get("manage_home") and not os.path.isdir(u.pw_dir):
                bad.append(f"{rid}: home {u.pw_dir} missing")
            if "groups" in d:
                member = {g.gr_name for g in grp.getgrall() if name in g.gr_mem}
                want = set(d["groups"])
                if (member != want) if not d.get("append") else not want <= member:
                    bad.append(f"{rid}: groups {sorted(member)}, policy {sorted(want)}")
        elif typ in ("file", "template", "directory"):
            try:
                s = os.lstat(name)
            except OSError:
                bad.append(f"{rid}: missing")
                continue
            if "mode" in d and stat.S_IMODE(s.st_mode) != int(d["mode"], 8):
                bad.append(f"{rid}: mode {oct(stat.S_IMODE(s.st_mode))}, policy {d['mode']}")
            if "owner" in d and (passwd(d["owner"]) is None or s.st_uid != passwd(d["owner"]).pw_uid):
                bad.append(f"{rid}: uid {s.st_uid}, policy {d['owner']}")
            if "group" in d and (group(d["group"]) is None or s.st_gid != group(d["group"]).gr_gid):
                bad.append(f"{rid}: gid {s.st_gid}, policy {d['group']}")
            if "content" in d and open(name).read() != d["content"]:
                bad.append(f"{rid}: content differs")
        elif typ == "cron":
            if d.get("target") == "crontab":
                path = f"/var/spool/cron/crontabs/{d['user']}"
            else:
                path = f"/etc/cron.d/{name}"
            try:
                text = open(path).read()
            except OSError:
                text = None
            if d.get("ensure") == "absent":
                marker = f"# roux: {name}\n"
                if text is not None and (d.get("target") != "crontab" or marker in text):
                    bad.append(f"{rid}: still present in {path}")
                continue
            if text is None:
                bad.append(f"{rid}: {path} missing")
                continue
            lines = text.splitlines()
            entry = d["schedule"] + " " + ("" if d.get("target") == "crontab" else d.get("user", "root") + " ") \
                + d["command"]
            if not any(" ".join(line.split()) == " ".join(entry.split()) for line in lines):
                bad.append(f"{rid}: entry {entry!r} not in {path}")
    return bad


# ---- one seed ----

def run_roux(roux, cmd, pol):
    t0 = time.monotonic()
    p = subprocess.run([roux, cmd, "--policy", pol, "--format", "json"], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=300, env=dict(os.environ, NO_COLOR="1"))
    try:
        rep = json.loads(p.stdout)
    except ValueError:
        rep = None
    return p.returncode, rep, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"), \
        time.monotonic() - t0


def check(gen, pol, roux):
    """plan, converge, converge; returns the failures (check, category, details) and the reports."""
    fails, reps = [], {}
    before = snapshot()
    prc, plan, _, perr, _ = run_roux(roux, "plan", pol)
    reps["plan"] = plan
    d = snap_diff(before, snapshot())
    if d:
        fails.append(("1", "plan-wrote", d[:20]))
    if plan is None:
        fails.append(("2", f"plan-no-report(rc={prc})", [perr.strip()[:400]]))
        return fails, reps
    if plan.get("errors"):
        crc, conv, _, _, _ = run_roux(roux, "converge", pol)
        reps["converge"] = conv
        if prc != 1 or crc != 1:
            fails.append(("2", "compile-error-rc", [f"plan exit {prc}, converge exit {crc}; both must be 1"]))
        return fails, reps
    w = ft.want_rc(plan, "would_change")
    if prc != w:
        fails.append(("2", "plan-rc", [f"plan exit {prc}, its report says {w}"]))
    crc, conv, _, cerr, _ = run_roux(roux, "converge", pol)
    reps["converge"] = conv
    if conv is None:
        fails.append(("3", f"converge-no-report(rc={crc})", [cerr.strip()[:400]]))
        return fails, reps
    if ft.totals_mismatch(conv):
        fails.append(("3", "converge-totals", ft.totals_mismatch(conv)))
    pc, cc = ft.changes_of(plan), ft.changes_of(conv)
    if pc != cc:
        fails.append(("3", "changes", [f"plan only:     {x}" for x in sorted((pc - cc).elements())] +
                      [f"converge only: {x}" for x in sorted((cc - pc).elements())]))
    ps, cs = ft.statuses(plan), ft.statuses(conv)
    sd = [f"{i}: plan {ps.get(i)} / converge {cs.get(i)}" for i in sorted(set(ps) | set(cs))
          if {"would_change": "changed"}.get(ps.get(i), ps.get(i)) != cs.get(i)]
    if sd:
        fails.append(("3", "status", sd))
    perrs = {r["id"]: r.get("error", "") for r in plan["resources"] if r["status"] == "failed"}
    cerrs = {r["id"]: r.get("error", "") for r in conv["resources"] if r["status"] == "failed"}
    ed = [f"{i}: plan {perrs[i]!r} / converge {cerrs[i]!r}" for i in sorted(set(perrs) & set(cerrs))
          if perrs[i] != cerrs[i]]
    if ed:
        fails.append(("3", "error-text", ed))
    if crc != ft.want_rc(conv, "changed"):
        fails.append(("3", "converge-rc", [f"converge exit {crc}, its report says {ft.want_rc(conv, 'changed')}"]))
    if prc != crc and not any(c == "3" for c, _, _ in fails):
        fails.append(("3", "rc", [f"plan exit {prc}, converge exit {crc}"]))
    bad = check_final(gen, conv)
    if bad:
        fails.append(("5", "final-state", bad))
    rc2, conv2, _, cerr2, _ = run_roux(roux, "converge", pol)
    reps["converge2"] = conv2
    if conv2 is None:
        fails.append(("4", f"second-no-report(rc={rc2})", [cerr2.strip()[:400]]))
        return fails, reps
    c2 = ft.changes_of(conv2)
    if c2:
        first_failed = {i for i, s in cs.items() if s in ("failed", "skipped")}
        retry = all(k[0] in first_failed for k in c2)
        fails.append(("4", "second-changes-after-failure" if retry else "second-changes",
                      [str(k) for k in sorted(c2.elements())]))
    elif rc2 != ft.want_rc(conv2, "changed"):
        fails.append(("4", "second-rc", [f"second converge exit {rc2}"]))
    return fails, reps


def setup(gen, pol, roux):
    """Writes the policy and brings the host to the seed's starting state."""
    gen.write_policy(pol)
    if gen.start in ("converged", "drifted"):
        run_roux(roux, "converge", pol)
        for cmd in gen.drifts:
            sh(cmd)
    # The starting state is what it is: roux's history of the setup run is not part of it.
    sh("rm -rf " + STATE)


def run_seed(seed, roux, work, keep, base_view):
    gen = Gen(seed).generate()
    pol = os.path.join(work, f"seed-{seed}")
    fails, reps = [], {}
    t0 = time.monotonic()
    try:
        restore_baseline()
        leak = snap_diff(base_view, baseline_view())
        if leak:
            fails.append(("H", "baseline-not-restored", leak[:10]))
        else:
            setup(gen, pol, roux)
            fails, reps = check(gen, pol, roux)
    except Exception:
        import traceback
        fails.append(("H", "harness", traceback.format_exc().splitlines()[-3:]))
    dt = time.monotonic() - t0
    if fails and keep:
        out = os.path.join(keep, f"seed-{seed}")
        shutil.rmtree(out, ignore_errors=True)
        if os.path.isdir(pol):
            shutil.copytree(pol, os.path.join(out, "policy"))
        for k, v in reps.items():
            with open(os.path.join(out, f"{k}.json"), "w") as f:
                json.dump(v, f, indent=1)
        with open(os.path.join(out, "README"), "w") as f:
            f.write(f"seed {seed}, start {gen.start}, drifts {gen.drifts}\n"
                    f"inside the sandbox: python3 tests/difftest/hostdiff.py --roux ROUX --seeds {seed} -v\n\n")
            for c, k, details in fails:
                f.write(f"check {c} {k}\n" + "".join(f"  {x}\n" for x in details))
    shutil.rmtree(pol, ignore_errors=True)
    gen.summary = " ".join(f"{k}={sum(ft.changes_of(v).values())}" for k, v in reps.items() if v and "resources" in v)
    return gen, fails, dt


def inside(args):
    roux = os.path.abspath(args.roux)
    work = tempfile.mkdtemp(prefix="hostdiff-")
    restore_baseline()
    base_view = baseline_view()
    nfail, by_check, times = 0, collections.Counter(), []
    seeds = ft.parse_seeds(args.seeds)
    for seed in seeds:
        gen, fails, dt = run_seed(seed, roux, work, args.keep_failures, base_view)
        times.append(dt)
        if fails:
            nfail += 1
            for c, k, _ in fails:
                by_check[f"{c}:{k}"] += 1
            print(f"seed {seed} ({gen.start}): " + "; ".join(f"check {c} {k}" for c, k, _ in fails), flush=True)
            if args.verbose:
                print(gen.recipe_yaml())
                print("drifts:", gen.drifts)
                for c, k, details in fails:
                    for x in details:
                        print(f"    {c} {k}: {x}")
        elif args.verbose:
            print(f"seed {seed} ({gen.start}): ok ({dt:.1f} s; changes {gen.summary}; "
                  f"{len(gen.res)} resources)", flush=True)
    restore_baseline()
    shutil.rmtree(work, ignore_errors=True)
    avg = sum(times) / len(times) if times else 0
    print(f"hostdiff: {len(seeds)} seeds, {nfail} mismatches"
          + (f" (by check: {dict(by_check)})" if by_check else "") + f", {avg:.1f} s per seed")
    return 1 if nfail else 0


def outside(args):
    """Re-runs this script inside tests/sandbox/run.sh."""
    src = os.path.dirname(os.path.dirname(HERE))
    roux = os.path.abspath(args.roux)
    build = os.path.dirname(os.path.realpath(roux))
    cmd = ["python3", "/roux/src/tests/difftest/hostdiff.py", "--roux", "/roux/build/" + os.path.basename(roux),
           "--seeds", args.seeds]
    if args.verbose:
        cmd.append("-v")
    binds = []
    if args.keep_failures:
        os.makedirs(args.keep_failures, exist_ok=True)
        binds = ["--bind", os.path.abspath(args.keep_failures) + ":/roux/keep"]
        cmd += ["--keep-failures", "/roux/keep"]
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write("set -e\nexec " + " ".join(subprocess.list2cmdline([c]) for c in cmd) + "\n")
        script = f.name
    try:
        env = dict(os.environ, ROUX_BUILD_DIR=build, ROUX=roux)
        return subprocess.run(["bash", os.path.join(src, "tests/sandbox/run.sh"), script] + binds, env=env).returncode
    finally:
        os.unlink(script)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--roux", required=True)
    ap.add_argument("--seeds", default="0-19")
    ap.add_argument("--keep-failures")
    ap.add_argument("--setup", type=int, help="write this seed's policy into --out and print its start")
    ap.add_argument("--out")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.setup is not None:
        gen = Gen(args.setup).generate()
        gen.write_policy(args.out)
        print(f"start: {gen.start}; drifts: {gen.drifts}")
        return 0
    if os.environ.get("ROUX_SANDBOX"):
        return inside(args)
    return outside(args)


if __name__ == "__main__":
    sys.exit(main())
