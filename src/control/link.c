/* The way to the audio thread: commands go into the engine's queue (or a
 * unit test's). A push the full queue refuses is not lost: the parameter is
 * marked in a bitmap made once at start, and its stored value is posted
 * again on the next control tick (every 20 ms at most). */
#include "control_int.h"

#include <math.h>
#include <time.h>

void jm_ctl_attach_queue(jm_control_t *c, jm_queue_t *q, uint32_t rate)
{
    c->test_q = q;
    c->test_rate = rate;
    c->test_t0 = jm_ctl_now();
}

uint32_t jm_ctl_rate(const jm_control_t *c)
{
    uint32_t r = c->test_q ? c->test_rate : jm_engine_rate(c->engine);
    return r ? r : 48000;
}

bool jm_ctl_engine_ready(const jm_control_t *c)
{
    return c->test_q || jm_engine_is_open(c->engine);
}

int jm_ctl_post(jm_control_t *c, const jm_cmd_t *cmd, uint32_t frame)
{
    if (!jm_ctl_engine_ready(c)) return 0;
    bool ok;
    if (c->test_q) ok = jm_queue_push(c->test_q, &(jm_ctl_out_t){*cmd, frame});
    else ok = jm_engine_post_at(c->engine, cmd, frame);
    if (ok) return 1;
    c->cmds_refused++;
    return -1;
}

static void mark(jm_control_t *c, int i, int on)
{
    uint64_t bit = UINT64_C(1) << (i % 64);
    if (on) {
        c->unsent[i / 64] |= bit;
        c->any_unsent = 1;
    } else {
        c->unsent[i / 64] &= ~bit;
    }
}

int jm_ctl_is_unsent(const jm_control_t *c, int i)
{
    return (int)(c->unsent[i / 64] >> (i % 64) & 1);
}

int jm_ctl_post_param(jm_control_t *c, int i, const jm_cmd_t *cmd, uint32_t frame)
{
    int rc = jm_ctl_post(c, cmd, frame);
    if (rc < 0) mark(c, i, 1);
    else if (rc > 0 && c->any_unsent) mark(c, i, 0); /* the newer command supersedes */
    return rc;
}

void jm_ctl_retry_unsent(jm_control_t *c)
{
    if (c->lanes_unsent) jm_ctl_lanes_retry(c);
    if (!c->any_unsent) return;
    for (size_t w = 0; w < c->n_unsent_words; w++) {
        while (c->unsent[w]) {
            int i = (int)(w * 64) + __builtin_ctzll(c->unsent[w]);
            const jm_param_t *p = &c->ps->p[i];
            jm_cmd_t cmd = {.type = JM_CMD_SET, .scope = (uint8_t)p->scope, .field = p->field,
                            .index = p->owner, .value = c->values[i]};
            int rc = jm_ctl_post(c, &cmd, 0);
            if (rc < 0) return; /* still full: the next tick goes on */
            mark(c, i, 0);      /* posted, or no engine: its next open uses values[] */
        }
    }
    c->any_unsent = 0;
}

void jm_ctl_forget_unsent(jm_control_t *c)
{
    for (size_t w = 0; w < c->n_unsent_words; w++) c->unsent[w] = 0;
    c->any_unsent = 0;
    c->lanes_unsent = 0;
}

int jm_ctl_frame_for_ntp(jm_control_t *c, uint64_t ntp, uint32_t *frame, double *delta)
{
    if (!c->test_q) return jm_engine_frame_for_ntp(c->engine, ntp, frame, delta);
    /* the test's frame clock: jm_ctl_rate frames a second since attach */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double when = (double)(ntp >> 32) - 2208988800.0 + (double)(ntp & 0xffffffffu) / 4294967296.0;
    *delta = when - ((double)now.tv_sec + now.tv_nsec * 1e-9);
    if (*delta <= 0.0) return 0;
    *frame = (uint32_t)llround((jm_ctl_now() - c->test_t0 + *delta) * jm_ctl_rate(c));
    return 1;
}
