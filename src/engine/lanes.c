/* Lane evaluation for the audio thread (see include/jmixd/engine/lanes.h). */
#include "jmixd/engine/lanes.h"

float jm_rtlane_eval(const jm_rtlane_t *l, double frame)
{
    uint32_t lo = 0, hi = l->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (l->frame[mid] <= frame) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return l->value[0];
    if (lo == l->n) return l->value[l->n - 1];
    double a = l->frame[lo - 1], b = l->frame[lo];
    double f = b > a ? (frame - a) / (b - a) : 1.0;
    return (float)(l->value[lo - 1] + f * (l->value[lo] - l->value[lo - 1]));
}
