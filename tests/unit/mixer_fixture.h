/* Shared by the unit tests that drive a mixer offline (test_mixer.c,
 * test_pfl.c, test_rta_tap.c): the parameter table's defaults as the
 * values a mixer starts from, and a parameter set by its OSC path, as the
 * control thread would send it. Header-only, for tests. */
#ifndef JMIXD_TEST_MIXER_FIXTURE_H
#define JMIXD_TEST_MIXER_FIXTURE_H

#include "jmixd/engine/mixer.h"
#include "jmixd/session/params.h"

#include <stdlib.h>

/* calloc'd values[ps->n], each at its parameter's default */
static inline float *mfx_defaults(const jm_paramset_t *ps)
{
    float *v = calloc(ps->n, sizeof(float));
    assert_non_null(v);
    for (size_t i = 0; i < ps->n; i++) v[i] = ps->p[i].defval;
    return v;
}

/* /PATH = v, applied at once (the path must exist) */
static inline void mfx_set(jm_mixer_t *m, const jm_paramset_t *ps, const char *path, float v)
{
    int i = jm_params_find(ps, path);
    assert_true(i >= 0);
    const jm_param_t *p = &ps->p[i];
    jm_cmd_t c = {.type = JM_CMD_SET, .scope = (uint8_t)p->scope, .field = p->field,
                  .index = p->owner, .value = v};
    jm_mixer_apply(m, &c);
}

#endif
