/* What a session may hold: the rules the loader applies to a file and the
 * writer (save.c) to a console before writing it, so that whatever is
 * written loads again. */
#include "session_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int jm_sess_port_valid(const char *port)
{
    return port[0] && port[0] != ':' && strchr(port, ':') != NULL;
}

int jm_sess_name_is_keyword(const char *name)
{
    return !strcasecmp(name, "true") || !strcasecmp(name, "false");
}

int jm_sess_bus_type_valid(const char *type)
{
    return !strcmp(type, "reverb") || !strcmp(type, "delay") || !strcmp(type, "aux");
}

int jm_sess_max_inputs(int channels)
{
    return channels * 8 < JM_MAX_PORTS_PER_LIST ? channels * 8 : JM_MAX_PORTS_PER_LIST;
}

int jm_sess_value_in_range(const jm_param_def_t *d, double v)
{
    return v >= d->min && v <= d->max;
}

int jm_sess_point_check(const jm_param_def_t *d, double t, double v, double prev_t, char *why,
                        size_t whylen)
{
    if (!(t >= 0.0) || t > 1e7) snprintf(why, whylen, "time %g is not a time in seconds", t);
    else if (t < prev_t)
        snprintf(why, whylen, "points must be in time order (%g after %g)", t, prev_t);
    else if (!jm_sess_value_in_range(d, v))
        snprintf(why, whylen, "value %g is out of range %g..%g", v, d->min, d->max);
    else
        return 0;
    return -1;
}
