/* Parameter addresses: patterns (bounded matcher, work budget), argument
 * types and ranges, one request per matched parameter. */
#include "osc_int.h"

#include "jmixd/control/x32.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* One number or boolean argument: 0 and *out set, or -1 with a reason. */
static int arg_value(const jm_param_def_t *d, int norm, char type, lo_arg *a, float *out,
                     const char **why)
{
    double v;
    switch (type) {
    case 'i': v = a->i; break;
    case 'f': v = a->f; break;
    case 'd': v = a->d; break;
    case 'T':
    case 'F':
        if (!jm_param_is_bool(d) || norm) { *why = "true/false is only for switches"; return -1; }
        v = type == 'T';
        break;
    case 's':
    case 'S': {
        int k = d->taper == JM_TAPER_ENUM && !norm ? jm_param_choice(d, &a->s) : -1;
        if (k < 0) {
            *why = d->taper == JM_TAPER_ENUM ? "not one of the choices" : "expected a number, got a string";
            return -1;
        }
        v = k; /* a choice by name: /monitor/curve s:phone */
        break;
    }
    default: *why = "unsupported argument type"; return -1;
    }
    if (!isfinite(v)) { *why = "value is not a finite number"; return -1; }
    if (v > 3.0e38) v = 3.0e38; /* keep the float finite; clamping follows */
    if (v < -3.0e38) v = -3.0e38;
    *out = (float)v;
    return 0;
}

/* Limits kept from liblo's matcher, which was exponential in '*' and "//":
 * jm_osc_match is not, and the work budget bounds each datagram anyway. */
static int pattern_ok(const char *pat)
{
    int stars = 0;
    size_t n = 0;
    for (const char *c = pat; *c; c++, n++) stars += *c == '*';
    return n <= MAX_PATTERN_LEN && stars <= MAX_PATTERN_STARS && !strstr(pat, "//");
}

/* What an address asks of its parameters: set or query (kind 0), ramp or
 * touch, in units or /norm. base receives the parameter address without
 * those suffixes. 0, or -1 after answering /error. */
static int address_kind(jm_osc_parser_t *p, const char *path, char base[JM_PATH_MAX * 2],
                        const char *types, int argc, int *kind, int *norm)
{
    size_t len = strlen(path);
    if (len >= JM_PATH_MAX * 2) { jm_osc_reply_error(p, path, "address too long"); return -1; }
    memcpy(base, path, len + 1);
    *kind = 0;
    *norm = 0;
    if (len > 5 && !strcmp(base + len - 5, "/ramp")) { *kind = JM_REQ_RAMP; base[len -= 5] = '\0'; }
    else if (len > 6 && !strcmp(base + len - 6, "/touch")) { *kind = JM_REQ_TOUCH; base[len -= 6] = '\0'; }
    if (len > 5 && !strcmp(base + len - 5, "/norm")) { *norm = 1; base[len - 5] = '\0'; }
    const char *why = NULL;
    if (*kind == JM_REQ_RAMP && (argc != 2 || !strchr("ifd", types[0]) || !strchr("ifd", types[1])))
        why = "expected f:target f:seconds";
    else if (*kind == JM_REQ_TOUCH && (argc != 1 || !strchr("ifTF", types[0])))
        why = "expected i:1 (touch) or i:0 (release)";
    else if (!*kind && argc > 1)
        why = "expected one value";
    else if (strpbrk(base, "*?[{") && !pattern_ok(base))
        why = "pattern too complex";
    if (why) { jm_osc_reply_error(p, path, why); return -1; }
    return 0;
}

/* The arguments of r (kind, norm, dialect set) for parameter prm: 0, or
 * -1 with the reason; *as_sent: answer on the address as sent. */
static int request_args(const jm_param_t *prm, jm_req_t *r, const char *types, lo_arg **argv,
                        int argc, const char **why, int *as_sent)
{
    *as_sent = 0;
    if (r->kind == JM_REQ_TOUCH) {
        r->iarg = types[0] == 'T' || (types[0] == 'i' && argv[0]->i != 0) ||
                  (types[0] == 'f' && argv[0]->f >= 0.5f);
    } else if (r->kind == JM_REQ_RAMP) {
        float secs;
        if (arg_value(prm->def, r->norm, types[0], argv[0], &r->value, why) ||
            arg_value(prm->def, 0, types[1], argv[1], &secs, why))
            return -1;
        if (secs < 0.0f || secs > 3600.0f) {
            *why = "ramp time must be 0..3600 seconds";
            return -1;
        }
        r->aux = secs;
    } else if (argc) {
        *as_sent = 1;
        if (arg_value(prm->def, r->norm, types[0], argv[0], &r->value, why)) return -1;
        if (r->dialect == JM_X32_ON) r->value = r->value >= 0.5f ? 0.0f : 1.0f; /* on = !mute */
    }
    return 0;
}

/* The most answers one pattern query draws (docs/security.md). */
#define JM_PATTERN_QUERY_MAX 16

/* path: the native address to act on; sent: the address to answer on (an
 * alias or X32 address as it was sent); x32: JM_X32_* kind or 0. */
void jm_osc_param_message(jm_osc_parser_t *p, const char *path, const char *sent,
                          const char *types, lo_arg **argv, int argc, int x32)
{
    char base[JM_PATH_MAX * 2];
    int kind, norm;
    if (address_kind(p, path, base, types, argc, &kind, &norm)) return;
    int pattern = strpbrk(base, "*?[{") != NULL;
    size_t n_hits = 0;
    if (pattern) {
        /* every match first: over the budget, nothing of this message is done */
        for (size_t i = 0; i < p->ps->n; i++) {
            int m = jm_osc_match(base, p->ps->p[i].path, &p->budget);
            if (m == 0) m = jm_osc_match(base, p->ps->p[i].name_path, &p->budget);
            if (m < 0) {
                p->over = 1;
                jm_osc_reply_error(p, sent, "too much work");
                return;
            }
            if (m) p->hits[n_hits++] = (int32_t)i;
        }
    } else {
        int idx = jm_params_find(p->ps, base);
        if (idx >= 0) p->hits[n_hits++] = idx;
    }
    if (jm_osc_restricted(p)) {
        /* a performer: every match must be its own, or nothing is done */
        int bus = jm_osc_perm_bus(p);
        for (size_t k = 0; k < n_hits; k++)
            if (!jm_perm_param_ok(&p->ps->p[p->hits[k]], bus)) {
                jm_osc_reply_error(p, sent, "not permitted");
                return;
            }
    }
    int found = 0;
    for (size_t k = 0; k < n_hits; k++) {
        size_t i = (size_t)p->hits[k];
        const jm_param_t *prm = &p->ps->p[i];
        if (norm && jm_param_is_bool(prm->def)) {
            /* switches have no /norm twin */
            if (!pattern) break;
            continue;
        }
        jm_req_t r = {.kind = (uint8_t)(kind ? kind : argc ? JM_REQ_SET : JM_REQ_QUERY),
                      .norm = (uint8_t)norm, .dialect = (uint8_t)x32, .param = (int32_t)i};
        const char *why = NULL;
        int as_sent;
        if (request_args(prm, &r, types, argv, argc, &why, &as_sent)) {
            jm_osc_reply_error(p, as_sent ? sent : path, why);
            return; /* nothing changes, not even the other matches */
        }
        /* A pattern is answered on each concrete address; a plain address
         * exactly as it was sent. */
        if (pattern) snprintf(r.path, sizeof r.path, "%s%s", prm->path, norm ? "/norm" : "");
        else snprintf(r.path, sizeof r.path, "%s", sent);
        if (pattern && r.kind == JM_REQ_QUERY && found == JM_PATTERN_QUERY_MAX) {
            /* each answer is a datagram to a source that may be forged */
            jm_osc_reply_error(p, sent, "a pattern query answers at most 16 parameters (see /params)");
            break;
        }
        jm_osc_post(p, &r);
        found++;
        if (!pattern) break;
    }
    if (!found) jm_osc_reply_error(p, sent, pattern ? "no parameter matches" : "no such parameter");
}
