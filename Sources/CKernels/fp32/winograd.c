// Winograd F(2×2, 3×3) convolution (Lavin & Gray 2016) for 3×3, stride 1, pad 1 layers over NHWC.
//
// Each 2×2 block of output ("tile") comes from the 4×4 input patch around it:
//   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,
// so the 36 multiplications per tile and channel pair of the direct convolution become 16. Summed
// over input channels, the ⊙ becomes 16 independent GEMMs per block of tiles — V_ξ (tiles × c_in) ·
// U_ξ (c_in × c_out) — run by qk_sgemm, and the transforms are adds and subtracts along the channel
// vector (compiled for AVX-512 and for any x86-64 by QK_MULTIVERSION). The tiles of a block are chosen
// so that V and M (16 × tiles × channels each) stay in L2 between the three stages.
//
// The sums run in a different order from the direct convolution's and the transforms round, so
// results differ from it in the last bits (about 1e-6 relative on unit-scale data); the tests bound it.
#include "CKernels.h"
#include <stddef.h>
#include "../common/multiversion.h"
#include "winograd_internal.h"

/// u (16·c_in·c_out, [ξ][ci][co]) = G g Gᵀ per channel pair, G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
/// vectorized along c_out.
QK_MULTIVERSION void qk_winograd_weights(const float *w, int c_in, int c_out, float *u) {
  const long plane = (long)c_in * c_out;
  for (int ci = 0; ci < c_in; ci++) {
    const float *g[9];
    for (int k = 0; k < 9; k++) g[k] = w + ((long)k * c_in + ci) * c_out;
    float *out = u + (long)ci * c_out;
#pragma clang loop vectorize(assume_safety)
    for (int co = 0; co < c_out; co++) {
      float t[4][3];
      for (int j = 0; j < 3; j++) {  // t = G g
        const float g0 = g[j][co], g1 = g[3 + j][co], g2 = g[6 + j][co];
        t[0][j] = g0;
        t[1][j] = 0.5f * (g0 + g1 + g2);
        t[2][j] = 0.5f * (g0 - g1 + g2);
        t[3][j] = g2;
      }
      for (int i = 0; i < 4; i++) {  // U = t Gᵀ
        out[(4 * i) * plane + co] = t[i][0];
        out[(4 * i + 1) * plane + co] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
        out[(4 * i + 2) * plane + co] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
        out[(4 * i + 3) * plane + co] = t[i][2];
      }
    }
  }
}

int qk_winograd_tile_block(int c_in, int c_out) {
  // V and M take 16·tiles·(c_in + c_out) floats: about 512 KB, half of a Zen 4/5 core's L2.
  const int budget = 8192;
  int tiles = budget / (c_in + c_out > 0 ? c_in + c_out : 1);
  if (tiles < 16) tiles = 16;
  if (tiles > 256) tiles = 256;
  return tiles;
}

int64_t qk_winograd_work_floats(int c_in, int c_out) {
  const int block = qk_winograd_tile_block(c_in, c_out);
  return (int64_t)16 * (qk_winograd_plane_stride(block, c_in) + qk_winograd_plane_stride(block, c_out)) + (c_in > c_out ? c_in : c_out);
}

QK_MULTIVERSION void qk_winograd_transform_input(const float *x, int h, int w, int c, int tiles_w, int tiles_per_image,
                                            long t0, int count, const float *zeros, float *v) {
  const long xi_stride = qk_winograd_plane_stride(count, c);
  for (int t = 0; t < count; t++) {
    const qk_winograd_tile at = qk_winograd_locate(t0 + t, tiles_w, tiles_per_image);
    const long image = at.image;
    const float *p[4][4];
    for (int r = 0; r < 4; r++) {
      const int ih = at.oy - 1 + r;
      for (int s = 0; s < 4; s++) {
        const int iw = at.ox - 1 + s;
        p[r][s] = (ih >= 0 && ih < h && iw >= 0 && iw < w) ? x + ((image * h + ih) * w + iw) * c : zeros;
      }
    }
    float *out = v + (long)t * c;
    // The patch rows and V never overlap: let the compiler vectorize along the channels.
#pragma clang loop vectorize(assume_safety)
    for (int ci = 0; ci < c; ci++) {
      float d[4][4], e[4][4];
      for (int r = 0; r < 4; r++)
        for (int s = 0; s < 4; s++) d[r][s] = p[r][s][ci];
      for (int s = 0; s < 4; s++) {  // e = Bᵀ d
        e[0][s] = d[0][s] - d[2][s];
        e[1][s] = d[1][s] + d[2][s];
        e[2][s] = d[2][s] - d[1][s];
        e[3][s] = d[1][s] - d[3][s];
      }
      for (int r = 0; r < 4; r++) {  // (Bᵀ d) B
        out[(4 * r + 0) * xi_stride + ci] = e[r][0] - e[r][2];
        out[(4 * r + 1) * xi_stride + ci] = e[r][1] + e[r][2];
        out[(4 * r + 2) * xi_stride + ci] = e[r][2] - e[r][1];
        out[(4 * r + 3) * xi_stride + ci] = e[r][1] - e[r][3];
      }
    }
  }
}

static inline float activate(float v, float cap) {
  if (cap < 0.0f) return v;
  v = v > 0.0f ? v : 0.0f;
  return (cap > 0.0f && v > cap) ? cap : v;
}

/// y (the tiles' 2×2 outputs, those inside the image) = act(Aᵀ M A + bias), Aᵀ = [1 1 1 0; 0 1 −1 −1].
QK_MULTIVERSION static void transform_output(const float *m, int h, int w, int c, int tiles_w, int tiles_per_image,
                                             long t0, int count, const float *bias, float relu_cap, float *y) {
  const long xi_stride = qk_winograd_plane_stride(count, c);
  for (int t = 0; t < count; t++) {
    const qk_winograd_tile at = qk_winograd_locate(t0 + t, tiles_w, tiles_per_image);
    const long image = at.image;
    const int oy = at.oy, ox = at.ox;
    const int rows = oy + 1 < h ? 2 : 1, cols = ox + 1 < w ? 2 : 1;
    float *y00 = y + ((image * h + oy) * w + ox) * c;
    float *y01 = y00 + c, *y10 = y00 + (long)w * c, *y11 = y10 + c;
    const float *in = m + (long)t * c;
#pragma clang loop vectorize(assume_safety)
    for (int co = 0; co < c; co++) {
      float q[4][4], s0[4], s1[4];
      for (int xi = 0; xi < 16; xi++) q[xi / 4][xi % 4] = in[xi * xi_stride + co];
      for (int j = 0; j < 4; j++) {  // Aᵀ q
        s0[j] = q[0][j] + q[1][j] + q[2][j];
        s1[j] = q[1][j] - q[2][j] - q[3][j];
      }
      const float b = bias[co];
      const float r00 = activate(s0[0] + s0[1] + s0[2] + b, relu_cap);
      const float r01 = activate(s0[1] - s0[2] - s0[3] + b, relu_cap);
      const float r10 = activate(s1[0] + s1[1] + s1[2] + b, relu_cap);
      const float r11 = activate(s1[1] - s1[2] - s1[3] + b, relu_cap);
      if (rows == 2 && cols == 2) {
        y00[co] = r00;
        y01[co] = r01;
        y10[co] = r10;
        y11[co] = r11;
      } else {
        y00[co] = r00;
        if (cols == 2) y01[co] = r01;
        if (rows == 2) y10[co] = r10;
      }
    }
  }
}

/// The adjoint (input gradient) convolves with the kernel turned by 180°, J g J (J reverses), and its
/// channels swapped. G·J = P·G with P swapping rows 0 and 3, so its transform is P U Pᵀ, transposed:
/// plane ξ = 4i + j of it is plane turned[ξ] = 4·p(i) + p(j) of U read as Uᵀ (p swaps 0 and 3).
static const int turned[16] = {15, 13, 14, 12, 7, 5, 6, 4, 11, 9, 10, 8, 3, 1, 2, 0};

/// y (n·h·w·c_y) from x (n·h·w·c_x) by the transformed filters u: U_ξ is c_x × c_y, or with `adjoint`
/// the layer's own u (c_y × c_x), read transposed from plane turned[ξ].
static void winograd(qk_variant variant, int adjoint, int n, int h, int w, int c_x, int c_y, const float *x,
                     const float *u, const float *bias, float relu_cap, float *y, float *work) {
  if (n <= 0 || h <= 0 || w <= 0 || c_y <= 0) return;
  const int tiles_w = (w + 1) / 2, tiles_h = (h + 1) / 2, tiles_per_image = tiles_w * tiles_h;
  const long total = (long)n * tiles_per_image, plane = (long)c_x * c_y;
  const int block = qk_winograd_tile_block(c_x, c_y);
  // The zero vector stands for the padding and for a missing bias.
  const int widest = c_x > c_y ? c_x : c_y;
  float *zeros = work, *v = work + widest;
  for (int c = 0; c < widest; c++) zeros[c] = 0.0f;
  for (long t0 = 0; t0 < total; t0 += block) {
    const int count = total - t0 < block ? (int)(total - t0) : block;
    const long v_stride = qk_winograd_plane_stride(count, c_x), m_stride = qk_winograd_plane_stride(count, c_y);
    float *m = v + 16 * v_stride;
    qk_winograd_transform_input(x, h, w, c_x, tiles_w, tiles_per_image, t0, count, zeros, v);
    for (int xi = 0; xi < 16; xi++) {
      if (adjoint) {
        qk_sgemm(variant, 0, 1, count, c_y, c_x, v + xi * v_stride, c_x, u + turned[xi] * plane, c_x, 0.0f,
                 m + xi * m_stride, c_y);
      } else {
        qk_sgemm(variant, 0, 0, count, c_y, c_x, v + xi * v_stride, c_x, u + xi * plane, c_y, 0.0f,
                 m + xi * m_stride, c_y);
      }
    }
    transform_output(m, h, w, c_y, tiles_w, tiles_per_image, t0, count, bias ? bias : zeros, relu_cap, y);
  }
}

void qk_winograd_conv3x3(qk_variant v, int n, int h, int w, int c_in, int c_out, const float *x, const float *u,
                         const float *bias, float relu_cap, float *y, float *work) {
  winograd(v, 0, n, h, w, c_in, c_out, x, u, bias, relu_cap, y, work);
}

void qk_winograd_conv3x3_adjoint(qk_variant v, int n, int h, int w, int c_in, int c_out, const float *dy,
                                 const float *u, float *dx, float *work) {
  winograd(v, 1, n, h, w, c_out, c_in, dy, u, NULL, -1.0f, dx, work);
}
