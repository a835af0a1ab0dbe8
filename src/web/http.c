/* HTTP: /ui (and / for a browser) is the page; / and every path below it is
 * the OSCQuery namespace; ?HOST_INFO and ?ATTRIBUTE as the proposal says.
 * A response body is built whole, then written in chunks as the socket
 * takes it. */
#include "web_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CHUNK 16384
#define BODY_MAX (64u << 20)    /* far above the largest possible namespace */
#define BODY_STALL_S 10         /* a reader that takes no chunk for this long is dropped */

void jm_web_http_done(jm_conn_t *c)
{
    if (!c) return;
    free(c->body);
    c->body = NULL;
    c->body_len = c->body_off = 0;
}

/* Send the headers; the body (LWS_PRE bytes of headroom, then len bytes,
 * owned by c from here) follows on writable callbacks. */
static int respond(struct lws *wsi, jm_conn_t *c, unsigned status, const char *type,
                   jm_text_t *body)
{
    unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start,
                                       *end = hdr + sizeof hdr - 1;
    size_t len = body && body->n > LWS_PRE ? body->n - LWS_PRE : 0;
    if (lws_add_http_common_headers(wsi, status, type, len, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)"no-store", 8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    if (!len) {
        if (body) jm_text_free(body);
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    c->body = jm_text_take(body);
    c->body_len = len;
    c->body_off = 0;
    /* the context's short timeout is for requests; a body may take longer */
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, BODY_STALL_S);
    lws_callback_on_writable(wsi);
    return 0;
}

int jm_web_http_refuse(struct lws *wsi, unsigned status)
{
    unsigned char buf[LWS_PRE + 128];
    int n = snprintf((char *)buf + LWS_PRE, sizeof buf - LWS_PRE,
                     "HTTP/1.1 %u %s\r\ncontent-length: 0\r\nconnection: close\r\n\r\n", status,
                     status == 421 ? "Misdirected Request" : "Forbidden");
    lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_HTTP_HEADERS);
    return -1;
}

static int respond_empty(struct lws *wsi, jm_conn_t *c, unsigned status)
{
    return respond(wsi, c, status, "text/plain", NULL);
}

/* The address this connection came in on (IPv4 text), "" when unknown. */
static void local_ip(struct lws *wsi, char *out, size_t cap)
{
    struct sockaddr_storage a;
    socklen_t al = sizeof a;
    out[0] = '\0';
    int fd = (int)lws_get_socket_fd(wsi);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&a, &al)) return;
    if (a.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&a)->sin_addr, out, (socklen_t)cap);
    else if (a.ss_family == AF_INET6) {
        const struct in6_addr *v6 = &((struct sockaddr_in6 *)&a)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(v6)) inet_ntop(AF_INET, &v6->s6_addr[12], out, (socklen_t)cap);
    }
}

static int wants_html(struct lws *wsi)
{
    char accept[512];
    if (lws_hdr_copy(wsi, accept, sizeof accept, WSI_TOKEN_HTTP_ACCEPT) <= 0) return 0;
    return strstr(accept, "text/html") != NULL;
}

int jm_web_http(jm_web_t *w, jm_conn_t *c, struct lws *wsi, const char *uri)
{
    jm_web_http_done(c);
    if (!jm_web_host_allowed(w, wsi)) {
        /* DNS rebinding: a foreign name that resolves to the console */
        w->refused.bad_host++;
        return jm_web_http_refuse(wsi, 421);
    }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0) return respond_empty(wsi, c, 405);
    char args[64] = "";
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) > 0 &&
        lws_hdr_copy_fragment(wsi, args, sizeof args, WSI_TOKEN_HTTP_URI_ARGS, 0) < 0)
        return respond_empty(wsi, c, 400);
    args[strcspn(args, "=")] = '\0'; /* "?VALUE" and "?VALUE=" alike */

    jm_text_t b = {.max = BODY_MAX};
    static const char pre[LWS_PRE];
    jm_text_put(&b, pre, LWS_PRE);
    if (!strcmp(uri, "/ui") || !strcmp(uri, "/ui/") ||
        (!strcmp(uri, "/") && !args[0] && wants_html(wsi))) {
        jm_text_put(&b, w->page, w->page_len);
        if (b.oom) return -1;
        return respond(wsi, c, 200, "text/html; charset=utf-8", &b);
    }
    if (!strncmp(uri, "/mix/", 5)) {
        int k = jm_web_mix_performer(w, uri);
        if (k < 0) {
            jm_text_free(&b);
            return respond_empty(wsi, c, 404);
        }
        jm_web_mix_page(w, k, &b);
        if (b.oom) return -1;
        return respond(wsi, c, 200, "text/html; charset=utf-8", &b);
    }
    if (!strcmp(args, "HOST_INFO")) {
        char ip[INET_ADDRSTRLEN];
        local_ip(wsi, ip, sizeof ip);
        jm_web_oq_host_info(w, &b, ip);
    } else {
        int n = jm_web_oq_find(w, uri);
        int status = n < 0 ? 404 : jm_web_oq_json(w, &b, n, args);
        if (status != 200) {
            jm_text_free(&b);
            return respond_empty(wsi, c, (unsigned)status);
        }
    }
    if (b.oom) {
        jm_text_free(&b);
        return respond_empty(wsi, c, 500);
    }
    return respond(wsi, c, 200, "application/json", &b);
}

int jm_web_http_writeable(jm_web_t *w, jm_conn_t *c, struct lws *wsi)
{
    (void)w;
    if (!c->body) return 0;
    size_t left = c->body_len - c->body_off, n = left > CHUNK ? CHUNK : left;
    int final = n == left;
    /* the LWS_PRE bytes before this chunk were sent already (or are the
     * headroom): lws may use them */
    unsigned char *at = (unsigned char *)c->body + LWS_PRE + c->body_off;
    if (lws_write(wsi, at, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)n) return -1;
    c->body_off += n;
    if (!final) {
        lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, BODY_STALL_S);
        lws_callback_on_writable(wsi);
        return 0;
    }
    jm_web_http_done(c);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}
