// AVX-512 prefill tiles for Q4_K and Q6_K weights · Q8_K activations (see internal.h). Not yet written: the AVX2
// tiles in kernels.c run.
#include "internal.h"
#if defined(__x86_64__) || defined(_M_X64)
int r1c512_tile_q4_K(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys) {
    (void)w; (void)row_bytes; (void)rows; (void)x; (void)xs; (void)tokens; (void)nb; (void)y; (void)ys;
    return 0;
}
int r1c512_tile_q6_K(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys) {
    (void)w; (void)row_bytes; (void)rows; (void)x; (void)xs; (void)tokens; (void)nb; (void)y; (void)ys;
    return 0;
}
#endif
