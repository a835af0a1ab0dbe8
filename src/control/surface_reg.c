/* The surface driver registry (include/jmixd/control/surface.h): one line
 * per `surface = "..."` word. The session loader (src/session/read_midi.c)
 * accepts the same words, listed there too: the session layer may not call
 * into this one. */
#include "jmixd/control/surface.h"
#include "jmixd/control/mcu.h"

#include <string.h>

typedef struct {
    const char *name;
    const jm_surface_ops_t *ops;
} jm_surface_entry_t;

static const jm_surface_entry_t registry[] = {
    {"generic", NULL},  /* the learn bindings alone (src/control/midilearn.c) */
    {"mcu", &jm_surface_mcu}, /* Mackie Control (src/control/mcu.c) */
};

int jm_surface_lookup(const char *name, const jm_surface_ops_t **ops)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++) {
        if (strcmp(registry[i].name, name) != 0) continue;
        if (ops) *ops = registry[i].ops;
        if (registry[i].ops || strcmp(name, "generic") == 0) return 1;
        return 0;
    }
    return -1;
}
