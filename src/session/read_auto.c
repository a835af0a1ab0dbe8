/* Pass 2 reader of automation = ( { param; mode; points; } ... ) 
 * (docs/session.md), and the names of the automation modes. */
#include "session_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const automode_names[] = {"off", "read", "write", "touch", "latch"};

int jm_automode_parse(const char *word)
{
    for (int m = 0; m < 5; m++)
        if (word && !strcmp(word, automode_names[m])) return m;
    return -1;
}

const char *jm_automode_name(jm_automode_t m)
{
    return (unsigned)m < 5 ? automode_names[m] : "off";
}

/* One point: a list or array of two numbers (seconds, value). */
static int read_point(ctx_t *c, const config_setting_t *pt, const char *what,
                      const jm_param_t *p, double prev_t, jm_autopoint_t *out)
{
    double t, v;
    if ((!config_setting_is_list(pt) && !config_setting_is_array(pt)) ||
        config_setting_length(pt) != 2 || jm_sess_number(config_setting_get_elem(pt, 0), &t) < 0 ||
        jm_sess_number(config_setting_get_elem(pt, 1), &v) < 0)
        return jm_sess_fail(c, pt, "%s: a point is (seconds, value)", what);
    char why[96];
    if (jm_sess_point_check(p->def, t, v, prev_t, why, sizeof why) < 0)
        return jm_sess_fail(c, pt, "%s: %s", what, why);
    out->t = t;
    out->v = jm_param_clamp(p->def, (float)v);
    return 0;
}

static int read_lane(ctx_t *c, const config_setting_t *g, int i)
{
    jm_session_t *s = c->s;
    char what[32];
    snprintf(what, sizeof what, "automation[%d]", i + 1);
    if (jm_sess_expect_group(c, g, what) < 0) return -1;
    jm_lane_cfg_t *lane = &s->lanes[i];
    const char *path = NULL, *mode = "read";
    const config_setting_t *pts = NULL;
    for (int k = 0; k < config_setting_length(g); k++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
        const char *key = config_setting_name(m);
        if (!strcmp(key, "param") || !strcmp(key, "mode")) {
            const char *v = config_setting_get_string(m);
            if (!v) return jm_sess_fail(c, m, "%s.%s: expected a string", what, key);
            if (key[0] == 'p') path = v;
            else mode = v;
        } else if (!strcmp(key, "points")) {
            pts = m;
        } else {
            return jm_sess_fail(c, m, "unknown key '%s' in %s", key, what);
        }
    }
    if (!path) return jm_sess_fail(c, g, "%s: missing param = \"/strip/NAME/fader\"", what);
    lane->param = jm_params_find(&s->params, path);
    if (lane->param < 0) return jm_sess_fail(c, g, "%s: no parameter '%s'", what, path);
    for (int k = 0; k < i; k++)
        if (s->lanes[k].param == lane->param)
            return jm_sess_fail(c, g, "%s: a second lane for '%s'", what, path);
    int md = jm_automode_parse(mode);
    if (md < 0) return jm_sess_fail(c, g, "%s.mode: expected off, read, write, touch or latch", what);
    lane->mode = (jm_automode_t)md;
    if (!pts) return 0;
    if (!config_setting_is_list(pts) && !config_setting_is_array(pts))
        return jm_sess_fail(c, pts, "%s.points: expected a list of (seconds, value)", what);
    int n = config_setting_length(pts);
    lane->points = calloc(n ? (size_t)n : 1, sizeof *lane->points);
    if (!lane->points) return jm_sess_fail(c, pts, "out of memory");
    double prev = 0.0;
    for (int k = 0; k < n; k++) {
        if (read_point(c, config_setting_get_elem(pts, (unsigned)k), what,
                       &s->params.p[lane->param], prev, &lane->points[k]) < 0)
            return -1;
        prev = lane->points[k].t;
        lane->n_points = k + 1;
    }
    return 0;
}

int jm_sess_read_automation(ctx_t *c, const config_setting_t *list)
{
    if (jm_sess_expect_list(c, list, "automation") < 0) return -1;
    int n = config_setting_length(list);
    c->s->lanes = calloc(n ? (size_t)n : 1, sizeof *c->s->lanes);
    if (!c->s->lanes) return jm_sess_fail(c, list, "out of memory");
    c->s->n_lanes = n;
    for (int i = 0; i < n; i++)
        if (read_lane(c, config_setting_get_elem(list, (unsigned)i), i) < 0) return -1;
    return 0;
}
