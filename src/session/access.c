/* Who may touch what: the performer rules (include/jmixd/session/access.h). */
#include "jmixd/session/access.h"

#include "jmixd/util/cidr.h"

#include <string.h>

/* A bus's pfl puts it on the engineer's monitor: never a performer's. */
static int engineer_only(const jm_param_t *p)
{
    return p->scope == JM_SCOPE_BUS && p->field == JM_BF_PFL;
}

int jm_perm_param_ok(const jm_param_t *p, int bus)
{
    if (bus < 0 || engineer_only(p)) return 0;
    /* a send (strip or bus scope): what goes into bus `sub` */
    if (strstr(p->def->tail, "{b}")) return p->sub == bus;
    return p->scope == JM_SCOPE_BUS && p->owner == bus;
}

static int starts(const char *s, const char *prefix, size_t pl) { return !strncmp(s, prefix, pl); }

int jm_perm_prefix_ok(const jm_session_t *s, const char *prefix, int bus)
{
    size_t pl = strlen(prefix);
    if (!pl) return 0;
    const jm_paramset_t *ps = &s->params;
    for (size_t i = 0; i < ps->n; i++) {
        const jm_param_t *p = &ps->p[i];
        /* the bus's pfl does not make its prefix refused: /params lists it,
         * but setting it is refused (jm_perm_param_ok) */
        if ((starts(p->path, prefix, pl) || starts(p->name_path, prefix, pl)) && !engineer_only(p) &&
            !jm_perm_param_ok(p, bus))
            return 0;
    }
    for (int k = 0; k < s->n_aliases; k++) {
        const jm_alias_t *a = &s->aliases[k];
        if (!starts(a->from, prefix, pl)) continue;
        if (a->param < 0 || (size_t)a->param >= ps->n || !jm_perm_param_ok(&ps->p[a->param], bus))
            return 0;
    }
    return 1;
}

int jm_perm_is_engineer(const jm_session_t *s, uint32_t ip)
{
    if (!s->has_engineers) return 1; /* as before performers: every allowed address */
    return jm_cidr_match(s->engineers, s->n_engineers, ip);
}
