// The vector body of flash attention over one KV head (attention.c), written once for a vector of VW floats and
// included twice: AVX2 (VW 8) and AVX-512 (VW 16). The includer defines:
//   ATT_TARGET (the target attribute), VF (the vector type), VW, ATT(name) (a per-ISA name),
//   vzero(), vset1(f), vload(p), vstore(p, v), vadd, vsub, vmul, vmax, vfma(a, b, c) (a·b + c), vhsum(v), vhsum4(a, b, c, d, out) (4 sums to out[0..3]), vhmax(v),
//   vld_f16(p) (VW halves), vld_i8(p) (VW signed bytes), vexp_fast(v) (e^v, v <= 0).
// Every row of a group is scored against VW elements of a K row at a time; the K element converts once for the
// group's rows (GQA: the query heads of one KV head share each K and V read); V is read once per d-block of the
// chunk, the rows' output accumulators held in registers across the chunk's positions.

/// One VW-wide slice [d, d + VW) of K/V row `p` of type `T` (F32, F16, Q8_0) as floats.
ATT_TARGET static inline __attribute__((always_inline)) VF ATT(ld_row)(int T, const uint8_t *p, int d) {
    if (T == R1C_F16) return vld_f16(p + 2 * d);
    if (T == R1C_F32) return vload((const float *)p + d);
    const uint8_t *b = p + 34 * (d / 32);  // Q8_0: {d: f16, qs: (32) int8}
    uint16_t h;
    memcpy(&h, b, 2);
    return vmul(vset1(_cvtsh_ss(h)), vld_i8(b + 2 + d % 32));
}

/// s[r * ATT_CH + j] = scale · q_r · k_j for G rows and positions [0, c), P positions at a time.
ATT_TARGET static inline __attribute__((always_inline)) void ATT(qk)(int T, int G, int P, const float *q, size_t qs,
                                                                    const uint8_t *k, size_t ks, int c, int hd,
                                                                    float scale, float *s) {
    int j = 0;
    const int A = (G * P + 3) / 4 * 4;  // accumulators, padded to whole groups of 4 for vhsum4
    for (; j + P <= c; j += P) {
        VF acc[8 * 4];
        for (int i = 0; i < A; i++) acc[i] = vzero();
        for (int d = 0; d < hd; d += VW) {
            VF kv[4];
            for (int p = 0; p < P; p++) kv[p] = ATT(ld_row)(T, k + (size_t)(j + p) * ks, d);
            for (int r = 0; r < G; r++) {
                const VF qv = vload(q + r * qs + d);
                for (int p = 0; p < P; p++) acc[r * P + p] = vfma(qv, kv[p], acc[r * P + p]);
            }
        }
        float sums[8 * 4];
        for (int i = 0; i < A; i += 4) vhsum4(acc[i], acc[i + 1], acc[i + 2], acc[i + 3], sums + i);
        for (int r = 0; r < G; r++)
            for (int p = 0; p < P; p++) s[r * ATT_CH + j + p] = scale * sums[r * P + p];
    }
    for (; j < c; j++) {  // the last positions, one at a time
        VF acc[8];
        for (int r = 0; r < G; r++) acc[r] = vzero();
        for (int d = 0; d < hd; d += VW) {
            const VF kv = ATT(ld_row)(T, k + (size_t)j * ks, d);
            for (int r = 0; r < G; r++) acc[r] = vfma(vload(q + r * qs + d), kv, acc[r]);
        }
        for (int r = 0; r < G; r++) s[r * ATT_CH + j] = scale * vhsum(acc[r]);
    }
}

/// acc_r[d] += Σ_j s[r * ATT_CH + j] · v_j[d] for G rows over positions [0, c), U vectors of d at a time.
ATT_TARGET static inline __attribute__((always_inline)) void ATT(pv)(int T, int G, int U, const float *s,
                                                                    const uint8_t *v, size_t vs, int c, int hd,
                                                                    float *acc, size_t as) {
    int d = 0;
    for (; d + U * VW <= hd; d += U * VW) {
        VF o[8 * 4];
        for (int r = 0; r < G; r++)
            for (int u = 0; u < U; u++) o[r * U + u] = vload(acc + r * as + d + u * VW);
        for (int j = 0; j < c; j++) {
            VF vv[4];
            for (int u = 0; u < U; u++) vv[u] = ATT(ld_row)(T, v + (size_t)j * vs, d + u * VW);
            for (int r = 0; r < G; r++) {
                const VF w = vset1(s[r * ATT_CH + j]);
                for (int u = 0; u < U; u++) o[r * U + u] = vfma(w, vv[u], o[r * U + u]);
            }
        }
        for (int r = 0; r < G; r++)
            for (int u = 0; u < U; u++) vstore(acc + r * as + d + u * VW, o[r * U + u]);
    }
    for (; d < hd; d += VW) {  // d-blocks past the last group of U
        VF o[8];
        for (int r = 0; r < G; r++) o[r] = vload(acc + r * as + d);
        for (int j = 0; j < c; j++) {
            const VF vv = ATT(ld_row)(T, v + (size_t)j * vs, d);
            for (int r = 0; r < G; r++) o[r] = vfma(vset1(s[r * ATT_CH + j]), vv, o[r]);
        }
        for (int r = 0; r < G; r++) vstore(acc + r * as + d, o[r]);
    }
}

/// Scores to weights for G rows of a chunk: the running max, l and acc rescaled, s[r][j] = e^(s - m).
ATT_TARGET static inline void ATT(softmax_step)(int G, int c, int hd, float *s, float *m, float *l, float *acc,
                                                size_t as) {
    for (int r = 0; r < G; r++) {
        float *sr = s + r * ATT_CH;
        VF mx = vset1(-INFINITY);
        int j = 0;
        for (; j + VW <= c; j += VW) mx = vmax(mx, vload(sr + j));
        float cm = vhmax(mx);
        for (; j < c; j++) cm = sr[j] > cm ? sr[j] : cm;
        const float mn = cm > m[r] ? cm : m[r];
        if (mn > m[r]) {
            const float alpha = m[r] == -INFINITY ? 0.0f : expf(m[r] - mn);
            l[r] *= alpha;
            const VF va = vset1(alpha);
            float *ar = acc + r * as;
            for (int d = 0; d < hd; d += VW) vstore(ar + d, vmul(va, vload(ar + d)));
            m[r] = mn;
        }
        const VF vm = vset1(mn);
        VF sum = vzero();
        j = 0;
        for (; j + VW <= c; j += VW) {
            const VF e = vexp_fast(vsub(vload(sr + j), vm));
            vstore(sr + j, e);
            sum = vadd(sum, e);
        }
        float ls = vhsum(sum);
        for (; j < c; j++) { sr[j] = expf(sr[j] - mn); ls += sr[j]; }
        l[r] += ls;
    }
}

#define ATT_GROUP(G, P, U)                                                                                             \
    ATT_TARGET static void ATT(group_##G)(int T, const float *q, size_t qs, const uint8_t *k, size_t ks,           \
                                          const uint8_t *v, size_t vs, int c, int hd, float scale, float *s,       \
                                          float *m, float *l, float *acc, size_t as) {                             \
        if (T == R1C_F16) {                                                                                        \
            ATT(qk)(R1C_F16, G, P, q, qs, k, ks, c, hd, scale, s);                                                 \
            ATT(softmax_step)(G, c, hd, s, m, l, acc, as);                                                         \
            ATT(pv)(R1C_F16, G, U, s, v, vs, c, hd, acc, as);                                                      \
        } else if (T == R1C_F32) {                                                                                 \
            ATT(qk)(R1C_F32, G, P, q, qs, k, ks, c, hd, scale, s);                                                 \
            ATT(softmax_step)(G, c, hd, s, m, l, acc, as);                                                         \
            ATT(pv)(R1C_F32, G, U, s, v, vs, c, hd, acc, as);                                                      \
        } else {                                                                                                   \
            ATT(qk)(R1C_Q8_0, G, P, q, qs, k, ks, c, hd, scale, s);                                                \
            ATT(softmax_step)(G, c, hd, s, m, l, acc, as);                                                         \
            ATT(pv)(R1C_Q8_0, G, U, s, v, vs, c, hd, acc, as);                                                     \
        }                                                                                                          \
    }
// (rows, positions scored at once, d-vectors accumulated at once): at most 12 accumulators on AVX2's 16 registers
ATT_GROUP(1, 4, 4)
ATT_GROUP(2, 4, 4)
ATT_GROUP(3, 4, 4)
ATT_GROUP(4, 2, 2)
ATT_GROUP(5, 2, 2)
ATT_GROUP(6, 2, 2)
ATT_GROUP(7, 1, 1)
ATT_GROUP(8, 1, 1)
#undef ATT_GROUP

/// The update over positions [0, n) for `rows` rows (state as in r1c_attn_update), chunks of ATT_CH positions,
/// rows in groups of at most 6 (the bodies for 7 and 8 rows are kept for callers that group differently).
ATT_TARGET static void ATT(update)(int T, int rows, int hd, float scale, const float *q, size_t qs, const uint8_t *k,
                                   size_t ks, const uint8_t *v, size_t vs, int n, float *m, float *l, float *acc) {
    float s[8 * ATT_CH] __attribute__((aligned(64)));
    const int groups = (rows + 5) / 6, per = (rows + groups - 1) / groups;  // groups of up to 6: 12 accumulators
    for (int j0 = 0; j0 < n; j0 += ATT_CH) {
        const int c = n - j0 < ATT_CH ? n - j0 : ATT_CH;
        const uint8_t *kc = k + (size_t)j0 * ks, *vc = v + (size_t)j0 * vs;
        for (int r0 = 0; r0 < rows; r0 += per) {
            const int g = rows - r0 < per ? rows - r0 : per;
            const float *qr = q + (size_t)r0 * qs;
            float *ar = acc + (size_t)r0 * hd;
            switch (g) {
            case 1: ATT(group_1)(T, qr, qs, kc, ks, vc, vs, c, hd, scale, s, m + r0, l + r0, ar, hd); break;
            case 2: ATT(group_2)(T, qr, qs, kc, ks, vc, vs, c, hd, scale, s, m + r0, l + r0, ar, hd); break;
            case 3: ATT(group_3)(T, qr, qs, kc, ks, vc, vs, c, hd, scale, s, m + r0, l + r0, ar, hd); break;
            case 4: ATT(group_4)(T, qr, qs, kc, ks, vc, vs, c, hd, scale, s, m + r0, l + r0, ar, hd); break;
            case 5: ATT(group_5)(T, qr, qs, kc, ks, vc, vs, c, hd, scale, s, m + r0, l + r0, ar, hd); break;
            case 6: ATT(group_6)(T, qr, qs, kc, ks, vc, vs, c, hd, scale, s, m + r0, l + r0, ar, hd); break;
            case 7: ATT(group_7)(T, qr, qs, kc, ks, vc, vs, c, hd, scale, s, m + r0, l + r0, ar, hd); break;
            default: ATT(group_8)(T, qr, qs, kc, ks, vc, vs, c, hd, scale, s, m + r0, l + r0, ar, hd); break;
            }
        }
    }
}
