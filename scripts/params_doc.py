#!/usr/bin/env python3
"""Generate the parameter table of docs/parameters.md from the daemon's own
parameter table (`jmixd --describe-params` on a session with one strip and one
bus of each type), or check that the document is in sync (--check)."""
import os, re, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN, END = "<!-- params:begin -->", "<!-- params:end -->"
SESSION = """strips = ( { name = "s"; } );
buses = ( { name = "verb"; type = "reverb"; }, { name = "echo"; type = "delay"; },
          { name = "mon"; type = "aux"; } );
monitor = { output = [ ]; };
talkback = { input = [ ]; buses = [ "mon" ]; };
"""

def table(binary):
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as f:
        f.write(SESSION)
    try:
        out = subprocess.run([binary, "--describe-params", f.name], check=True,
                             capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)
    rows, seen = [], set()
    for line in out.splitlines():
        path, unit, lo, hi, dflt, taper, smooth, doc = line.split("\t")
        path = re.sub(r"^/strip/1/", "/strip/{s}/", path)
        path = re.sub(r"^/bus/\d/", "/bus/{b}/", path)
        path = re.sub(r"/send/\d/", "/send/{b}/", path)
        m = re.search(r"/eq/(\d)/", path)
        key = re.sub(r"/eq/\d/", "/eq/{n}/", path)
        # one row per path and doc: a tail with a per-bus-type default
        # (send pre: aux or FX) gets a row for each
        if (key, doc) in seen:
            if m and rows[-1][0] == key:
                rows[-1][4].append(dflt)
            continue
        seen.add((key, doc))
        rng = "0/1" if taper == "switch" else f"{lo}..{hi}"
        rows.append([key, unit, rng, taper, [dflt], smooth, doc])
    lines = ["| path | unit | range | taper | default | smoothing ms | what it does |",
             "|---|---|---|---|---|---|---|"]
    for key, unit, rng, taper, dflts, smooth, doc in rows:
        d = "/".join(dflts) if len(set(dflts)) > 1 else dflts[0]
        lines.append(f"| `{key}` | {unit} | {rng} | {taper} | {d} | {smooth} | {doc} |")
    return "\n".join(lines)

def main():
    binary = os.path.join(ROOT, "build", "jmixd")
    readme = os.path.join(ROOT, "docs", "parameters.md")
    text = open(readme).read()
    new = text[:text.index(BEGIN) + len(BEGIN)] + "\n" + table(binary) + "\n" + text[text.index(END):]
    if "--check" in sys.argv:
        if new != text:
            print("docs/parameters.md is out of date: run scripts/params_doc.py")
            sys.exit(1)
        print("docs/parameters.md matches the parameter table")
        return
    open(readme, "w").write(new)

if __name__ == "__main__":
    main()
