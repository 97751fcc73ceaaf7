// AVX-512 prefill tiles for Q8_0 and Q4_0 weights · Q8_0 activations and F16 weights · f32 activations (see
// internal.h). Not yet written: the AVX2 tiles in kernels.c and MatMul.f16Tile run.
#include "internal.h"
#if defined(__x86_64__) || defined(_M_X64)
int r1c512_tile_q8_0(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys) {
    (void)w; (void)row_bytes; (void)rows; (void)x; (void)xs; (void)tokens; (void)nb; (void)y; (void)ys;
    return 0;
}
int r1c512_tile_q4_0(const uint8_t *w, size_t row_bytes, int rows, const uint8_t *x, size_t xs, int tokens, int nb,
                     float *y, size_t ys) {
    (void)w; (void)row_bytes; (void)rows; (void)x; (void)xs; (void)tokens; (void)nb; (void)y; (void)ys;
    return 0;
}
int r1c512_f16_tile(const uint8_t *w, size_t row_bytes, int rows, const float *x, int tokens, int cols, float *y,
                    size_t ys) {
    (void)w; (void)row_bytes; (void)rows; (void)x; (void)tokens; (void)cols; (void)y; (void)ys;
    return 0;
}
#endif
