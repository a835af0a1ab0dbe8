/* What the parser answers by itself: /error (rate-limited per peer, never
 * to the console's own sockets), direct replies, and requests posted to the
 * control thread. */
#include "osc_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

double jm_osc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The sender may be answered: not one of our own sockets (a spoofed
 * source would make the console talk to itself). */
int jm_osc_may_answer(const jm_osc_parser_t *p)
{
    return p->reply_fd >= 0 && !(p->self && jm_self_is(p->self, &p->src));
}

void jm_osc_reply_error(jm_osc_parser_t *p, const char *address, const char *reason)
{
    p->rejected++;
    if (!jm_osc_may_answer(p)) return;
    if (!jm_peerlimit_take(&p->errors, &p->src, jm_osc_now())) {
        p->suppressed++;
        return;
    }
    unsigned char buf[1024];
    lo_message m = lo_message_new();
    lo_message_add_string(m, address);
    lo_message_add_string(m, reason);
    size_t size = sizeof buf;
    if (lo_message_length(m, "/error") <= sizeof buf) {
        lo_message_serialise(m, "/error", buf, &size);
        sendto(p->reply_fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)&p->src, sizeof p->src);
    }
    lo_message_free(m);
}

void jm_osc_post(jm_osc_parser_t *p, jm_req_t *r)
{
    r->src = p->src;
    r->timetag = p->timetag;
    if (jm_queue_push(p->q, r)) p->posted++;
}

void jm_osc_post_simple(jm_osc_parser_t *p, int kind, const char *path)
{
    jm_req_t r = {.kind = (uint8_t)kind, .param = -1,
                  .counters = {p->denied, p->malformed, p->rejected, p->suppressed}};
    snprintf(r.path, sizeof r.path, "%s", path);
    jm_osc_post(p, &r);
}

void jm_osc_send_direct(jm_osc_parser_t *p, const char *path, lo_message m)
{
    unsigned char buf[1024];
    size_t size = sizeof buf;
    if (jm_osc_may_answer(p) && lo_message_length(m, path) <= sizeof buf) {
        lo_message_serialise(m, path, buf, &size);
        sendto(p->reply_fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)&p->src, sizeof p->src);
    }
    lo_message_free(m);
}
