/* The Mackie Control / Logic Control driver (docs/midi.md, "Mackie
 * Control"). Protocol per the Logic Control MIDI implementation (Apple,
 * "Logic Pro 7 Dedicated Control Surface Support", appendix B "Logic
 * Control - MIDI Implementation"); Ardour's libs/surfaces/mackie was read
 * for how surfaces behave in practice (the X-Touch's "device ready").
 *
 * The driver holds only the surface's view (bank, selection, V-Pot mode,
 * touch, what it last showed); every parameter value comes from the host.
 * Control thread only. */
#include "jmixd/control/mcu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCH 8               /* channel strips on the surface */
#define MASTER NCH          /* index of the master fader in touched[] etc. */
#define CELL 7              /* scribble characters per strip */
#define LOWER 56            /* offset of the lower scribble row */
#define VALUE_HOLD 1.5      /* s a fader value stays in the lower row after a move */
#define FULL_MIN_GAP 0.2    /* s between two handshake-triggered full states */
#define TC_PERIOD 0.05      /* s between timecode / transport LED updates */
#define VPOT_STEP 0.01f     /* /norm per V-Pot tick: 100 ticks end to end */
#define FFWD_SECONDS 10     /* fast-forward locates this far ahead */

/* What a parameter is to the surface (rev[]). */
enum { K_NONE, K_FADER, K_PAN, K_MUTE, K_SOLO, K_SEND, K_MASTER };
enum { MODE_PAN, MODE_SEND };

typedef struct {
    const jm_surface_host_t *h;
    int n;                  /* strips */
    int nb;                 /* buses */
    int *p_fader, *p_pan, *p_mute, *p_solo; /* per strip, -1 when absent */
    int *p_send;            /* [strip * nb + bus] send level */
    int p_master;
    uint32_t *rev;          /* per parameter: kind << 24 | bus << 12 | strip */

    int bank;               /* strip shown on channel 1 (0-based) */
    int selected;           /* selected strip, -1 none */
    int mode;               /* MODE_PAN / MODE_SEND */
    int send_bus;           /* the bus of MODE_SEND */
    uint8_t dev;            /* SysEx device id: 0x14 MCU, 0x10 Logic Control, ... */

    int touched[NCH + 1];
    double value_until[NCH]; /* lower cell shows the fader value until then */
    char lower[NCH][CELL + 1]; /* what the lower row shows, to send changes only */
    int meter[NCH];          /* last meter level sent, -1 unknown */
    uint8_t tc[JM_MCU_TC_DIGITS]; /* timecode shown; 0xFF unknown */
    int rolling;             /* transport LEDs shown: -2 unknown */
    double now, next_tc, last_full;
    int full_pending;
    int bank_dirty;          /* the bank moved: strips_out at the next tick */
} mcu_t;

/* ------------------------------------------------------ pure helpers -- */

void jm_mcu_challenge_response(const uint8_t l[4], uint8_t r[4])
{
    int l1 = l[0], l2 = l[1], l3 = l[2], l4 = l[3];
    r[0] = (uint8_t)(0x7F & (l1 + (l2 ^ 0xA) - l4));
    r[1] = (uint8_t)(0x7F & ((l3 >> 4) ^ (l1 + l4)));
    r[2] = (uint8_t)(0x7F & ((l4 - (l3 << 2)) ^ (l1 | l2)));
    r[3] = (uint8_t)(0x7F & (l2 - l3 + (0xF0 ^ (l4 << 4))));
}

uint16_t jm_mcu_pb_from_norm(float norm)
{
    if (!(norm > 0.0f)) return 0;
    if (norm >= 1.0f) return 16383;
    return (uint16_t)lrintf(norm * 16383.0f);
}

float jm_mcu_norm_from_pb(uint16_t pb)
{
    if (pb > 16383) pb = 16383;
    return (float)pb / 16383.0f;
}

int jm_mcu_vpot_ticks(uint8_t v)
{
    int t = v & 0x3F;
    return (v & 0x40) ? -t : t;
}

int jm_mcu_meter_level(float dbfs)
{
    if (!(dbfs >= -60.0f)) return 0; /* NaN and -inf too */
    int l = (int)floorf((dbfs + 60.0f) / 5.0f) + 1;
    return l > 12 ? 12 : l;
}

uint8_t jm_mcu_7seg(char c)
{
    unsigned char u = (unsigned char)c;
    if (u >= 'a' && u <= 'z') u = (unsigned char)(u - 0x20);
    if (u >= 0x40 && u <= 0x5F) return (uint8_t)(u - 0x40);
    if (u >= 0x20 && u <= 0x3F) return u;
    return 0x20;
}

void jm_mcu_timecode(uint32_t frame, uint32_t rate, uint8_t d[JM_MCU_TC_DIGITS])
{
    if (rate == 0) rate = 48000;
    uint64_t ms = (uint64_t)frame * 1000u / rate;
    unsigned msec = (unsigned)(ms % 1000u);
    uint64_t s = ms / 1000u;
    unsigned sec = (unsigned)(s % 60u), min = (unsigned)(s / 60u % 60u);
    unsigned hrs = (unsigned)(s / 3600u % 1000u);
    char txt[JM_MCU_TC_DIGITS + 1];
    /* left to right: HHH MM SS mmm */
    snprintf(txt, sizeof txt, "%3u%02u%02u%03u", hrs, min, sec, msec);
    for (int i = 0; i < JM_MCU_TC_DIGITS; i++) {
        uint8_t c = jm_mcu_7seg(txt[JM_MCU_TC_DIGITS - 1 - i]);
        if (i == 3 || i == 5 || i == 7) c |= 0x40; /* the point after seconds, minutes, hours */
        d[i] = c;
    }
}

size_t jm_mcu_scribble(uint8_t *out, uint8_t dev, int offset, const char *text, int n)
{
    size_t k = 0;
    out[k++] = 0xF0;
    out[k++] = 0x00;
    out[k++] = 0x00;
    out[k++] = 0x66;
    out[k++] = dev;
    out[k++] = 0x12;
    out[k++] = (uint8_t)(offset & 0x7F);
    int ended = 0;
    for (int i = 0; i < n; i++) {
        unsigned char c = ended ? ' ' : (unsigned char)text[i];
        if (c == 0) { ended = 1; c = ' '; }
        out[k++] = (c >= 0x20 && c <= 0x7E) ? c : '?';
    }
    out[k++] = 0xF7;
    return k;
}

char *jm_mcu_fmt_db(char *dst, size_t size, float db)
{
    if (!(db > -89.95f)) {
        snprintf(dst, size, "-inf");
        return dst;
    }
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%+.1fdB", db);
    if (strlen(tmp) > 6) snprintf(tmp, sizeof tmp, "%+.1f", db); /* -12.5: no room for dB */
    snprintf(dst, size, "%s", tmp);
    return dst;
}

char *jm_mcu_fmt_pan(char *dst, size_t size, float pan)
{
    int pc = (int)lrintf(pan * 100.0f);
    if (pc == 0) snprintf(dst, size, "<C>");
    else if (pc < 0) snprintf(dst, size, "L%d", pc < -100 ? 100 : -pc);
    else snprintf(dst, size, "R%d", pc > 100 ? 100 : pc);
    return dst;
}

/* ---------------------------------------------------------- output -- */

static void send3(mcu_t *m, uint8_t a, uint8_t b, uint8_t c)
{
    uint8_t msg[3] = {a, b, c};
    m->h->send(m->h->ctx, msg, 3);
}

static void led(mcu_t *m, int note, int on)
{
    send3(m, 0x90, (uint8_t)note, on ? 0x7F : 0x00);
}

static int strip_of(const mcu_t *m, int ch)
{
    int s = m->bank + ch;
    return ch >= 0 && ch < NCH && s < m->n ? s : -1;
}

static float norm_of(const mcu_t *m, int param)
{
    const jm_surface_host_t *h = m->h;
    return jm_param_to_norm(h->params->p[param].def, h->value(h->ctx, param));
}

static void send_pb(mcu_t *m, int ch, float norm)
{
    uint16_t pb = jm_mcu_pb_from_norm(norm);
    send3(m, (uint8_t)(0xE0 | ch), pb & 0x7F, (uint8_t)(pb >> 7));
}

/* Channel ch's (or the master's) motor fader to the parameter's value. */
static void fader_out(mcu_t *m, int ch)
{
    if (m->touched[ch]) return; /* never fight the hand on the fader */
    int p;
    if (ch == MASTER) p = m->p_master;
    else {
        int s = strip_of(m, ch);
        p = s >= 0 ? m->p_fader[s] : -1;
    }
    send_pb(m, ch, p >= 0 ? norm_of(m, p) : 0.0f);
}

/* The parameter channel ch's V-Pot controls in the current mode, or -1. */
static int vpot_param(const mcu_t *m, int ch)
{
    int s = strip_of(m, ch);
    if (s < 0) return -1;
    if (m->mode == MODE_SEND) return m->nb > 0 ? m->p_send[s * m->nb + m->send_bus] : -1;
    return m->p_pan[s];
}

static void ring_out(mcu_t *m, int ch)
{
    int p = vpot_param(m, ch);
    uint8_t v = 0;
    if (p >= 0) {
        float f = norm_of(m, p);
        int pos = (int)lrintf(f * 10.0f);
        if (m->mode == MODE_SEND) /* mode 2 "wrap": fills from the left; off at -inf */
            v = (uint8_t)(0x20 | (f > 0.0f ? 1 + pos : 0));
        else                      /* mode 0 "single dot": 1 = hard left, 6 centre, 11 right */
            v = (uint8_t)(0x00 | (1 + pos));
    }
    send3(m, 0xB0, (uint8_t)(JM_MCU_CC_RING + ch), v);
}

/* Channel ch's text in the lower row: the fader value while touched, just
 * moved or selected, else the V-Pot's value. */
static void lower_text(const mcu_t *m, int ch, char *out, size_t size)
{
    int s = strip_of(m, ch);
    out[0] = 0;
    if (s < 0) return;
    const jm_surface_host_t *h = m->h;
    if ((m->touched[ch] || m->value_until[ch] > m->now || s == m->selected) && m->p_fader[s] >= 0) {
        jm_mcu_fmt_db(out, size, h->value(h->ctx, m->p_fader[s]));
        return;
    }
    int p = vpot_param(m, ch);
    if (p < 0) return;
    float v = h->value(h->ctx, p);
    if (m->mode == MODE_SEND) jm_mcu_fmt_db(out, size, v);
    else jm_mcu_fmt_pan(out, size, v);
}

static void lower_out(mcu_t *m, int ch, int force)
{
    char txt[32], cell[CELL + 1];
    lower_text(m, ch, txt, sizeof txt);
    snprintf(cell, sizeof cell, "%-7.7s", txt);
    if (!force && !strcmp(cell, m->lower[ch])) return;
    memcpy(m->lower[ch], cell, sizeof cell);
    uint8_t msg[CELL + 8];
    size_t len = jm_mcu_scribble(msg, m->dev, LOWER + ch * CELL, cell, CELL);
    m->h->send(m->h->ctx, msg, len);
}

/* The upper row: the 8 strips' names, 6 characters and a blank each. */
static void names_out(mcu_t *m)
{
    char row[LOWER + 1];
    memset(row, ' ', LOWER);
    row[LOWER] = 0;
    for (int ch = 0; ch < NCH; ch++) {
        int s = strip_of(m, ch);
        if (s < 0) continue;
        const char *name = m->h->strip_name(m->h->ctx, s);
        for (int i = 0; i < CELL - 1 && name && name[i]; i++) row[ch * CELL + i] = name[i];
    }
    uint8_t msg[LOWER + 8];
    size_t len = jm_mcu_scribble(msg, m->dev, 0, row, LOWER);
    m->h->send(m->h->ctx, msg, len);
}

static void buttons_out(mcu_t *m, int ch)
{
    int s = strip_of(m, ch);
    const jm_surface_host_t *h = m->h;
    led(m, JM_MCU_REC + ch, 0); /* no per-strip recording in jmixd: always dark */
    led(m, JM_MCU_SOLO + ch, s >= 0 && m->p_solo[s] >= 0 && h->value(h->ctx, m->p_solo[s]) > 0.5f);
    led(m, JM_MCU_MUTE + ch, s >= 0 && m->p_mute[s] >= 0 && h->value(h->ctx, m->p_mute[s]) > 0.5f);
    led(m, JM_MCU_SELECT + ch, s >= 0 && s == m->selected);
}

static void assign_out(mcu_t *m)
{
    led(m, JM_MCU_ASSIGN_PAN, m->mode == MODE_PAN);
    led(m, JM_MCU_ASSIGN_SEND, m->mode == MODE_SEND);
    /* the 2-digit display, right digit first: "PN" or the bus number */
    char two[3] = "PN";
    if (m->mode == MODE_SEND) {
        unsigned b = (unsigned)(m->send_bus + 1) % 100u;
        two[0] = b >= 10 ? (char)('0' + b / 10) : ' ';
        two[1] = (char)('0' + b % 10);
    }
    send3(m, 0xB0, JM_MCU_CC_ASSIGN, jm_mcu_7seg(two[1]));
    send3(m, 0xB0, JM_MCU_CC_ASSIGN + 1, jm_mcu_7seg(two[0]));
}

/* Everything that depends on the bank or the V-Pot mode. */
static void strips_out(mcu_t *m)
{
    m->bank_dirty = 0;
    names_out(m);
    for (int ch = 0; ch < NCH; ch++) {
        lower_out(m, ch, 1);
        fader_out(m, ch);
        ring_out(m, ch);
        buttons_out(m, ch);
        m->meter[ch] = -1;
    }
}

static void transport_out(mcu_t *m, int force)
{
    const jm_surface_host_t *h = m->h;
    uint32_t frame = 0;
    int r = h->transport ? h->transport(h->ctx, &frame) : -1;
    if (r < 0) frame = 0;
    if (force || r != m->rolling) {
        led(m, JM_MCU_PLAY, r == 1);
        led(m, JM_MCU_STOP, r == 0);
        m->rolling = r;
    }
    uint8_t d[JM_MCU_TC_DIGITS];
    jm_mcu_timecode(frame, h->rate ? h->rate(h->ctx) : 48000, d);
    for (int i = 0; i < JM_MCU_TC_DIGITS; i++) {
        if (!force && d[i] == m->tc[i]) continue;
        send3(m, 0xB0, (uint8_t)(JM_MCU_CC_TIMECODE + i), d[i]);
        m->tc[i] = d[i];
    }
}

static void full_state(mcu_t *m)
{
    strips_out(m);
    fader_out(m, MASTER);
    assign_out(m);
    led(m, JM_MCU_REWIND, 0);
    led(m, JM_MCU_FFWD, 0);
    transport_out(m, 1);
    m->last_full = m->now;
    m->full_pending = 0;
}

/* ------------------------------------------------------------ input -- */

static void set_bank(mcu_t *m, int bank)
{
    int max = m->n > NCH ? m->n - NCH : 0;
    if (bank > max) bank = max;
    if (bank < 0) bank = 0;
    if (bank == m->bank) return;
    /* a fader held through the bank change now touches another strip */
    for (int ch = 0; ch < NCH; ch++) {
        if (!m->touched[ch]) continue;
        int s = strip_of(m, ch), t = bank + ch < m->n ? bank + ch : -1;
        if (s >= 0 && m->p_fader[s] >= 0) m->h->touch(m->h->ctx, m->p_fader[s], 0);
        if (t >= 0 && m->p_fader[t] >= 0) m->h->touch(m->h->ctx, m->p_fader[t], 1);
    }
    m->bank = bank;
    for (int ch = 0; ch < NCH; ch++) m->value_until[ch] = 0;
    /* the surface shows the new strips at the end of this control turn: a
     * burst of bank presses costs one picture, not one each */
    m->bank_dirty = 1;
}

static void set_mode(mcu_t *m, int mode, int bus)
{
    if (mode == MODE_SEND && m->nb == 0) return; /* no buses: pan stays */
    m->mode = mode;
    m->send_bus = bus;
    assign_out(m);
    for (int ch = 0; ch < NCH; ch++) {
        ring_out(m, ch);
        lower_out(m, ch, 0);
    }
}

static void toggle(mcu_t *m, int param)
{
    if (param < 0) return;
    const jm_surface_host_t *h = m->h;
    h->set(h->ctx, param, h->value(h->ctx, param) > 0.5f ? 0.0f : 1.0f);
}

static void fader_touch(mcu_t *m, int ch, int on)
{
    if (m->touched[ch] == on) return;
    int p = ch == MASTER ? m->p_master : (strip_of(m, ch) >= 0 ? m->p_fader[strip_of(m, ch)] : -1);
    m->touched[ch] = on;
    if (p >= 0) m->h->touch(m->h->ctx, p, on);
    if (ch == MASTER) {
        if (!on) fader_out(m, ch); /* the released fader goes to the value it set */
        return;
    }
    if (!on) {
        m->value_until[ch] = m->now + VALUE_HOLD;
        fader_out(m, ch);
    }
    lower_out(m, ch, 0);
}

static void button(mcu_t *m, int note, int press)
{
    if (note >= JM_MCU_TOUCH && note <= JM_MCU_TOUCH + NCH) {
        fader_touch(m, note - JM_MCU_TOUCH, press);
        return;
    }
    if (note == JM_MCU_REWIND || note == JM_MCU_FFWD) led(m, note, press); /* lit while held */
    if (!press) return;
    const jm_surface_host_t *h = m->h;
    int ch = note & 7, s = strip_of(m, ch);
    switch (note & ~7) {
    case JM_MCU_REC: return; /* unmapped (docs/midi.md) */
    case JM_MCU_SOLO: if (s >= 0) toggle(m, m->p_solo[s]); return;
    case JM_MCU_MUTE: if (s >= 0) toggle(m, m->p_mute[s]); return;
    case JM_MCU_SELECT: {
        if (s < 0) return;
        int old = m->selected;
        m->selected = s == old ? -1 : s;
        for (int c = 0; c < NCH; c++) {
            int cs = strip_of(m, c);
            if (cs == old || cs == s) {
                led(m, JM_MCU_SELECT + c, cs == m->selected);
                lower_out(m, c, 0);
            }
        }
        return;
    }
    case JM_MCU_VPOT_PUSH: {
        int p = vpot_param(m, ch);
        if (p >= 0) h->set(h->ctx, p, 0.0f); /* pan: centre; send: 0 dB (unity) */
        return;
    }
    default: break;
    }
    switch (note) {
    case JM_MCU_ASSIGN_PAN: set_mode(m, MODE_PAN, m->send_bus); break;
    case JM_MCU_ASSIGN_SEND: /* first press: send mode; each further press: the next bus */
        set_mode(m, MODE_SEND, m->mode == MODE_SEND && m->nb > 0 ? (m->send_bus + 1) % m->nb : m->send_bus);
        break;
    case JM_MCU_BANK_LEFT: set_bank(m, m->bank - NCH); break;
    case JM_MCU_BANK_RIGHT: set_bank(m, m->bank + NCH); break;
    case JM_MCU_CHANNEL_LEFT: set_bank(m, m->bank - 1); break;
    case JM_MCU_CHANNEL_RIGHT: set_bank(m, m->bank + 1); break;
    case JM_MCU_PLAY: if (h->transport_start) h->transport_start(h->ctx); break;
    case JM_MCU_STOP: if (h->transport_stop) h->transport_stop(h->ctx); break;
    case JM_MCU_REWIND: if (h->transport_locate) h->transport_locate(h->ctx, 0); break;
    case JM_MCU_FFWD:
        if (h->transport_locate && h->transport) {
            uint32_t frame = 0;
            if (h->transport(h->ctx, &frame) >= 0) {
                uint64_t to = (uint64_t)frame + (uint64_t)FFWD_SECONDS * (h->rate ? h->rate(h->ctx) : 48000);
                h->transport_locate(h->ctx, to > UINT32_MAX ? UINT32_MAX : (uint32_t)to);
            }
        }
        break;
    default: break;
    }
    m->next_tc = 0; /* show the transport's new state at the next tick */
}

static void sysex(mcu_t *m, const uint8_t *b, size_t len)
{
    /* Universal non-realtime device inquiry reply F0 7E id 06 02 ...: a
     * surface announcing itself. */
    if (len >= 5 && b[1] == 0x7E && b[3] == 0x06 && b[4] == 0x02) {
        m->full_pending = 1;
        return;
    }
    if (len < 7 || b[1] != 0x00 || b[2] != 0x00 || b[3] != 0x66) return;
    uint8_t dev = b[4];
    if (dev != 0x10 && dev != 0x11 && dev != 0x14 && dev != 0x15) return;
    switch (b[5]) {
    case 0x01: /* host connection query (Logic Control: serial + challenge;
                  an MCU's "device ready" may be shorter) */
        m->dev = dev;
        if (len == 18) {
            uint8_t reply[18] = {0xF0, 0x00, 0x00, 0x66, dev, 0x02};
            memcpy(reply + 6, b + 6, 7);
            jm_mcu_challenge_response(b + 13, reply + 13);
            reply[17] = 0xF7;
            m->h->send(m->h->ctx, reply, sizeof reply);
        }
        m->full_pending = 1;
        break;
    case 0x03: /* host connection confirmation: online */
    case 0x06: /* "ready" of some Behringer firmwares (as Ardour treats it) */
        m->dev = dev;
        m->full_pending = 1;
        break;
    default: break;
    }
}

static void mcu_midi_in(void *drv, const uint8_t *b, size_t len)
{
    mcu_t *m = drv;
    if (len == 0) return;
    uint8_t st = b[0] & 0xF0, ch = b[0] & 0x0F;
    const jm_surface_host_t *h = m->h;
    if (b[0] == 0xF0) {
        sysex(m, b, len);
        return;
    }
    if (len < 3) return;
    switch (st) {
    case 0x90:
    case 0x80:
        button(m, b[1], st == 0x90 && b[2] != 0);
        break;
    case 0xE0: { /* fader: channels 1..8, 9 the master */
        if (ch > MASTER) return;
        int p = ch == MASTER ? m->p_master : (strip_of(m, ch) >= 0 ? m->p_fader[strip_of(m, ch)] : -1);
        if (p < 0) return;
        h->set_norm(h->ctx, p, jm_mcu_norm_from_pb((uint16_t)((b[1] & 0x7F) | (b[2] & 0x7F) << 7)));
        if (ch != MASTER) {
            m->value_until[ch] = m->now + VALUE_HOLD;
            lower_out(m, ch, 0);
        }
        break;
    }
    case 0xB0:
        if (b[1] >= JM_MCU_CC_VPOT && b[1] < JM_MCU_CC_VPOT + NCH) {
            int p = vpot_param(m, b[1] - JM_MCU_CC_VPOT);
            if (p < 0) return;
            float f = norm_of(m, p) + (float)jm_mcu_vpot_ticks(b[2]) * VPOT_STEP;
            h->set_norm(h->ctx, p, f < 0.0f ? 0.0f : f > 1.0f ? 1.0f : f);
        }
        break;
    default: break;
    }
}

/* --------------------------------------------------------- feedback -- */

static void mcu_param_changed(void *drv, int param, float value, unsigned flags)
{
    mcu_t *m = drv;
    (void)value;
    if (param < 0 || (size_t)param >= m->h->params->n) return;
    uint32_t r = m->rev[param];
    int kind = (int)(r >> 24), bus = (int)(r >> 12 & 0xFFF), s = (int)(r & 0xFFF);
    if (kind == K_NONE) return;
    if (kind == K_MASTER) {
        if (!(flags & JM_SURF_FROM_SELF)) fader_out(m, MASTER);
        return;
    }
    int ch = s - m->bank;
    if (ch < 0 || ch >= NCH) return;
    switch (kind) {
    case K_FADER:
        /* the surface's own move is where the fader already is */
        if (!(flags & JM_SURF_FROM_SELF)) fader_out(m, ch);
        lower_out(m, ch, 0);
        break;
    case K_PAN:
        if (m->mode == MODE_PAN) { ring_out(m, ch); lower_out(m, ch, 0); }
        break;
    case K_SEND:
        if (m->mode == MODE_SEND && bus == m->send_bus) { ring_out(m, ch); lower_out(m, ch, 0); }
        break;
    case K_MUTE: led(m, JM_MCU_MUTE + ch, value > 0.5f); break;
    case K_SOLO: led(m, JM_MCU_SOLO + ch, value > 0.5f); break;
    default: break;
    }
}

static void mcu_meters(void *drv, const float *peak, int n, const float master[2])
{
    mcu_t *m = drv;
    (void)master; /* the MCU has no master meter */
    for (int ch = 0; ch < NCH; ch++) {
        int s = strip_of(m, ch);
        int l = s >= 0 && s < n ? jm_mcu_meter_level(peak[s]) : 0;
        /* the surface decays a bar by itself: send a level while there is
         * one (it holds the bar up) and once when it drops to 0 */
        if (l == 0 && m->meter[ch] == 0) continue;
        uint8_t msg[2] = {0xD0, (uint8_t)(ch << 4 | l)}; /* channel pressure: one data byte */
        m->h->send(m->h->ctx, msg, sizeof msg);
        m->meter[ch] = l;
    }
}

static void mcu_tick(void *drv, double now)
{
    mcu_t *m = drv;
    m->now = now;
    if (m->full_pending && now - m->last_full >= FULL_MIN_GAP) full_state(m);
    if (m->bank_dirty) strips_out(m);
    for (int ch = 0; ch < NCH; ch++) {
        if (m->value_until[ch] != 0 && m->value_until[ch] <= now && !m->touched[ch]) {
            m->value_until[ch] = 0;
            lower_out(m, ch, 0);
        }
    }
    if (now >= m->next_tc) {
        transport_out(m, 0);
        m->next_tc = now + TC_PERIOD;
    }
}

static void mcu_resync(void *drv)
{
    mcu_t *m = drv;
    /* ask the surface who it is (its answer re-sends the state too) */
    uint8_t query[7] = {0xF0, 0x00, 0x00, 0x66, m->dev, 0x00, 0xF7};
    m->h->send(m->h->ctx, query, sizeof query);
    full_state(m);
}

/* ------------------------------------------------------- open / close -- */

static int find(const jm_paramset_t *ps, const char *fmt, int a, int b)
{
    char path[JM_PATH_MAX];
    snprintf(path, sizeof path, fmt, a, b);
    return jm_params_find(ps, path);
}

static void mcu_close(void *drv)
{
    mcu_t *m = drv;
    if (!m) return;
    free(m->p_fader);
    free(m->p_pan);
    free(m->p_mute);
    free(m->p_solo);
    free(m->p_send);
    free(m->rev);
    free(m);
}

static void mark(mcu_t *m, int param, int kind, int bus, int s)
{
    if (param >= 0) m->rev[param] = (uint32_t)kind << 24 | (uint32_t)bus << 12 | (uint32_t)s;
}

static void *mcu_open(const jm_surface_host_t *h)
{
    mcu_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->h = h;
    m->n = h->n_strips > 0xFFF ? 0xFFF : h->n_strips;
    m->nb = h->n_buses > 0xFFF ? 0xFFF : h->n_buses;
    size_t ns = (size_t)(m->n > 0 ? m->n : 1), nsb = ns * (size_t)(m->nb > 0 ? m->nb : 1);
    m->p_fader = malloc(ns * sizeof(int));
    m->p_pan = malloc(ns * sizeof(int));
    m->p_mute = malloc(ns * sizeof(int));
    m->p_solo = malloc(ns * sizeof(int));
    m->p_send = malloc(nsb * sizeof(int));
    m->rev = calloc(h->params->n ? h->params->n : 1, sizeof(uint32_t));
    if (!m->p_fader || !m->p_pan || !m->p_mute || !m->p_solo || !m->p_send || !m->rev) {
        mcu_close(m);
        return NULL;
    }
    for (int s = 0; s < m->n; s++) {
        mark(m, m->p_fader[s] = find(h->params, "/strip/%d/fader", s + 1, 0), K_FADER, 0, s);
        mark(m, m->p_pan[s] = find(h->params, "/strip/%d/pan", s + 1, 0), K_PAN, 0, s);
        mark(m, m->p_mute[s] = find(h->params, "/strip/%d/mute", s + 1, 0), K_MUTE, 0, s);
        mark(m, m->p_solo[s] = find(h->params, "/strip/%d/solo", s + 1, 0), K_SOLO, 0, s);
        for (int b = 0; b < m->nb; b++)
            mark(m, m->p_send[s * m->nb + b] = find(h->params, "/strip/%d/send/%d/level", s + 1, b + 1),
                 K_SEND, b, s);
    }
    m->p_master = jm_params_find(h->params, "/master/fader");
    mark(m, m->p_master, K_MASTER, 0, 0);
    m->selected = -1;
    m->mode = MODE_PAN;
    m->dev = 0x14;
    m->rolling = -2;
    m->last_full = -1e9;
    for (int ch = 0; ch < NCH; ch++) m->meter[ch] = -1;
    memset(m->tc, 0xFF, sizeof m->tc);
    mcu_resync(m);
    return m;
}

const jm_surface_ops_t jm_surface_mcu = {
    .name = "mcu",
    .open = mcu_open,
    .close = mcu_close,
    .midi_in = mcu_midi_in,
    .param_changed = mcu_param_changed,
    .meters = mcu_meters,
    .tick = mcu_tick,
    .resync = mcu_resync,
};
