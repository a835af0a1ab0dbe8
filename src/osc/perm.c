/* Performers: permissions, logins, wrong-PIN limit (include/jmixd/osc/perm.h). */
#include "jmixd/osc/perm.h"

#include <string.h>

void jm_perm_init(jm_perm_t *t)
{
    memset(t, 0, sizeof *t);
    for (int k = 0; k < JM_PERM_BINDINGS; k++) t->bind[k].performer = -1;
}

int jm_perm_pin_equal(const char *given, const char pin[JM_PIN_MAX])
{
    /* both NUL-padded to JM_PIN_MAX, then every byte compared */
    char g[JM_PIN_MAX] = {0};
    size_t n = strnlen(given, JM_PIN_MAX);
    unsigned diff = n >= JM_PIN_MAX; /* longer than any PIN */
    memcpy(g, given, n < JM_PIN_MAX ? n : JM_PIN_MAX - 1);
    volatile unsigned acc = diff;
    for (size_t k = 0; k < JM_PIN_MAX; k++) acc |= (unsigned)(unsigned char)(g[k] ^ pin[k]);
    return acc == 0 && pin[0] != '\0';
}

int jm_perm_lookup(const jm_perm_t *t, uint32_t ip, uint16_t port)
{
    for (int k = 0; k < JM_PERM_BINDINGS; k++) {
        const jm_perm_binding_t *b = &t->bind[k];
        if (b->performer >= 0 && b->ip == ip && b->port == port) return b->performer;
    }
    return -1;
}

void jm_perm_bind(jm_perm_t *t, uint32_t ip, uint16_t port, int performer)
{
    jm_perm_binding_t *slot = NULL;
    for (int k = 0; k < JM_PERM_BINDINGS && !slot; k++) {
        jm_perm_binding_t *b = &t->bind[k];
        if (b->performer >= 0 && b->ip == ip && b->port == port) slot = b;
    }
    for (int k = 0; k < JM_PERM_BINDINGS && !slot; k++)
        if (t->bind[k].performer < 0) slot = &t->bind[k];
    if (!slot) {
        slot = &t->bind[0];
        for (int k = 1; k < JM_PERM_BINDINGS; k++)
            if (t->bind[k].seq < slot->seq) slot = &t->bind[k];
    }
    *slot = (jm_perm_binding_t){.ip = ip, .port = port, .performer = (int16_t)performer,
                                .seq = ++t->seq};
}

int jm_perm_unbind(jm_perm_t *t, uint32_t ip, uint16_t port)
{
    for (int k = 0; k < JM_PERM_BINDINGS; k++) {
        jm_perm_binding_t *b = &t->bind[k];
        if (b->performer >= 0 && b->ip == ip && b->port == port) {
            int was = b->performer;
            b->performer = -1;
            return was;
        }
    }
    return -1;
}

/* The bucket of ip refilled to now, or NULL when ip has none. */
static jm_perm_tries_t *tries_of(jm_perm_t *t, uint32_t ip, double now)
{
    for (int k = 0; k < JM_PERM_TRY_SLOTS; k++) {
        jm_perm_tries_t *s = &t->tries[k];
        if (!s->used || s->ip != ip) continue;
        if (now > s->last) {
            s->tokens += (now - s->last) * (JM_PERM_TRIES / JM_PERM_TRY_SECONDS);
            if (s->tokens > JM_PERM_TRIES) s->tokens = JM_PERM_TRIES;
            s->last = now;
        }
        return s;
    }
    return NULL;
}

int jm_perm_may_try(jm_perm_t *t, uint32_t ip, double now)
{
    const jm_perm_tries_t *s = tries_of(t, ip, now);
    return !s || s->tokens >= 1.0;
}

void jm_perm_failed(jm_perm_t *t, uint32_t ip, double now)
{
    jm_perm_tries_t *s = tries_of(t, ip, now);
    if (!s) {
        /* a free slot, else the one with the most tries left (the least
         * to forget): a source keeps its count unless 64 others fail too */
        double best = -1.0;
        for (int k = 0; k < JM_PERM_TRY_SLOTS; k++) {
            jm_perm_tries_t *c = &t->tries[k];
            double left = JM_PERM_TRIES + 1.0; /* a free slot beats any */
            if (c->used) {
                left = c->tokens + (now > c->last ? (now - c->last) * (JM_PERM_TRIES / JM_PERM_TRY_SECONDS) : 0.0);
            }
            if (left > best) { best = left; s = c; }
        }
        *s = (jm_perm_tries_t){.ip = ip, .used = 1, .tokens = JM_PERM_TRIES, .last = now};
    }
    s->tokens -= 1.0;
}
