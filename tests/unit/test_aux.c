/* Talkback DSP (dsp/aux.h): the dim and mic gains glide, and the mix. */
#include "jmixd/dsp/aux.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

static void test_talkback_glide_and_mix(void **state)
{
    (void)state;
    static jm_rampbank_t tb;
    memset(&tb, 0, sizeof tb);
    jm_ramp_set(&tb, 0, 1.0f, 0);
    jm_ramp_set(&tb, 1, 0.0f, 0);
    assert_true(jm_aux_talkback_idle(&tb));
    jm_ramp_set(&tb, 0, 0.1f, 4); /* on: dim -20 dB, mic at unity, over 4 samples */
    jm_ramp_set(&tb, 1, 1.0f, 4);
    assert_false(jm_aux_talkback_idle(&tb));
    float mic[8] = {1, 1, 1, 1, 1, 1, 1, 1}, dim[8], talk[8];
    jm_aux_talkback_gains(&tb, mic, dim, talk, 8);
    assert_float_equal(dim[0], 1.0f - 0.225f, 1e-6);  /* a glide, not a jump */
    assert_float_equal(talk[1], 0.5f, 1e-6);
    assert_float_equal(dim[7], 0.1f, 0.0f);
    assert_float_equal(talk[7], 1.0f, 0.0f);
    float l[8], r[8];
    for (int k = 0; k < 8; k++) l[k] = 0.5f, r[k] = -0.5f;
    jm_aux_talkback_mix(l, r, dim, talk, 8);
    assert_float_equal(l[7], 0.05f + 1.0f, 1e-6);
    assert_float_equal(r[7], -0.05f + 1.0f, 1e-6);
    jm_aux_talkback_gains(&tb, NULL, dim, talk, 8); /* no mic (render): silence */
    assert_float_equal(talk[3], 0.0f, 0.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_talkback_glide_and_mix)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
