/* `jmixd layout`: controller layouts from a session (docs/cli.md). */
#include "jmixd/layout/layout.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: jmixd layout SESSION_FILE --touchosc OUT.tosc [--open-stage-control OUT.json]\n"
            "       jmixd layout SESSION_FILE --open-stage-control OUT.json\n"
            "options:\n"
            "      --touchosc FILE            write a TouchOSC layout (.tosc)\n"
            "      --open-stage-control FILE  write an Open Stage Control session (.json)\n"
            "      --host HOST                daemon address for Open Stage Control targets\n"
            "                                 (default 127.0.0.1)\n"
            "      --osc-port PORT            daemon OSC port (default: session osc.port)\n"
            "      --feedback-port PORT       port the controller receives feedback on, sent\n"
            "                                 with /subscribe (default 9000)\n"
            "      --performer NAME           that performer's monitor mix only (its sends and\n"
            "                                 bus); the layout logs in with the session's PIN\n"
            "      --help                     this text\n");
}

static int parse_port(const char *opt, const char *text, int *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < 1 || v > 65535) {
        fprintf(stderr, "jmixd layout: %s: '%s' is not a port number (1..65535)\n", opt, text);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int jm_layout_main(int argc, char **argv)
{
    enum { OPT_TOSC = 256, OPT_OSC, OPT_HOST, OPT_PORT, OPT_FB, OPT_PERF, OPT_HELP };
    static const struct option opts[] = {
        {"touchosc", required_argument, NULL, OPT_TOSC},
        {"open-stage-control", required_argument, NULL, OPT_OSC},
        {"host", required_argument, NULL, OPT_HOST},
        {"osc-port", required_argument, NULL, OPT_PORT},
        {"feedback-port", required_argument, NULL, OPT_FB},
        {"performer", required_argument, NULL, OPT_PERF},
        {"ostage", required_argument, NULL, OPT_OSC},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0}};
    const char *tosc = NULL, *ostage = NULL;
    jm_layout_opts_t o = {0};
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_TOSC: tosc = optarg; break;
        case OPT_OSC: ostage = optarg; break;
        case OPT_HOST: o.host = optarg; break;
        case OPT_PERF: o.performer = optarg; break;
        case OPT_PORT:
            if (parse_port("--osc-port", optarg, &o.daemon_port)) return 1;
            break;
        case OPT_FB:
            if (parse_port("--feedback-port", optarg, &o.feedback_port)) return 1;
            break;
        case OPT_HELP: usage(stdout); return 0;
        case ':':
            fprintf(stderr, "jmixd layout: %s needs a value (see jmixd layout --help)\n",
                    argv[optind - 1]);
            return 1;
        default:
            fprintf(stderr, "jmixd layout: unknown option '%s' (see jmixd layout --help)\n",
                    argv[optind - 1]);
            return 1;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "jmixd layout: expected exactly one SESSION_FILE (see jmixd layout --help)\n");
        return 1;
    }
    if (!tosc && !ostage) {
        fprintf(stderr, "jmixd layout: nothing to write: give --touchosc OUT.tosc and/or "
                        "--open-stage-control OUT.json\n");
        return 1;
    }
    if (o.host && (!o.host[0] || strpbrk(o.host, " \t\"\\:"))) {
        fprintf(stderr, "jmixd layout: --host: '%s' is not a host name or address\n", o.host);
        return 1;
    }

    jm_session_t s;
    char err[JM_ERR_MAX];
    if (jm_session_load(&s, argv[optind], err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    jm_layout_t l;
    int rc = jm_layout_build(&l, &s, &o, err, sizeof err);
    if (!rc && tosc) rc = jm_layout_write_touchosc(&l, tosc, err, sizeof err);
    if (!rc && ostage) rc = jm_layout_write_osc(&l, ostage, err, sizeof err);
    if (rc) fprintf(stderr, "jmixd layout: %s\n", err);
    jm_layout_free(&l);
    jm_session_free(&s);
    return rc ? 1 : 0;
}
