/* X32 addresses <-> parameters. X32 faders use the X32 law, which is the
 * fader parameters' /norm taper; X32 pan 0..1 is the pan's linear /norm;
 * /mix/on is the inverse of mute. */
#include "jmixd/control/x32.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jm_x32_to_native(const jm_session_t *s, const char *x32, char *native, size_t cap)
{
    if (!strcmp(x32, "/main/st/mix/fader")) {
        snprintf(native, cap, "/master/fader/norm");
        return JM_X32_FLOAT;
    }
    /* /ch/NN/mix/fader|pan|on: NN two digits, 01..32 */
    if (strncmp(x32, "/ch/", 4) || x32[4] < '0' || x32[4] > '9' || x32[5] < '0' || x32[5] > '9' ||
        strncmp(x32 + 6, "/mix/", 5))
        return 0;
    int ch = (x32[4] - '0') * 10 + (x32[5] - '0');
    if (ch < 1 || ch > JM_X32_STRIPS || ch > s->n_strips) return 0;
    const char *what = x32 + 11;
    if (!strcmp(what, "fader") || !strcmp(what, "pan")) {
        snprintf(native, cap, "/strip/%d/%s/norm", ch, what);
        return JM_X32_FLOAT;
    }
    if (!strcmp(what, "on")) {
        snprintf(native, cap, "/strip/%d/mute", ch);
        return JM_X32_ON;
    }
    return 0;
}

int jm_x32_from_param(const jm_session_t *s, int param, char *x32, size_t cap)
{
    const jm_param_t *p = &s->params.p[param];
    if (p->scope == JM_SCOPE_MASTER && p->field == JM_MF_FADER) {
        snprintf(x32, cap, "/main/st/mix/fader");
        return JM_X32_FLOAT;
    }
    if (p->scope != JM_SCOPE_STRIP || p->owner >= JM_X32_STRIPS) return 0;
    int ch = p->owner + 1;
    switch (p->field) {
    case JM_SF_FADER: snprintf(x32, cap, "/ch/%02d/mix/fader", ch); return JM_X32_FLOAT;
    case JM_SF_PAN: snprintf(x32, cap, "/ch/%02d/mix/pan", ch); return JM_X32_FLOAT;
    case JM_SF_MUTE: snprintf(x32, cap, "/ch/%02d/mix/on", ch); return JM_X32_ON;
    default: return 0;
    }
}
