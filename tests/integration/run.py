#!/usr/bin/env python3
"""Shim for `make soak` and old habits: the integration tests run under pytest
(conftest.py). Arguments go to pytest; with no file given, the whole folder."""
import os
import sys

PY = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
args = sys.argv[1:]
if not any(a.endswith(".py") or os.path.isdir(a) for a in args):
    args.append(os.path.dirname(os.path.abspath(__file__)))
os.execv(PY, [PY, "-m", "pytest"] + args)
