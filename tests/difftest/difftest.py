#!/usr/bin/env python3
"""Random differential test of `roux plan` against `roux converge` (issue #9, "a plan that never lies").

For each seed: a policy of the file family (file, template, directory, link, exec with creates, guards,
requires/before, notify/subscribe, ensure absent, modes with setuid/setgid, owners by name or id,
nested paths, links to managed paths, paths below a link the run creates, user/group/cron.d
resources converged into the root by the shadow tools) and a starting --root
(blank, converged, or converged then drifted), both chosen by the seed alone. Then:

  1  `roux plan` changes nothing in the tree (paths, types, modes, owners, content, link targets,
     mtimes and ctimes, before vs after);
  2  plan's exit code matches its report (2 iff changes listed, 4 for failures, 6 both);
  3  what plan predicted equals what converge did: the multiset of (id, property, before, after),
     each resource's status (would_change/changed, failed/failed, ...), and the exit codes;
  4  a second converge changes nothing (exit 0, or 4 with the same failures);
  5  the tree after the first converge matches the policy, read directly (os.lstat, file content),
     for every resource converge reports as changed or unchanged.

A failing seed prints one line; with --keep-failures DIR its policy and its starting root are rebuilt
in DIR/seed-N (the seed alone decides both) with the reports and a README of the commands to run.
Python 3 standard library only.

  python3 tests/difftest/difftest.py --roux build/roux --seeds 0-99 [-j 2] [--keep-failures DIR]
  python3 tests/difftest/difftest.py --roux build/roux --setup 17 --out /tmp/s17   # rebuild one seed
"""
import argparse
import collections
import copy
import hashlib
import json
import os
import random
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

# Accounts written into ROOT/etc/passwd and ROOT/etc/group (names resolved by roux inside the root).
USERS = [("root", 0, 0), ("daemon", 1, 1), ("bin", 2, 2), ("www-data", 33, 33), ("app", 1001, 1001),
         ("deploy", 1002, 1002), ("nobody", 65534, 65534)]
GROUPS = [("root", 0), ("daemon", 1), ("bin", 2), ("adm", 4), ("www-data", 33), ("staff", 50), ("app", 1001),
          ("deploy", 1002), ("nogroup", 65534)]
UID_OF = {n: u for n, u, _ in USERS}
GID_OF = {n: g for n, g in GROUPS}
FILE_MODES = ["0644", "0600", "0640", "0755", "0444", "0700", "644", "4755", "2755", "6750", "4711", "0750"]
DIR_MODES = ["0755", "0750", "0700", "2775", "1777", "0711", "2750", "755", "3777", "0770"]
BASES = ["/srv/app", "/etc/app", "/opt/tool", "/var/www"]
NAMES = ["conf", "data", "cache", "lib", "run", "logs", "sub", "inner", "deep", "x"]
ATTR_PORT = "8080"
CHECKS = ["1", "2", "3", "4", "5"]
# Generator features --without can leave out (to look past a known cause): kinds of resources
# (dir nested file link absent exec refresh deploy), parents nobody declares (undeclared), setuid and
# setgid modes (setid), owner/group (owners), notify/subscribe (notify), guards, stale entries at
# managed paths in the starting state (junk), user/group resources whose names files use, with
# cron.d entries run as those users (accounts).
FEATURES = ["dir", "nested", "file", "link", "absent", "exec", "refresh", "deploy", "undeclared", "setid",
            "owners", "notify", "guards", "junk", "accounts", "archive", "git", "hostres", "systypes",
            "edits"]
# hostres: ssh_authorized_key, mount, kernel_module and swap_file resources (drawn after the rest; see make_hostres).
# systypes: hostname, timezone, systemd_unit, reboot (request) and locale resources (drawn after hostres; see make_systypes).
# edits: line, ini, sysctl (the /etc/sysctl.d file only: under --root roux never touches /proc/sys) and
# remote_file from the difftest's own HTTP server on 127.0.0.1 (drawn after systypes; see make_edits).
SSH_KEYS = [("ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5AAAAIPRwkXUt0hMwy2oIphr5rwCYrcbP0xFJmDsivE3zdLpN"),
            ("ecdsa-sha2-nistp256", "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHJnkRA5RZ6dGsh5alvqJ/ZRVifFIhd0"
             "hwjPup5MguEuElu9o1/W7hW2WdTUTzCwGvydUocxbe9WftSCRya+P4g=")]
SSH_OPTIONS = ["no-pty", 'from="10.0.0.0/8"', 'command="/bin/true"']


# remote_file's server (family edits): 127.0.0.1, started once per difftest process before any seed
# (workers fork after it, and connect to it); GET /c/KEY answers http_body(KEY) with an ETag, and 304
# to a matching If-None-Match. The port is in the recipes, so a kept reproduction needs a server
# serving the same bodies (`--serve` runs one on a given port).
HTTP_PORT = None


def http_body(key):
    """The bytes served for KEY: a function of KEY alone (the generator computes their digest)."""
    h = hashlib.sha256(key.encode()).hexdigest()
    return ("remote " + key + " " + h + "\n").encode() * (1 + int(h[:2], 16) % 40)


def http_port():
    return HTTP_PORT if HTTP_PORT is not None else 9


def start_http(port=0):
    """Starts the server in a daemon thread; returns its port. Bounded: bodies are at most a few KiB,
    each request has a 10 s socket timeout, only /c/KEY with KEY of [A-Za-z0-9-] up to 64 bytes."""
    import http.server
    import threading

    class H(http.server.BaseHTTPRequestHandler):
        timeout = 10

        def do_GET(self):
            m = re.fullmatch(r"/c/([A-Za-z0-9-]{1,64})", self.path)
            if not m:
                self.send_error(404)
                return
            body = http_body(m.group(1))
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv.server_address[1]


def q(s):
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(s, ensure_ascii=False)


class Res:
    def __init__(self, typ, name):
        self.type, self.name = typ, name
        self.props = []  # (key, yaml text)
        self.expect = {}  # oracle for check 5
        self.deps = set()  # ids that must come first (implicit edges roux adds + our own)

    @property
    def id(self):
        return f"{self.type}[{self.name}]"

    def set(self, key, text):
        self.props = [(k, v) for k, v in self.props if k != key] + [(key, text)]

    def get(self, key):
        for k, v in self.props:
            if k == key:
                return v
        return None


def parent(p):
    return p.rsplit("/", 1)[0] or "/"


def ancestors(p):
    out = []
    while True:
        p = parent(p)
        if p == "/":
            return out
        out.append(p)


class Gen:
    """Builds the policy and the starting state of one seed. Everything depends on the seed only
    (and on the root's path, which exec commands and guards name)."""

    def __init__(self, seed, root, without=()):
        self.without = set(without)  # generator features left out (see FEATURES)
        self.seed = seed
        self.rnd = random.Random(seed)
        self.root = root
        self.gen_root = root  # the root exec commands and guards name
        self.res = []
        self.by_path = {}  # managed path -> Res
        self.dirs = []  # folders a new entry may go in: (path, managed?)
        self.files = {}  # cookbook files/ and templates/: relative path -> text
        self.junk = []  # starting-state entries: (kind, path, arg)
        self.counter = 0
        self.accounts_users, self.accounts_groups = [], []
        self.git_repos = []  # (name, [ {path: (content, executable)} per commit ])
        self.start = self.rnd.choices(["blank", "converged", "drifted"], [3, 2, 5])[0]

    # ----- helpers
    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def new_path(self, folder, prefix):
        for _ in range(50):
            p = f"{folder}/{self.fresh(prefix)}"
            if p not in self.by_path:
                return p
        raise RuntimeError("no path")

    def add(self, r, path=None):
        self.res.append(r)
        if path:
            self.by_path[path] = r
            for a in ancestors(path):
                d = self.by_path.get(a)
                if d is not None and d.type == "directory":
                    r.deps.add(d.id)
        return r

    def pick_dir(self, allow_missing=True):
        d, managed = self.rnd.choice(self.dirs)
        if allow_missing and self.rnd.random() < 0.05 and "undeclared" not in self.without:
            # A folder nobody declares and that does not exist (the resource must fail, in plan too).
            return d + "/undeclared" + str(self.rnd.randint(1, 3))
        return d

    def ownership(self, r, modes):
        if self.rnd.random() < 0.7:
            m = self.rnd.choice(modes)
            if "setid" in self.without and len(m) == 4 and m[0] != "0":
                m = "0" + m[1:]
            r.set("mode", q(m) if self.rnd.random() < 0.85 else m)  # sometimes unquoted: YAML 0755
            r.expect["mode"] = int(m, 8)
        if "owners" in self.without:
            return
        if self.rnd.random() < 0.4:
            if self.accounts_users and self.rnd.random() < 0.5:
                name = self.rnd.choice(self.accounts_users)  # a user this run creates
                r.set("owner", q(name))
                r.expect["user"] = name
                r.deps.add(f"user[{name}]")
            else:
                name, uid, _ = self.rnd.choice(USERS)
                numeric = self.rnd.random() < 0.3
                r.set("owner", str(uid) if numeric else q(name))
                r.expect["uid"] = uid
        if self.rnd.random() < 0.4:
            if self.accounts_groups and self.rnd.random() < 0.5:
                name = self.rnd.choice(self.accounts_groups)
                r.set("group", q(name))
                r.expect["group"] = name
                r.deps.add(f"group[{name}]")
            else:
                name, gid = self.rnd.choice(GROUPS)
                numeric = self.rnd.random() < 0.3
                r.set("group", str(gid) if numeric else q(name))
                r.expect["gid"] = gid

    def make_cron(self, user):
        """A cron.d entry run as a user this run creates (or root), sometimes absent."""
        if self.rnd.random() < 0.5:
            return
        c = Res("cron", self.fresh("job-"))
        if self.rnd.random() < 0.15:
            c.set("ensure", q("absent"))
            c.expect = {"type": "cron", "absent": True}
            self.junk.append(("file", f"/etc/cron.d/{c.name}", "# old\n* * * * * root true\n"))
        else:
            sched = self.rnd.choice(["* * * * *", "0 6 * * *", "*/5 * * * *", "15 3 1 * *"])
            u = user if self.rnd.random() < 0.6 else "root"
            cmd = self.rnd.choice(["/usr/bin/true", "echo hi >/dev/null", "/bin/sh -c 'exit 0'"])
            c.set("schedule", q(sched))
            c.set("command", q(cmd))
            c.set("user", q(u))
            if u != "root":
                c.deps.add(f"user[{u}]")
            if self.rnd.random() < 0.3:
                c.set("environment", "{MAILTO: " + q("") + ", PATH: " + q("/usr/bin:/bin") + "}")
            c.expect = {"type": "cron", "absent": False, "schedule": sched, "user": u, "command": cmd}
        self.add(c)

    def make_accounts(self):
        """A group and a user this run creates (ids fixed or left to useradd/groupadd); files then
        name them as owner and group, before they exist."""
        for k in range(self.rnd.randint(1, 2)):
            g = Res("group", f"svcg{k}")
            if self.rnd.random() < 0.6:
                g.set("gid", str(2100 + k))
            self.add(g)
            self.accounts_groups.append(g.name)
            u = Res("user", f"svc{k}")
            if self.rnd.random() < 0.6:
                u.set("uid", str(2000 + k))
            shell = comment = None
            if self.rnd.random() < 0.4:
                shell = self.rnd.choice(["/bin/sh", "/bin/bash", "/usr/sbin/nologin"])
                u.set("shell", q(shell))
            if self.rnd.random() < 0.3:
                comment = self.rnd.choice(["Service account", "svc \u00e9t\u00e9", ""])
                u.set("comment", q(comment))
            if self.rnd.random() < 0.5:
                u.set("group", q(g.name))
                u.deps.add(g.id)
            self.add(u)
            self.accounts_users.append(u.name)
            self.make_cron(u.name)
            u.expect = {"type": "account", "db": "passwd", "id": int(u.get("uid")) if u.get("uid") else None,
                        "shell": shell, "comment": comment}
            g.expect = {"type": "account", "db": "group", "id": int(g.get("gid")) if g.get("gid") else None}

    def content(self):
        k = self.rnd.random()
        if k < 0.05:
            return ""
        if k < 0.1:
            return "no newline at end"
        if k < 0.15:
            return "caf\u00e9 \u2713 \u65e5\u672c\n"
        lines = [f"key{self.rnd.randint(0, 99)} = {self.rnd.choice(['a', 'b', 'yes', '42', 'x y'])}"
                 for _ in range(self.rnd.randint(1, 6))]
        return "\n".join(lines) + "\n"

    # ----- resource makers
    def make_dir(self, folder=None, nested=False):
        folder = folder or self.pick_dir(allow_missing=False)
        p = self.new_path(folder, self.rnd.choice(NAMES))
        if nested:  # parents created by the directory resource itself
            p = f"{p}/{self.rnd.choice(NAMES)}"
        r = self.add(Res("directory", p), p)
        r.expect["type"] = "dir"
        self.ownership(r, DIR_MODES)
        self.dirs.append((p, True))
        return r

    def make_file(self, folder=None, typ=None):
        folder = folder or self.pick_dir()
        typ = typ or self.rnd.choices(["file", "template"], [3, 1])[0]
        p = self.new_path(folder, "f")
        r = self.add(Res(typ, p), p)
        r.expect["type"] = "file"
        if typ == "template":
            t = self.fresh("t") + ".mustache"
            word = self.rnd.choice(["alpha", "beta", "gamma"])
            self.files["templates/" + t] = "# {{name}}\nport = {{attr.app.port}}\n" + self.content()
            r.set("source", q(t))
            r.set("variables", "{name: " + q(word) + "}")
            r.expect["content"] = self.files["templates/" + t].replace("{{name}}", word).replace(
                "{{attr.app.port}}", ATTR_PORT)
        elif self.rnd.random() < 0.15:
            s = self.fresh("s") + ".txt"
            k = self.rnd.random()
            if k < 0.2:  # binary: no diff shown, "(binary content differs)"
                self.files["files/" + s] = bytes(self.rnd.randrange(256) for _ in range(self.rnd.randint(1, 300)))
            elif k < 0.3:  # a large file (~300 KiB): diffed, cut after 200 lines ("... N more diff lines not shown")
                self.files["files/" + s] = "".join(
                    f"line {i}\n" for i in range(self.rnd.randint(30000, 40000)))
            else:
                self.files["files/" + s] = self.content()
            r.set("source", q(s))
            r.expect["content"] = self.files["files/" + s]
        elif self.rnd.random() < 0.9:
            c = self.content()
            r.set("content", q(c))
            r.expect["content"] = c
        # else: no content: an empty file is created, an existing one's content is left alone
        self.ownership(r, FILE_MODES)
        if self.rnd.random() < 0.1:
            r.set("backup", str(self.rnd.choice([0, 1, 2])))
        if self.rnd.random() < 0.2 and "junk" not in self.without:
            # Something was already there: a stale regular file, a link, a folder.
            self.junk.append(self.rnd.choice([("file", p, "old content\n"), ("link", p, "/etc/passwd"),
                                              ("link", p, "nowhere")]))
        return r

    def make_link(self):
        folder = self.pick_dir()
        p = self.new_path(folder, "l")
        r = Res("link", p)
        targets = [x for x, t in self.by_path.items() if t.type in ("file", "template", "directory")
                   and t.get("ensure") is None]
        k = self.rnd.random()
        if targets and k < 0.6:
            to = self.rnd.choice(targets)
            if self.rnd.random() < 0.3:
                to = os.path.relpath(to, parent(p))  # a relative target
        elif k < 0.8:
            to = "/nonexistent/" + self.fresh("t")  # dangling is fine for a link
        else:
            to = "/etc/passwd"
        r.set("to", q(to))
        if to.startswith("/"):
            for a in ancestors(to) + [to]:
                for t in ("directory", "file", "template"):
                    if f"{t}[{a}]" in {x.id for x in self.res}:
                        r.deps.add(f"{t}[{a}]")
        self.add(r, p)
        r.expect["type"] = "link"
        r.expect["target"] = to
        if self.rnd.random() < 0.25:
            self.junk.append(self.rnd.choice([("file", p, "plain\n"), ("link", p, "/old/target")]))
            if self.junk[-1][0] == "file" and self.rnd.random() < 0.7:
                r.set("force", "true")
        return r

    def make_absent(self):
        typ = self.rnd.choice(["file", "directory", "link", "template"])
        folder = self.pick_dir(allow_missing=False)
        p = self.new_path(folder, "gone")
        r = Res(typ, p)
        r.set("ensure", q("absent"))
        if typ == "template":
            t = self.fresh("t") + ".mustache"
            self.files["templates/" + t] = "unused\n"
            r.set("source", q(t))
        self.add(r, p)
        r.expect["type"] = "absent"
        if self.rnd.random() < 0.7:
            if typ in ("file", "template"):
                self.junk.append(self.rnd.choice([("file", p, "leftover\n"), ("link", p, "/etc/passwd")]))
            elif typ == "link":
                self.junk.append(("link", p, "/etc/passwd"))
            else:
                rec = self.rnd.random() < 0.6
                if rec:
                    r.set("recursive", "true")
                self.junk.append(("dir", p, None))
                if rec and self.rnd.random() < 0.7:
                    self.junk.append(("dir", p + "/in", None))
                    self.junk.append(("file", p + "/in/f", "x\n"))
        return r

    def make_exec_creates(self):
        # The command writes into a folder that exists when it runs: a managed one (required, and
        # never skipped by a guard) or one of the skeleton's.
        folder, managed = self.rnd.choice([d for d in self.dirs if d[1]] + [("/var/tmp", False), ("/etc", False)])
        r = Res("exec", self.fresh("gen-"))
        # Sometimes `creates` names a file another resource manages (plan must see it will exist).
        owned = [x for x in self.res if x.type == "file" and x.get("ensure") is None and x.name not in
                 self.alias_paths()]
        if owned and self.rnd.random() < 0.2:
            f = self.rnd.choice(owned)
            creates = f.name
            r.deps.add(f.id)
            r.set("requires", q(f.id))
        else:
            creates = self.new_path(folder, "made")
            self.by_path[creates] = r
            if managed:
                r.deps.add(f"directory[{folder}]")
                r.set("requires", q(f"directory[{folder}]"))
            r.expect["type"] = "exists"
            r.expect["path"] = creates
        r.set("command", q(f"echo generated > {self.root}{creates}"))
        r.set("creates", q(creates))
        self.add(r)
        return r

    def make_exec_refresh(self):
        r = Res("exec", self.fresh("notified-"))
        r.set("command", q(f"echo ran >> {self.root}/var/log/{r.name}.log"))
        r.set("refresh_only", "true")
        self.add(r)
        return r

    def alias_paths(self):
        return {x.name for x in self.res if x.get("_alias") is not None}

    def make_deploy(self):
        base = self.pick_dir(allow_missing=False)
        rel = self.add(Res("directory", base + "/releases"), base + "/releases")
        rel.expect["type"] = "dir"
        self.ownership(rel, DIR_MODES)
        n = self.rnd.randint(1, 3)
        for i in range(1, n + 1):
            d = self.add(Res("directory", f"{base}/releases/{i}"), f"{base}/releases/{i}")
            d.expect["type"] = "dir"
            f = self.add(Res("file", f"{base}/releases/{i}/VERSION"), f"{base}/releases/{i}/VERSION")
            f.set("content", q(f"release {i}\n"))
            f.expect = {"type": "file", "content": f"release {i}\n"}
        k = self.rnd.randint(1, n)
        cur = f"{base}/current"
        link = Res("link", cur)
        to = f"{base}/releases/{k}" if self.rnd.random() < 0.6 else f"releases/{k}"
        link.set("to", q(to))
        if to.startswith("/"):
            link.deps.add(f"directory[{to}]")
        link.expect = {"type": "link", "target": to}
        self.add(link, cur)
        # Paths below the link the run creates: written through it into releases/k.
        for j in range(self.rnd.randint(1, 2)):
            p = f"{cur}/active{j}.conf"
            f = Res("file", p)
            c = self.content()
            f.set("content", q(c))
            f.expect = {"type": "file", "content": c}
            self.ownership(f, FILE_MODES)
            f.set("_alias", "1")
            f.deps.add(link.id)  # our order puts the link first; roux itself adds no such edge
            if self.rnd.random() < 0.6:
                f.set("requires", q(link.id))
            self.add(f, p)
        if self.rnd.random() < 0.4:
            self.junk.append(("link", cur, f"{base}/releases/old"))

    # ----- the whole policy
    def generate(self):
        rnd = self.rnd
        if "accounts" not in self.without and rnd.random() < 0.3:
            self.make_accounts()
        bases = rnd.sample(BASES, rnd.randint(1, 2))
        for b in bases:
            if rnd.random() < 0.7:
                d = self.add(Res("directory", b), b)
                d.expect["type"] = "dir"
                self.ownership(d, DIR_MODES)
                self.dirs.append((b, True))
            else:
                self.dirs.append((b, False))
                if rnd.random() < 0.6:
                    self.junk.append(("dir", b, None))  # exists, unmanaged
        kinds = ["dir", "nested", "file", "link", "absent", "exec", "refresh", "deploy"]
        weights = [14, 4, 30, 12, 10, 7, 6, 3]
        weights = [0 if k in self.without else w for k, w in zip(kinds, weights)]
        did_deploy = False
        for _ in range(rnd.randint(3, 14)):
            k = rnd.choices(kinds, weights)[0]
            if k == "deploy":
                if did_deploy:
                    continue
                did_deploy = True
                self.make_deploy()
            elif k == "dir":
                self.make_dir()
            elif k == "nested":
                self.make_dir(nested=True)
            elif k == "file":
                self.make_file()
            elif k == "link":
                self.make_link()
            elif k == "absent":
                self.make_absent()
            elif k == "exec":
                self.make_exec_creates()
            elif k == "refresh":
                self.make_exec_refresh()
        self.add_notifications()
        self.add_guards()
        order = self.order()
        self.add_edges(order)
        self.fix_immediate_notifications()
        # Declaration order: the topological order, or (sometimes) shuffled: roux's implicit edges
        # and the explicit ones we added still order what must be ordered.
        self.declared = list(order)
        if rnd.random() < 0.25:
            rnd.shuffle(self.declared)
            # Keep paths below links after their link unless an explicit requires holds them.
            self.declared = self.fix_alias_order(self.declared)
        self.drift_plan = self.plan_drift() if self.start == "drifted" else []
        # Added later (archive): drawn from their own generator after every other draw, so the
        # rest of an older seed's policy and starting state stay what they were.
        if "archive" not in self.without:
            self.make_archives(random.Random(f"archive:{self.seed}"))
        if "git" not in self.without and shutil.which("git"):
            self.make_gits(random.Random(f"git:{self.seed}"))
        if "hostres" not in self.without:
            self.make_hostres()
        if "systypes" not in self.without:
            self.make_systypes()
        if "edits" not in self.without:
            self.make_edits()

    def make_systypes(self):
        """hostname, timezone, systemd_unit and reboot (action: request; under --root nothing
        reboots), each sometimes, with starting states of their files drawn too. From a Random of
        their own, after everything else and declared last, so older seeds keep their policy and tree."""
        rnd = random.Random(f"systypes-{self.seed}")
        declared_before = [r.id for r in self.declared]
        if rnd.random() < 0.4:
            name = rnd.choice(["web1", "web1.example.com", "db-2.internal"])
            self.declared.append(self.add(Res("hostname", name)))
            if rnd.random() < 0.6:
                self.junk.append(("file", "/etc/hostname", rnd.choice([name, "old-name"]) + "\n"))
            if rnd.random() < 0.6:
                self.junk.append(("file", "/etc/hosts", rnd.choice(
                    ["127.0.0.1 localhost\n", "127.0.0.1\tlocalhost\n127.0.1.1\told-name\n::1 ip6-localhost\n",
                     "# empty\n"])))
        if rnd.random() < 0.4:
            zone = rnd.choice(["Europe/Paris", "Etc/UTC", "America/Argentina/Buenos_Aires"])
            other = "Asia/Tokyo"
            for z in (zone, other):
                self.junk.append(("file", f"/usr/share/zoneinfo/{z}", f"TZif {z}\n"))
            self.declared.append(self.add(Res("timezone", zone)))
            lt = rnd.choice(["none", "file", "abs", "rel", "other"])
            if lt == "file":
                self.junk.append(("file", "/etc/localtime", "TZif copy\n"))
            elif lt != "none":
                self.junk.append(("link", "/etc/localtime", {"abs": f"/usr/share/zoneinfo/{zone}",
                                                               "rel": f"../usr/share/zoneinfo/{zone}",
                                                               "other": f"/usr/share/zoneinfo/{other}"}[lt]))
            if rnd.random() < 0.6:
                self.junk.append(("file", "/etc/timezone", rnd.choice([zone, other]) + "\n"))
        if rnd.random() < 0.3:
            unit = rnd.choice(["app.service", "backup.timer", "app.service.d/10-env.conf"])
            r = Res("systemd_unit", unit)
            if unit.endswith(".conf"):
                body = "[Service]\nEnvironment=GREETING=" + rnd.choice(["hi", "hello"]) + "\n"
            elif unit.endswith(".timer"):
                body = "[Unit]\nDescription=backup\n[Timer]\nOnCalendar=daily\n[Install]\nWantedBy=timers.target\n"
            else:
                body = "[Unit]\nDescription=app\n[Service]\nExecStart=/bin/true\n"
            r.set("content", q(body))
            if rnd.random() < 0.2:
                r = Res("systemd_unit", unit)
                r.set("ensure", q("absent"))
            if rnd.random() < 0.4:
                self.junk.append(("file", "/etc/systemd/system/" + unit, rnd.choice([body, "[Unit]\nDescription=old\n"])))
            self.declared.append(self.add(r))
        if rnd.random() < 0.3:
            r = Res("reboot", rnd.choice(["kernel", "glibc"]))
            if rnd.random() < 0.5:
                r.set("reason", q(rnd.choice(["new kernel", "glibc upgraded"])))
            if rnd.random() < 0.3:
                r.set("action", q("reboot"))  # held: --root never reboots
            if declared_before and rnd.random() < 0.5:
                r.set("refresh_only", "true")
                r.set("subscribe", q(rnd.choice(declared_before)))
            if rnd.random() < 0.4:
                self.junk.append(("file", "/run/roux/reboot-requests", rnd.choice(
                    [f"{r.id}\trequest\t0\t{r.name}\n", "reboot[other]\treboot\t5\tby hand\n", "junk line\n"])))
            self.declared.append(self.add(r))
        # locale (under --root: /etc/locale.gen and /etc/default/locale; locale-gen is not run), from
        # a Random of its own, declared last: older seeds keep their policy and tree.
        lrnd = random.Random(f"locale-{self.seed}")
        if lrnd.random() < 0.3:
            self.junk.append(("file", "/usr/share/i18n/SUPPORTED",
                              "de_DE.UTF-8 UTF-8\nen_GB.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\nen_US ISO-8859-1\nfr_FR.UTF-8 UTF-8\n"))
            r = Res("locale", "system")
            r.set("lang", q(lrnd.choice(["en_US.UTF-8", "C.UTF-8", "de_DE.UTF-8", "en_US"])))
            if lrnd.random() < 0.5:
                r.set("lc", "{LC_TIME: " + q(lrnd.choice(["en_GB.UTF-8", "C"])) + ", LANGUAGE: " + q("en_GB:en") + "}")
            if lrnd.random() < 0.4:
                r.set("generate", "[" + q("fr_FR.UTF-8") + "]")
            if lrnd.random() < 0.6:
                self.junk.append(("file", "/etc/locale.gen", lrnd.choice(
                    ["# de_DE.UTF-8 UTF-8\n# en_US.UTF-8 UTF-8\n", "en_US.UTF-8 UTF-8\n", "# by hand\n"])))
            if lrnd.random() < 0.5:
                self.junk.append(("file", "/etc/default/locale", lrnd.choice(["LANG=C.UTF-8\n", "LANG=en_US.UTF-8\n"])))
            self.declared.append(self.add(r))

    def make_edits(self):
        """line and ini against files with random starting contents, sysctl (its /etc/sysctl.d file;
        the live value is not read or written under --root) and remote_file served by the difftest's
        HTTP server (right or wrong sha256, `checksum: none`, a file already there). From a Random of
        their own (`edits-SEED`), after everything else and declared last: older seeds keep their
        policy and tree. Drifted starts get hand edits of these files after the converge."""
        rnd = random.Random(f"edits-{self.seed}")
        drifted = self.start == "drifted"
        conf, ini = "/etc/edits/app.conf", "/etc/edits/php.ini"
        if rnd.random() < 0.5:
            if rnd.random() < 0.85:  # sometimes missing: line fails, and so does plan
                lines = ["# app.conf", "PermitRootLogin yes", "#UseDNS yes", "Port 22", "X11Forwarding yes", "",
                         "MaxAuthTries 6", "UseDNS no"]
                body = "".join(x + "\n" for x in rnd.sample(lines, rnd.randint(0, len(lines))))
                self.junk.append(("file", conf, body))
            # One topic per resource (its text and match name only that setting): two resources that
            # undo each other every run would be a policy's fault, not plan's.
            topics = [("PermitRootLogin", ["PermitRootLogin no", "PermitRootLogin yes"], "^#?PermitRootLogin\\b"),
                      ("UseDNS", ["UseDNS no"], "^#?UseDNS"), ("Port", ["Port 2222", "Port 22"], "^Port "),
                      ("MaxAuthTries", ["MaxAuthTries 3"], "^MaxAuth"), ("X11", ["X11Forwarding no"], "^X11Forwarding"),
                      ("managed", ["# managed"], "^# managed$")]
            for i, (_, texts, match) in enumerate(rnd.sample(topics, rnd.randint(1, 3))):
                r = Res("line", f"l{i}")
                r.set("path", q(conf))
                r.set("text", q(rnd.choice(texts)))
                shape = rnd.choice(["append", "match", "after", "match+after", "absent", "absent-text"])
                if "match" in shape or shape == "absent":
                    r.set("match", q(match if rnd.random() < 0.85 else match + "nomatch$"))
                if "after" in shape:
                    r.set("after", q(rnd.choice(["^Port", "^# app", "^X11", "^nothing"])))
                if shape.startswith("absent"):
                    r.set("ensure", q("absent"))
                self.declared.append(self.add(r))
            if drifted and rnd.random() < 0.6:
                self.drift_plan.append(("edits-write", conf, rnd.choice(
                    ["PermitRootLogin yes\nPort 22\n", "", "# by hand\nUseDNS yes\nX11Forwarding no\n"])))
        if rnd.random() < 0.5:
            if rnd.random() < 0.85:
                parts = [rnd.choice(["; php.ini\n", "", "engine = Off\n"])]
                for sec in rnd.sample(["PHP", "Date", "opcache"], rnd.randint(0, 3)):
                    parts.append(f"[{sec}]\n")
                    for k, v in rnd.sample([("memory_limit", "128M"), ("short_open_tag", "On"), (";date.timezone", ""),
                                            ("  memory_limit", " 64M"), ("enable", "1"), ("memory_limit", "256M")],
                                           rnd.randint(0, 3)):
                        parts.append(f"{k} = {v}\n" if rnd.random() < 0.7 else f"{k}={v}\n")
                    if rnd.random() < 0.4:
                        parts.append("\n")
                self.junk.append(("file", ini, "".join(parts)))
            settings = [(sec, key) for sec in ["PHP", "Date", "opcache", None]
                        for key in ["memory_limit", "short_open_tag", "date.timezone", "enable", "engine"]]
            for i, (sec, key) in enumerate(rnd.sample(settings, rnd.randint(1, 3))):  # each setting once
                r = Res("ini", f"i{i}")
                r.set("path", q(ini))
                if sec:
                    r.set("section", q(sec))
                r.set("key", q(key))
                if rnd.random() < 0.2:
                    r.set("ensure", q("absent"))
                else:
                    r.set("value", q(rnd.choice(["256M", "On", "Off", "UTC", "1", "128M"])))
                self.declared.append(self.add(r))
            if drifted and rnd.random() < 0.6:
                self.drift_plan.append(("edits-write", ini, rnd.choice(
                    ["[PHP]\nmemory_limit=64M\n", "", "; nothing\n[Date]\n"])))
        if rnd.random() < 0.35:
            for key in rnd.sample(["net.ipv4.ip_forward", "vm.swappiness", "net.ipv4.tcp_rmem", "kernel.pid_max"],
                                  rnd.randint(1, 2)):
                r = Res("sysctl", key)
                fn = f"/etc/sysctl.d/60-roux-{key}.conf"
                value = rnd.choice({"net.ipv4.tcp_rmem": ["4096 87380 6291456", "4096\t131072\t6291456"]}.get(
                    key, ["1", "0", "10", "4194304"]))
                if rnd.random() < 0.25:
                    r.set("ensure", q("absent"))
                    r.expect.update(type="absent", path=fn)
                else:
                    r.set("value", q(value))
                    r.expect.update(type="file", path=fn, mode=0o644, uid=0, gid=0,
                                    content=f"# Managed by roux: sysctl[{key}]\n{key} = {' '.join(value.split())}\n")
                if rnd.random() < 0.5:
                    self.junk.append(("file", fn, rnd.choice(
                        [f"# Managed by roux: sysctl[{key}]\n{key} = {value}\n", f"{key} = 7\n"])))
                if drifted and rnd.random() < 0.5:
                    self.drift_plan.append(("edits-write", fn, f"{key} = 99\n"))
                self.declared.append(self.add(r))
        if rnd.random() < 0.4:
            self.junk.append(("dir", "/opt/dl", None))
            for i in range(rnd.randint(1, 2)):
                path = f"/opt/dl/f{i}"
                key = f"{self.seed}-{i}-{rnd.randint(0, 3)}"
                body = http_body(key)
                r = Res("remote_file", path)
                r.set("source", q(f"http://127.0.0.1:{http_port()}/c/{key}"))
                ck = rnd.choice(["right", "right", "wrong", "none"])
                if ck == "none":
                    r.set("checksum", q("none"))
                else:
                    digest = hashlib.sha256((body if ck == "right" else body + b"x")).hexdigest()
                    r.set("checksum", q("sha256:" + digest))
                if rnd.random() < 0.3:
                    r.set("mode", q(rnd.choice(["0600", "0755"])))
                if ck != "wrong":
                    r.expect.update(type="file", content=body)
                    if r.get("mode"):
                        r.expect["mode"] = int(json.loads(r.get("mode")), 8)
                if rnd.random() < 0.4:  # already there: the same bytes, or other ones
                    self.junk.append(("file", path, rnd.choice([body.decode(), "old\n"])))
                if drifted and rnd.random() < 0.5:
                    self.drift_plan.append(("edits-write", path, "tampered\n"))
                self.declared.append(self.add(r, path))

    def make_hostres(self):
        """ssh_authorized_key, mount, kernel_module and swap_file (under --root: authorized_keys, fstab
        and the modprobe files). Drawn from a Random of their own, after everything else and declared last,
        so the rest of a seed's policy and tree are those of the generator before these types."""
        rnd = random.Random(f"hostres-{self.seed}")
        if rnd.random() < 0.5:
            # "app" has home /nonexistent in the skeleton's passwd: sometimes it exists.
            if rnd.random() < 0.8:
                self.junk.append(("dir", "/nonexistent", None))
            if rnd.random() < 0.4:
                self.junk.append(("file", "/nonexistent/.ssh/authorized_keys",
                                  f"# by hand\nno-pty ssh-ed25519 {SSH_KEYS[0][1]} old\nnot a key line\n"))
            for i, (typ, key) in enumerate(rnd.sample(SSH_KEYS, rnd.randint(1, len(SSH_KEYS)))):
                r = Res("ssh_authorized_key", f"key{i}")
                r.set("user", q("app"))
                r.set("type", q(typ))
                r.set("key", q(key))
                if rnd.random() < 0.4:
                    r.set("options", "[" + ", ".join(q(o) for o in rnd.sample(SSH_OPTIONS, rnd.randint(1, 2))) + "]")
                if rnd.random() < 0.2:
                    r.set("ensure", q("absent"))
                self.add(r)
                self.declared.append(r)
        if rnd.random() < 0.5:
            foreign = "# /etc/fstab\nproc /proc proc defaults 0 0\n"
            for i in range(rnd.randint(1, 2)):
                mp = f"/mnt/d{i}"
                if rnd.random() < 0.4:
                    foreign += f"/dev/old{i} {mp} ext4 ro 0 0\n"
                r = Res("mount", mp)
                ens = rnd.choice(["mounted", "unmounted", "enabled", "absent"])
                if ens != "mounted" or rnd.random() < 0.5:
                    r.set("ensure", q(ens))
                if ens != "absent":
                    r.set("device", q(rnd.choice(["tmpfs", "UUID=1234-ABCD", "/dev/sdb1"])))
                    r.set("fstype", q(rnd.choice(["tmpfs", "ext4", "xfs"])))
                    if rnd.random() < 0.6:
                        r.set("options", q(rnd.choice(["defaults", "noatime,nofail", "size=8m,mode=0755"])))
                    if rnd.random() < 0.3:
                        r.set("pass", str(rnd.randint(0, 2)))
                self.add(r)
                self.declared.append(r)
            if rnd.random() < 0.7:
                self.junk.append(("file", "/etc/fstab", foreign))
        if rnd.random() < 0.5:
            for name in rnd.sample(["br_netfilter", "bonding", "dummy", "nf-conntrack"], rnd.randint(1, 2)):
                r = Res("kernel_module", name)
                ens = rnd.choice(["loaded", "loaded", "unloaded", "blacklisted"])
                if ens != "loaded" or rnd.random() < 0.3:
                    r.set("ensure", q(ens))
                if ens == "loaded" and rnd.random() < 0.4:
                    r.set("options", "{" + q("opt") + ": " + q(str(rnd.randint(1, 9))) + "}")
                if ens == "loaded" and rnd.random() < 0.3:
                    r.set("boot", "false")
                if rnd.random() < 0.3:
                    self.junk.append(("file", f"/etc/modules-load.d/{name}.conf", f"{name}\n"))
                self.add(r)
                self.declared.append(r)
        if rnd.random() < 0.3:
            r = Res("swap_file", "/var/swapfile")
            if rnd.random() < 0.3:
                r.set("ensure", q("absent"))
            else:
                r.set("size", q(rnd.choice(["64M", "1G", "40K"])))
            if rnd.random() < 0.4 and not any(j[1] == "/etc/fstab" for j in self.junk):
                self.junk.append(("file", "/etc/fstab", "/var/swapfile  none  swap  sw  0  0\n"))
            self.add(r)
            self.declared.append(r)

    def make_gits(self, rnd):
        """0-1 git resource checking out a repository made beside the policy (one or two commits,
        a branch and a tag) into a new folder of a managed folder; sometimes the folder already
        holds a file the commit has (same or other content), with force true or false."""
        managed = [d for d, m in self.dirs if m and d in self.by_path]
        if not managed or rnd.random() < 0.5:
            return
        dest = self.new_path(rnd.choice(managed), "checkout")
        names = rnd.sample(["README", "app.py", "bin/start", "conf/app.ini", "lib/x/y.txt"], rnd.randint(1, 4))
        commits = []
        for c in range(rnd.randint(1, 2)):
            files = {n: (f"{n} v{c} of {dest}\n", rnd.random() < 0.3) for n in names}
            if c and rnd.random() < 0.5 and len(names) > 1:
                files.pop(names[-1])  # the second commit drops a file
            commits.append(files)
        revision = rnd.choice(["main", "v1"] if len(commits) > 1 else ["main"])
        want = commits[-1] if revision == "main" else commits[0]
        self.git_repos.append((f"repo-{len(self.git_repos)}", commits))
        r = self.add(Res("git", dest), dest)
        r.set("repository", q(f"@POLICY@/{self.git_repos[-1][0]}"))
        r.set("revision", revision)
        if rnd.random() < 0.5:
            r.set("force", rnd.choice(["true", "false"]))
        if rnd.random() < 0.3 and "owners" not in self.without:
            name, uid, _ = rnd.choice(USERS)
            r.set("user", str(uid) if rnd.random() < 0.3 else q(name))
        first = names[0]
        r.expect.update({"type": "file", "path": f"{dest}/{first}", "content": want[first][0]})
        if rnd.random() < 0.4 and "junk" not in self.without:
            self.junk.append(("dir", dest, None))
            n = rnd.choice(list(want))
            self.junk.append(("file", f"{dest}/{n}", want[n][0] if rnd.random() < 0.5 else "edited by hand\n"))
        self.declared.append(r)

    def write_git_repos(self, pol):
        env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t",
                   GIT_COMMITTER_EMAIL="t@example.invalid", GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
                   GIT_COMMITTER_DATE="2026-01-01T00:00:00Z", GIT_CONFIG_NOSYSTEM="1", HOME=pol)
        for name, commits in self.git_repos:
            d = os.path.join(pol, name)
            if os.path.isdir(d):
                continue
            subprocess.run(["git", "init", "-q", "-b", "main", d], check=True, env=env)
            for i, files in enumerate(commits):
                for p in list(os.listdir(d)):
                    if p != ".git":
                        full = os.path.join(d, p)
                        shutil.rmtree(full) if os.path.isdir(full) else os.remove(full)
                for rel, (text, executable) in files.items():
                    full = os.path.join(d, rel)
                    os.makedirs(os.path.dirname(full), exist_ok=True)
                    with open(full, "w") as f:
                        f.write(text)
                    os.chmod(full, 0o755 if executable else 0o644)
                subprocess.run(["git", "-C", d, "add", "-A"], check=True, env=env)
                subprocess.run(["git", "-C", d, "commit", "-qm", f"c{i}"], check=True, env=env)
                if i == 0:
                    subprocess.run(["git", "-C", d, "tag", "v1"], check=True, env=env)

    def make_archives(self, rnd):
        """0-2 archive resources unpacking a cookbook tarball into a new folder of a managed
        folder; sometimes the folder already holds some of its entries (same or different content,
        a link where a folder goes), with overwrite true or false."""
        import gzip
        import io
        import tarfile
        managed = [d for d, m in self.dirs if m and d in self.by_path]
        if not managed:
            return
        for _ in range(rnd.choice([0, 0, 1, 1, 2])):
            folder = rnd.choice(managed)
            dest = self.new_path(folder, "unpacked")
            strip = rnd.random() < 0.4
            pre = "pkg-1/" if strip else ""
            names = rnd.sample(["a.txt", "conf/app.ini", "bin/run", "share/doc/README", "b.txt"], rnd.randint(1, 4))
            contents = {n: f"{n} of {dest}\n" * rnd.randint(1, 3) for n in names}
            buf = io.BytesIO()
            with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as t:
                for n in names:
                    if rnd.random() < 0.3 and "/" in n:  # the folder listed first, with its own mode
                        i = tarfile.TarInfo(pre + n.split("/")[0])
                        i.type, i.mode = tarfile.DIRTYPE, rnd.choice([0o755, 0o750, 0o700])
                        t.addfile(i)
                    i = tarfile.TarInfo(pre + n)
                    data = contents[n].encode()
                    i.size, i.mode = len(data), rnd.choice([0o644, 0o600, 0o755, 0o640])
                    t.addfile(i, io.BytesIO(data))
                if rnd.random() < 0.5:
                    i = tarfile.TarInfo(pre + "current")
                    i.type, i.linkname = tarfile.SYMTYPE, names[0]
                    t.addfile(i)
            rel = f"files/{dest.strip('/').replace('/', '_')}.tar.gz"
            self.files[rel] = buf.getvalue()
            r = self.add(Res("archive", dest), dest)
            r.set("source", q(rel[len("files/"):]))
            if strip:
                r.set("strip_components", "1")
            overwrite = rnd.random() < 0.5
            if overwrite or rnd.random() < 0.5:
                r.set("overwrite", "true" if overwrite else "false")
            if rnd.random() < 0.3:
                m = rnd.choice(["0755", "0750", "0700"])
                r.set("mode", q(m))  # the folder's (the oracle below checks an entry)
            if rnd.random() < 0.3 and "owners" not in self.without:
                name, uid, _ = rnd.choice(USERS)
                r.set("owner", str(uid) if rnd.random() < 0.3 else q(name))
            first = names[0]
            r.expect.update({"type": "file", "path": f"{dest}/{first}", "content": contents[first]})
            if rnd.random() < 0.4 and "junk" not in self.without:  # the folder already holds something
                self.junk.append(("dir", dest, None))
                n = rnd.choice(names)
                what = rnd.choice(["same", "other", "link"])
                if what == "same":
                    self.junk.append(("file", f"{dest}/{n}", contents[n]))
                elif what == "other":
                    self.junk.append(("file", f"{dest}/{n}", "edited by hand\n"))
                else:
                    self.junk.append(("link", f"{dest}/{n.split('/')[0]}" if "/" in n else f"{dest}/{n}", "/etc"))
            self.declared.append(r)

    def fix_alias_order(self, decl):
        ids = [r.id for r in decl]
        for r in list(decl):
            if r.get("_alias") is not None and r.get("requires") is None:
                link = next(x for x in decl if x.type == "link" and x.id in r.deps)
                if ids.index(r.id) < ids.index(link.id):
                    decl.remove(r)
                    decl.insert(decl.index(link) + 1, r)
                    ids = [x.id for x in decl]
        return decl

    def add_notifications(self):
        if "notify" in self.without:
            return
        targets = [r for r in self.res if r.type == "exec" and r.get("refresh_only")]
        sources = [r for r in self.res if r.type != "exec" or not r.get("refresh_only")]
        for t in targets:
            for s in self.rnd.sample(sources, min(len(sources), self.rnd.randint(1, 2))):
                how = self.rnd.random()
                if how < 0.3:
                    t.set("subscribe", q(s.id))
                elif how < 0.6:
                    s.set("notify", q(t.id))
                else:
                    timing = self.rnd.choice(["delayed", "immediately"])
                    s.set("notify", "{resource: " + q(t.id) + ", action: run, timing: " + timing + "}")

    def fix_immediate_notifications(self):
        """An immediate notify of an exec that requires something its notifier does not require
        (transitively) is a compile error (Graph::verify_immediate_notifications): such a draw is
        made delayed instead. No random draw here, so every other seed keeps its policy."""
        ids = {r.id: r for r in self.res}
        deps = {r.id: {d for d in r.deps if d in ids and d != r.id} for r in self.res}
        for r in self.res:
            if r.get("requires") is not None:
                deps[r.id].add(json.loads(r.get("requires")))
            if r.get("before") is not None:
                for b in json.loads(r.get("before")):
                    if b in deps:
                        deps[b].add(r.id)

        def closure(rid):
            seen, stack = {rid}, [rid]
            while stack:
                for d in deps.get(stack.pop(), ()):
                    if d not in seen:
                        seen.add(d)
                        stack.append(d)
            return seen

        for r in self.res:
            v = r.get("notify")
            if not v or "timing: immediately" not in v:
                continue
            target = json.loads(v[len("{resource: "):v.index(", action:")])
            if target in deps and not deps[target] <= closure(r.id):
                r.set("notify", v.replace("timing: immediately", "timing: delayed"))

    def add_guards(self):
        # No guard on what an exec needs: a skipped folder would make the command itself fail,
        # which no plan can know (the command is opaque; plan marks its run "(predicted)").
        needed = {d for r in self.res if r.type == "exec" for d in r.deps}
        if "guards" in self.without:
            return
        for r in self.res:
            if r.id not in needed and self.rnd.random() < 0.1:
                yes = [f"test -e {self.root}/etc/roux-marker", "true", f"test -d {self.root}/etc"]
                no = [f"test -e {self.root}/etc/not-there", "false"]
                if self.rnd.random() < 0.5:
                    r.set("only_if", q(self.rnd.choice(yes + no)))
                else:
                    r.set("not_if", q(self.rnd.choice(yes + no)))
            # Nor ignore_failure: a failed folder would then let the command run and fail. (The
            # draw is made anyway, so every other seed keeps its policy.)
            if self.rnd.random() < 0.05 and r.id not in needed:
                r.set("ignore_failure", "true")
            if self.rnd.random() < 0.05:
                r.set("sensitive", "true")

    def order(self):
        """A random topological order of the resources under every edge roux adds or we need."""
        ids = {r.id: r for r in self.res}
        for r in self.res:  # roux's implicit edges: managed parent folders, a link's target
            if not r.name.startswith("/"):
                continue
            for a in ancestors(r.name):
                r.deps.add(f"directory[{a}]")
            to = json.loads(r.get("to")) if r.type == "link" and r.get("to") else ""
            if to.startswith("/"):
                for a in ancestors(to):
                    r.deps.add(f"directory[{a}]")
                r.deps.update({f"file[{to}]", f"template[{to}]", f"directory[{to}]"})
        deps = {r.id: {d for d in r.deps if d in ids and d != r.id} for r in self.res}
        done, out = set(), []
        while len(out) < len(self.res):
            ready = [r for r in self.res if r.id not in done and deps[r.id] <= done]
            if not ready:
                raise RuntimeError("cycle in generator")
            pick = ready[0] if self.rnd.random() < 0.5 else self.rnd.choice(ready)
            done.add(pick.id)
            out.append(pick)
        return out

    def add_edges(self, order):
        # Explicit requires/before only forward in `order`: never a cycle.
        for i, r in enumerate(order):
            if i == 0 or self.rnd.random() > 0.15:
                continue
            j = self.rnd.randrange(i)
            if self.rnd.random() < 0.5 and r.get("requires") is None:
                r.set("requires", q(order[j].id))
            elif order[j].get("before") is None:
                order[j].set("before", "[" + q(r.id) + "]")

    def retarget_root(self):
        """After self.root changed: exec commands and guards name the new root."""
        for r in self.res:
            r.props = [(k, v.replace(self.gen_root, self.root)) for k, v in r.props]
        self.gen_root = self.root

    # ----- writing
    def recipe_yaml(self):
        lines = ["resources:"]
        for r in self.declared:
            lines.append(f"  - {r.type}: {q(r.name)}")
            for k, v in r.props:
                if not k.startswith("_"):
                    lines.append(f"    {k}: {v}")
        return "\n".join(lines) + "\n"

    def write_policy(self, pol):
        cb = os.path.join(pol, "cookbooks", "fam")
        os.makedirs(os.path.join(cb, "recipes"), exist_ok=True)
        with open(os.path.join(cb, "metadata.yaml"), "w") as f:
            f.write("name: fam\nversion: 1.0.0\n")
        with open(os.path.join(cb, "recipes", "default.yaml"), "w") as f:
            f.write(f"# difftest seed {self.seed}, start state: {self.start}\n" +
                    self.recipe_yaml().replace("@POLICY@", os.path.abspath(pol)))
        self.write_git_repos(os.path.abspath(pol))
        for rel, text in self.files.items():
            p = os.path.join(cb, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(text if isinstance(text, bytes) else text.encode())
        with open(os.path.join(pol, "policy.yaml"), "w") as f:
            f.write("name: difftest\nsources: [cookbooks]\nrun_list: [fam]\n"
                    f"attributes: {{app: {{port: {ATTR_PORT}}}}}\n")

    def write_skeleton(self):
        root = self.root
        for d in ["etc", "srv", "opt", "var/log", "var/tmp"]:
            os.makedirs(os.path.join(root, d), exist_ok=True)
        with open(os.path.join(root, "etc/passwd"), "w") as f:
            for n, u, g in USERS:
                f.write(f"{n}:x:{u}:{g}:{n}:/nonexistent:/usr/sbin/nologin\n")
        with open(os.path.join(root, "etc/group"), "w") as f:
            for n, g in GROUPS:
                f.write(f"{n}:x:{g}:\n")
        os.makedirs(os.path.join(root, "etc/cron.d"), exist_ok=True)
        for n in ("etc/shadow", "etc/gshadow"):
            with open(os.path.join(root, n), "w") as f:
                pass
            os.chmod(os.path.join(root, n), 0o640)
        with open(os.path.join(root, "etc/roux-marker"), "w") as f:
            f.write("marker\n")
        for kind, p, arg in self.junk:
            full = root + p
            if os.path.lexists(full) and kind != "dir":
                continue
            os.makedirs(os.path.dirname(full), exist_ok=True)
            if kind == "dir":
                os.makedirs(full, exist_ok=True)
            elif kind == "file":
                with open(full, "w") as f:
                    f.write(arg)
            elif kind == "link":
                os.symlink(arg, full)

    def plan_drift(self):
        """1-4 edits of managed entries to make after a converge, chosen from the policy alone
        (so a reduced policy can replay the ones that still apply): (what, path, argument)."""
        out = []
        cands = [r for r in self.res if r.expect.get("type") in ("file", "dir", "link")]
        for _ in range(self.rnd.randint(1, 4)):
            if not cands:
                break
            r = self.rnd.choice(cands)
            kind = r.expect["type"]
            what = self.rnd.choice({"file": ["content", "mode", "owner", "delete", "file->dir", "file->link"],
                                    "dir": ["mode", "owner", "remove", "dir->file"],
                                    "link": ["retarget", "delete", "link->file"]}[kind])
            arg = None
            if what == "mode":
                arg = int(self.rnd.choice(FILE_MODES if kind == "file" else DIR_MODES), 8) ^ 0o001
            elif what == "owner":
                arg = (self.rnd.choice(USERS)[1], self.rnd.choice(GROUPS)[1])
            out.append((what, r.name, arg))
        for name in self.accounts_users + self.accounts_groups:
            if self.rnd.random() < 0.3:
                out.append(("account-delete", name, "passwd" if name in self.accounts_users else "group"))
            elif name in self.accounts_users and self.rnd.random() < 0.3:
                out.append(("account-shell", name, "/bin/false"))
        for r in self.res:
            if r.type == "cron" and r.get("ensure") is None and self.rnd.random() < 0.3:
                out.append(("cron-edit", r.name, self.rnd.choice(["schedule", "delete", "foreign"])))
        return out

    def drift(self):
        """Applies the planned drift to the tree; returns what was done."""
        done = []
        for what, path, arg in self.drift_plan:
            if what == "edits-write":  # a file of make_edits rewritten by hand (or created)
                fn = self.root + path
                if os.path.isdir(os.path.dirname(fn)) and not os.path.islink(fn):
                    with open(fn, "w") as f:
                        f.write(arg)
                    done.append(f"{what} {path}")
                continue
            if what == "account-shell":  # the shell edited by hand in passwd
                fn = os.path.join(self.root, "etc", "passwd")
                with open(fn) as f:
                    lines = f.readlines()
                with open(fn, "w") as f:
                    for x in lines:
                        if x.startswith(path + ":"):
                            x = ":".join(x.rstrip("\n").split(":")[:6] + [arg]) + "\n"
                        f.write(x)
                done.append(f"{what} {path} {arg}")
                continue
            if what == "cron-edit":  # /etc/cron.d/NAME edited by hand
                fn = os.path.join(self.root, "etc", "cron.d", path)
                if not os.path.isfile(fn):
                    continue
                if arg == "delete":
                    os.unlink(fn)
                else:
                    with open(fn) as f:
                        text = f.read()
                    with open(fn, "w") as f:
                        f.write(text.replace("* * *", "*/2 * *", 1) if arg == "schedule" else
                                text + "# a line added by hand\n")
                done.append(f"{what} {path} {arg}")
                continue
            if what == "account-delete":  # a user or group removed by hand (file and shadow file)
                for db in ([arg, "shadow"] if arg == "passwd" else [arg, "gshadow"]):
                    fn = os.path.join(self.root, "etc", db)
                    with open(fn) as f:
                        lines = f.readlines()
                    with open(fn, "w") as f:
                        f.writelines(x for x in lines if not x.startswith(path + ":"))
                done.append(f"{what} {path} ({arg})")
                continue
            full = resolve_in_root(self.root, path)
            if full is None or not os.path.lexists(full):
                continue
            st = os.lstat(full)
            if what == "content" and stat.S_ISREG(st.st_mode):
                with open(full, "a") as f:
                    f.write("drift\n")
            elif what == "mode" and not stat.S_ISLNK(st.st_mode):
                os.chmod(full, arg)
            elif what == "owner" and not stat.S_ISLNK(st.st_mode):
                os.lchown(full, arg[0], arg[1])
            elif what in ("delete",) and not stat.S_ISDIR(st.st_mode):
                os.unlink(full)
            elif what == "file->dir" and stat.S_ISREG(st.st_mode):
                os.unlink(full)
                os.mkdir(full)
            elif what == "file->link" and stat.S_ISREG(st.st_mode):
                os.unlink(full)
                os.symlink("/etc/group", full)
            elif what == "remove" and stat.S_ISDIR(st.st_mode):
                shutil.rmtree(full)
            elif what == "dir->file" and stat.S_ISDIR(st.st_mode):
                shutil.rmtree(full)
                with open(full, "w") as f:
                    f.write("was a folder\n")
            elif what == "retarget" and stat.S_ISLNK(st.st_mode):
                os.unlink(full)
                os.symlink("/etc/passwd", full)
            elif what == "link->file" and stat.S_ISLNK(st.st_mode):
                os.unlink(full)
                with open(full, "w") as f:
                    f.write("was a link\n")
            else:
                continue
            done.append(f"{what} {path}" + (f" {arg:04o}" if what == "mode" else f" {arg}" if arg else ""))
        return done


def resolve_in_root(root, path):
    """ROOT + path with every component but the last followed inside the root (like roux's
    openat2(RESOLVE_IN_ROOT) without following the last one). None when a folder is missing."""
    parts = [p for p in path.split("/") if p]
    cur = []  # resolved components under root
    hops = 0
    i = 0
    while i < len(parts):
        name = parts[i]
        last = i == len(parts) - 1
        if name == "..":
            if cur:
                cur.pop()
            i += 1
            continue
        if name == ".":
            i += 1
            continue
        full = os.path.join(root, *cur, name)
        if not last and os.path.islink(full):
            hops += 1
            if hops > 40:
                return None
            t = os.readlink(full)
            tparts = [p for p in t.split("/") if p]
            if t.startswith("/"):
                cur = []
            parts = tparts + parts[i + 1:]
            i = 0
            continue
        cur.append(name)
        i += 1
    return os.path.join(root, *cur)


def snapshot(root):
    """Every entry under root: type, mode, owner, size, mtime, ctime, link target, content digest."""
    out = {}

    def visit(path, rel):
        st = os.lstat(path)
        entry = [stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_size,
                 st.st_mtime_ns, st.st_ctime_ns]
        if stat.S_ISLNK(st.st_mode):
            entry.append(os.readlink(path))
        elif stat.S_ISREG(st.st_mode):
            with open(path, "rb") as f:
                entry.append(hashlib.sha256(f.read()).hexdigest()[:16])
        out[rel] = tuple(entry)
        if stat.S_ISDIR(st.st_mode):
            for name in sorted(os.listdir(path)):
                visit(os.path.join(path, name), rel.rstrip("/") + "/" + name)

    visit(root, "/")
    return out


def describe_entry(e):
    if e is None:
        return "(none)"
    kinds = {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "link"}
    s = f"{kinds.get(e[0], e[0])} {e[1]:04o} {e[2]}:{e[3]} size={e[4]} mtime={e[5]} ctime={e[6]}"
    if len(e) > 7:
        s += f" {'->' if e[0] == stat.S_IFLNK else 'sha'} {e[7]}"
    return s


CONVERGE_JOBS = None  # --converge-jobs: converge's --jobs (the worker pool against the serial walk)


def run_roux(roux, cmd, pol, root, env):
    t0 = time.monotonic()
    jobs = ["--jobs", str(CONVERGE_JOBS)] if CONVERGE_JOBS and cmd == "converge" else []
    p = subprocess.run([roux, cmd, *jobs, "--policy", pol, "--root", root, "--format", "json"], capture_output=True,
                       env=env, stdin=subprocess.DEVNULL, timeout=120)
    dt = time.monotonic() - t0
    try:
        rep = json.loads(p.stdout)
    except ValueError:
        rep = None
    return p.returncode, rep, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"), dt


def changes_of(rep):
    out = collections.Counter()
    for r in rep["resources"]:
        for c in r.get("changes", []):
            out[(r["id"], c["property"], c["before"], c["after"])] += 1
    return out


def statuses(rep):
    return {r["id"]: r["status"] for r in rep["resources"]}


def want_rc(rep, changed_status):
    ch = any(r["status"] == changed_status or r.get("changes") for r in rep["resources"])
    fail = any(r["status"] == "failed" and not r.get("failure_ignored") for r in rep["resources"])
    return (2 if ch else 0) | (4 if fail else 0)


def totals_mismatch(rep):
    """The report's totals against its resources' statuses ([] when they agree)."""
    count = collections.Counter(r["status"] for r in rep["resources"])
    t = rep.get("totals", {})
    bad = [f"totals.{k} = {t.get(k)}, resources say {count.get(k, 0)}"
           for k in ("changed", "would_change", "unchanged", "failed", "skipped") if t.get(k) != count.get(k, 0)]
    if t.get("total") != len(rep["resources"]):
        bad.append(f"totals.total = {t.get('total')}, {len(rep['resources'])} resources")
    return bad


def rc_category(name, rep, rc):
    """Names an exit code that leaves out the changes of failed resources (partial changes)."""
    partial = any(r["status"] == "failed" and r.get("changes") for r in rep["resources"])
    ok_changes = any(r["status"] in ("changed", "would_change") for r in rep["resources"])
    if partial and not ok_changes and rc in (4, 0):
        return name + "-failed-resource-changes-not-counted"
    return name


def account_fields(root, db, name):
    try:
        with open(os.path.join(root, "etc", db)) as f:
            for line in f:
                parts = line.rstrip("\n").split(":")
                if parts[0] == name:
                    return parts
    except OSError:
        pass
    return None


def account_id(root, db, name):
    """The id of `name` in ROOT/etc/passwd or ROOT/etc/group (None when absent)."""
    try:
        with open(os.path.join(root, "etc", db)) as f:
            for line in f:
                parts = line.rstrip("\n").split(":")
                if len(parts) > 2 and parts[0] == name:
                    return int(parts[2])
    except OSError:
        pass
    return None


def check_final(gen, root, conv):
    """Check 5: the tree matches the policy for each resource converge says is done."""
    st_of = statuses(conv)
    bad = []
    for r in gen.res:
        e = r.expect
        if not e or st_of.get(r.id) not in ("changed", "unchanged"):
            continue
        path = e.get("path", r.name)
        full = resolve_in_root(root, path)
        exists = full is not None and os.path.lexists(full)
        st = os.lstat(full) if exists else None
        t = e["type"]
        if t == "account":
            got = account_id(root, e["db"], r.name)
            if got is None or (e["id"] is not None and got != e["id"]):
                bad.append(f"{r.id}: id in etc/{e['db']} is {got}, want {e['id'] if e['id'] is not None else 'any'}")
            fields = account_fields(root, e["db"], r.name)
            if fields and e.get("shell") is not None and fields[6] != e["shell"]:
                bad.append(f"{r.id}: shell {fields[6]!r}, want {e['shell']!r}")
            if fields and e.get("comment") is not None and fields[4] != e["comment"]:
                bad.append(f"{r.id}: comment {fields[4]!r}, want {e['comment']!r}")
            continue
        if t == "cron":
            fn = os.path.join(root, "etc", "cron.d", r.name)
            if e["absent"]:
                if os.path.lexists(fn):
                    bad.append(f"{r.id}: /etc/cron.d/{r.name} still exists")
                continue
            try:
                with open(fn) as f:
                    lines = [x.strip() for x in f if x.strip() and not x.startswith("#")]
            except OSError:
                bad.append(f"{r.id}: no /etc/cron.d/{r.name}")
                continue
            want = f"{e['schedule']} {e['user']} {e['command']}"
            if not any(" ".join(x.split()) == want for x in lines):
                bad.append(f"{r.id}: /etc/cron.d/{r.name} has {lines!r}, no line {want!r}")
            continue
        if t == "absent":
            if exists:
                bad.append(f"{r.id}: still exists")
            continue
        if t == "exists":
            if not exists:
                bad.append(f"{r.id}: creates {path} does not exist")
            continue
        if not exists:
            bad.append(f"{r.id}: missing")
            continue
        want_fmt = {"file": stat.S_IFREG, "dir": stat.S_IFDIR, "link": stat.S_IFLNK}[t]
        if stat.S_IFMT(st.st_mode) != want_fmt:
            bad.append(f"{r.id}: is {describe_entry((stat.S_IFMT(st.st_mode), 0, 0, 0, 0, 0, 0)).split()[0]}, want {t}")
            continue
        if t == "link":
            if os.readlink(full) != e["target"]:
                bad.append(f"{r.id}: points to {os.readlink(full)}, want {e['target']}")
            continue
        if "mode" in e and stat.S_IMODE(st.st_mode) != e["mode"]:
            bad.append(f"{r.id}: mode {stat.S_IMODE(st.st_mode):04o}, want {e['mode']:04o}")
        if "uid" in e and st.st_uid != e["uid"]:
            bad.append(f"{r.id}: uid {st.st_uid}, want {e['uid']}")
        if "user" in e and st.st_uid != account_id(root, "passwd", e["user"]):
            bad.append(f"{r.id}: uid {st.st_uid}, want {e['user']} ({account_id(root, 'passwd', e['user'])})")
        if "group" in e and st.st_gid != account_id(root, "group", e["group"]):
            bad.append(f"{r.id}: gid {st.st_gid}, want {e['group']} ({account_id(root, 'group', e['group'])})")
        if "gid" in e and st.st_gid != e["gid"]:
            bad.append(f"{r.id}: gid {st.st_gid}, want {e['gid']}")
        if "content" in e:
            with open(full, "rb") as f:
                data = f.read()
            want = e["content"] if isinstance(e["content"], bytes) else e["content"].encode()
            if data != want:
                bad.append(f"{r.id}: content {data[:40]!r} ({len(data)} bytes), want {want[:40]!r} ({len(want)} bytes)")
    return bad


def setup(gen, work, roux, env):
    """Writes gen's policy and starting root under work (gen.root must be work/root); returns
    (policy folder, root, drift done)."""
    pol, root = os.path.join(work, "policy"), os.path.join(work, "root")
    assert gen.root == root
    os.makedirs(root, exist_ok=True)
    gen.write_policy(pol)
    gen.write_skeleton()
    drift = []
    if gen.start in ("converged", "drifted"):
        run_roux(roux, "converge", pol, root, env)
        if gen.start == "drifted":
            drift = gen.drift()
    # Old times everywhere: a rewrite by plan shows in mtimes as well as ctimes.
    for dp, dns, fns in os.walk(root):
        for n in dns + fns + [""]:
            try:
                os.utime(os.path.join(dp, n), ns=(981173106 * 10**9, 981173106 * 10**9), follow_symlinks=False)
            except OSError:
                pass
    return pol, root, drift


WITHOUT = frozenset()  # --without, set by main and by each worker
STRICT_RETRY = False  # --strict-retry, likewise


def new_gen(seed, work):
    gen = Gen(seed, os.path.join(work, "root"), WITHOUT)
    gen.generate()
    return gen


def check(gen, pol, root, roux, env):
    """Runs plan, converge, converge on the prepared root; returns (fails, roux times, reports)."""
    fails, times, reps = [], [], {}
    before = snapshot(root)
    prc, plan, pout, perr, dt = run_roux(roux, "plan", pol, root, env)
    times.append(dt)
    reps["plan"] = plan
    after = snapshot(root)
    if before != after:
        diff = []
        for k in sorted(set(before) | set(after)):
            if before.get(k) != after.get(k):
                diff.append(f"{k}: {describe_entry(before.get(k))} => {describe_entry(after.get(k))}")
        fails.append(("1", "plan-wrote", diff))
    if plan is None:
        fails.append(("2", f"plan-no-report(rc={prc})", [perr.strip()[:400]]))
        return fails, times, reps
    if plan.get("errors"):
        # A compile error (a generated policy roux refuses, e.g. an immediate notification whose
        # target depends on what the notifier does not): converge must refuse it alike and
        # change nothing.
        crc, conv, cout, cerr, dt = run_roux(roux, "converge", pol, root, env)
        times.append(dt)
        reps["converge"] = conv
        if prc != 1 or crc != 1:
            fails.append(("2", "compile-error-rc", [f"plan exit {prc}, converge exit {crc}; both must be 1"]))
        elif conv is None or conv.get("errors") != plan.get("errors"):
            fails.append(("3", "compile-errors-differ", [str(plan.get("errors"))[:300]]))
        # A refused converge records the failed run in the state folder, nothing else.
        state = "/var/lib/roux"  # and the folders made to hold it (their mtimes change too)
        ours = lambda snap: {k: v for k, v in snap.items()
                             if not (k.startswith(state) or state.startswith(k.rstrip("/") + "/") or k == "/")}
        if ours(snapshot(root)) != ours(before):
            fails.append(("3", "converge-wrote-after-compile-error", []))
        return fails, times, reps
    w = want_rc(plan, "would_change")
    if prc != w:
        fails.append(("2", rc_category("plan-rc", plan, prc), [f"plan exit {prc}, its report says {w}"]))
    if totals_mismatch(plan):
        fails.append(("2", "plan-totals", totals_mismatch(plan)))
    crc, conv, cout, cerr, dt = run_roux(roux, "converge", pol, root, env)
    times.append(dt)
    reps["converge"] = conv
    if conv is None:
        fails.append(("3", f"converge-no-report(rc={crc})", [cerr.strip()[:400]]))
        return fails, times, reps
    if totals_mismatch(conv):
        fails.append(("3", "converge-totals", totals_mismatch(conv)))
    pc, cc = changes_of(plan), changes_of(conv)
    if pc != cc:
        only_p = sorted((pc - cc).elements())
        only_c = sorted((cc - pc).elements())
        fails.append(("3", "changes", [f"plan only:     {x}" for x in only_p] +
                      [f"converge only: {x}" for x in only_c]))
    ps, cs = statuses(plan), statuses(conv)
    mapping = {"would_change": "changed"}
    sd = [f"{i}: plan {ps.get(i)} / converge {cs.get(i)}" for i in sorted(set(ps) | set(cs))
          if mapping.get(ps.get(i), ps.get(i)) != cs.get(i)]
    if sd:
        fails.append(("3", "status", sd))
    perrs = {r["id"]: r.get("error", "") for r in plan["resources"] if r["status"] == "failed"}
    cerrs = {r["id"]: r.get("error", "") for r in conv["resources"] if r["status"] == "failed"}
    ed = [f"{i}: plan {perrs[i]!r} / converge {cerrs[i]!r}" for i in sorted(set(perrs) & set(cerrs))
          if perrs[i] != cerrs[i]]
    if ed:
        fails.append(("3", "error-text", ed))
    if crc != want_rc(conv, "changed"):
        fails.append(("3", rc_category("converge-rc", conv, crc),
                      [f"converge exit {crc}, its report says {want_rc(conv, 'changed')}"]))
    if prc != crc and not any(c == "3" and k in ("changes", "status") for c, k, _ in fails):
        fails.append(("3", "rc", [f"plan exit {prc}, converge exit {crc}"]))
    bad = check_final(gen, root, conv)
    if bad:
        fails.append(("5", "final-state", bad))
    rc2, conv2, _, cerr2, dt = run_roux(roux, "converge", pol, root, env)
    times.append(dt)
    reps["converge2"] = conv2
    if conv2 is None:
        fails.append(("4", f"second-no-report(rc={rc2})", [cerr2.strip()[:400]]))
        return fails, times, reps
    c2 = changes_of(conv2)
    if c2:
        first_failed = {i for i, st in cs.items() if st in ("failed", "skipped")}
        # Only what failed or was skipped the first time (and the refreshes those now notify).
        retry = all(k[0] in first_failed or (k[1] == "run" and "(notified by " in k[3]) for k in c2)
        # After a run with failures, the next one retrying what failed (or was skipped for it) is
        # what an operator expects; it is counted only with --strict-retry.
        if not retry or STRICT_RETRY:
            fails.append(("4", "second-changes-after-failure" if retry else "second-changes",
                          [f"{k}" for k in sorted(c2.elements())]))
    f1 = {i for i, st in cs.items() if st == "failed"}
    f2 = {r["id"] for r in conv2["resources"] if r["status"] == "failed"}
    want2 = want_rc(conv2, "changed")  # failures with ignore_failure do not count
    if not c2 and (rc2 != want2 or f1 != f2):
        fails.append(("4", "second-rc", [f"second converge exit {rc2}; failed first {sorted(f1)}, "
                                         f"second {sorted(f2)}"]))
    return fails, times, reps


def seed_env(work):
    return dict(os.environ, NO_COLOR="1", XDG_CACHE_HOME=os.path.join(work, "xdg"))


def run_seed(args):
    global WITHOUT, STRICT_RETRY, HTTP_PORT
    seed, roux, keep, tmpbase, WITHOUT, STRICT_RETRY, HTTP_PORT = args
    work = tempfile.mkdtemp(prefix=f"difftest-{seed}-", dir=tmpbase)
    env = seed_env(work)
    fails, times, start = [], [], "?"
    try:
        gen = new_gen(seed, work)
        start = gen.start
        pol, root, drift = setup(gen, work, roux, env)
        fails, times, _ = check(gen, pol, root, roux, env)
    except Exception:  # a harness error is a failure too, never a silent pass
        import traceback
        fails.append(("H", "harness", traceback.format_exc().splitlines()[-3:]))
    finally:
        if fails and keep:
            try:
                keep_repro(seed, keep, roux, fails)
            except Exception as e:  # noqa
                print(f"seed {seed}: could not keep the reproduction: {e}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
    return seed, start, fails, times


def keep_repro(seed, keep, roux, fails, gen=None):
    """DIR/seed-N: the policy and the starting root (rebuilt from the seed, or from a reduced gen),
    a README with the commands and the failed checks, and in ran/ the same run with its reports."""
    d = os.path.join(os.path.abspath(keep), f"seed-{seed}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    g = copy.deepcopy(gen) if gen else new_gen(seed, d)
    g.root = os.path.join(d, "root")
    g.retarget_root()
    pol, root, drift = setup(g, d, roux, seed_env(d))
    ran = os.path.join(d, "ran")
    g2 = copy.deepcopy(g)
    g2.root = os.path.join(ran, "root")
    g2.retarget_root()
    env = seed_env(ran)
    setup(g2, ran, roux, env)
    with open(os.path.join(d, "README"), "w") as f:
        f.write(f"difftest seed {seed}; start state: {g.start}; starting entries: {g.junk or 'none'}; "
                f"drift: {drift or 'none'}\n")
        f.write(f"policy: {pol} (recipe: {pol}/cookbooks/fam/recipes/default.yaml)\n")
        f.write(f"starting root: {root} (exec commands and guards name this root)\n")
        if not gen:
            f.write(f"rebuild: python3 {os.path.abspath(__file__)} --roux {roux} --setup {seed} --out DIR\n")
        f.write("\ncommands (the reports of this very run are in ran/):\n")
        f.write(f"  {roux} plan --policy {pol} --root {root} --format json; echo $?\n")
        f.write(f"  {roux} converge --policy {pol} --root {root} --format json; echo $?\n")
        f.write(f"  {roux} converge --policy {pol} --root {root} --format json; echo $?\n\n")
        for c, k, det in fails:
            f.write(f"check {c} ({k}):\n")
            for line in det:
                f.write(f"  {line}\n")
    for name, cmd in (("plan", "plan"), ("converge", "converge"), ("converge2", "converge")):
        rc, rep, out, err, _ = run_roux(roux, cmd, os.path.join(ran, "policy"), g2.root, env)
        with open(os.path.join(ran, name + ".json"), "w") as f:
            f.write(out)
        with open(os.path.join(ran, name + ".rc"), "w") as f:
            f.write(f"{rc}\n{err}")


def drop_refs(r, gone):
    """Removes r's meta-properties that name a resource no longer in the policy."""
    for key in ("requires", "before", "notify", "subscribe"):
        v = r.get(key)
        if v is not None and any(g in v for g in gone):
            r.props = [(k, x) for k, x in r.props if k != key]


def trial(gen, work, roux):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    env = seed_env(work)
    pol, root, drift = setup(gen, work, roux, env)
    fails, _, reps = check(gen, pol, root, roux, env)
    return fails, reps, drift


def reduce_seed(seed, roux, target, keep):
    """Greedy reduction of a failing seed: drops resources, properties, starting entries and drift
    edits while the target (check:category) still fails. Prints the reduced reproduction."""
    work = tempfile.mkdtemp(prefix=f"difftest-reduce-{seed}-")
    try:
        return reduce_in(seed, roux, target, keep, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def reduce_in(seed, roux, target, keep, work):
    gen = new_gen(seed, work)
    fails, reps, _ = trial(gen, work, roux)
    cats = [f"{c}:{k}" for c, k, _ in fails]
    if not fails:
        print(f"seed {seed}: no mismatch")
        return 0
    target = target or cats[0]
    want_text = None
    if "=" in target:
        target, want_text = target.split("=", 1)
    if target not in cats:
        print(f"seed {seed}: {target} not among {cats}")
        return 1
    root0 = gen.root

    def prints(fs, root):
        """The target's entries with resource names and the root left out: the same kind of
        mismatch, whichever resources show it."""
        out = set()
        for c, k, det in fs:
            if f"{c}:{k}" != target:
                continue
            for line in det:
                line = line.replace(root, "$ROOT")
                if want_text is not None:
                    if want_text in line:
                        out.add(want_text)
                    continue
                out.add(re.sub(r"\[[^\]]*\]", "[]", re.sub(r"'/[^']*'", "'PATH'", line)))
        return out

    print0 = prints(fails, root0)
    if not print0:
        print(f"seed {seed}: no entry of {target} has {want_text!r}")
        return 1

    def still(g):
        f, _, _ = trial(g, work, roux)
        return bool(prints(f, g.root) & print0)

    def without(g, rid):
        h = copy.deepcopy(g)
        h.res = [r for r in h.res if r.id != rid]
        h.declared = [r for r in h.declared if r.id != rid]
        for r in h.res:
            drop_refs(r, {rid})
        return h

    n_trials = 0
    changed = True
    while changed:
        changed = False
        for r in list(reversed(gen.declared)):
            h = without(gen, r.id)
            n_trials += 1
            if still(h):
                gen, changed = h, True
        for r in list(gen.declared):
            for key, _ in list(r.props):
                if key in ("content", "source", "variables", "to", "command", "creates", "refresh_only", "ensure") or \
                        key.startswith("_") or (r.type == "exec" and key == "requires"):
                    continue
                h = copy.deepcopy(gen)
                hr = next(x for x in h.res if x.id == r.id)
                hr.props = [(k, v) for k, v in hr.props if k != key]
                for x in {"mode": ["mode"], "owner": ["uid", "user"], "group": ["gid", "group"]}.get(key, []):
                    hr.expect.pop(x, None)
                n_trials += 1
                if still(h):
                    gen, changed = h, True
        for i in reversed(range(len(gen.junk))):
            h = copy.deepcopy(gen)
            del h.junk[i]
            n_trials += 1
            if still(h):
                gen, changed = h, True
        for i in reversed(range(len(gen.drift_plan))):
            h = copy.deepcopy(gen)
            del h.drift_plan[i]
            n_trials += 1
            if still(h):
                gen, changed = h, True
        for simpler in ("blank", "converged"):
            if gen.start != simpler and ["blank", "converged", "drifted"].index(simpler) < \
                    ["blank", "converged", "drifted"].index(gen.start):
                h = copy.deepcopy(gen)
                h.start = simpler
                n_trials += 1
                if still(h):
                    gen, changed = h, True
                    break
    fails, reps, drift = trial(gen, work, roux)
    print(f"seed {seed}: {target}, reduced in {n_trials} trials to {len(gen.res)} resources")
    print(f"start state: {gen.start}; starting entries (besides etc/passwd, etc/group): {gen.junk or 'none'}; "
          f"drift after the first converge: {drift or 'none'}")
    print("recipe:\n" + gen.recipe_yaml().replace(gen.root, "$ROOT"))
    for rel, text in sorted(gen.files.items()):
        if any(rel.split("/", 1)[1] in (r.get("source") or "") for r in gen.res):
            print(f"{rel}: {text[:200]!r} ({len(text)} bytes)")
    for name in ("plan", "converge", "converge2"):
        rep = reps.get(name)
        if not rep:
            continue
        print(f"{name}: exit {rep.get('exit_code')}")
        for r in rep["resources"]:
            if r["status"] != "unchanged" or r.get("changes"):
                chs = "; ".join(f"{c['property']}: {c['before']!r} -> {c['after']!r}" for c in r.get("changes", []))
                err = f" error: {r['error']}" if r.get("error") else ""
                print(f"  {r['id']} {r['status']}: {chs}{err}")
    for c, k, det in fails:
        print(f"check {c} ({k}):")
        for line in det[:20]:
            print(f"  {line.replace(gen.root, '$ROOT')}")
    if keep:
        keep_repro(f"{seed}-reduced", keep, roux, fails, gen)
        print(f"kept in {os.path.join(keep, f'seed-{seed}-reduced')}")
    shutil.rmtree(work, ignore_errors=True)
    return 1


def causes_of(fails):
    """Names the known causes (tests/difftest/causes.sh) a failing seed shows, by the shape of its
    entries; "other" when none fits. A heuristic for the summary, not a verdict."""
    out = set()
    cats = {f"{c}:{k}" for c, k, _ in fails}
    account_ids = set()
    for c, k, det in fails:
        for line in det:
            m = re.match(r"plan only: +\('([^']+)', '(owner|group)', '\d+', '[a-z]", line)
            if k == "changes" and m:
                account_ids.add(m.group(1))
    for c, k, det in fails:
        for line in det:
            m = re.search(r"mode (\d+), want (\d+)", line) or re.search(r"'mode', '(\d+)', '(\d+)'", line)
            if m and int(m.group(2), 8) & 0o7000 and int(m.group(1), 8) == int(m.group(2), 8) & 0o777:
                out.add("setid")
            if k == "status" and line.startswith("link[") and "plan would_change / converge failed" in line:
                out.add("link-parent")
            if k == "status" and not line.startswith(("link[", "exec[")) and \
                    "plan would_change / converge failed" in line:
                out.add("dangling-parent")
            if k == "status" and (re.search(r"plan failed / converge (changed|unchanged)", line) or (
                    not line.startswith("exec[") and "plan would_change / converge unchanged" in line and
                    line.split(":")[0] not in account_ids)):
                out.add("below-new-link")  # or below a link the run re-points
            if k == "status" and line.startswith("exec[") and "converge failed" in line:
                out.add("exec-failed")
            if k == "changes" and line.startswith("plan only") and re.search(r"'(owner|group)', '\d+', '[a-z]", line):
                out.add("account-fixed-id")
            if k == "status" and "plan would_change / converge unchanged" in line and line.startswith("exec["):
                out.add("notify-from-failed")
    if any(k.endswith("failed-resource-changes-not-counted") for k in cats) or \
            any(c == "3" and k == "changes" and any(x.startswith("converge only") for x in det) for c, k, det in fails):
        out.add("failed-change-recorded")
    if "4:second-changes-after-failure" in cats and not any(c == "3" for c, _, _ in fails):
        out.add("side-effect-parent")
    return out or {"other"}


def parse_seeds(s):
    out = []
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--roux")
    ap.add_argument("--seeds", default="0-99")
    ap.add_argument("--family", default="file", choices=["file"])
    ap.add_argument("--keep-failures", metavar="DIR")
    ap.add_argument("-j", type=int, default=1)
    ap.add_argument("-v", action="store_true", help="print each failing check's entries")
    ap.add_argument("--setup", type=int, metavar="SEED", help="only write SEED's policy and starting root")
    ap.add_argument("--out", help="with --setup: the folder to write into")
    ap.add_argument("--reduce", type=int, metavar="SEED", help="reduce a failing seed to a minimal reproduction")
    ap.add_argument("--target", help="with --reduce: the check:category to keep failing (default: the first)")
    ap.add_argument("--classify", metavar="STATS", help="count the causes in a --stats file of an earlier run")
    ap.add_argument("--stats", metavar="FILE", help="write per-seed results as JSON lines")
    ap.add_argument("--without", default="", help="generator features to leave out, comma-separated: " +
                    " ".join(FEATURES))
    ap.add_argument("--strict-retry", action="store_true",
                    help="also count a second converge that retries what failed or was skipped in the first "
                         "(a run with failures is not expected to be idempotent; plan fidelity is checked either way)")
    ap.add_argument("--converge-jobs", type=int, metavar="N",
                    help="run every converge with --jobs N (default: roux's own default)")
    ap.add_argument("--serve", type=int, metavar="PORT",
                    help="only serve remote_file's bodies on 127.0.0.1:PORT (for a kept reproduction)")
    a = ap.parse_args()
    global WITHOUT, STRICT_RETRY, CONVERGE_JOBS
    STRICT_RETRY = a.strict_retry
    CONVERGE_JOBS = a.converge_jobs  # seen by the seed processes (forked after this)
    WITHOUT = frozenset(x for x in a.without.split(",") if x)
    if WITHOUT - set(FEATURES):
        sys.exit(f"difftest: unknown features {sorted(WITHOUT - set(FEATURES))}; known: {' '.join(FEATURES)}")
    global HTTP_PORT
    if a.serve is not None:  # serve remote_file's bodies for a kept reproduction, until interrupted
        HTTP_PORT = start_http(a.serve)
        print(f"difftest: serving http://127.0.0.1:{HTTP_PORT}/c/KEY", flush=True)
        while True:
            time.sleep(3600)
    if "edits" not in WITHOUT and not a.classify:
        HTTP_PORT = start_http()
    if not a.roux:
        sys.exit("difftest: --roux is required")
    roux = os.path.abspath(a.roux)
    if not a.classify and not os.access(roux, os.X_OK):
        sys.exit(f"difftest: no roux binary at {roux}")
    if a.setup is not None:
        out = os.path.abspath(a.out or f"difftest-seed-{a.setup}")
        env = dict(os.environ, NO_COLOR="1", XDG_CACHE_HOME=os.path.join(out, "xdg"))
        gen = new_gen(a.setup, out)
        pol, root, drift = setup(gen, out, roux, env)
        print(f"seed {a.setup}: start {gen.start}, drift {drift or 'none'}\n  policy {pol}\n  root {root}")
        return 0
    if a.classify:
        counts, n = collections.Counter(), 0
        with open(a.classify) as f:
            for line in f:
                rec = json.loads(line)
                n += 1
                if rec["fails"]:
                    for cause in causes_of([tuple(x) for x in rec["fails"]]):
                        counts[cause] += 1
                        if a.v:
                            print(f"seed {rec['seed']}: {cause}")
        print(f"difftest: {n} seeds; failing seeds by cause: " +
              ", ".join(f"{k}={v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])))
        return 0
    if a.reduce is not None:
        return reduce_seed(a.reduce, roux, a.target, a.keep_failures)
    seeds = parse_seeds(a.seeds)
    tmpbase = tempfile.mkdtemp(prefix="difftest.")
    by_check = collections.Counter()
    by_cat = collections.Counter()
    by_start = collections.Counter()
    by_cause = collections.Counter()
    starts = collections.Counter()
    failing = 0
    t0 = time.monotonic()
    roux_times = []
    stats = open(a.stats, "w") if a.stats else None
    jobs = [(s, roux, a.keep_failures, tmpbase, WITHOUT, STRICT_RETRY, HTTP_PORT) for s in seeds]
    ex = ProcessPoolExecutor(a.j) if a.j > 1 else None
    try:
        results = ex.map(run_seed, jobs, chunksize=2) if ex else map(run_seed, jobs)
        for seed, start, fails, times in results:
            starts[start] += 1
            roux_times.extend(times)
            if stats:
                stats.write(json.dumps({"seed": seed, "start": start, "fails": fails}) + "\n")
            if not fails:
                continue
            failing += 1
            for cause in causes_of(fails):
                by_cause[cause] += 1
            by_start[start] += 1
            checks = sorted({c for c, _, _ in fails})
            for c in checks:
                by_check[c] += 1
            for c, k, _ in fails:
                by_cat[f"{c}:{k}"] += 1
            summary = "; ".join(f"check {c} {k} ({len(d)})" for c, k, d in fails) + \
                f" [cause: {','.join(sorted(causes_of(fails)))}]"
            where = f" -> {os.path.join(a.keep_failures, f'seed-{seed}')}" if a.keep_failures else ""
            print(f"seed {seed} [{start}]: {summary}{where}", flush=True)
            if a.v:
                for c, k, d in fails:
                    for line in d[:12]:
                        print(f"    {c}/{k}: {line}")
    finally:
        if ex:
            ex.shutdown()
        shutil.rmtree(tmpbase, ignore_errors=True)
        if stats:
            stats.close()
    dt = time.monotonic() - t0
    checks = ", ".join(f"{c}={by_check[c]}" for c in CHECKS + ["H"] if by_check[c])
    cats = ", ".join(f"{k}={v}" for k, v in sorted(by_cat.items(), key=lambda kv: -kv[1]))
    print(f"difftest: starts {dict(starts)}; failing by start {dict(by_start)}; categories: {cats or 'none'}")
    if by_cause:
        print("difftest: failing seeds by cause (heuristic, see tests/difftest/causes.sh): " +
              ", ".join(f"{k}={v}" for k, v in sorted(by_cause.items(), key=lambda kv: -kv[1])))
    if roux_times:
        roux_times.sort()
        print(f"difftest: {len(seeds)} seeds in {dt:.1f} s ({len(seeds) / dt:.1f} seeds/s); roux runs: "
              f"{len(roux_times)}, median {roux_times[len(roux_times) // 2] * 1000:.1f} ms")
    print(f"difftest: {len(seeds)} seeds, {failing} mismatches (by check: {checks or 'none'})")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
