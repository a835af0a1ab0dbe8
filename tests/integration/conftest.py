"""pytest fixtures for the jmixd integration tests.

    /usr/bin/python3 -m pytest tests/integration               # everything (~7 min)
    /usr/bin/python3 -m pytest tests/integration -k mute_gap   # one test
    /usr/bin/python3 -m pytest tests/integration/test_osc.py -rP   # measured values too

Fixtures:
  jack         a fresh dummy JACK server for one test (unique name, -S)
  module_jack  one server for the whole module; the module may set
               JACK_ARGS = {...} (JackServer keyword arguments)
  console      module_jack + build/jmixd on the module's SESSION + an OSC
               client, as Console(js, d, c); the module may set
               DAEMON_ARGS = {...} (Daemon keyword arguments)

Per-test timeouts come from pytest-timeout (pytest.ini: 120 s;
@pytest.mark.timeout(N) where a test needs longer). When a test fails, the
report carries the stderr tail of every daemon it started (and of the
module's console) and the values it measured (jmtest.note); `-rP` shows the
measured values of passing tests as well.

Options: --no-build (do not run make first), --binary PATH (test another
build of the daemon; also JMT_JMIXD=PATH).
"""
import collections
import os

import pytest

import jmtest

Console = collections.namedtuple("Console", "js d c")


def pytest_addoption(parser):
    g = parser.getgroup("jmixd")
    g.addoption("--no-build", action="store_true", help="do not run make before the tests")
    g.addoption("--binary", help="daemon binary to test (default build/jmixd; also JMT_JMIXD)")


def pytest_configure(config):
    if not config.pluginmanager.hasplugin("timeout"):
        # without python3-pytest-timeout the marks still parse; nothing times out
        config.addinivalue_line("markers", "timeout(seconds): per-test time limit")
    if config.getoption("--binary"):
        jmtest.JMIXD = os.path.abspath(config.getoption("--binary"))


def pytest_sessionstart(session):
    if not session.config.getoption("--no-build"):
        jmtest.ensure_built(quiet=False)


def pytest_unconfigure(config):
    jmtest._cleanup()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    jmtest.take_recent_daemons()
    jmtest.take_notes()


def _tail(text, n=25):
    return "\n".join(text.rstrip().splitlines()[-n:])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    notes = jmtest.take_notes()
    if notes:
        rep.sections.append(("measured (%s)" % rep.when, "\n".join(notes)))
    if rep.failed:
        daemons = jmtest.take_recent_daemons()
        con = getattr(item, "funcargs", {}).get("console")
        if isinstance(con, Console) and con.d not in daemons:
            daemons.append(con.d)
        for d in daemons:
            t = _tail(d.stderr_text())
            if t:
                rep.sections.append(("daemon stderr (tail) %s" % " ".join(d.cmdline()[-1:]), t))


def _module_args(request, name):
    return dict(getattr(request.module, name, None) or {})


@pytest.fixture
def jack():
    """A dummy JACK server for this test alone."""
    js = jmtest.JackServer().start()
    yield js
    js.stop()


@pytest.fixture(scope="module")
def module_jack(request):
    """One dummy JACK server for the module (JACK_ARGS: JackServer keywords)."""
    js = jmtest.JackServer(**_module_args(request, "JACK_ARGS")).start()
    yield js
    js.stop()


@pytest.fixture(scope="module")
def console(request, module_jack):
    """The daemon on the module's SESSION and an OSC client to it."""
    d = jmtest.Daemon(request.module.SESSION, module_jack,
                      **_module_args(request, "DAEMON_ARGS")).start()
    c = d.client()
    yield Console(module_jack, d, c)
    c.close()
    d.stop()
