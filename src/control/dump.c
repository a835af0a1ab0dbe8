/* The state dump (dump.h): bundles of current values, paced from the
 * control loop. */
#include "jmixd/control/dump.h"

#include "jmixd/control/feedback.h"

#include <arpa/inet.h>
#include <lo/lo.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define X32_MSG_BYTES 32   /* about one X32 message ("/ch/01/mix/fader" ,f value) */
#define STEP_MS_MAX 20     /* the loop's own pace */

static int same(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

void jm_dump_start(jm_dump_t *d, const struct sockaddr_in *to, int style, const char *prefix,
                   int limited, double now)
{
    *d = (jm_dump_t){.style = style, .limited = limited, .due = now, .to = *to};
    snprintf(d->prefix, sizeof d->prefix, "%s", prefix ? prefix : "");
}

/* The lease src holds at exactly that address and port (not X32), or NULL. */
static const jm_subscriber_t *lease_of(const jm_feedback_t *fb, const struct sockaddr_in *src)
{
    for (int i = 0; i < JM_MAX_SUBSCRIBERS; i++)
        if (fb->subs[i].used && !fb->subs[i].x32 && same(&fb->subs[i].addr, src))
            return &fb->subs[i];
    return NULL;
}

void jm_dump_request(jm_feedback_t *fb, const struct sockaddr_in *src, const char *prefix,
                     int style, double now)
{
    const jm_subscriber_t *sub = lease_of(fb, src);
    if (!style) style = sub && sub->norm ? JM_DUMP_NORM : JM_DUMP_UNITS;
    jm_dump_t *slot = NULL;
    for (int i = 0; i < JM_MAX_DUMPS && !slot; i++)
        if (fb->dumps[i].style && same(&fb->dumps[i].to, src)) slot = &fb->dumps[i];
    for (int i = 0; i < JM_MAX_DUMPS && !slot; i++)
        if (!fb->dumps[i].style) slot = &fb->dumps[i];
    if (!slot) {
        jm_feedback_send_error(fb, src, "/dump", "busy");
        return;
    }
    /* an address with a lease has shown that it receives there */
    jm_dump_start(slot, src, style, prefix, sub == NULL, now);
}

/* ---- which values, on which address ---- */

static int param_matches(const jm_param_t *p, const char *prefix, size_t pl)
{
    return !pl || !strncmp(p->path, prefix, pl) || !strncmp(p->name_path, prefix, pl);
}

static size_t n_items(const jm_feedback_t *fb)
{
    return fb->s->params.n + (size_t)fb->s->n_aliases;
}

/* Item k (parameters, then aliases) as d's style sends it: its address in
 * path and the message (NULL: not part of this dump). bus >= 0: a
 * performer's lease, which gets only what jm_feedback_sees allows. */
static lo_message item_msg(const jm_feedback_t *fb, const jm_dump_t *d, size_t k,
                           const float *values, int bus, char *path, size_t cap)
{
    const jm_paramset_t *ps = &fb->s->params;
    size_t pl = strlen(d->prefix);
    if (k < ps->n) {
        const jm_param_t *p = &ps->p[k];
        if (!param_matches(p, d->prefix, pl) || !jm_feedback_sees(fb, bus, (int)k)) return NULL;
        /* switches have no /norm twin (as jm_feedback_param) */
        if (d->style == JM_DUMP_NORM && !jm_param_is_bool(p->def)) {
            snprintf(path, cap, "%s/norm", p->path);
            return jm_feedback_value_msg(p->def, jm_param_to_norm(p->def, values[k]), 1);
        }
        snprintf(path, cap, "%s", p->path);
        return jm_feedback_value_msg(p->def, values[k], 0);
    }
    const jm_alias_t *a = &fb->s->aliases[k - ps->n];
    if (a->param < 0 || (size_t)a->param >= ps->n) return NULL;
    const jm_param_t *p = &ps->p[a->param];
    if (!jm_feedback_sees(fb, bus, a->param)) return NULL;
    if (pl && strncmp(a->from, d->prefix, pl) && !param_matches(p, d->prefix, pl)) return NULL;
    /* an alias speaks its own taper whatever the subscriber's style */
    float v = values[a->param];
    snprintf(path, cap, "%s", a->from);
    return jm_feedback_value_msg(p->def, a->norm ? jm_param_to_norm(p->def, v) : v, a->norm);
}

/* ---- one bundle ---- */

typedef struct {
    unsigned char buf[JM_DUMP_BYTES];
    size_t len;
} bundle_t;

static void bundle_init(bundle_t *b)
{
    static const unsigned char head[16] = {'#', 'b', 'u', 'n', 'd', 'l', 'e', 0,
                                           0, 0, 0, 0, 0, 0, 0, 1}; /* timetag 1: now */
    memcpy(b->buf, head, sizeof head);
    b->len = sizeof head;
}

/* Append m (consumed) on path: 1, or 0 when it would not fit. */
static int bundle_add(bundle_t *b, const char *path, lo_message m)
{
    size_t n = lo_message_length(m, path);
    int fits = b->len + 4 + n <= sizeof b->buf;
    if (fits) {
        uint32_t be = htonl((uint32_t)n);
        memcpy(b->buf + b->len, &be, 4);
        size_t size = n;
        lo_message_serialise(m, path, b->buf + b->len + 4, &size);
        b->len += 4 + n;
    }
    lo_message_free(m);
    return fits;
}

static void bundle_send(jm_feedback_t *fb, const jm_dump_t *d, const bundle_t *b)
{
    /* never to the console's own sockets (a forged /dump source) */
    if (fb->sock < 0 || jm_self_is(&fb->self, &d->to) ||
        sendto(fb->sock, b->buf, b->len, MSG_DONTWAIT, (const struct sockaddr *)&d->to,
               sizeof d->to) < 0)
        fb->send_errors++;
}

/* One bundle of d's next values; the last one carries /dump/end. */
static void step_bundle(jm_feedback_t *fb, jm_dump_t *d, const float *values, int bus)
{
    bundle_t b;
    bundle_init(&b);
    char path[JM_PATH_MAX + 8];
    size_t n = n_items(fb);
    int full = 0;
    while (d->next < n && !full) {
        lo_message m = item_msg(fb, d, d->next, values, bus, path, sizeof path);
        if (!m) { d->next++; continue; }
        if (bundle_add(&b, path, m)) {
            d->sent++;
            d->next++;
        } else if (b.len == 16) {
            d->next++; /* larger than any bundle: cannot be sent (paths are short) */
        } else {
            full = 1;
        }
    }
    if (!full) {
        lo_message m = lo_message_new();
        lo_message_add_string(m, d->prefix);
        lo_message_add_int32(m, d->sent);
        /* when it does not fit, it goes alone in the next bundle */
        if (bundle_add(&b, "/dump/end", m)) d->style = 0;
    }
    if (b.len > 16) bundle_send(fb, d, &b);
}

/* About JM_DUMP_BYTES of single X32 messages (X32 apps read no bundles). */
static void step_x32(jm_feedback_t *fb, jm_dump_t *d, const float *values)
{
    size_t n = fb->s->params.n, bytes = 0;
    while (d->next < n && bytes + X32_MSG_BYTES <= JM_DUMP_BYTES) {
        size_t k = d->next++;
        if (jm_feedback_x32_param(fb, &d->to, (int)k, values[k])) {
            bytes += X32_MSG_BYTES;
            d->sent++;
        }
    }
    if (d->next >= n) d->style = 0; /* an X32 has no end message */
}

/* Send d's next piece when it is due: the milliseconds until its next one,
 * or -1 when it is over. bus: as item_msg (a /dump request is -1: the OSC
 * thread lets a performer ask only for a prefix it may read whole). */
static int step_one(jm_feedback_t *fb, jm_dump_t *d, const float *values, int bus, double now)
{
    if (now < d->due) return (int)((d->due - now) * 1000.0) + 1;
    if (d->limited && !jm_peerlimit_take(&fb->dump_peers, &d->to, now)) {
        d->due = now + 1.0 / JM_DUMP_PEER_RATE;
        return (int)(1000.0 / JM_DUMP_PEER_RATE);
    }
    if (d->style == JM_DUMP_X32) step_x32(fb, d, values);
    else step_bundle(fb, d, values, bus);
    if (!d->style) return -1;
    d->due = now + JM_DUMP_GAP;
    return (int)(JM_DUMP_GAP * 1000.0);
}

static int sooner(int a, int b)
{
    if (a < 0) return b;
    if (b < 0) return a;
    return a < b ? a : b;
}

int jm_dump_step(jm_feedback_t *fb, const float *values, double now)
{
    int wait = -1;
    for (int i = 0; i < JM_MAX_SUBSCRIBERS; i++) {
        jm_subscriber_t *sub = &fb->subs[i];
        /* a lease that ended takes its dump with it */
        if (!sub->used) sub->dump.style = 0;
        else if (sub->dump.style) wait = sooner(wait, step_one(fb, &sub->dump, values, sub->bus, now));
    }
    for (int i = 0; i < JM_MAX_DUMPS; i++)
        if (fb->dumps[i].style) wait = sooner(wait, step_one(fb, &fb->dumps[i], values, -1, now));
    return wait > STEP_MS_MAX ? STEP_MS_MAX : wait;
}
