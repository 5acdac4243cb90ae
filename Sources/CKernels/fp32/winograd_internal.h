// Internal: what fp32/winograd.c (forward and input gradient) shares with fp32/winograd_gradient.c
// (weight gradient).
#ifndef CKERNELS_WINOGRAD_INTERNAL_H
#define CKERNELS_WINOGRAD_INTERNAL_H

/// Floats from one ξ plane of V or M to the next. Planes are padded by one cache line: with a
/// power-of-two size, the 16 values of a tile would fall into the same L1 set and evict one another
/// (32→32 and 64→64 layers ran at under half the speed).
static inline long qk_winograd_plane_stride(int tiles, int channels) { return (long)tiles * channels + 16; }

/// Where tile `tile` of the batch sits (tiles numbered image by image, then row by row): its image
/// and the top-left output (oy, ox) of its 2×2 block.
typedef struct {
  long image;
  int oy, ox;
} qk_winograd_tile;

static inline qk_winograd_tile qk_winograd_locate(long tile, int tiles_w, int tiles_per_image) {
  const int within = (int)(tile % tiles_per_image);
  return (qk_winograd_tile){tile / tiles_per_image, 2 * (within / tiles_w), 2 * (within % tiles_w)};
}

/// V[ξ][t][ci] = (Bᵀ d B)[ξ] for the tiles [t0, t0 + count) of the batch, numbered image by image,
/// then row by row (tiles_w per row, tiles_per_image per image); planes qk_winograd_plane_stride apart.
/// Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]. Patch entries outside the image read the zero
/// vector `zeros` (the padding).
void qk_winograd_transform_input(const float *x, int h, int w, int c, int tiles_w, int tiles_per_image, long t0,
                                 int count, const float *zeros, float *v);

#endif
