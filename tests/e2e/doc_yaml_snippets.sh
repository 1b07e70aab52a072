#!/usr/bin/env bash
# Every ```yaml snippet of README.md and docs/*.md parses, and every recipe-shaped one validates
# against schemas/recipe.schema.json (the per-type schemas through its dispatch); a failure names
# the snippet's file:line.
set -euo pipefail
/usr/bin/python3 -c "import jsonschema, yaml" 2>/dev/null || { echo "SKIP: python3-jsonschema/python3-yaml missing"; exit 77; }
/usr/bin/python3 "$ROUX_SOURCE_DIR/tests/schemas/doc_snippets.py" "$ROUX_SOURCE_DIR"
