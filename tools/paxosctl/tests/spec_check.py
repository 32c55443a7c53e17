#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that Documentation/netlink/specs/paxos.yaml and uapi/linux/paxos.h
describe the same family: names, commands, attributes, enums and values.
The header's values are confirmed by compiling a program that prints them.
Prints one `ok`/`not ok` line per check; exit status 1 on any mismatch."""
import os
import re
import subprocess
import sys
import tempfile

import yaml

top = sys.argv[1] if len(sys.argv) > 1 else "."
header = os.path.join(top, "uapi/linux/paxos.h")
spec_path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    top, "Documentation/netlink/specs/paxos.yaml")
text = open(header).read()
spec = yaml.safe_load(open(spec_path))
failures = 0


def check(ok, what):
    global failures
    print(("ok " if ok else "not ok ") + what)
    if not ok:
        failures += 1


def header_enum(name):
    """Entries of `enum name` as [(C name, value)], implicit values filled."""
    m = re.search(r"enum\s+%s\s*\{(.*?)\};" % name, text, re.S)
    if not m:
        return []
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    out, val = [], 0
    for item in body.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" in item:
            n, v = [x.strip() for x in item.split("=", 1)]
            vals = dict(out)
            val = vals[v] if v in vals else (
                vals[v.split("-")[0].strip()] - 1 if "-" in v else int(v, 0))
        else:
            n = item
        out.append((n, val))
        val += 1
    return out


def spec_names(entries, prefix):
    return [(prefix + e.upper().replace("-", "_")) for e in entries]


def compare(what, enum, prefix, spec_entries, start):
    """spec_entries: [(name, explicit value or None)]"""
    hdr = [(n, v) for n, v in header_enum(enum)
           if not n.endswith("_UNSPEC") and not n.endswith("_MAX")]
    sp, val = [], start
    for n, v in spec_entries:
        if v is not None:
            val = v
        sp.append((prefix + n.upper().replace("-", "_"), val))
        val += 1
    check(hdr == sp, "%s: spec and %s agree (%d entries)" % (what, enum, len(hdr)))
    if hdr != sp:
        for a, b in zip(hdr + [None] * len(sp), sp + [None] * len(hdr)):
            if a != b:
                print("#   header %s vs spec %s" % (a, b))
    return hdr


check(spec.get("name") == re.search(r'PAXOS_FAMILY_NAME\s+"(\w+)"', text).group(1),
      "family name")
grp = re.search(r'PAXOS_MCGRP_EVENTS\s+"(\w+)"', text).group(1)
check([g["name"] for g in spec["mcast-groups"]["list"]] == [grp], "multicast groups")

checked = []
ops = [(o["name"], o.get("value")) for o in spec["operations"]["list"]]
checked += compare("operations", "paxos_cmd", "PAXOS_CMD_", ops, 1)
sets = {s["name"]: s["attributes"] for s in spec["attribute-sets"]}
checked += compare("attributes", "paxos_attr", "PAXOS_A_",
                   [(a["name"], a.get("value")) for a in sets["paxos"]], 1)
checked += compare("member attributes", "paxos_member_attr", "PAXOS_MA_",
                   [(a["name"], a.get("value")) for a in sets["member"]], 1)
defs = {d["name"]: d for d in spec["definitions"]}
for dname, enum, prefix in (("state", "paxos_state", "PAXOS_STATE_"),
                            ("member-state", "paxos_member_state", "PAXOS_MEMBER_"),
                            ("record-type", "paxos_record_type", "PAXOS_REC_"),
                            ("counter", "paxos_counter", "PAXOS_CTR_"),
                            ("storage-state", "paxos_storage_state",
                             "PAXOS_STORAGE_")):
    d = defs[dname]
    checked += compare("enum " + dname, enum, prefix,
                       [(e, None) for e in d["entries"]], d.get("value-start", 0))

# The values computed above must be what the compiler sees.
with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "v.c")
    with open(src, "w") as f:
        f.write("#include <stdio.h>\n#include <linux/paxos.h>\nint main(void){\n")
        for n, _ in checked:
            f.write('printf("%%s %%d\\n", "%s", (int)%s);\n' % (n, n))
        f.write("return 0;}\n")
    exe = os.path.join(tmp, "v")
    subprocess.check_call(["cc", "-I", os.path.join(top, "uapi"), "-o", exe, src])
    out = subprocess.check_output([exe]).decode().split("\n")
    real = [(l.split()[0], int(l.split()[1])) for l in out if l]
check(real == checked, "header values parsed match the compiler's (%d names)" % len(real))
sys.exit(1 if failures else 0)
