"""The parameter table of docs/parameters.md is generated from the parameter table
(scripts/params_doc.py); this fails when someone adds a row and forgets to
regenerate it, and checks that every OSC path in it exists in --list-params."""
import os
import re
import subprocess
import sys

import jmtest

ROOT = jmtest.ROOT


def test_readme_parameter_table_in_sync():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "params_doc.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_readme_paths_exist_in_list_params():
    text = open(os.path.join(ROOT, "docs", "parameters.md")).read()
    block = text[text.index("<!-- params:begin -->"):text.index("<!-- params:end -->")]
    paths = re.findall(r"^\| `([^`]+)`", block, re.M)
    assert len(paths) > 40
    session = os.path.join(jmtest.mkdtemp("jmreadme"), "s.cfg")
    with open(session, "w") as f:
        f.write('strips = ( { name = "s"; } );\n'
                'buses = ( { name = "verb"; type = "reverb"; }, { name = "echo"; type = "delay"; },\n'
                '          { name = "mon"; type = "aux"; } );\n'
                'monitor = { output = [ ]; };\n'
                'talkback = { input = [ ]; buses = [ "mon" ]; };\n')
    out = subprocess.run([jmtest.JMIXD, "--list-params", session], capture_output=True, text=True,
                         check=True).stdout
    listed = {line.split()[0] for line in out.splitlines()}
    for p in paths:
        concrete = p.replace("{s}", "1").replace("{n}", "2").replace("{b}", "1")
        if concrete.startswith("/bus/1/delay"):
            concrete = concrete.replace("/bus/1/", "/bus/2/")
        # aux-only rows: bus 3 is the aux bus
        if concrete.startswith(("/bus/1/eq", "/bus/1/limiter")) or concrete == "/bus/1/pfl":
            concrete = concrete.replace("/bus/1/", "/bus/3/")
        if concrete.endswith(("/send/1/pan", "/send/1/link")) or concrete.startswith("/bus/1/send/"):
            concrete = concrete.replace("/send/1/", "/send/3/")
        assert concrete in listed, "README path %s (%s) not in --list-params" % (p, concrete)
    jmtest.note("%d README rows, all in --list-params (%d parameters)" % (len(paths), len(listed)))
