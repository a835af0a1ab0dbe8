/* X32 and X-Air meter streams: the meter frame the engine's events fill,
 * the streams /meters and /batchsubscribe open, and their blobs. Layouts
 * follow P.-G. Maillot, "Unofficial X32/M32 OSC Remote Protocol" ("Meter
 * requests"); docs/osc.md lists what each slot holds in jmixd. */
#include "jmixd/control/x32meters.h"

#include "jmixd/control/x32.h"

#include <lo/lo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The blob's values are little-endian, unlike the rest of OSC. */
static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void putf(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    put32(p, u);
}

/* A gain reduction in dB as the X32 shows it: the gain factor (1.0 none). */
static float gr_gain(float db)
{
    return db > 0.0f && isfinite(db) ? powf(10.0f, -db / 20.0f) : 1.0f;
}

static float lin(float x) { return isfinite(x) && x > 0.0f ? x : 0.0f; }

/* X-Air: int16 in 1/256 dB, -128 dB (0x8000) for silence, 0 dBFS at most. */
static int16_t xair_db(float x)
{
    x = lin(x);
    float db = x > 0.0f ? 20.0f * log10f(x) : -128.0f;
    if (db < -128.0f) db = -128.0f;
    if (db > 0.0f) db = 0.0f;
    return (int16_t)lrintf(db * 256.0f);
}

size_t jm_x32m_encode(const jm_x32m_frame_t *f, int d, int n, unsigned char *out, size_t cap)
{
    int count = jm_x32m_count(d, n);
    size_t width = d == JM_DIALECT_XAIR ? 2 : 4;
    size_t len = 4 + (size_t)count * width;
    if (!count || cap < len) return 0;
    put32(out, (uint32_t)count);
    unsigned char *p = out + 4;
    if (d == JM_DIALECT_XAIR) {
        /* /meters/1: 16 ch, 5x2 aux/fx returns, 6 bus, 4 fx sends, 2 st, 2 monitor */
        float v[40] = {0};
        for (int k = 0; k < 16; k++) v[k] = f->level[k];
        for (int k = 0; k < 6; k++) v[26 + k] = f->bus[k];
        v[36] = f->main[0];
        v[37] = f->main[1];
        for (int k = 0; k < 40; k++) {
            uint16_t s = (uint16_t)xair_db(v[k]);
            p[2 * k] = (unsigned char)s;
            p[2 * k + 1] = (unsigned char)(s >> 8);
        }
        return len;
    }
    float v[96];
    int k = 0;
    if (n == 0) {
        for (int i = 0; i < 32; i++) v[k++] = lin(f->level[i]);
        for (int i = 0; i < 16; i++) v[k++] = 0.0f;           /* aux and fx returns */
        for (int i = 0; i < 16; i++) v[k++] = lin(f->bus[i]);
        for (int i = 0; i < 6; i++) v[k++] = 0.0f;            /* matrices */
    } else if (n == 1) {
        for (int i = 0; i < 32; i++) v[k++] = lin(f->level[i]);
        for (int i = 0; i < 32; i++) v[k++] = 1.0f;           /* no gate GR in the events */
        for (int i = 0; i < 32; i++) v[k++] = gr_gain(f->comp_gr[i]);
    } else {
        for (int i = 0; i < 16; i++) v[k++] = lin(f->bus[i]);
        for (int i = 0; i < 6; i++) v[k++] = 0.0f;            /* matrices */
        v[k++] = lin(f->main[0]);
        v[k++] = lin(f->main[1]);
        v[k++] = 0.0f;                                        /* mono M/C */
        /* bus dynamics: an aux bus's limiter is its dynamics */
        for (int i = 0; i < 16; i++) v[k++] = gr_gain(f->bus_gr[i]);
        for (int i = 0; i < 6; i++) v[k++] = 1.0f;            /* matrix dynamics */
        v[k++] = gr_gain(f->main_gr);                         /* the master limiter */
        v[k++] = 1.0f;
    }
    for (int i = 0; i < k; i++) putf(p + 4 * i, v[i]);
    return len;
}

static int same(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

/* "meters/1" and "/meters/1" name the same stream (clients send both). */
static int same_name(const char *a, const char *b)
{
    return !strcmp(a + (a[0] == '/'), b + (b[0] == '/'));
}

void jm_x32m_request(jm_x32meters_t *m, const struct sockaddr_in *src, int dialect, int op,
                     int n, int factor, const char *name, float meter_rate, double now)
{
    if (!name[0] || strlen(name) >= JM_X32M_NAME) return;
    if (op == JM_X32M_OP_RENEW) {
        for (int i = 0; i < JM_X32M_MAX; i++) {
            jm_x32m_stream_t *s = &m->streams[i];
            if (s->used && now < s->expires && same(&s->addr, src) && same_name(s->name, name))
                s->expires = now + JM_X32M_SECONDS;
        }
        return;
    }
    if (!jm_x32m_count(dialect, n)) return;
    if (factor < 1 || factor > 99) factor = 1;
    /* factor x 50 ms in frames of the engine's meter clock, rounded up: never
     * more often than an X32 would send (the amplification bound) */
    float rate = meter_rate > 0.0f ? meter_rate : 20.0f;
    int every = (int)ceilf((float)factor * (float)JM_X32M_TICK * rate - 1e-3f);
    if (every < 1) every = 1;
    char want[JM_X32M_NAME];
    if (op == JM_X32M_OP_METERS) snprintf(want, sizeof want, "/meters/%d", n);
    else snprintf(want, sizeof want, "%s", name);
    jm_x32m_stream_t *free_slot = NULL;
    int of_ip = 0;
    for (int i = 0; i < JM_X32M_MAX; i++) {
        jm_x32m_stream_t *s = &m->streams[i];
        if (!s->used || now >= s->expires) {
            s->used = 0;
            if (!free_slot) free_slot = s;
            continue;
        }
        if (same(&s->addr, src) && !strcmp(s->name, want)) {
            /* the same request again: a renewal, with its new rate */
            s->expires = now + JM_X32M_SECONDS;
            s->set = n;
            s->every = every;
            s->dialect = dialect;
            return;
        }
        of_ip += s->addr.sin_addr.s_addr == src->sin_addr.s_addr;
    }
    if (of_ip >= JM_X32M_PER_IP || !free_slot) {
        m->refused++;
        return;
    }
    *free_slot = (jm_x32m_stream_t){.used = 1, .dialect = dialect, .set = n, .every = every,
                                    .count = every - 1, /* the first frame goes out at once */
                                    .expires = now + JM_X32M_SECONDS, .addr = *src};
    snprintf(free_slot->name, sizeof free_slot->name, "%s", want);
}

static void send_streams(jm_x32meters_t *m, jm_feedback_t *fb)
{
    double now = mono_now();
    unsigned char blob[2][3][JM_X32M_BLOB_MAX]; /* encoded once per frame: [dialect][set] */
    size_t len[2][3] = {{0}};
    for (int i = 0; i < JM_X32M_MAX; i++) {
        jm_x32m_stream_t *s = &m->streams[i];
        if (!s->used) continue;
        if (now >= s->expires) {
            s->used = 0;
            continue;
        }
        if (++s->count < s->every) continue;
        s->count = 0;
        int x = s->dialect == JM_DIALECT_XAIR;
        if (s->set < 0 || s->set > 2) continue;
        if (!len[x][s->set])
            len[x][s->set] = jm_x32m_encode(&m->frame, s->dialect, s->set, blob[x][s->set],
                                            sizeof blob[x][s->set]);
        if (!len[x][s->set]) continue;
        lo_blob b = lo_blob_new((int32_t)len[x][s->set], blob[x][s->set]);
        if (!b) continue;
        lo_message msg = lo_message_new();
        lo_message_add_blob(msg, b);
        lo_blob_free(b); /* the message holds its own copy */
        jm_feedback_send_on(fb, x ? fb->xair_sock : fb->x32_sock, &s->addr, s->name, msg);
    }
}

void jm_x32m_event(jm_x32meters_t *m, jm_feedback_t *fb, const jm_event_t *ev)
{
    jm_x32m_frame_t *f = &m->frame;
    if (ev->type == JM_EV_METER_STRIP) {
        if (ev->index < 32) {
            f->level[ev->index] = ev->v[0];
            f->comp_gr[ev->index] = ev->v[2];
        }
    } else if (ev->type == JM_EV_METER_BUS) {
        if (ev->index < 16) {
            f->bus[ev->index] = ev->v[0];
            f->bus_gr[ev->index] = -ev->v[2]; /* the limiter's dB <= 0 (0: none) */
        }
    } else if (ev->type == JM_EV_METER_MASTER) {
        f->main[0] = ev->v[0];
        f->main[1] = ev->v[1];
        f->main_gr = (float)ev->index / 100.0f;
        send_streams(m, fb);
    }
}

int jm_x32m_active(const jm_x32meters_t *m, double now)
{
    int n = 0;
    for (int i = 0; i < JM_X32M_MAX; i++) n += m->streams[i].used && now < m->streams[i].expires;
    return n;
}
