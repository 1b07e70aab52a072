#!/usr/bin/env bash
# Every cookbook, recipe, example policy and real report validates against schemas/, and the
# schemas reject known-bad documents.
set -euo pipefail
/usr/bin/python3 -c "import jsonschema, yaml" 2>/dev/null || { echo "SKIP: python3-jsonschema/python3-yaml missing"; exit 77; }
/usr/bin/python3 "$ROUX_SOURCE_DIR/tests/schemas/check.py" "$ROUX_SOURCE_DIR" "$ROUX"
