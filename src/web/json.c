/* JSON pieces for HTTP bodies and WebSocket frames. */
#include "web_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void jm_web_json_str(jm_text_t *b, const char *s)
{
    jm_text_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            jm_text_put(b, e, 2);
        } else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&') {
            jm_text_printf(b, "\\u%04x", *p);
        } else {
            jm_text_put(b, p, 1);
        }
    }
    jm_text_put(b, "\"", 1);
}

void jm_web_json_num(jm_text_t *b, double v)
{
    if (!isfinite(v)) jm_text_puts(b, "null");
    else jm_text_printf(b, "%.9g", v);
}

void jm_web_json_float(jm_text_t *b, double v, double fallback)
{
    char num[40];
    if (!isfinite(v)) v = fallback;
    int n = snprintf(num, sizeof num, "%.9g", v);
    if (n < 0 || (size_t)n >= sizeof num - 2) {
        jm_text_puts(b, "0.0");
        return;
    }
    /* "-10" would read as an integer (python-oscquery types such a node
     * int): a JSON float has a fraction or an exponent */
    if (!strpbrk(num, ".e")) memcpy(num + n, ".0", 3);
    jm_text_puts(b, num);
}
