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
    plan_file = os.path.join(root, "saved-plan.json")
    for args in (["plan", "--tags", "hello"], ["plan", "--out", plan_file], ["converge", "--plan", plan_file]):
        out = subprocess.run([roux, *args, "--policy", os.path.join(repo, "examples", "quickstart"), "--root", root,
                              "--format", "json"], capture_output=True, text=True)
        validate(json.loads(out.stdout), "report.schema.json", f"report of roux {' '.join(args[:2])} (exit {out.returncode})")

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

for f in failures:
    print("FAIL", f)
print(f"{checked} documents checked, {len(failures)} failures")
sys.exit(1 if failures else 0)
