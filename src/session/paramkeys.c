/* Parameter keys below a strip, bus, master or monitor group: the dotted
 * session keys ("eq.band2.gain") as nested groups, each value checked
 * against its parameter's definition. */
#include "session_int.h"

#include <stdio.h>
#include <string.h>

static int owner_exact(const jm_session_t *s, const owner_t *o, const char *key)
{
    for (size_t i = o->lo; i < o->hi; i++) {
        const jm_param_t *p = &s->params.p[i];
        if (p->scope == o->scope && p->owner == o->owner && !strcmp(p->key, key)) return (int)i;
    }
    return -1;
}

/* 1 when some key of the owner lies below the group `key` ("eq" for "eq.on"). */
static int owner_prefix(const jm_session_t *s, const owner_t *o, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = o->lo; i < o->hi; i++) {
        const jm_param_t *p = &s->params.p[i];
        if (p->scope == o->scope && p->owner == o->owner && !strncmp(p->key, key, kl) &&
            p->key[kl] == '.')
            return 1;
    }
    return 0;
}

void jm_sess_owner_init(const jm_session_t *s, owner_t *o, jm_scope_t scope, int owner)
{
    o->scope = scope;
    o->owner = owner;
    o->lo = s->params.n;
    o->hi = 0;
    for (size_t i = 0; i < s->params.n; i++) {
        const jm_param_t *p = &s->params.p[i];
        if (p->scope != scope ||
            (scope != JM_SCOPE_MASTER && scope != JM_SCOPE_MONITOR && scope != JM_SCOPE_TALKBACK &&
             p->owner != owner))
            continue;
        if (i < o->lo) o->lo = i;
        if (i + 1 > o->hi) o->hi = i + 1;
    }
    if (o->lo > o->hi) o->lo = o->hi;
    if (scope == JM_SCOPE_STRIP) {
        snprintf(o->label, sizeof o->label, "strips[%d]", owner + 1);
        snprintf(o->desc, sizeof o->desc, "strip '%s'", s->strips[owner].name);
    } else if (scope == JM_SCOPE_BUS) {
        snprintf(o->label, sizeof o->label, "buses[%d]", owner + 1);
        snprintf(o->desc, sizeof o->desc, "bus '%s'", s->buses[owner].name);
    } else {
        const char *w = scope == JM_SCOPE_MONITOR    ? "monitor"
                        : scope == JM_SCOPE_TALKBACK ? "talkback"
                                                     : "master";
        snprintf(o->label, sizeof o->label, "%s", w);
        snprintf(o->desc, sizeof o->desc, "%s", w);
    }
}

int jm_sess_bus_index(const jm_session_t *s, const char *name)
{
    for (int b = 0; b < s->n_buses; b++)
        if (!strcmp(s->buses[b].name, name)) return b;
    return -1;
}

static int param_value(ctx_t *c, const owner_t *o, const config_setting_t *st, int idx)
{
    const jm_param_t *p = &c->s->params.p[idx];
    const jm_param_def_t *d = p->def;
    if (jm_param_is_bool(d)) {
        int type = config_setting_type(st);
        long long iv;
        if (type == CONFIG_TYPE_BOOL) {
            c->s->values[idx] = config_setting_get_bool(st) ? 1.0f : 0.0f;
            return 0;
        }
        if (jm_sess_integer(st, &iv) == 0 && (iv == 0 || iv == 1)) {
            c->s->values[idx] = (float)iv;
            return 0;
        }
        return jm_sess_fail(c, st, "%s.%s: expected true or false", o->label, p->key);
    }
    double v;
    if (d->taper == JM_TAPER_ENUM && config_setting_type(st) == CONFIG_TYPE_STRING) {
        int k = jm_param_choice(d, config_setting_get_string(st));
        if (k < 0) return jm_sess_fail(c, st, "%s.%s: '%s' is not one of: %s", o->label, p->key,
                               config_setting_get_string(st), d->doc);
        c->s->values[idx] = (float)k;
        return 0;
    }
    if (jm_sess_number(st, &v) < 0)
        return jm_sess_fail(c, st, "%s.%s: expected a number, not %s", o->label, p->key,
                    jm_sess_type_word(config_setting_type(st)));
    float fv = (float)v;
    if (!jm_sess_value_in_range(d, fv))
        return jm_sess_fail(c, st, "%s.%s: %g is out of range %g..%g%s%s", o->label, p->key, v,
                    (double)d->min, (double)d->max,
                    (*d->unit && *d->unit != ':') ? " " : "", d->unit);
    c->s->values[idx] = fv;
    return 0;
}

int jm_sess_param_child(ctx_t *c, const owner_t *o, const char *prefix, const config_setting_t *st);

static int param_group(ctx_t *c, const owner_t *o, const char *prefix, const config_setting_t *g)
{
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++)
        if (jm_sess_param_child(c, o, prefix, config_setting_get_elem(g, (unsigned)i)) < 0) return -1;
    return 0;
}

/* One setting below a strip/bus/master group whose dotted path is
 * prefix.name (prefix "" at the top of the group). */
int jm_sess_param_child(ctx_t *c, const owner_t *o, const char *prefix, const config_setting_t *st)
{
    const jm_session_t *s = c->s;
    const char *name = config_setting_name(st);
    char key[JM_PATH_MAX];
    int kl = snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", name ? name : "");
    if (kl < 0 || (size_t)kl >= sizeof key)
        return jm_sess_fail(c, st, "unknown key '%.60s...' in %s", key, o->desc);

    int is_group = config_setting_type(st) == CONFIG_TYPE_GROUP;

    /* send = { BUS = { ... }; }: name the bus clearly when it does not exist */
    if (o->scope == JM_SCOPE_STRIP && !strcmp(key, "send") && is_group) {
        int n = config_setting_length(st);
        for (int i = 0; i < n; i++) {
            const config_setting_t *e = config_setting_get_elem(st, (unsigned)i);
            if (jm_sess_bus_index(s, config_setting_name(e)) < 0)
                return jm_sess_fail(c, e, "unknown bus '%s' in send of %s", config_setting_name(e),
                            o->desc);
        }
    }

    int idx = owner_exact(s, o, key);
    if (idx >= 0) {
        if (is_group || config_setting_is_aggregate(st))
            return jm_sess_fail(c, st, "%s.%s: expected %s, not %s", o->label, key,
                        jm_param_is_bool(s->params.p[idx].def) ? "true or false" : "a number",
                        jm_sess_type_word(config_setting_type(st)));
        return param_value(c, o, st, idx);
    }
    if (owner_prefix(s, o, key)) {
        if (!is_group) return jm_sess_fail(c, st, "%s.%s: expected a group { ... }", o->label, key);
        return param_group(c, o, key, st);
    }
    return jm_sess_fail(c, st, "unknown key '%s' in %s", key, o->desc);
}
