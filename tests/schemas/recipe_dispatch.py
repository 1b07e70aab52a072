#!/usr/bin/python3
"""The recipe schema's dispatch: each item of `resources:` is validated against the schema of its
type. JSON Schema cannot see which key comes first, so an item is of type T when it has the key T
and no key of a type whose schema declares T as a property (`- user: bob` with `group: staff` is
a user, not a group). Usage: recipe_dispatch.py REPO [--write]: prints the $defs/resource the
recipe schema must hold, or writes it into schemas/recipe.schema.json."""
import glob, json, os, sys


def type_schemas(repo):
    out = {}
    for path in sorted(glob.glob(os.path.join(repo, "schemas", "resources", "*.schema.json"))):
        name = os.path.basename(path)[: -len(".schema.json")]
        with open(path) as f:
            s = json.load(f)
        if name in (s.get("required") or []):
            out[name] = s
    return out


def dispatch(repo):
    types = type_schemas(repo)
    rules = []
    for t in sorted(types):
        owners = sorted(u for u, s in types.items() if u != t and t in (s.get("properties") or {}))
        cond = {"required": [t]}
        if owners:
            cond["not"] = {"anyOf": [{"required": [u]} for u in owners]}
        rules.append({"if": cond, "then": {"$ref": f"resources/{t}.schema.json"}})
    return {
        "type": "object",
        "minProperties": 1,
        "description": "dispatched on the type key (the item's first key): see the per-type schemas in resources/",
        "anyOf": [{"required": [t]} for t in sorted(types)],
        "allOf": rules,
    }


if __name__ == "__main__":
    repo = sys.argv[1]
    want = dispatch(repo)
    if "--write" in sys.argv:
        path = os.path.join(repo, "schemas", "recipe.schema.json")
        with open(path) as f:
            recipe = json.load(f)
        recipe["$defs"]["resource"] = want
        with open(path, "w") as f:
            json.dump(recipe, f, indent=2)
            f.write("\n")
    else:
        print(json.dumps(want, indent=2))
