#!/usr/bin/python3
"""Validates every cookbook, recipe and example policy in the repo, and real reports produced by
the roux binary, against the JSON Schemas in schemas/. Also checks the schemas reject known-bad
documents, so a vacuous schema fails this test. Usage: check.py REPO ROUX"""
import glob, json, os, subprocess, sys, tempfile

import jsonschema
import yaml

repo, roux = sys.argv[1], sys.argv[2]
store = {}
for path in glob.glob(os.path.join(repo, "schemas", "**", "*.json"), recursive=True):
    with open(path) as f:
        s = json.load(f)
    jsonschema.Draft202012Validator.check_schema(s)
    store[s["$id"]] = s
base = "https://roux.example/schemas/"
resolver_for = lambda s: jsonschema.RefResolver(base_uri=s["$id"], referrer=s, store=store)
failures = []
checked = 0


def validate(doc, schema_name, where):
    global checked
    schema = store.get(base + schema_name)
    if schema is None:
        failures.append(f"{where}: no schema {schema_name}")
        return
    v = jsonschema.Draft202012Validator(schema, resolver=resolver_for(schema))
    errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        failures.append(f"{where}: {'/'.join(map(str, e.path))}: {e.message}")
    checked += 1
    return not errors


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


cookbook_dirs = glob.glob(os.path.join(repo, "cookbooks", "*")) + glob.glob(
    os.path.join(repo, "examples", "*", "cookbooks", "*"))
for cb in sorted(cookbook_dirs):
    validate(load(os.path.join(cb, "metadata.yaml")), "metadata.schema.json", cb + "/metadata.yaml")
    for recipe in sorted(glob.glob(os.path.join(cb, "recipes", "*.yaml"))):
        doc = load(recipe)
        validate(doc, "recipe.schema.json", recipe)
        for i, res in enumerate((doc or {}).get("resources") or []):
            rtype = next(iter(res))
            validate(res, f"resources/{rtype}.schema.json", f"{recipe}: resources[{i}] ({rtype})")
for policy in sorted(glob.glob(os.path.join(repo, "examples", "*", "policy.yaml"))):
    validate(load(policy), "policy.schema.json", policy)

# Real reports: plan and converge of the quickstart, and a failing run.
with tempfile.TemporaryDirectory() as root:
    for cmd in ("plan", "converge", "converge"):
        out = subprocess.run([roux, cmd, "--policy", os.path.join(repo, "examples", "quickstart"), "--root", root,
                              "--format", "json"], capture_output=True, text=True)
        validate(json.loads(out.stdout), "report.schema.json", f"report of roux {cmd} (exit {out.returncode})")
    with open(os.path.join(root, "var/lib/roux/last_run.json")) as f:
        validate(json.load(f), "report.schema.json", "STATE/last_run.json")
    # A targeted plan, a saved plan and the converge that applies it (selection, saved_plan).
    # (Their history lines are checked below.)
    plan_file = os.path.join(root, "saved-plan.json")
    for args in (["plan", "--tags", "hello"], ["plan", "--out", plan_file], ["converge", "--plan", plan_file]):
        out = subprocess.run([roux, *args, "--policy", os.path.join(repo, "examples", "quickstart"), "--root", root,
                              "--format", "json"], capture_output=True, text=True)
        validate(json.loads(out.stdout), "report.schema.json", f"report of roux {' '.join(args[:2])} (exit {out.returncode})")

    # Every history line those runs wrote, and `roux history --format json`.
    with open(os.path.join(root, "var/lib/roux/history.jsonl")) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    if len(lines) < 3:  # the three converges (a plan writes no history line)
        failures.append(f"history.jsonl: expected a line per run, got {len(lines)}")
    for i, line in enumerate(lines):
        validate(line, "history.schema.json", f"STATE/history.jsonl line {i + 1}")
    out = subprocess.run([roux, "history", "--root", root, "--format", "json"], capture_output=True, text=True)
    runs = json.loads(out.stdout) if out.returncode == 0 else []
    if not runs:
        failures.append(f"roux history --format json: exit {out.returncode}: {out.stderr}")
    for i, run in enumerate(runs):
        validate(run, "history.schema.json", f"roux history --format json [{i}]")
    before = len(failures)
    if lines and validate({**lines[0], "colour": "red"}, "history.schema.json", "negative"):
        failures.append("history.schema.json accepted a line with an unknown key")
    else:
        del failures[before:]

# A real supermarket index: keygen, publish a repository cookbook, validate `universe`.
with tempfile.TemporaryDirectory() as sm:
    subprocess.run([roux, "keygen", "--out", os.path.join(sm, "k")], capture_output=True, check=True)
    cb = sorted(glob.glob(os.path.join(repo, "cookbooks", "*")))[0]
    out = subprocess.run([roux, "supermarket", "publish", cb, "--to", os.path.join(sm, "m"), "--key",
                          os.path.join(sm, "k.key")], capture_output=True, text=True)
    if out.returncode != 0:
        failures.append(f"roux supermarket publish {cb}: exit {out.returncode}: {out.stderr}")
    else:
        with open(os.path.join(sm, "m", "universe")) as f:
            validate(json.load(f), "supermarket_index.schema.json", "published universe")

# The schemas must reject what roux rejects.
bad = [
    ({"_index": {"serial": 1}}, "supermarket_index.schema.json"),
    ({"_index": {"serial": 0, "expires": "2030-01-01T00:00:00Z"}}, "supermarket_index.schema.json"),
    ({"_index": {"serial": 1, "expires": "tomorrow"}}, "supermarket_index.schema.json"),
    ({"file": "/a", "colour": "red"}, "resources/file.schema.json"),
    ({"file": "relative"}, "resources/file.schema.json"),
    ({"file": "/a", "mode": "999"}, "resources/file.schema.json"),
    ({"file": "/a", "content": "x", "source": "y"}, "resources/file.schema.json"),
    ({"link": "/a"}, "resources/link.schema.json"),
    ({"exec": "x", "returns": 300}, "resources/exec.schema.json"),
    ({"file": "/a", "notify": "nope"}, "resources/file.schema.json"),
    ({"name": "p"}, "policy.schema.json"),
    ({"name": "Bad Name", "version": "1.0"}, "metadata.schema.json"),
    ({"name": "ok", "version": "one"}, "metadata.schema.json"),
]
for doc, schema_name in bad:
    before = len(failures)
    if validate(doc, schema_name, "negative"):
        failures.append(f"schema {schema_name} accepted a bad document: {doc}")
    else:
        del failures[before:]

# The recipe schema dispatches every item of resources: to its type's schema (what
# yaml-language-server uses with a `# yaml-language-server: $schema=...` modeline), over exactly
# the types schemas/resources/ holds.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recipe_dispatch  # noqa: E402
if store[base + "recipe.schema.json"]["$defs"]["resource"] != recipe_dispatch.dispatch(repo):
    failures.append("schemas/recipe.schema.json: $defs/resource does not dispatch to exactly the types of "
                    "schemas/resources/; regenerate it: tests/schemas/recipe_dispatch.py . --write")


def messages(errors):
    """Every message and path of `errors` and of the errors under them (oneOf/anyOf branches)."""
    out = []
    for e in errors:
        out.append("/".join(map(str, e.absolute_path)) + ": " + e.message)
        out += messages(e.context or [])
    return out


# Whole recipes: bad ones fail for the expected reason (a text of the error), good ones pass.
recipe_cases = [
    ({"resources": [{"file": "/a", "contnet": "x"}]}, "'contnet' was unexpected"),
    ({"resources": [{"file": "/a", "mode": "999"}]}, "resources/0/mode"),
    ({"resources": [{"directory": "/a", "mode": "u+rwx"}]}, "resources/0/mode"),
    ({"resources": [{"file": "/a", "ensure": "installed"}]}, "'installed' is not one of ['present', 'absent']"),
    ({"resources": [{"package": "nginx", "ensure": "present"}]}, "'present' is not one of ['installed', 'absent', 'purged', 'latest']"),
    ({"resources": [{"service": "nginx", "running": "yes"}]}, "'yes' is not of type 'boolean'"),
    ({"resources": [{"fiel": "/a"}]}, "resources/0: {'fiel': '/a'} is not valid under any of the given schemas"),
    ({"resources": [{"user": "Bob"}]}, "resources/0/user: 'Bob' does not match"),
    ({"resources": [{"cron": "backup", "schedule": "daily", "command": "/bin/true"}]}, "resources/0/schedule: 'daily' does not match"),
    ({"resources": [{"cron": "a.b", "schedule": "@daily", "command": "/bin/true"}]}, "resources/0/cron: 'a.b' does not match"),
    ({"resources": [{"user": "bob", "groups": ["adm"], "shel": "/bin/sh"}]}, "'shel' was unexpected"),
    ({"resources": [{"file": "/a", "notify": {"resource": "service[x]", "timing": "later"}}]}, "resources/0/notify"),
    ({"resources": [{"monitoring_agent": "monit", "interval": 0}]}, "resources/0/interval: 0 is less than the minimum of 1"),
]
for doc, reason in recipe_cases:
    schema = store[base + "recipe.schema.json"]
    v = jsonschema.Draft202012Validator(schema, resolver=resolver_for(schema))
    got = messages(v.iter_errors(doc))
    checked += 1
    if not got:
        failures.append(f"recipe.schema.json accepted a bad recipe: {doc}")
    elif not any(reason in m for m in got):
        failures.append(f"recipe.schema.json refused {doc} but not for the expected reason ({reason!r}): {got}")
good_recipes = [
    {"resources": [{"user": "bob", "group": "staff", "groups": ["adm"], "shell": "/bin/bash"}]},  # user, not group
    {"resources": [{"file": "/a", "group": "adm", "owner": "root", "mode": "0640"}]},
    {"resources": [{"exec": "x", "user": "bob"}, {"cron": "job", "user": "bob", "schedule": "0 1 * * *", "command": "x"}]},
    {"resources": [{"group": "staff", "gid": 1100}, {"package": "nginx", "ensure": "latest"},
                   {"service": "nginx", "running": True, "enabled": True, "subscribe": "file[/a]"}]},
]
for doc in good_recipes:
    validate(doc, "recipe.schema.json", f"good recipe {doc}")

for f in failures:
    print("FAIL", f)
print(f"{checked} documents checked, {len(failures)} failures")
sys.exit(1 if failures else 0)
