#!/usr/bin/env python3
"""Writes the PARAMETERS list of man/jmixd.cfg.5 from the generated table in
docs/parameters.md (between the params markers of both files). With --check,
exits 1 when the man page is out of date instead of writing it."""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DOC = os.path.join(ROOT, "docs", "parameters.md")
MAN = os.path.join(ROOT, "man", "jmixd.cfg.5")
BEGIN, END = '.\\" params:begin\n', '.\\" params:end\n'


def roff(text):
    """Plain text into roff: backslashes, hyphens, and no line starting with a dot."""
    text = text.replace("\\", "\\e").replace("-", "\\-").replace("`", "")
    return text


def rows():
    doc = open(DOC).read()
    table = doc.split("<!-- params:begin -->", 1)[1].split("<!-- params:end -->", 1)[0]
    out = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 7 or cells[0] == "path" or set(cells[0]) <= set("-"):
            continue
        out.append(cells)
    return out


def render():
    seen, lines = set(), []
    for path, unit, rng, taper, default, _smooth, what in rows():
        path = path.strip("`")
        key = (path, default)
        if key in seen:
            continue
        seen.add(key)
        unit = "" if unit in ("-", "bool", "enum") else " " + unit
        lines.append(".TP\n.B %s\n%s%s, default %s (%s): %s.\n" % (
            roff(path), roff(rng), roff(unit), roff(default), roff(taper), roff(what)))
    return "".join(lines)


def main():
    man = open(MAN).read()
    head, rest = man.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    new = head + BEGIN + render() + END + tail
    if "--check" in sys.argv[1:]:
        if new != man:
            print("man/jmixd.cfg.5: PARAMETERS is out of date; run scripts/man_params.py",
                  file=sys.stderr)
            return 1
        return 0
    with open(MAN, "w") as f:
        f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
