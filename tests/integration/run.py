#!/usr/bin/env python3
"""Run the jmixd integration tests.

    python3 tests/integration/run.py [-k SUBSTRING]... [-x] [--no-build] [FILE...]

Discovers tests/integration/test_*.py (or the files given), and in each
module calls setup_module() if present, then every test_* function in
source order, then teardown_module(). A test passes unless it raises.
Prints `PASS module::name (1.2s)` or `FAIL module::name: reason` (with the
stderr tail of any daemon the test started), or `SKIP module::name: reason`
when the test called jmtest.skip(reason) (from setup_module: all its tests),
and ends with the line `N passed, N failed` (plus `, N skipped` when any
were); exits 1 if anything failed. Skips are not failures.

Conventions for test modules: tests take no arguments; fixtures come from
the jmtest library (e.g. a module-level JackServer created in
setup_module); a test may set `fn.timeout = SECONDS` (default 120).
"""
import argparse
import glob
import importlib.util
import inspect
import os
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import jmtest  # noqa: E402


class TestTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise TestTimeout("test timed out")


def load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tests_of(mod):
    fns = [(n, f) for n, f in vars(mod).items()
           if n.startswith("test_") and callable(f) and inspect.isfunction(f)
           and f.__module__ == mod.__name__]
    fns.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
    return fns


def tail(text, n=25):
    lines = text.rstrip().splitlines()
    return "\n".join(lines[-n:])


def reason_of(exc):
    msg = "%s: %s" % (type(exc).__name__, exc) if str(exc) else type(exc).__name__
    return msg.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-k", action="append", default=[],
                    help="run only tests whose module::name contains this (repeatable)")
    ap.add_argument("-x", action="store_true", help="stop at the first failure")
    ap.add_argument("-v", action="store_true",
                    help="print measured values and full tracebacks")
    ap.add_argument("--no-build", action="store_true", help="do not run make first")
    ap.add_argument("--binary", help="daemon binary to test (default build/jmixd; "
                    "also JMT_JMIXD)")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()

    if a.binary:
        jmtest.JMIXD = os.path.abspath(a.binary)
    if not a.no_build:
        jmtest.ensure_built(quiet=False)

    files = a.files or sorted(glob.glob(os.path.join(HERE, "test_*.py")))
    signal.signal(signal.SIGALRM, _alarm)
    passed = failed = skipped = 0
    t_all = time.monotonic()
    stop = False
    for path in files:
        if stop:
            break
        modname = os.path.splitext(os.path.basename(path))[0]
        try:
            mod = load(path)
        except Exception as e:
            print("FAIL %s: cannot import: %s" % (modname, reason_of(e)), flush=True)
            failed += 1
            continue
        selected = [(n, f) for n, f in tests_of(mod)
                    if not a.k or any(k in "%s::%s" % (modname, n) for k in a.k)]
        if not selected:
            continue
        setup_ok = True
        if hasattr(mod, "setup_module"):
            jmtest.take_recent_daemons()
            try:
                signal.alarm(120)
                mod.setup_module()
            except jmtest.Skip as e:
                setup_ok = False
                for n, _ in selected:
                    print("SKIP %s::%s: %s" % (modname, n, e), flush=True)
                    skipped += 1
            except BaseException as e:
                setup_ok = False
                why = reason_of(e)
                detail = ""
                for d in jmtest.take_recent_daemons():
                    detail += "\n    daemon stderr:\n" + "\n".join(
                        "      " + l for l in tail(d.stderr_text()).splitlines())
                for n, _ in selected:
                    print("FAIL %s::%s: setup_module: %s%s" % (modname, n, why, detail),
                          flush=True)
                    failed += 1
                    detail = ""
            finally:
                signal.alarm(0)
        if setup_ok:
            for n, f in selected:
                jmtest.take_recent_daemons()
                jmtest.take_notes()
                t0 = time.monotonic()
                try:
                    signal.alarm(int(getattr(f, "timeout", 120)))
                    f()
                    signal.alarm(0)
                    passed += 1
                    print("PASS %s::%s (%.1fs)" % (modname, n, time.monotonic() - t0),
                          flush=True)
                    if a.v:
                        for line in jmtest.take_notes():
                            print("    " + line)
                except KeyboardInterrupt:
                    signal.alarm(0)
                    raise
                except jmtest.Skip as e:
                    signal.alarm(0)
                    skipped += 1
                    print("SKIP %s::%s: %s (%.1fs)" % (modname, n, e, time.monotonic() - t0),
                          flush=True)
                    if a.v:
                        for line in jmtest.take_notes():
                            print("    " + line)
                except BaseException as e:
                    signal.alarm(0)
                    failed += 1
                    tb = traceback.extract_tb(e.__traceback__)
                    where = ""
                    for fr in reversed(tb):
                        if os.path.basename(fr.filename).startswith("test_"):
                            where = " [%s:%d]" % (os.path.basename(fr.filename), fr.lineno)
                            break
                    print("FAIL %s::%s: %s%s (%.1fs)" % (modname, n, reason_of(e), where,
                                                          time.monotonic() - t0), flush=True)
                    if a.v:
                        for line in jmtest.take_notes():
                            print("    " + line)
                        traceback.print_exception(type(e), e, e.__traceback__)
                    for d in jmtest.take_recent_daemons():
                        t = tail(d.stderr_text())
                        if t:
                            print("    daemon stderr (tail):")
                            for l in t.splitlines():
                                print("      " + l)
                    if a.x:
                        stop = True
                        break
        if hasattr(mod, "teardown_module"):
            try:
                signal.alarm(60)
                mod.teardown_module()
            except BaseException as e:
                print("WARN %s: teardown_module: %s" % (modname, reason_of(e)), flush=True)
            finally:
                signal.alarm(0)
    jmtest._cleanup()
    print("(integration: %.1fs)" % (time.monotonic() - t_all))
    print("%d passed, %d failed%s" % (passed, failed,
                                      ", %d skipped" % skipped if skipped else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
