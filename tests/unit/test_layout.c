/* Controller layouts (docs/cli.md): the .tosc inflates to well-formed lexml XML,
 * every OSC path in it is a parameter of the session (or a meter, loudness
 * or subscribe address), each strip has exactly one name label, pan, mute,
 * solo, fader and meter, and the Open Stage Control JSON is valid and
 * references the same paths. A performer's layout (--performer) carries
 * exactly the addresses that performer may use (jm_perm_param_ok for its
 * bus), its meters, and the login and subscription; an unknown performer
 * is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "jmixd/layout/layout.h"
#include "jmixd/osc/perm.h"
#include "jmixd/session/session.h"

#define N_STRIPS 11 /* two TouchOSC pages */
#define MAX_PATHS 1024
#define PATH_LEN (JM_PATH_MAX + 8)

typedef struct {
    char dir[64];
    char session_path[128];
    jm_session_t s;
    jm_layout_t l;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/jm_layout_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->session_path, sizeof f->session_path, "%s/s.cfg", f->dir);
    FILE *fp = fopen(f->session_path, "w");
    if (!fp) return -1;
    fprintf(fp, "osc = { port = 8123; };\nstrips = (\n");
    for (int i = 0; i < N_STRIPS; i++)
        fprintf(fp, "  { name = \"ch%c\"; fader = %d; mute = %s; pan = %s; }%s\n", 'a' + i,
                -i, i == 1 ? "true" : "false", i == 2 ? "-1.0" : "0.0",
                i + 1 < N_STRIPS ? "," : "");
    fprintf(fp, ");\nbuses = ( { name = \"verb\"; type = \"reverb\"; } );\n");
    fclose(fp);
    char err[JM_ERR_MAX];
    if (jm_session_load(&f->s, f->session_path, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (jm_layout_build(&f->l, &f->s, NULL, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[128];
    jm_layout_free(&f->l);
    jm_session_free(&f->s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd)) { /* best effort */ }
    free(f);
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    if (buf) buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* ------------------------------------------------- a minimal XML checker -- */

enum { ROLE_NAME, ROLE_PAN, ROLE_MUTE, ROLE_SOLO, ROLE_FADER, ROLE_METER, N_ROLES };
static const char *const role_names[N_ROLES] = {"name", "pan", "mute", "solo", "fader", "meter"};
static const char *const role_types[N_ROLES] = {"LABEL", "FADER", "BUTTON", "BUTTON", "FADER",
                                                "FADER"};

typedef struct {
    char tags[64][24];      /* open element stack */
    int depth;
    char node_type[32][16]; /* <node> stack: type attribute */
    char node_name[32][64];
    int nodes;
    char prop_key[64];
    int roots;
    char root_tag[24], root_version[8];
    int role_count[N_STRIPS + 1][N_ROLES];
    int role_type_ok;
    char paths[MAX_PATHS][PATH_LEN];
    int n_paths;
} xml_t;

static int top_is(const xml_t *x, int back, const char *tag)
{
    return x->depth - 1 - back >= 0 && !strcmp(x->tags[x->depth - 1 - back], tag);
}

static void on_text(xml_t *x, const char *t, size_t n)
{
    char s[256];
    snprintf(s, sizeof s, "%.*s", (int)n, t);
    if (top_is(x, 0, "key") && top_is(x, 1, "property")) {
        snprintf(x->prop_key, sizeof x->prop_key, "%.63s", s);
    } else if (top_is(x, 0, "value") && top_is(x, 1, "property") && top_is(x, 2, "properties") &&
               !strcmp(x->prop_key, "name") && x->nodes > 0) {
        snprintf(x->node_name[x->nodes - 1], sizeof x->node_name[0], "%.63s", s);
    } else if (top_is(x, 0, "value") && top_is(x, 1, "partial") && top_is(x, 2, "path") &&
               x->n_paths < MAX_PATHS) {
        snprintf(x->paths[x->n_paths++], PATH_LEN, "%.*s", PATH_LEN - 1, s);
    }
}

static void on_node_end(xml_t *x)
{
    int strip;
    char role[32];
    const char *name = x->node_name[x->nodes - 1];
    /* strip controls are s<N>_<role>; anything else (s1_mute_caption) is not one */
    if (sscanf(name, "s%d_%31s", &strip, role) == 2 && strip >= 1 && strip <= N_STRIPS)
        for (int r = 0; r < N_ROLES; r++)
            if (!strcmp(role, role_names[r])) {
                x->role_count[strip][r]++;
                if (strcmp(x->node_type[x->nodes - 1], role_types[r])) x->role_type_ok = 0;
            }
    x->nodes--;
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.' || c == ':';
}

/* Returns NULL when well formed, else the reason. */
static const char *xml_check(const char *s, size_t n, xml_t *x)
{
    const char *p = s, *end = s + n;
    if (strncmp(p, "<?xml ", 6)) return "no XML declaration";
    p = strstr(p, "?>");
    if (!p) return "unterminated declaration";
    p += 2;
    x->role_type_ok = 1;
    while (p < end) {
        if (!strncmp(p, "<![CDATA[", 9)) {
            const char *q = strstr(p + 9, "]]>");
            if (!q) return "unterminated CDATA";
            if (!x->depth) return "text outside the root";
            on_text(x, p + 9, (size_t)(q - p - 9));
            p = q + 3;
        } else if (!strncmp(p, "</", 2)) {
            const char *q = p + 2;
            while (q < end && is_name_char(*q)) q++;
            if (q == p + 2 || q >= end || *q != '>') return "bad end tag";
            if (!x->depth) return "end tag without start";
            if (strncmp(x->tags[x->depth - 1], p + 2, (size_t)(q - p - 2)) ||
                x->tags[x->depth - 1][q - p - 2])
                return "mismatched end tag";
            if (!strcmp(x->tags[x->depth - 1], "node")) on_node_end(x);
            x->depth--;
            p = q + 1;
        } else if (*p == '<') {
            const char *q = p + 1;
            while (q < end && is_name_char(*q)) q++;
            size_t tl = (size_t)(q - p - 1);
            if (!tl || tl >= sizeof x->tags[0]) return "bad start tag";
            if (x->depth == 0 && x->roots++) return "more than one root element";
            if (x->depth >= 64) return "too deep";
            snprintf(x->tags[x->depth], sizeof x->tags[0], "%.*s", (int)tl, p + 1);
            int is_node = !strcmp(x->tags[x->depth], "node");
            if (is_node) {
                if (x->nodes >= 32) return "nodes nested too deep";
                x->node_type[x->nodes][0] = x->node_name[x->nodes][0] = '\0';
                x->nodes++;
            }
            for (;;) { /* attributes: name='v' or name="v" */
                while (q < end && (*q == ' ' || *q == '\t' || *q == '\n')) q++;
                if (q >= end) return "unterminated start tag";
                if (*q == '>' || (*q == '/' && q + 1 < end && q[1] == '>')) break;
                const char *an = q;
                while (q < end && is_name_char(*q)) q++;
                if (q == an || q + 1 >= end || *q != '=' || (q[1] != '\'' && q[1] != '"'))
                    return "attribute not name=quoted value";
                size_t al = (size_t)(q - an);
                char quote = q[1];
                const char *v = q + 2, *ve = memchr(v, quote, (size_t)(end - v));
                if (!ve || memchr(v, '<', (size_t)(ve - v))) return "bad attribute value";
                if (is_node && al == 4 && !strncmp(an, "type", 4))
                    snprintf(x->node_type[x->nodes - 1], sizeof x->node_type[0], "%.*s",
                             (int)(ve - v), v);
                if (x->depth == 0 && al == 7 && !strncmp(an, "version", 7))
                    snprintf(x->root_version, sizeof x->root_version, "%.*s", (int)(ve - v), v);
                q = ve + 1;
            }
            if (x->depth == 0) snprintf(x->root_tag, sizeof x->root_tag, "%s", x->tags[0]);
            if (*q == '/') { /* empty element */
                if (is_node) on_node_end(x);
                p = q + 2;
            } else {
                x->depth++;
                p = q + 1;
            }
        } else {
            const char *q = memchr(p, '<', (size_t)(end - p));
            if (!q) q = end;
            for (const char *c = p; c < q; c++)
                if (*c == '&' && !memchr(c, ';', (size_t)(q - c))) return "bare &";
            if (!x->depth) {
                for (const char *c = p; c < q; c++)
                    if (*c != ' ' && *c != '\n' && *c != '\t' && *c != '\r')
                        return "text outside the root";
            } else {
                on_text(x, p, (size_t)(q - p));
            }
            p = q;
        }
    }
    if (x->depth) return "unclosed elements";
    if (x->roots != 1) return "no root element";
    return NULL;
}

/* ------------------------------------------------ a minimal JSON checker -- */

typedef struct {
    const char *p, *end;
    char paths[MAX_PATHS][PATH_LEN];
    int n_paths;
    int depth;
} json_t;

static void ws(json_t *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r'))
        j->p++;
}

static int jstring(json_t *j, char *out, size_t outlen)
{
    size_t k = 0;
    if (j->p >= j->end || *j->p != '"') return -1;
    for (j->p++; j->p < j->end && *j->p != '"'; j->p++) {
        char c = *j->p;
        if ((unsigned char)c < 0x20) return -1;
        if (c == '\\') {
            if (++j->p >= j->end || !strchr("\"\\/bfnrtu", *j->p)) return -1;
            if (*j->p == 'u') {
                for (int i = 0; i < 4; i++)
                    if (++j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p)) return -1;
                c = '?';
            } else {
                c = *j->p == 'n' ? '\n' : *j->p;
            }
        }
        if (out && k + 1 < outlen) out[k++] = c;
    }
    if (j->p >= j->end) return -1;
    j->p++;
    if (out) out[k] = '\0';
    return 0;
}

static int jvalue(json_t *j, const char *key);

static int jnumber(json_t *j)
{
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-') j->p++;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') return -1;
    if (*j->p == '0') j->p++;
    else while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9') return -1;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9') return -1;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
    }
    return j->p > s ? 0 : -1;
}

static int jvalue(json_t *j, const char *key)
{
    ws(j);
    if (j->p >= j->end || ++j->depth > 64) return -1;
    int rc = 0;
    if (*j->p == '{') {
        j->p++;
        ws(j);
        if (j->p < j->end && *j->p == '}') j->p++;
        else
            for (;;) {
                char k[64];
                ws(j);
                if (jstring(j, k, sizeof k)) return -1;
                ws(j);
                if (j->p >= j->end || *j->p++ != ':') return -1;
                if (jvalue(j, k)) return -1;
                ws(j);
                if (j->p < j->end && *j->p == ',') { j->p++; continue; }
                if (j->p < j->end && *j->p == '}') { j->p++; break; }
                return -1;
            }
    } else if (*j->p == '[') {
        j->p++;
        ws(j);
        if (j->p < j->end && *j->p == ']') j->p++;
        else
            for (;;) {
                if (jvalue(j, NULL)) return -1;
                ws(j);
                if (j->p < j->end && *j->p == ',') { j->p++; continue; }
                if (j->p < j->end && *j->p == ']') { j->p++; break; }
                return -1;
            }
    } else if (*j->p == '"') {
        char s[PATH_LEN * 4];
        if (jstring(j, s, sizeof s)) return -1;
        if (key && !strcmp(key, "address") && s[0] == '/' && strcmp(s, "/root") &&
            j->n_paths < MAX_PATHS)
            snprintf(j->paths[j->n_paths++], PATH_LEN, "%.*s", PATH_LEN - 1, s);
    } else if (!strncmp(j->p, "true", 4)) {
        j->p += 4;
    } else if (!strncmp(j->p, "false", 5)) {
        j->p += 5;
    } else if (!strncmp(j->p, "null", 4)) {
        j->p += 4;
    } else {
        rc = jnumber(j);
    }
    j->depth--;
    return rc;
}

/* ------------------------------------------------------------------ tests -- */

static int known_address(const jm_session_t *s, const char *path)
{
    char base[PATH_LEN];
    snprintf(base, sizeof base, "%s", path);
    size_t n = strlen(base);
    int norm = n > 5 && !strcmp(base + n - 5, "/norm");
    if (norm) base[n - 5] = '\0';
    int i = jm_params_find(&s->params, base);
    if (i >= 0) /* switches take 0/1 directly; continuous controls use /norm */
        return norm == !jm_param_is_bool(s->params.p[i].def);
    if (!strcmp(path, "/meter/master") || !strcmp(path, "/meter/loudness") ||
        !strcmp(path, "/subscribe") || !strcmp(path, "/subscribe/confirm"))
        return 1;
    int k;
    char tail;
    return sscanf(path, "/meter/strip/%d%c", &k, &tail) == 1 && k >= 1 && k <= s->n_strips;
}

static int contains(char (*list)[PATH_LEN], int n, const char *p)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i], p)) return 1;
    return 0;
}

static void test_model(void **state)
{
    fixture_t *f = *state;
    int count[N_STRIPS + 1][N_ROLES] = {{0}};
    assert_int_equal(f->l.n_strips, N_STRIPS);
    assert_int_equal(f->l.n_pages, 2);
    assert_int_equal(f->l.daemon_port, 8123);
    assert_int_equal(f->l.feedback_port, 9000);
    for (size_t i = 0; i < f->l.n; i++) {
        const jm_layout_ctl_t *c = &f->l.c[i];
        if (c->address[0]) assert_true(known_address(&f->s, c->address));
        if (c->kind <= JM_LC_METER) count[c->strip][c->kind]++;
        if (c->kind == JM_LC_FADER && c->strip == 1) {
            assert_string_equal(c->address, "/strip/1/fader/norm");
            assert_float_equal(c->value, 0.75f, 1e-6); /* 0 dB */
        }
        if (c->kind == JM_LC_MUTE && c->strip == 2) {
            assert_string_equal(c->address, "/strip/2/mute");
            assert_float_equal(c->value, 1.0f, 0);
        }
        if (c->kind == JM_LC_PAN && c->strip == 3) assert_float_equal(c->value, 0.0f, 1e-6);
        if (c->kind == JM_LC_PAN && c->strip == 1) assert_float_equal(c->value, 0.5f, 1e-6);
        if (c->kind == JM_LC_NAME && c->strip == 4) assert_string_equal(c->text, "chd");
    }
    for (int s = 1; s <= N_STRIPS; s++)
        for (int r = 0; r < N_ROLES; r++) assert_int_equal(count[s][r], 1);
}

static char *inflate_file(const char *path, size_t *out_len)
{
    size_t zlen;
    char *z = read_file(path, &zlen);
    if (!z) return NULL;
    uLongf cap = 1 << 16;
    for (;;) {
        char *out = malloc(cap + 1);
        if (!out) break;
        uLongf len = cap;
        int rc = uncompress((Bytef *)out, &len, (const Bytef *)z, (uLong)zlen);
        if (rc == Z_OK) {
            out[len] = '\0';
            *out_len = len;
            free(z);
            return out;
        }
        free(out);
        if (rc != Z_BUF_ERROR) break;
        cap *= 2;
    }
    free(z);
    return NULL;
}

static void test_touchosc(void **state)
{
    fixture_t *f = *state;
    char path[192], err[JM_ERR_MAX];
    snprintf(path, sizeof path, "%s/out.tosc", f->dir);
    assert_int_equal(jm_layout_write_touchosc(&f->l, path, err, sizeof err), 0);

    size_t len = 0;
    char *xml = inflate_file(path, &len);
    assert_non_null(xml); /* a zlib stream, not gzip */
    assert_int_equal(strlen(xml), len);

    xml_t *x = calloc(1, sizeof *x);
    assert_non_null(x);
    const char *why = xml_check(xml, len, x);
    if (why) fail_msg("not well-formed XML: %s", why);
    assert_string_equal(x->root_tag, "lexml");
    assert_string_equal(x->root_version, "6");
    assert_true(x->role_type_ok);
    for (int s = 1; s <= N_STRIPS; s++)
        for (int r = 0; r < N_ROLES; r++) {
            if (x->role_count[s][r] != 1)
                fail_msg("strip %d has %d %s controls", s, x->role_count[s][r], role_names[r]);
        }
    assert_true(x->n_paths > N_STRIPS * 5);
    for (int i = 0; i < x->n_paths; i++)
        if (!known_address(&f->s, x->paths[i])) fail_msg("unknown OSC path %s", x->paths[i]);
    assert_true(contains(x->paths, x->n_paths, "/master/fader/norm"));
    assert_true(contains(x->paths, x->n_paths, "/meter/loudness"));
    assert_true(contains(x->paths, x->n_paths, "/subscribe"));
    assert_true(contains(x->paths, x->n_paths, "/strip/11/solo"));

    /* the same document in memory */
    char *again = jm_layout_touchosc_xml(&f->l);
    assert_non_null(again);
    assert_string_equal(again, xml);
    free(again);

    /* the JSON references exactly the same set of addresses */
    snprintf(path, sizeof path, "%s/out.json", f->dir);
    assert_int_equal(jm_layout_write_osc(&f->l, path, err, sizeof err), 0);
    size_t jlen;
    char *text = read_file(path, &jlen);
    assert_non_null(text);
    json_t *j = calloc(1, sizeof *j);
    assert_non_null(j);
    j->p = text;
    j->end = text + jlen;
    assert_int_equal(jvalue(j, NULL), 0);
    ws(j);
    assert_true(j->p == j->end);
    assert_non_null(strstr(text, "\"createdWith\":\"Open Stage Control\""));
    assert_non_null(strstr(text, "\"type\":\"session\""));
    for (int i = 0; i < j->n_paths; i++) {
        if (!known_address(&f->s, j->paths[i])) fail_msg("JSON: unknown path %s", j->paths[i]);
        if (!contains(x->paths, x->n_paths, j->paths[i]))
            fail_msg("JSON path %s is not in the .tosc", j->paths[i]);
    }
    for (int i = 0; i < x->n_paths; i++)
        if (!contains(j->paths, j->n_paths, x->paths[i]))
            fail_msg(".tosc path %s is not in the JSON", x->paths[i]);
    free(j);
    free(text);
    free(x);
    free(xml);
}

static void test_write_error(void **state)
{
    fixture_t *f = *state;
    char err[JM_ERR_MAX] = "";
    assert_int_equal(jm_layout_write_touchosc(&f->l, "/nonexistent-dir/x.tosc", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "/nonexistent-dir/x.tosc"));
    assert_int_equal(jm_layout_write_osc(&f->l, "/nonexistent-dir/x.json", err, sizeof err), -1);
}

/* ---------------------------------------------------- a performer's mix -- */

/* 1 for an address a drummer's layout may hold: a parameter its bus's
 * performer may set (through /norm for continuous ones), the strip meters
 * and its own bus's meter, the login and the subscription. */
static int performer_address(const jm_session_t *s, int bus, const char *path)
{
    char base[PATH_LEN];
    snprintf(base, sizeof base, "%s", path);
    size_t n = strlen(base);
    int norm = n > 5 && !strcmp(base + n - 5, "/norm");
    if (norm) base[n - 5] = '\0';
    int i = jm_params_find(&s->params, base);
    if (i >= 0)
        return jm_perm_param_ok(&s->params.p[i], bus) &&
               norm == !jm_param_is_bool(s->params.p[i].def);
    int k;
    char tail;
    if (sscanf(path, "/meter/strip/%d%c", &k, &tail) == 1) return k >= 1 && k <= s->n_strips;
    if (sscanf(path, "/meter/bus/%d%c", &k, &tail) == 1) return k == bus + 1;
    return !strcmp(path, "/performer/login") || !strcmp(path, "/subscribe") ||
           !strcmp(path, "/subscribe/confirm");
}

static void test_performer(void **state)
{
    fixture_t *f = *state;
    char path[192], err[JM_ERR_MAX] = "";
    snprintf(path, sizeof path, "%s/perf.cfg", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "strips = ( { name = \"kick\"; }, { name = \"snare\"; fader = -5.0; },\n"
                "  { name = \"bass\"; } );\n"
                "buses = ( { name = \"verb\"; type = \"reverb\"; },\n"
                "  { name = \"drums\"; type = \"aux\"; channels = 2; fader = -6.0; },\n"
                "  { name = \"vox\"; type = \"aux\"; } );\n"
                "performers = ( { name = \"drummer\"; bus = \"drums\"; pin = \"4711\"; },\n"
                "  { name = \"singer\"; bus = \"vox\"; pin = \"1234\"; } );\n");
    fclose(fp);
    jm_session_t s;
    assert_int_equal(jm_session_load(&s, path, err, sizeof err), 0);

    /* an unknown performer: refused, with its name in the message */
    jm_layout_t l;
    jm_layout_opts_t o = {.performer = "drumer"};
    assert_int_equal(jm_layout_build(&l, &s, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "no performer 'drumer'"));
    assert_null(strchr(err, '\n'));

    o.performer = "drummer";
    assert_int_equal(jm_layout_build(&l, &s, &o, err, sizeof err), 0);
    assert_int_equal(l.bus, 2);
    assert_string_equal(l.login, "drummer");
    assert_string_equal(l.pin, "4711");
    int sends = 0, names = 0, meters = 0;
    for (size_t i = 0; i < l.n; i++) {
        const jm_layout_ctl_t *c = &l.c[i];
        if (c->address[0] && !performer_address(&s, 1, c->address))
            fail_msg("the drummer's layout holds %s", c->address);
        sends += c->kind == JM_LC_SEND;
        meters += c->kind == JM_LC_METER;
        if (c->kind == JM_LC_NAME) names++;
        if (c->kind == JM_LC_NAME && c->strip == 2) assert_string_equal(c->text, "snare");
        if (c->kind == JM_LC_SEND && c->strip == 2)
            assert_string_equal(c->address, "/strip/2/send/2/level/norm");
        if (c->kind == JM_LC_BUS_FADER) {
            assert_string_equal(c->address, "/bus/2/fader/norm");
            assert_float_equal(c->value, 0.6f, 1e-6); /* -6 dB on the X32 law */
        }
        if (c->kind == JM_LC_BUS_MUTE) assert_string_equal(c->address, "/bus/2/mute");
        if (c->kind == JM_LC_BUS_METER) assert_string_equal(c->address, "/meter/bus/2");
        assert_true(c->kind != JM_LC_FADER && c->kind != JM_LC_PAN && c->kind != JM_LC_MUTE &&
                    c->kind != JM_LC_SOLO && c->kind != JM_LC_MASTER_FADER &&
                    c->kind != JM_LC_MASTER_METER && c->kind != JM_LC_LOUDNESS);
    }
    assert_int_equal(sends, 3);
    assert_int_equal(names, 3);
    assert_int_equal(meters, 3);

    /* the .tosc: exactly the permitted addresses, the meters, login and
     * subscription, every one present; the login before the subscription */
    snprintf(path, sizeof path, "%s/perf.tosc", f->dir);
    assert_int_equal(jm_layout_write_touchosc(&l, path, err, sizeof err), 0);
    size_t len = 0;
    char *xml = inflate_file(path, &len);
    assert_non_null(xml);
    xml_t *x = calloc(1, sizeof *x);
    assert_non_null(x);
    const char *why = xml_check(xml, len, x);
    if (why) fail_msg("not well-formed XML: %s", why);
    static const char *const want[] = {
        "/strip/1/send/2/level/norm", "/strip/2/send/2/level/norm", "/strip/3/send/2/level/norm",
        "/bus/2/fader/norm", "/bus/2/mute", "/meter/strip/1", "/meter/strip/2",
        "/meter/strip/3", "/meter/bus/2", "/performer/login", "/subscribe",
        "/subscribe/confirm"};
    for (int i = 0; i < x->n_paths; i++)
        if (!performer_address(&s, 1, x->paths[i])) fail_msg(".tosc holds %s", x->paths[i]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!contains(x->paths, x->n_paths, want[i])) fail_msg(".tosc lacks %s", want[i]);
    const char *login = strstr(xml, "/performer/login"), *sub = strstr(xml, "[/subscribe]");
    assert_non_null(login);
    assert_non_null(sub);
    assert_true(login < sub);
    assert_non_null(strstr(xml, "<![CDATA[drummer]]>"));
    assert_non_null(strstr(xml, "<![CDATA[4711]]>"));
    assert_non_null(strstr(xml, "self.messages.OSC[2]:trigger()"));

    /* the Open Stage Control session: the same addresses (the login is in
     * its script, sent before each /subscribe) */
    snprintf(path, sizeof path, "%s/perf.json", f->dir);
    assert_int_equal(jm_layout_write_osc(&l, path, err, sizeof err), 0);
    size_t jlen;
    char *text = read_file(path, &jlen);
    assert_non_null(text);
    json_t *j = calloc(1, sizeof *j);
    assert_non_null(j);
    j->p = text;
    j->end = text + jlen;
    assert_int_equal(jvalue(j, NULL), 0);
    for (int i = 0; i < j->n_paths; i++) {
        if (!performer_address(&s, 1, j->paths[i])) fail_msg("JSON holds %s", j->paths[i]);
        if (!contains(x->paths, x->n_paths, j->paths[i]))
            fail_msg("JSON path %s is not in the .tosc", j->paths[i]);
    }
    for (int i = 0; i < x->n_paths; i++)
        if (strcmp(x->paths[i], "/performer/login") && !contains(j->paths, j->n_paths, x->paths[i]))
            fail_msg(".tosc path %s is not in the JSON", x->paths[i]);
    login = strstr(text, "send(jmixd, '/performer/login', {type: 's', value: 'drummer'}, "
                         "{type: 's', value: '4711'});");
    sub = strstr(text, "send(jmixd, '/subscribe'");
    assert_non_null(login);
    assert_non_null(sub);
    assert_true(login < sub);
    free(j);
    free(text);
    free(x);
    free(xml);
    jm_layout_free(&l);
    jm_session_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_touchosc),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_performer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
