/* The control thread's MIDI glue (docs/midi.md): drains the engine's ring
 * of messages from midi_in each tick and hands every message to the learn
 * bindings (always) and to the session's surface driver (surface.h,
 * surface_reg.c); tells both of every parameter change, the driver of
 * meters at the meter rate; gives them the host (send to midi_out, set,
 * touch, transport); answers /midi/learn, /midi/unlearn, /midi/map; keeps
 * the bindings in the state file. */
#include "control_int.h"

#include "jmixd/control/midilearn.h"

#include <lo/lo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIDI_PER_TURN 4096   /* messages taken from the ring per loop turn (it holds 1024) */

struct jm_midi {
    jm_control_t *c;
    jm_surface_host_t host;
    jm_midilearn_t learn;
    const jm_surface_ops_t *ops;    /* the surface driver, NULL: bindings only */
    void *drv;
    int in_driver_set;              /* the driver's own host->set runs */
    struct sockaddr_in armed_by;    /* who asked for /midi/learn */
    int engine_was_open;
    uint32_t links;                 /* jm_engine_midi_links seen last */
    float strip_peak[JM_MAX_STRIPS];
};

/* ---- the host a driver gets ------------------------------------------- */

static int host_send(void *ctx, const uint8_t *bytes, size_t len)
{
    jm_control_t *c = ctx;
    return jm_engine_midi_send(c->engine, bytes, len);
}

/* As an OSC set (dispatch.c req_set), without a reply: store, engine,
 * feedback, automation write. */
static void host_set(void *ctx, int i, float v)
{
    jm_control_t *c = ctx;
    if (i < 0 || (size_t)i >= c->ps->n || !isfinite(v)) return;
    const jm_param_def_t *d = c->ps->p[i].def;
    float old = c->values[i];
    c->midi->in_driver_set++;
    jm_ctl_set_value(c, i, v, 0);
    c->midi->in_driver_set--;
    jm_ctl_ramp_cancel(c, i);
    jm_ctl_lanes_on_set(c, i, old, c->values[i], d->smooth_ms * 0.001);
}

static void host_set_norm(void *ctx, int i, float f)
{
    jm_control_t *c = ctx;
    if (i < 0 || (size_t)i >= c->ps->n || !isfinite(f)) return;
    host_set(ctx, i, jm_param_from_norm(c->ps->p[i].def, f));
}

static void host_touch(void *ctx, int i, int on)
{
    jm_control_t *c = ctx;
    if (i < 0 || (size_t)i >= c->ps->n) return;
    jm_req_t r = {.kind = JM_REQ_TOUCH, .param = i, .iarg = on ? 1 : 0};
    jm_ctl_req_touch(c, &r, 0);
}

static float host_value(void *ctx, int i)
{
    jm_control_t *c = ctx;
    return i >= 0 && (size_t)i < c->ps->n ? c->values[i] : 0.0f;
}

static const char *host_strip_name(void *ctx, int k)
{
    jm_control_t *c = ctx;
    return k >= 0 && k < c->s->n_strips ? c->s->strips[k].name : "";
}

static const char *host_bus_name(void *ctx, int k)
{
    jm_control_t *c = ctx;
    return k >= 0 && k < c->s->n_buses ? c->s->buses[k].name : "";
}

static const char *host_bus_type(void *ctx, int k)
{
    jm_control_t *c = ctx;
    return k >= 0 && k < c->s->n_buses ? c->s->buses[k].type : "";
}

static int host_start(void *ctx) { return jm_engine_transport_start(((jm_control_t *)ctx)->engine); }
static int host_stop(void *ctx) { return jm_engine_transport_stop(((jm_control_t *)ctx)->engine); }

static int host_locate(void *ctx, uint32_t frame)
{
    return jm_engine_transport_locate(((jm_control_t *)ctx)->engine, frame);
}

static int host_transport(void *ctx, uint32_t *frame)
{
    return jm_engine_transport_frame(((jm_control_t *)ctx)->engine, frame);
}

static uint32_t host_rate(void *ctx) { return jm_ctl_rate((jm_control_t *)ctx); }

/* ---- life cycle ------------------------------------------------------- */

/* The bindings as the state file keeps them, after any change. */
static void bindings_changed(jm_control_t *c)
{
    jm_state_writer_midi(c->writer, jm_state_midi_text(c->ps, &c->s->midi));
    jm_ctl_mark_dirty(c);
}

int jm_ctl_midi_open(jm_control_t *c)
{
    if (!c->s->midi.enabled) return 0;
    jm_midi_t *m = calloc(1, sizeof *m);
    if (!m) return -1;
    c->midi = m;
    m->c = c;
    m->host = (jm_surface_host_t){
        .ctx = c, .send = host_send, .set = host_set, .set_norm = host_set_norm,
        .touch = host_touch, .value = host_value, .params = c->ps,
        .n_strips = c->s->n_strips, .n_buses = c->s->n_buses,
        .strip_name = host_strip_name, .bus_name = host_bus_name, .bus_type = host_bus_type,
        .meter_rate = c->s->meter_rate, .transport_start = host_start,
        .transport_stop = host_stop, .transport_locate = host_locate,
        .transport = host_transport, .rate = host_rate};
    for (int k = 0; k < JM_MAX_STRIPS; k++) m->strip_peak[k] = -INFINITY;
    /* the state file's bindings (learned ones) replace the session's */
    const char *restore = jm_ctl_restore_path(c);
    if (restore) {
        int n = jm_state_load_midi(restore, c->ps, &c->s->midi, c->log);
        if (n >= 0) jm_log(c->log, JM_LOG_INFO, "%d MIDI bindings restored from %s", n, restore);
    }
    jm_midilearn_init(&m->learn, &c->s->midi, &m->host);
    jm_state_writer_midi(c->writer, jm_state_midi_text(c->ps, &c->s->midi));
    const jm_surface_ops_t *ops = NULL;
    if (jm_surface_lookup(c->s->midi.surface, &ops) == 1 && ops && ops->open) {
        m->drv = ops->open(&m->host);
        if (m->drv) m->ops = ops;
        else jm_log(c->log, JM_LOG_ERROR, "MIDI surface '%s' could not start; running without it",
                    c->s->midi.surface);
    }
    return 0;
}

void jm_ctl_midi_close(jm_control_t *c)
{
    jm_midi_t *m = c->midi;
    if (!m) return;
    if (m->ops && m->ops->close) m->ops->close(m->drv);
    free(m);
    c->midi = NULL;
}

/* ---- each turn -------------------------------------------------------- */

static void learned(jm_control_t *c, int k)
{
    jm_midi_t *m = c->midi;
    const jm_midi_binding_t *b = &c->s->midi.map[k];
    char desc[64];
    jm_midilearn_describe(b, desc, sizeof desc);
    jm_log(c->log, JM_LOG_INFO, "MIDI learn: %s -> %s", desc, c->ps->p[b->param].path);
    if (m->armed_by.sin_port) {
        lo_message msg = lo_message_new();
        lo_message_add_string(msg, c->ps->p[b->param].path);
        lo_message_add_string(msg, desc);
        jm_feedback_send_msg(&c->fb, &m->armed_by, "/midi/learned", msg);
    }
    memset(&m->armed_by, 0, sizeof m->armed_by);
    bindings_changed(c);
}

void jm_ctl_midi_tick(jm_control_t *c, double now)
{
    jm_midi_t *m = c->midi;
    if (!m) return;
    /* a new midi_out (first start, JACK back) or a surface newly connected
     * to it: the whole state again */
    int open = jm_engine_is_open(c->engine) && !jm_engine_lost(c->engine);
    uint32_t links = jm_engine_midi_links(c->engine);
    if (open && (!m->engine_was_open || links != m->links)) jm_ctl_midi_resync(c);
    m->engine_was_open = open;
    m->links = links;
    jm_midi_msg_t msg;
    for (int k = 0; k < MIDI_PER_TURN && jm_engine_midi_read(c->engine, &msg); k++) {
        int l = jm_midilearn_input(&m->learn, msg.data, msg.len, now);
        if (l >= 0) learned(c, l);
        if (m->ops && m->ops->midi_in) m->ops->midi_in(m->drv, msg.data, msg.len);
    }
    int l = jm_midilearn_tick(&m->learn, now);
    if (l >= 0) learned(c, l);
    if (m->ops && m->ops->tick) m->ops->tick(m->drv, now);
}

void jm_ctl_midi_param(jm_control_t *c, int i, float v)
{
    jm_midi_t *m = c->midi;
    if (!m) return;
    jm_midilearn_param(&m->learn, i, v);
    if (m->ops && m->ops->param_changed)
        m->ops->param_changed(m->drv, i, v, m->in_driver_set && m->learn.echo < 0
                                                ? JM_SURF_FROM_SELF : 0u);
}

static float dbfs(float lin)
{
    return lin > 1e-6f ? 20.0f * log10f(lin) : -INFINITY;
}

void jm_ctl_midi_meter(jm_control_t *c, const jm_event_t *ev)
{
    jm_midi_t *m = c->midi;
    if (!m || !m->ops || !m->ops->meters) return;
    if (ev->type == JM_EV_METER_STRIP && ev->index < JM_MAX_STRIPS) {
        m->strip_peak[ev->index] = dbfs(ev->v[0]);
    } else if (ev->type == JM_EV_METER_MASTER) {
        /* the master comes last in a meter period (mixer.c) */
        const float master[2] = {dbfs(ev->v[0]), dbfs(ev->v[1])};
        m->ops->meters(m->drv, m->strip_peak, c->s->n_strips, master);
    }
}

void jm_ctl_midi_resync(jm_control_t *c)
{
    jm_midi_t *m = c->midi;
    if (!m) return;
    jm_midilearn_resync(&m->learn);
    if (m->ops && m->ops->resync) m->ops->resync(m->drv);
}

/* ---- requests --------------------------------------------------------- */

static int need_midi(jm_control_t *c, const jm_req_t *r)
{
    if (c->midi) return 1;
    jm_feedback_send_error(&c->fb, &r->src, r->path, "this session has no midi group");
    return 0;
}

/* /midi/learn s:PATH (param >= 0) or s:off (param -1): /midi/armed s:PATH|off */
void jm_ctl_req_midi_learn(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    if (!need_midi(c, r)) return;
    jm_midi_t *m = c->midi;
    int i = r->param >= 0 && (size_t)r->param < c->ps->n ? r->param : -1;
    jm_midilearn_arm(&m->learn, i);
    if (i >= 0) m->armed_by = r->src;
    else memset(&m->armed_by, 0, sizeof m->armed_by);
    lo_message msg = lo_message_new();
    lo_message_add_string(msg, i >= 0 ? c->ps->p[i].path : "off");
    jm_feedback_send_msg(&c->fb, &r->src, "/midi/armed", msg);
}

/* /midi/unlearn s:PATH: /midi/unlearned s:PATH i:1 removed / 0 had none */
void jm_ctl_req_midi_unlearn(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    if (!need_midi(c, r)) return;
    int removed = jm_midilearn_unlearn(&c->midi->learn, r->param);
    if (removed) bindings_changed(c);
    lo_message msg = lo_message_new();
    lo_message_add_string(msg, c->ps->p[r->param].path);
    lo_message_add_int32(msg, removed);
    jm_feedback_send_msg(&c->fb, &r->src, "/midi/unlearned", msg);
}

/* /midi/map: one /midi/binding per binding, then /midi/map/end i:count */
void jm_ctl_req_midi_map(jm_control_t *c, const jm_req_t *r, uint32_t frame)
{
    (void)frame;
    if (!need_midi(c, r)) return;
    static const char *const kinds[] = {"", "cc", "cc14", "note", "pitchbend"};
    const jm_midi_cfg_t *mc = &c->s->midi;
    for (int k = 0; k < mc->n_map; k++) {
        const jm_midi_binding_t *b = &mc->map[k];
        lo_message msg = lo_message_new();
        lo_message_add_string(msg, c->ps->p[b->param].path);
        lo_message_add_string(msg, kinds[b->kind <= JM_MIDI_PITCHBEND ? b->kind : 0]);
        lo_message_add_int32(msg, b->channel);
        lo_message_add_int32(msg, b->kind == JM_MIDI_PITCHBEND ? -1 : b->number);
        lo_message_add_int32(msg, b->kind == JM_MIDI_CC14 ? b->lsb : -1);
        lo_message_add_string(msg, b->kind != JM_MIDI_NOTE ? "" : b->momentary ? "momentary"
                                                                               : "toggle");
        lo_message_add_int32(msg, b->feedback);
        jm_feedback_send_msg(&c->fb, &r->src, "/midi/binding", msg);
    }
    lo_message end = lo_message_new();
    lo_message_add_int32(end, mc->n_map);
    jm_feedback_send_msg(&c->fb, &r->src, "/midi/map/end", end);
}

uint64_t jm_ctl_midi_in_dropped(const jm_control_t *c)
{
    return jm_engine_midi_in_dropped(c->engine);
}
