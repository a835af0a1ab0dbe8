/* Pass 2 reader of performers = ( { name = "drummer"; bus = "drums";
 * pin = "4711"; }, ... ) (docs/session.md): who may log in over OSC
 * (/performer/login) and then control only one bus's mix. */
#include "session_int.h"

#include <stdio.h>
#include <string.h>

static int read_one(ctx_t *c, const config_setting_t *g, int i)
{
    jm_session_t *s = c->s;
    char what[48], fw[64];
    snprintf(what, sizeof what, "performers[%d]", i + 1);
    if (jm_sess_expect_group(c, g, what) < 0) return -1;
    jm_performer_cfg_t *pf = &s->performers[i];
    int have_name = 0, have_bus = 0, have_pin = 0;
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *st = config_setting_get_elem(g, (unsigned)k);
        const char *name = config_setting_name(st);
        snprintf(fw, sizeof fw, "%s.%s", what, name);
        if (!strcmp(name, "name")) {
            if (jm_sess_read_string(c, st, fw, pf->name, sizeof pf->name, 0) < 0) return -1;
            if (!jm_session_name_valid(pf->name))
                return jm_sess_fail(c, st, "%s: '%s' is not a valid name (letters, digits, '_' "
                                    "and '-', starting with a letter)", fw, pf->name);
            for (int j = 0; j < i; j++)
                if (!strcmp(s->performers[j].name, pf->name))
                    return jm_sess_fail(c, st, "%s: performer '%s' is already defined", fw,
                                        pf->name);
            have_name = 1;
        } else if (!strcmp(name, "bus")) {
            char bus[JM_NAME_MAX];
            if (jm_sess_read_string(c, st, fw, bus, sizeof bus, 0) < 0) return -1;
            pf->bus = jm_sess_bus_index(s, bus);
            if (pf->bus < 0) return jm_sess_fail(c, st, "%s: no bus named '%s'", fw, bus);
            have_bus = 1;
        } else if (!strcmp(name, "pin")) {
            /* a string: a number would lose its leading zeros */
            if (config_setting_type(st) != CONFIG_TYPE_STRING)
                return jm_sess_fail(c, st, "%s: expected a string of 4 to 12 digits, e.g. "
                                    "\"4711\"", fw);
            const char *v = config_setting_get_string(st);
            size_t n = v ? strlen(v) : 0;
            if (n < 4 || n > 12 || strspn(v, "0123456789") != n)
                return jm_sess_fail(c, st, "%s: expected 4 to 12 digits", fw); /* never echoed */
            memset(pf->pin, 0, sizeof pf->pin);
            memcpy(pf->pin, v, n);
            have_pin = 1;
        } else {
            return jm_sess_fail(c, st, "unknown key '%s' in %s", name, what);
        }
    }
    if (!have_name) return jm_sess_fail(c, g, "%s: missing name", what);
    if (!have_bus) return jm_sess_fail(c, g, "%s: missing bus", what);
    if (!have_pin) return jm_sess_fail(c, g, "%s: missing pin", what);
    return 0;
}

int jm_sess_read_performers(ctx_t *c, const config_setting_t *list)
{
    int m = config_setting_length(list);
    if (m > JM_MAX_PERFORMERS)
        return jm_sess_fail(c, list, "performers: %d entries, at most %d allowed", m,
                            JM_MAX_PERFORMERS);
    for (int k = 0; k < m; k++)
        if (read_one(c, config_setting_get_elem(list, (unsigned)k), k) < 0) return -1;
    c->s->n_performers = m;
    return 0;
}
