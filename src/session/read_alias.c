/* Pass 2 reader of aliases = ( { from; to; } ... ) (docs/session.md). */
#include "session_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An OSC address as written in a session: '/' then printable characters,
 * no spaces and no pattern characters. */
static int address_valid(const char *a)
{
    if (a[0] != '/') return 0;
    for (const char *p = a; *p; p++)
        if (*p <= ' ' || *p >= 127 || strchr("*?[]{}#,", *p)) return 0;
    return 1;
}

static int read_alias(ctx_t *c, const config_setting_t *g, int i)
{
    jm_session_t *s = c->s;
    char what[32];
    snprintf(what, sizeof what, "aliases[%d]", i + 1);
    if (jm_sess_expect_group(c, g, what) < 0) return -1;
    jm_alias_t *a = &s->aliases[i];
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
        const char *key = config_setting_name(m);
        if (!strcmp(key, "from")) {
            if (jm_sess_read_string(c, m, "alias from", a->from, sizeof a->from, 0) < 0) return -1;
        } else if (!strcmp(key, "to")) {
            if (jm_sess_read_string(c, m, "alias to", a->to, sizeof a->to, 0) < 0) return -1;
        } else {
            return jm_sess_fail(c, m, "unknown key '%s' in %s", key, what);
        }
    }
    if (!a->from[0] || !a->to[0]) return jm_sess_fail(c, g, "%s: needs from = \"/...\" and to = \"/...\"", what);
    if (!address_valid(a->from))
        return jm_sess_fail(c, g, "%s: '%s' is not an OSC address (no spaces or pattern characters)", what, a->from);
    char to[JM_PATH_MAX + 8];
    snprintf(to, sizeof to, "%s", a->to);
    size_t n = strlen(to);
    if (n > 5 && !strcmp(to + n - 5, "/norm")) { a->norm = 1; to[n - 5] = '\0'; }
    a->param = jm_params_find(&s->params, to);
    if (a->param < 0) return jm_sess_fail(c, g, "%s: no parameter '%s'", what, a->to);
    if (a->norm && jm_param_is_bool(s->params.p[a->param].def))
        return jm_sess_fail(c, g, "%s: a switch has no /norm", what);
    for (int k = 0; k < i; k++)
        if (!strcmp(s->aliases[k].from, a->from))
            return jm_sess_fail(c, g, "%s: '%s' is already an alias", what, a->from);
    if (jm_params_find(&s->params, a->from) >= 0)
        return jm_sess_fail(c, g, "%s: '%s' is a parameter of the console itself", what, a->from);
    return 0;
}

int jm_sess_read_aliases(ctx_t *c, const config_setting_t *list)
{
    if (jm_sess_expect_list(c, list, "aliases") < 0) return -1;
    int n = config_setting_length(list);
    if (n > JM_ALIAS_MAX) return jm_sess_fail(c, list, "too many aliases (at most %d)", JM_ALIAS_MAX);
    c->s->aliases = calloc(n ? (size_t)n : 1, sizeof *c->s->aliases);
    if (!c->s->aliases) return jm_sess_fail(c, list, "out of memory");
    c->s->n_aliases = n;
    for (int i = 0; i < n; i++)
        if (read_alias(c, config_setting_get_elem(list, (unsigned)i), i) < 0) return -1;
    return 0;
}
