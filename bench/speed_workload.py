#!/usr/bin/python3
"""speed_workload.py N OUT: the file part of the peer benchmark (/work/shared/peer-bench/WORKLOAD.md)
as a roux policy: the folder /pb and its 20 folders dNN (0755), N files /pb/dNN/fIIII
(NN = I mod 20, mode 0640) with content C(I) exactly. The owner is the user running roux
(root in CI) and is not named, so the tree is the same under any --root. Writes OUT/policy.yaml,
OUT/cookbooks/pb/ and OUT/expected (C(0)..C(N-1) back to back, for bench/floor_pb)."""
import hashlib, os, sys


def content(i):
    h = hashlib.sha256(f"peerbench-{i}".encode()).hexdigest()
    return f"peerbench file {i:05d}\n" + h + "\n" + h[::-1] + "\n" + h[0:32] + h[32:64][::-1] + "\n"


n, out = int(sys.argv[1]), sys.argv[2]
cb = f"{out}/cookbooks/pb"
os.makedirs(f"{cb}/recipes", exist_ok=True)
# One recipe with the folders, one per folder with its files (a recipe is limited to 8 MiB).
with open(f"{out}/policy.yaml", "w") as fh:
    fh.write("name: pb\nsources: [cookbooks]\nrun_list:\n  - pb\n" +
             "".join(f"  - pb::d{k:02d}\n" for k in range(20)))
with open(f"{cb}/metadata.yaml", "w") as fh:
    fh.write("name: pb\nversion: 1.0.0\n")
lines = ["resources:"]
for d in ["/pb"] + [f"/pb/d{k:02d}" for k in range(20)]:
    lines.append(f"  - directory: {d}\n    mode: \"0755\"")
with open(f"{cb}/recipes/default.yaml", "w") as fh:
    fh.write("\n".join(lines) + "\n")
for k in range(20):
    lines = ["resources:"]
    for i in range(k, n, 20):
        c = content(i).replace("\n", "\\n")
        lines.append(f"  - file: /pb/d{k:02d}/f{i:04d}\n    content: \"{c}\"\n    mode: \"0640\"")
    with open(f"{cb}/recipes/d{k:02d}.yaml", "w") as fh:
        fh.write("\n".join(lines) + "\n")
with open(f"{out}/expected", "w") as fh:
    fh.write("".join(content(i) for i in range(n)))
