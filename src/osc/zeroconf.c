/* Zeroconf announcement of the OSC port (`_osc._udp`) through avahi-client,
 * on an AvahiThreadedPoll thread. Follows the pattern of Avahi's
 * client-publish-service example: one entry group, an alternative service
 * name on collision, and a fresh client (AVAHI_CLIENT_NO_FAIL) when the
 * daemon disconnects, so the service comes back after a daemon restart. */
#include "jmixd/osc/zeroconf.h"

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/thread-watch.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVICE_TYPE "_osc._udp"
#define MAX_RENAMES 32

struct jm_zeroconf {
    AvahiThreadedPoll *poll;    /* NULL: a handle that does nothing */
    AvahiClient *client;
    AvahiEntryGroup *group;
    char *name;                 /* avahi_malloc'd: alternatives come from Avahi */
    int port;
    char type[32];              /* "_osc._udp", "_oscjson._tcp" */
    int quiet_connecting;       /* the "waiting for the daemon" line was logged */
    const jm_log_t *log;
};

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *ud);

static void rename_service(jm_zeroconf_t *z)
{
    char *n = avahi_alternative_service_name(z->name);
    if (!n) return;
    avahi_free(z->name);
    z->name = n;
}

/* Add the service to the (empty) entry group and commit it. */
static void announce(jm_zeroconf_t *z, AvahiClient *c)
{
    if (!z->group) {
        z->group = avahi_entry_group_new(c, group_cb, z);
        if (!z->group) {
            jm_log(z->log, JM_LOG_ERROR, "zeroconf: cannot create an entry group: %s",
                   avahi_strerror(avahi_client_errno(c)));
            return;
        }
    }
    if (!avahi_entry_group_is_empty(z->group)) return;
    int r = AVAHI_ERR_COLLISION;
    for (int tries = 0; r == AVAHI_ERR_COLLISION && tries < MAX_RENAMES; tries++) {
        r = avahi_entry_group_add_service(z->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_INET, 0,
                                          z->name, z->type, NULL, NULL,
                                          (uint16_t)z->port, NULL);
        if (r == AVAHI_ERR_COLLISION) {
            char *old = avahi_strdup(z->name);
            rename_service(z);
            jm_log(z->log, JM_LOG_WARN, "zeroconf: service name \"%s\" is taken; using \"%s\"",
                   old ? old : "", z->name);
            avahi_free(old);
            avahi_entry_group_reset(z->group);
        }
    }
    if (r >= 0) r = avahi_entry_group_commit(z->group);
    if (r < 0)
        jm_log(z->log, JM_LOG_ERROR, "zeroconf: cannot announce %s \"%s\": %s", z->type,
               z->name, avahi_strerror(r));
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *ud)
{
    jm_zeroconf_t *z = ud;
    switch (state) {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
        jm_log(z->log, JM_LOG_INFO, "zeroconf: announced %s \"%s\" on port %d", z->type,
               z->name, z->port);
        break;
    case AVAHI_ENTRY_GROUP_COLLISION: {
        char *old = avahi_strdup(z->name);
        rename_service(z);
        jm_log(z->log, JM_LOG_WARN, "zeroconf: service name \"%s\" is taken; using \"%s\"",
               old ? old : "", z->name);
        avahi_free(old);
        avahi_entry_group_reset(g);
        announce(z, avahi_entry_group_get_client(g));
        break;
    }
    case AVAHI_ENTRY_GROUP_FAILURE:
        jm_log(z->log, JM_LOG_ERROR, "zeroconf: announcement failed: %s",
               avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))));
        break;
    case AVAHI_ENTRY_GROUP_UNCOMMITED:
    case AVAHI_ENTRY_GROUP_REGISTERING:
        break;
    }
}

static void client_cb(AvahiClient *c, AvahiClientState state, void *ud)
{
    jm_zeroconf_t *z = ud;
    switch (state) {
    case AVAHI_CLIENT_S_RUNNING:
        z->quiet_connecting = 0;
        announce(z, c);
        break;
    case AVAHI_CLIENT_S_COLLISION:   /* the host name is being changed: withdraw for now */
    case AVAHI_CLIENT_S_REGISTERING: /* re-announced when the client is running again */
        if (z->group) avahi_entry_group_reset(z->group);
        break;
    case AVAHI_CLIENT_CONNECTING:
        if (!z->quiet_connecting)
            jm_log(z->log, JM_LOG_INFO, "zeroconf: waiting for the Avahi daemon");
        z->quiet_connecting = 1;
        break;
    case AVAHI_CLIENT_FAILURE:
        if (avahi_client_errno(c) == AVAHI_ERR_DISCONNECTED && z->poll) {
            jm_log(z->log, JM_LOG_WARN, "zeroconf: the Avahi daemon went away; "
                                        "announcing again when it is back");
            z->group = NULL; /* freed with its client */
            avahi_client_free(c);
            z->client = NULL;
            z->quiet_connecting = 1;
            int err = 0;
            z->client = avahi_client_new(avahi_threaded_poll_get(z->poll), AVAHI_CLIENT_NO_FAIL,
                                         client_cb, z, &err);
            if (!z->client)
                jm_log(z->log, JM_LOG_ERROR, "zeroconf: cannot reconnect to Avahi: %s",
                       avahi_strerror(err));
        } else {
            jm_log(z->log, JM_LOG_ERROR, "zeroconf: Avahi client failure: %s",
                   avahi_strerror(avahi_client_errno(c)));
        }
        break;
    }
}

/* A DNS-SD instance name is one DNS label: at most 63 bytes, cut on a UTF-8
 * character boundary. */
static char *service_name(const char *name)
{
    if (!name || !name[0]) name = "jmixd";
    size_t n = strlen(name);
    if (n > 63) {
        n = 63;
        while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80) n--;
    }
    return avahi_strndup(name, n);
}

jm_zeroconf_t *jm_zeroconf_start(const char *name, int port, const jm_log_t *log)
{
    return jm_zeroconf_start_type(name, SERVICE_TYPE, port, log);
}

jm_zeroconf_t *jm_zeroconf_start_type(const char *name, const char *type, int port,
                                      const jm_log_t *log)
{
    jm_zeroconf_t *z = calloc(1, sizeof *z);
    if (!z) return NULL;
    z->log = log;
    z->port = port;
    snprintf(z->type, sizeof z->type, "%s", type);
    z->name = service_name(name);
    if (!z->name) {
        free(z);
        return NULL;
    }
    if (port < 1 || port > 65535) {
        jm_log(log, JM_LOG_WARN, "zeroconf: port %d cannot be announced", port);
        return z;
    }
    z->poll = avahi_threaded_poll_new();
    if (!z->poll) {
        jm_log(log, JM_LOG_WARN, "zeroconf: cannot start the Avahi thread; not announcing %s",
               z->type);
        return z;
    }
    int err = 0;
    z->client = avahi_client_new(avahi_threaded_poll_get(z->poll), 0, client_cb, z, &err);
    if (!z->client) {
        jm_log(log, JM_LOG_INFO, "zeroconf: no Avahi daemon (%s); not announcing %s",
               avahi_strerror(err), z->type);
        avahi_threaded_poll_free(z->poll);
        z->poll = NULL;
        return z;
    }
    if (avahi_threaded_poll_start(z->poll) < 0) {
        jm_log(log, JM_LOG_WARN, "zeroconf: cannot start the Avahi thread; not announcing %s",
               z->type);
        avahi_client_free(z->client);
        z->client = NULL;
        z->group = NULL;
        avahi_threaded_poll_free(z->poll);
        z->poll = NULL;
    }
    return z;
}

void jm_zeroconf_stop(jm_zeroconf_t *z)
{
    if (!z) return;
    if (z->poll) avahi_threaded_poll_stop(z->poll);
    if (z->client) avahi_client_free(z->client); /* also frees the group: withdrawn */
    if (z->poll) avahi_threaded_poll_free(z->poll);
    avahi_free(z->name);
    free(z);
}
