/* Numbers and the file write of the layout writers. */
#include "layout_int.h"

#include "jmixd/util/atomicfile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *jm_lnum(char out[32], double v)
{
    if (v == 0.0 || v != v) v = 0.0; /* no "-0", no "nan" */
    if (fabs(v) < 1e9 && v == floor(v)) {
        snprintf(out, 32, "%.0f", v);
        return out;
    }
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(out, 32, "%.*g", prec, v);
        if ((float)strtod(out, NULL) == (float)v) break;
    }
    if (strchr(out, 'e')) { /* plain decimals only: 0.000012 rather than 1.2e-05 */
        char fixed[32];
        snprintf(fixed, sizeof fixed, "%.9f", v);
        char *end = fixed + strlen(fixed) - 1;
        while (end > fixed && *end == '0') *end-- = '\0';
        if (*end == '.') *end = '\0';
        memcpy(out, fixed, strlen(fixed) + 1);
    }
    return out;
}

int jm_lwrite_file(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    if (jm_atomic_write(path, data, len, NULL, 0) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0; /* a failed sync of the folder still leaves the new file in place */
}
