/* X32 and X-Air answers and feedback: one value in X32 form, sent from the
 * dialect's socket. The address tree and its laws are x32tree.c/x32map.c. */
#include "jmixd/control/x32feedback.h"

#include "jmixd/control/x32.h"

#include <lo/lo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int sock_of(const jm_feedback_t *fb, int d)
{
    return d == JM_DIALECT_XAIR ? fb->xair_sock : fb->x32_sock;
}

/* path with e's X32 type: x is the X32 value (f 0..1 or an int). */
static void send_x32(jm_feedback_t *fb, const struct sockaddr_in *to, int d, const char *path,
                     const jm_x32_ent_t *e, float x)
{
    lo_message m = lo_message_new();
    if (e->type == 's') lo_message_add_string(m, e->str ? e->str : "");
    else if (e->type == 'i') lo_message_add_int32(m, (int32_t)lroundf(x));
    else lo_message_add_float(m, x);
    jm_feedback_send_on(fb, sock_of(fb, d), to, path, m);
}

void jm_feedback_x32_answer(jm_feedback_t *fb, const struct sockaddr_in *to, int d,
                            const char *path, const float *values)
{
    jm_x32_ent_t e;
    if (!jm_x32_lookup(fb->s, d, path, &e)) return;
    send_x32(fb, to, d, path, &e, e.param >= 0 ? jm_x32_from_units(&e, values[e.param]) : e.def);
}

void jm_feedback_x32_node(jm_feedback_t *fb, const struct sockaddr_in *to, int d,
                          const char *node, const float *values)
{
    char text[512];
    if (!jm_x32_node(fb->s, d, node, values, text, sizeof text)) return;
    lo_message m = lo_message_new();
    lo_message_add_string(m, text);
    /* an X32 answers on "node", without the slash; clients accept both */
    jm_feedback_send_on(fb, sock_of(fb, d), to, "node", m);
}

void jm_feedback_x32_reply(jm_feedback_t *fb, const struct sockaddr_in *to, const char *path,
                           int kind, int param, float value)
{
    jm_x32_ent_t e;
    int d = kind == JM_DIALECT_XAIR ? JM_DIALECT_XAIR : JM_DIALECT_X32;
    if (!jm_x32_lookup(fb->s, d, path, &e) || e.param != param) return;
    send_x32(fb, to, d, path, &e, jm_x32_from_units(&e, value));
}

/* The dialect of the /xremote subscriber at `to` (X32 when none is). */
static int dialect_of(const jm_feedback_t *fb, const struct sockaddr_in *to)
{
    for (int i = 0; i < JM_MAX_SUBSCRIBERS; i++) {
        const jm_subscriber_t *sub = &fb->subs[i];
        if (sub->used && sub->x32 && sub->addr.sin_addr.s_addr == to->sin_addr.s_addr &&
            sub->addr.sin_port == to->sin_port)
            return sub->x32;
    }
    return JM_DIALECT_X32;
}

int jm_feedback_x32_param(jm_feedback_t *fb, const struct sockaddr_in *to, int param, float value)
{
    int d = dialect_of(fb, to);
    char path[64];
    jm_x32_ent_t e;
    if (!jm_x32_path_of(fb->s, d, param, path, sizeof path) ||
        !jm_x32_lookup(fb->s, d, path, &e))
        return 0;
    send_x32(fb, to, d, path, &e, jm_x32_from_units(&e, value));
    return 1;
}
