/* The SIMD kernels, a template: simd.c includes this file once per
 * instruction set with
 *   SFX       the suffix of every name defined here (avx512, avx2, generic)
 *   ATTR      the function attribute selecting the instruction set (or empty)
 *   JM_K_AVX  1 when x86 AVX intrinsics (min/max) may be used.
 *
 * Every operation mirrors, lane by lane, the scalar reference in the same
 * order (the SVF step of biquad.c, jm_gate_run and jm_comp_run of
 * dynamics.c, mix/stage_faded/eq_band of chain.c, the gain stage of gain.c);
 * change them together. min/max follow the reference's `a < b ? a : b`,
 * which is exactly what minps/maxps compute. */

#define K(x) JM_SIMD_CAT(x, SFX)
#define KI static inline ATTR __attribute__((always_inline))

KI jm_vf K(ld)(const float *p)
{
    jm_vf v;
    memcpy(&v, p, sizeof v);
    return v;
}
KI void K(st)(float *p, jm_vf v) { memcpy(p, &v, sizeof v); }
KI jm_vi K(ldi)(const int32_t *p)
{
    jm_vi v;
    memcpy(&v, p, sizeof v);
    return v;
}
KI void K(sti)(int32_t *p, jm_vi v) { memcpy(p, &v, sizeof v); }
/* 8 flag bytes -> lane masks (-1 where nonzero) */
KI jm_vi K(ldb)(const uint8_t *p)
{
    jm_vb8 b;
    memcpy(&b, p, sizeof b);
    return __builtin_convertvector(b, jm_vi) != 0;
}
KI jm_vf K(bc)(float s) { return (jm_vf){s, s, s, s, s, s, s, s}; }
KI jm_vf K(sel)(jm_vi m, jm_vf a, jm_vf b) { return (jm_vf)((m & (jm_vi)a) | (~m & (jm_vi)b)); }
KI jm_vi K(seli)(jm_vi m, jm_vi a, jm_vi b) { return (m & a) | (~m & b); }
KI jm_vf K(abs)(jm_vf a) { return (jm_vf)((jm_vi)a & 0x7fffffff); }
#if JM_K_AVX
KI jm_vf K(max)(jm_vf a, jm_vf b) { return (jm_vf)_mm256_max_ps((__m256)a, (__m256)b); }
KI jm_vf K(min)(jm_vf a, jm_vf b) { return (jm_vf)_mm256_min_ps((__m256)a, (__m256)b); }
#else
KI jm_vf K(max)(jm_vf a, jm_vf b) { return K(sel)(a > b, a, b); }
KI jm_vf K(min)(jm_vf a, jm_vf b) { return K(sel)(a < b, a, b); }
#endif
/* |v| < FLUSH -> 0 (jm_bq_bank_run's flushf) */
KI jm_vf K(flush)(jm_vf v) { return (jm_vf)((jm_vi)v & ~(K(abs)(v) < FLUSH)); }

/* exp2_fast and log2_fast of dynamics.c */
KI jm_vf K(exp2)(jm_vf x)
{
    /* x < -126 ? -126 : x > 126 ? 126 : x (the same for every non-NaN x) */
    x = K(max)(K(min)(x, K(bc)(126.0f)), K(bc)(-126.0f));
    jm_vi i = __builtin_convertvector(x + 127.5f, jm_vi) - 127;
    jm_vf y = (x - __builtin_convertvector(i, jm_vf)) * 0.693147181f, y2 = y * y;
    jm_vf p = (1.0f + y) + y2 * ((0.5f + y * (1.0f / 6)) + y2 * (1.0f / 24 + y * (1.0f / 120)));
    return p * (jm_vf)((i + 127) << 23);
}

KI jm_vf K(log2)(jm_vf x)
{
    jm_vu u = (jm_vu)x;
    jm_vu top = (u - 0x3f3504f3u) & 0xff800000u;
    jm_vi k = (jm_vi)(top >> 23) - (jm_vi)((top >> 31) << 9);
    u -= top;
    jm_vf m = (jm_vf)u, z = (m - 1.0f) / (m + 1.0f), z2 = z * z;
    jm_vf ln = 2.0f * z * (1.0f + z2 * (1.0f / 3 + z2 * (1.0f / 5 + z2 * (1.0f / 7 + z2 * (1.0f / 9)))));
    return __builtin_convertvector(k, jm_vf) + ln * 1.44269504f;
}

/* ------------------------------------------------------------- chain -- */

/* One SVF lane set (SVF_STEP of biquad.c). mix: the output mix now and its
 * increment per sample (general runs glide it from p to m). */
typedef struct {
    jm_vf a1, a2, a3, m0, m1, m2, d0, d1, d2, s1, s2;
} K(svf_t);

enum { K(HPF), K(LS), K(PK), K(HS) };

KI void K(svf_load)(K(svf_t) *f, const jm_bq_bank_t *b, int l0, float inv, int general)
{
    f->a1 = K(ld)(b->a1 + l0), f->a2 = K(ld)(b->a2 + l0), f->a3 = K(ld)(b->a3 + l0);
    f->s1 = K(ld)(b->s1[0] + l0), f->s2 = K(ld)(b->s2[0] + l0);
    jm_vf t0 = K(ld)(b->m0 + l0), t1 = K(ld)(b->m1 + l0), t2 = K(ld)(b->m2 + l0);
    if (general) {
        f->m0 = K(ld)(b->p0[0] + l0), f->m1 = K(ld)(b->p1[0] + l0), f->m2 = K(ld)(b->p2[0] + l0);
        f->d0 = (t0 - f->m0) * inv, f->d1 = (t1 - f->m1) * inv, f->d2 = (t2 - f->m2) * inv;
    } else {
        f->m0 = t0, f->m1 = t1, f->m2 = t2;
    }
}

/* The mix terms known per type are skipped, with identical results: m0 is
 * exactly 1 for HPF, shelf-low and bell (1 x = x), m2 exactly -1 for HPF
 * (+ (-1) v2 = - v2) and exactly 0 for the bell (+ 0 v2 = + 0). */
KI jm_vf K(svf_step)(K(svf_t) *f, jm_vf x, int type, int general)
{
    if (general) {
        if (type == K(HS)) f->m0 += f->d0;
        f->m1 += f->d1;
        if (type == K(LS) || type == K(HS)) f->m2 += f->d2;
    }
    jm_vf s1 = f->s1, s2 = f->s2;
    jm_vf v3 = x - s2, v1 = f->a1 * s1 + f->a2 * v3, v2 = s2 + f->a2 * s1 + f->a3 * v3;
    f->s1 = 2.0f * v1 - s1;
    f->s2 = 2.0f * v2 - s2;
    switch (type) {
    case K(HPF): return (x + f->m1 * v1) - v2;
    case K(PK): return x + f->m1 * v1;
    case K(LS): return (x + f->m1 * v1) + f->m2 * v2;
    default: return (f->m0 * x + f->m1 * v1) + f->m2 * v2;
    }
}

KI void K(svf_store)(const K(svf_t) *f, jm_bq_bank_t *b, int l0, jm_vi keep, int general)
{
    K(st)(b->s1[0] + l0, (jm_vf)((jm_vi)f->s1 & keep));
    K(st)(b->s2[0] + l0, (jm_vf)((jm_vi)f->s2 & keep));
    if (general) {
        memcpy(b->p0[0] + l0, b->m0 + l0, 8 * sizeof(float));
        memcpy(b->p1[0] + l0, b->m1 + l0, 8 * sizeof(float));
        memcpy(b->p2[0] + l0, b->m2 + l0, 8 * sizeof(float));
    }
}

/* A stage's output: processed (on), crossfaded (fade: w += dw, then
 * dry + w (y - dry), as chain.c's mix), or dry. uni: every lane on. */
KI jm_vf K(stage_mix)(jm_vf y, jm_vf dry, jm_vi on, jm_vi fade, jm_vf *w, jm_vf dw, int general,
                      int uni)
{
    if (uni) return y;
    if (!general) return K(sel)(on, y, dry);
    *w += dw;
    return K(sel)(on, y, K(sel)(fade, dry + *w * (y - dry), dry));
}

/* Everything a group's chain run keeps in registers. */
typedef struct {
    K(svf_t) h, e[JM_EQ_BANDS];
    jm_vi live[JM_EQ_BANDS];
    jm_vf thr, floor, up, down, gg;
    jm_vi hold, left;
    jm_vi on[3], fade[3];
    jm_vf w[3], dw[3];
} K(run_t);

/* The filter/gate stages, one sample each (stage j of the skewed loop). */
KI jm_vf K(st_hpf)(K(run_t) *r, jm_vf in, int general, int uni)
{
    return K(stage_mix)(K(svf_step)(&r->h, in, K(HPF), general), in, r->on[0], r->fade[0], &r->w[0],
                        r->dw[0], general, uni);
}

KI jm_vf K(st_gate)(K(run_t) *r, jm_vf a, int general, int uni)
{
    jm_vf gg = r->gg; /* jm_gate_run */
    jm_vi above = K(abs)(a) >= r->thr, lpos = r->left > 0, open = above | lpos;
    r->left = K(seli)(above, r->hold, (r->left - 1) & lpos);
    jm_vf rise = K(min)(gg + r->up, K(sel)(open, K(bc)(1.0f), r->floor));
    jm_vf fall = K(max)(gg * r->down, r->floor);
    r->gg = gg = K(sel)(open | (gg < r->floor), rise, fall);
    return K(stage_mix)(a * gg, a, r->on[1], r->fade[1], &r->w[1], r->dw[1], general, uni);
}

/* EQ band b; a band that is not live passes its input */
KI jm_vf K(st_eq)(K(run_t) *r, int b, jm_vf x, int general, int uni)
{
    static const int type[JM_EQ_BANDS] = {K(LS), K(PK), K(PK), K(HS)};
    jm_vf y = K(svf_step)(&r->e[b], x, type[b], general);
    return uni ? y : K(sel)(r->live[b], y, x);
}

/* n samples of a group; general: one sub-block (n <= JM_CHAIN_SUB) as
 * planned by p, else settled (p unused) in sub-blocks of JM_CHAIN_SUB;
 * uni (settled only): every stage on and every band live in every lane. */
KI void K(chain_block)(jm_chain_t *c, int l0, const jm_chain_plan_t *p, jm_lanes_t *x, uint32_t n,
                       int general, int uni)
{
    const float inv = general ? 1.0f / (float)n : 0.0f;
    K(run_t) r;
    K(svf_load)(&r.h, &c->hpf, l0, inv, general);
    for (int b = 0; b < JM_EQ_BANDS; b++) {
        K(svf_load)(&r.e[b], &c->eq[b], l0, inv, general);
        r.live[b] = K(ldb)(c->eq_live[b] + l0);
    }
    const jm_gate_bank_t *gb = &c->gate;
    r.thr = K(ld)(gb->thr + l0), r.floor = K(ld)(gb->floor + l0);
    r.up = K(ld)(gb->up + l0), r.down = K(ld)(gb->down + l0);
    r.hold = K(ldi)(gb->hold + l0);
    r.gg = K(ld)(gb->g + l0);
    r.left = K(ldi)(gb->left + l0);

    const jm_comp_bank_t *cb = &c->comp;
    const jm_vf ka = K(ld)(cb->ka + l0), kr = K(ld)(cb->kr + l0);
    const jm_vf aa = K(ld)(cb->aa + l0), ar = K(ld)(cb->ar + l0);
    const jm_vf slope = K(ld)(cb->slope + l0);
    const jm_vf hw = 0.5f * K(max)(K(ld)(cb->knee + l0), K(bc)(1e-3f)), q = slope / (4.0f * hw);
    const jm_vf nhw = -hw;
    jm_vf t0 = K(ld)(cb->thr + l0), mk0 = K(ld)(cb->makeup + l0), dt = {0}, dm = {0};
    if (general) {
        jm_vf pt = K(ld)(cb->p_thr + l0), pm = K(ld)(cb->p_makeup + l0);
        dt = (t0 - pt) * inv, dm = (mk0 - pm) * inv;
        t0 = pt, mk0 = pm;
    }
    jm_vf y1 = K(ld)(cb->y1 + l0), yl = K(ld)(cb->yl + l0);

    for (int t = 0; t < 3; t++) {
        r.fade[t] = (jm_vi){0};
        r.w[t] = r.dw[t] = (jm_vf){0};
    }
    if (general) {
        for (int t = 0; t < 3; t++) {
            r.on[t] = K(ldi)(p->on[t]), r.fade[t] = K(ldi)(p->fade[t]);
            r.w[t] = K(ld)(p->w[t]), r.dw[t] = K(ld)(p->dw[t]);
        }
    } else {
        r.on[0] = K(ld)(c->cur[JM_CF_HPF_ON] + l0) >= 1.0f;
        r.on[1] = K(ld)(c->cur[JM_CF_GATE_ON] + l0) >= 1.0f;
        r.on[2] = K(ld)(c->cur[JM_CF_COMP_ON] + l0) >= 1.0f;
    }

    /* Per sub-block: the filters and the gate, skewed: in iteration `it`
     * stage j works on sample it - j, so the six recursions of an iteration
     * are independent and overlap (one sample through all six in a row is
     * a ~100-cycle dependency chain; that ran 2-3x slower). Each stage still
     * sees its samples in order and its input complete. Then the
     * compressor in two passes (levels; detector and gain), as jm_comp_run. */
    for (uint32_t o = 0; o < n; o += JM_CHAIN_SUB) {
        uint32_t m = n - o < JM_CHAIN_SUB ? n - o : JM_CHAIN_SUB, it = 0;
        jm_lanes_t *z = x + o;
        jm_vf c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0}, c4 = {0}; /* stage outputs, carried */
#define JM_K_SKEWED(it, guard)                                                                     \
    do {                                                                                           \
        if (!(guard) || (it) - 5 < m) K(st)(z[(it) - 5], K(st_eq)(&r, 3, c4, general, uni));        \
        if (!(guard) || (it) - 4 < m) c4 = K(st_eq)(&r, 2, c3, general, uni);                       \
        if (!(guard) || (it) - 3 < m) c3 = K(st_eq)(&r, 1, c2, general, uni);                       \
        if (!(guard) || (it) - 2 < m) c2 = K(st_eq)(&r, 0, c1, general, uni);                       \
        if (!(guard) || (it) - 1 < m) c1 = K(st_gate)(&r, c0, general, uni);                        \
        if (!(guard) || (it) < m) c0 = K(st_hpf)(&r, K(ld)(z[it]), general, uni);                   \
    } while (0)
        for (; it < 5; it++) JM_K_SKEWED(it, 1); /* filling */
        for (; it < m; it++) JM_K_SKEWED(it, 0); /* all six busy */
        for (; it < m + 5; it++) JM_K_SKEWED(it, 1); /* draining */
#undef JM_K_SKEWED
        r.h.s1 = K(flush)(r.h.s1), r.h.s2 = K(flush)(r.h.s2);
        for (int b = 0; b < JM_EQ_BANDS; b++) r.e[b].s1 = K(flush)(r.e[b].s1), r.e[b].s2 = K(flush)(r.e[b].s2);
        /* compressor: over-threshold levels (independent per sample) */
        jm_vf lv[JM_CHAIN_SUB];
        for (uint32_t k = 0; k < m; k++) {
            jm_vf b = K(ld)(z[k]), kk = K(bc)((float)(k + 1));
            jm_vf t = general ? t0 + dt * kk : t0;
            jm_vf xg = DB_PER_LOG2 * K(log2)(K(max)(K(abs)(b), K(bc)(FLOOR_LIN)));
            jm_vf d = xg - t, dk = K(min)(K(max)(d, nhw), hw) + hw;
            lv[k] = q * dk * dk + slope * K(max)(d - hw, K(bc)(0.0f));
        }
        /* detector (the only recursion), gain, crossfade */
        for (uint32_t k = 0; k < m; k++) {
            jm_vf b = K(ld)(z[k]), v = lv[k], kk = K(bc)((float)(k + 1));
            y1 = K(max)(v, ar * y1 + kr * v);
            yl = aa * yl + ka * y1;
            y1 = (jm_vf)((jm_vi)y1 & ~(y1 < FLUSH));
            yl = (jm_vf)((jm_vi)yl & ~(yl < FLUSH));
            jm_vf gdb = (general ? mk0 + dm * kk : mk0) - yl;
            jm_vf out = b * K(exp2)(gdb * LOG2_PER_DB);
            K(st)(z[k], K(stage_mix)(out, b, r.on[2], r.fade[2], &r.w[2], r.dw[2], general, uni));
        }
    }

    const jm_vi all = (jm_vi){0} == 0;
    K(svf_store)(&r.h, &c->hpf, l0, all, general);
    /* a band that is not live keeps its state clear, as if skipped */
    for (int b = 0; b < JM_EQ_BANDS; b++) K(svf_store)(&r.e[b], &c->eq[b], l0, r.live[b], general);
    K(st)(c->gate.g + l0, r.gg);
    K(sti)(c->gate.left + l0, r.left);
    K(st)(c->comp.y1 + l0, y1);
    K(st)(c->comp.yl + l0, yl);
    if (general) {
        memcpy(c->comp.p_thr + l0, c->comp.thr + l0, 8 * sizeof(float));
        memcpy(c->comp.p_makeup + l0, c->comp.makeup + l0, 8 * sizeof(float));
    }
}

static ATTR __attribute__((noinline)) void K(chain_general)(jm_chain_t *c, int l0,
                                                            const jm_chain_plan_t *p,
                                                            jm_lanes_t *x, uint32_t n)
{
    K(chain_block)(c, l0, p, x, n, 1, 0);
}

static ATTR __attribute__((noinline)) void K(chain_steady)(jm_chain_t *c, int l0, jm_lanes_t *x,
                                                           uint32_t n)
{
    K(chain_block)(c, l0, NULL, x, n, 0, 0);
}

static ATTR __attribute__((noinline)) void K(chain_uniform)(jm_chain_t *c, int l0, jm_lanes_t *x,
                                                            uint32_t n)
{
    K(chain_block)(c, l0, NULL, x, n, 0, 1);
}

/* Settled: every lane runs every stage (the common case) or not. */
KI int K(all_on)(const jm_chain_t *c, int l0)
{
    jm_vi on = (K(ld)(c->cur[JM_CF_HPF_ON] + l0) >= 1.0f) & (K(ld)(c->cur[JM_CF_GATE_ON] + l0) >= 1.0f) &
               (K(ld)(c->cur[JM_CF_COMP_ON] + l0) >= 1.0f);
    for (int b = 0; b < JM_EQ_BANDS; b++) on &= K(ldb)(c->eq_live[b] + l0);
    for (int j = 0; j < 8; j++)
        if (!on[j]) return 0;
    return 1;
}

static ATTR void K(chain8)(jm_chain_t *c, int l0, jm_lanes_t *x, uint32_t n)
{
    jm_chain_plan_t plan;
    for (uint32_t o = 0; o < n; o += JM_CHAIN_SUB) {
        uint32_t m = n - o < JM_CHAIN_SUB ? n - o : JM_CHAIN_SUB;
        if (!c->quiet[l0 >> 3] && jm_chain_group_prepare(c, l0, m, &plan)) {
            K(chain_general)(c, l0, &plan, x + o, m);
            jm_chain_group_finish(c, l0, &plan);
            continue;
        }
        /* settled from here on */
        if (K(all_on)(c, l0)) K(chain_uniform)(c, l0, x + o, n - o);
        else K(chain_steady)(c, l0, x + o, n - o);
        return;
    }
}

/* ------------------------------------------------------ interleaving -- */

KI void K(transpose)(jm_vf r[8])
{
    jm_vf t0 = __builtin_shufflevector(r[0], r[1], 0, 8, 1, 9, 4, 12, 5, 13);
    jm_vf t1 = __builtin_shufflevector(r[0], r[1], 2, 10, 3, 11, 6, 14, 7, 15);
    jm_vf t2 = __builtin_shufflevector(r[2], r[3], 0, 8, 1, 9, 4, 12, 5, 13);
    jm_vf t3 = __builtin_shufflevector(r[2], r[3], 2, 10, 3, 11, 6, 14, 7, 15);
    jm_vf t4 = __builtin_shufflevector(r[4], r[5], 0, 8, 1, 9, 4, 12, 5, 13);
    jm_vf t5 = __builtin_shufflevector(r[4], r[5], 2, 10, 3, 11, 6, 14, 7, 15);
    jm_vf t6 = __builtin_shufflevector(r[6], r[7], 0, 8, 1, 9, 4, 12, 5, 13);
    jm_vf t7 = __builtin_shufflevector(r[6], r[7], 2, 10, 3, 11, 6, 14, 7, 15);
    jm_vf s0 = __builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13);
    jm_vf s1 = __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
    jm_vf s2 = __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13);
    jm_vf s3 = __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
    jm_vf s4 = __builtin_shufflevector(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13);
    jm_vf s5 = __builtin_shufflevector(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15);
    jm_vf s6 = __builtin_shufflevector(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13);
    jm_vf s7 = __builtin_shufflevector(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15);
    r[0] = __builtin_shufflevector(s0, s4, 0, 1, 2, 3, 8, 9, 10, 11);
    r[1] = __builtin_shufflevector(s1, s5, 0, 1, 2, 3, 8, 9, 10, 11);
    r[2] = __builtin_shufflevector(s2, s6, 0, 1, 2, 3, 8, 9, 10, 11);
    r[3] = __builtin_shufflevector(s3, s7, 0, 1, 2, 3, 8, 9, 10, 11);
    r[4] = __builtin_shufflevector(s0, s4, 4, 5, 6, 7, 12, 13, 14, 15);
    r[5] = __builtin_shufflevector(s1, s5, 4, 5, 6, 7, 12, 13, 14, 15);
    r[6] = __builtin_shufflevector(s2, s6, 4, 5, 6, 7, 12, 13, 14, 15);
    r[7] = __builtin_shufflevector(s3, s7, 4, 5, 6, 7, 12, 13, 14, 15);
}

static ATTR void K(interleave8)(jm_lanes_t *x, const float *const src[8], const float gin[8],
                                uint32_t n)
{
    const float *s[8];
    for (int j = 0; j < 8; j++) s[j] = src[j] ? src[j] : jm_simd_zeros;
    const jm_vf g = K(ld)(gin);
    uint32_t k = 0;
    for (; k + 8 <= n; k += 8) {
        jm_vf r[8];
        for (int j = 0; j < 8; j++) r[j] = K(ld)(s[j] + k);
        K(transpose)(r);
        for (int i = 0; i < 8; i++) K(st)(x[k + i], r[i] * g);
    }
    for (; k < n; k++)
        for (int j = 0; j < 8; j++) x[k][j] = s[j][k] * gin[j];
}

static ATTR void K(deinterleave8)(float *const dst[8], const jm_lanes_t *x, uint32_t n)
{
    uint32_t k = 0;
    for (; k + 8 <= n; k += 8) {
        jm_vf r[8];
        for (int i = 0; i < 8; i++) r[i] = K(ld)(x[k + i]);
        K(transpose)(r);
        for (int j = 0; j < 8; j++) K(st)(dst[j] + k, r[j]);
    }
    for (; k < n; k++)
        for (int j = 0; j < 8; j++) dst[j][k] = x[k][j];
}

/* ------------------------------------------------------- gain stage -- */

/* q0, q1 += y^2 in double (the meter's sum of squares) */
KI void K(sumsq)(jm_vd *q0, jm_vd *q1, jm_vf y)
{
#if JM_K_AVX
    jm_vd lo = (jm_vd)_mm256_cvtps_pd(_mm256_castps256_ps128((__m256)y));
    jm_vd hi = (jm_vd)_mm256_cvtps_pd(_mm256_extractf128_ps((__m256)y, 1));
#else
    jm_vd lo = __builtin_convertvector(__builtin_shufflevector(y, y, 0, 1, 2, 3), jm_vd);
    jm_vd hi = __builtin_convertvector(__builtin_shufflevector(y, y, 4, 5, 6, 7), jm_vd);
#endif
    *q0 += lo * lo;
    *q1 += hi * hi;
}

/* taps: store pre/post; sends: add the sends; gin1/gm1: gin/gm are exactly
 * 1 (x 1 is exact, so skipping it changes nothing) */
KI void K(strip_out_body)(const float *src, float gin, float gm, float gf, float pl, float pr,
                          float *sum_l, float *sum_r, const jm_simd_send_t *send, int n_send,
                          float *pre, float *post, jm_meteracc_t *meter, uint32_t n, int taps,
                          int sends, int gin1, int gm1)
{
    jm_vf pk = {0};
    jm_vd q0 = {0}, q1 = {0};
    uint32_t k = 0;
    for (; k + 8 <= n; k += 8) {
        jm_vf x = K(ld)(src + k);
        if (!gin1) x *= gin;
        if (!gm1) x *= gm;
        jm_vf y = x * gf;
        if (taps) K(st)(pre + k, x), K(st)(post + k, y);
        pk = K(max)(K(abs)(y), pk);
        K(sumsq)(&q0, &q1, y);
        K(st)(sum_l + k, K(ld)(sum_l + k) + y * pl);
        K(st)(sum_r + k, K(ld)(sum_r + k) + y * pr);
        if (sends) {
            jm_vf xy = x - y;
            for (int b = 0; b < n_send; b++) {
                jm_vf v = send[b].g * (y + send[b].w * xy);
                K(st)(send[b].bus_l + k, K(ld)(send[b].bus_l + k) + v);
                K(st)(send[b].bus_r + k, K(ld)(send[b].bus_r + k) + v);
            }
        }
    }
    float peak = meter->peak;
    for (int j = 0; j < 8; j++)
        if (pk[j] > peak) peak = pk[j];
    jm_vd q = q0 + q1;
    double sq = meter->sumsq + ((q[0] + q[1]) + (q[2] + q[3]));
    for (; k < n; k++) {
        float x = src[k] * gin * gm, y = x * gf;
        if (taps) pre[k] = x, post[k] = y;
        float a = y < 0.0f ? -y : y;
        if (a > peak) peak = a;
        sq += (double)y * y;
        sum_l[k] += y * pl;
        sum_r[k] += y * pr;
        for (int b = 0; b < n_send; b++) {
            float v = send[b].g * (y + send[b].w * (x - y));
            send[b].bus_l[k] += v;
            send[b].bus_r[k] += v;
        }
    }
    meter->peak = peak;
    meter->sumsq = sq;
}

static ATTR void K(strip_out)(const float *src, float gin, float gm, float gf, float pl, float pr,
                              float *sum_l, float *sum_r, const jm_simd_send_t *send, int n_send,
                              float *pre, float *post, jm_meteracc_t *meter, uint32_t n)
{
#define JM_K_OUT(taps, sends, gin1, gm1)                                                           \
    K(strip_out_body)(src, gin, gm, gf, pl, pr, sum_l, sum_r, send, n_send, pre, post, meter, n,    \
                      taps, sends, gin1, gm1)
    if (pre) JM_K_OUT(1, 1, 0, 0);
    else if (n_send) {
        if (gm == 1.0f) JM_K_OUT(0, 1, 0, 1);
        else JM_K_OUT(0, 1, 0, 0);
    } else if (gm == 1.0f) {
        if (gin == 1.0f) JM_K_OUT(0, 0, 1, 1);
        else JM_K_OUT(0, 0, 0, 1);
    } else {
        JM_K_OUT(0, 0, 0, 0);
    }
#undef JM_K_OUT
}

static ATTR void K(send)(const float *pre, const float *post, float g, float w, float *bus_l,
                         float *bus_r, uint32_t n)
{
    uint32_t k = 0;
    for (; k + 8 <= n; k += 8) {
        jm_vf po = K(ld)(post + k), v = g * (po + w * (K(ld)(pre + k) - po));
        K(st)(bus_l + k, K(ld)(bus_l + k) + v);
        K(st)(bus_r + k, K(ld)(bus_r + k) + v);
    }
    for (; k < n; k++) {
        float v = g * (post[k] + w * (pre[k] - post[k]));
        bus_l[k] += v;
        bus_r[k] += v;
    }
}

static const jm_simd_ops_t K(ops) = {
    .level = JM_K_LEVEL,
    .name = JM_SIMD_STR(SFX),
    .chain8 = K(chain8),
    .interleave8 = K(interleave8),
    .deinterleave8 = K(deinterleave8),
    .strip_out = K(strip_out),
    .send = K(send),
};

#undef K
#undef KI
