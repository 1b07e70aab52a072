#!/usr/bin/python3
"""Every ```yaml snippet of README.md and docs/*.md parses (python3-yaml, YAML 1.1 like yaml-cpp's
scalars for our purposes), and every recipe-shaped one (a map with resources:, or a list of
resources whose first key is a resource type) validates against schemas/recipe.schema.json.
A snippet that is not meant to be valid says so on its first line with `# not valid:` (shown to
the reader too). Failures name file:line of the snippet. Usage: doc_snippets.py REPO"""
import glob, json, os, re, sys

import jsonschema
import yaml

repo = sys.argv[1]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recipe_dispatch  # noqa: E402

store = {}
for path in glob.glob(os.path.join(repo, "schemas", "**", "*.json"), recursive=True):
    with open(path) as f:
        s = json.load(f)
    store[s["$id"]] = s
recipe = store["https://roux.example/schemas/recipe.schema.json"]
validator = jsonschema.Draft202012Validator(
    recipe, resolver=jsonschema.RefResolver(base_uri=recipe["$id"], referrer=recipe, store=store))
types = set(recipe_dispatch.type_schemas(repo))

failures, parsed, validated = [], 0, 0
files = [os.path.join(repo, "README.md")] + sorted(glob.glob(os.path.join(repo, "docs", "*.md")))
for path in files:
    rel = os.path.relpath(path, repo)
    with open(path) as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```\s*ya?ml\s*$", lines[i])
        if not m:
            i += 1
            continue
        start, indent, body = i + 1, m.group(1), []
        i += 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        i += 1
        text = "\n".join(body)
        if text.lstrip().startswith("# not valid:"):
            continue
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line = start + 1 + (mark.line if mark else 0)
            failures.append(f"{rel}:{line}: the yaml snippet (from line {start + 1}) does not parse: "
                            f"{getattr(e, 'problem', None) or e}")
            continue
        parsed += 1
        if isinstance(doc, list) and doc and all(isinstance(x, dict) and x and next(iter(x)) in types for x in doc):
            doc = {"resources": doc}
        elif not (isinstance(doc, dict) and "resources" in doc and set(doc) <= {"resources", "tags", "verify"}):
            continue
        validated += 1
        for e in validator.iter_errors(doc):
            where = "/".join(map(str, e.absolute_path))
            failures.append(f"{rel}:{start + 1}: the recipe snippet does not validate against recipe.schema.json: "
                            f"{where}: {e.message[:300]}")

for f in failures:
    print("FAIL", f)
print(f"{parsed} yaml snippets parsed, {validated} recipe snippets validated, {len(failures)} failures")
sys.exit(1 if failures else 0)
