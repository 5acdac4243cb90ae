// The weight gradient of Winograd F(2×2, 3×3) (fp32/winograd.c). The forward pass computes, per tile,
// Y = Aᵀ (U ⊙ V) A with U = G g Gᵀ and V = Bᵀ d B, so by the chain rule
//   dg = Gᵀ dU G,  dU_ξ[ci][co] = Σ over tiles of V_ξ[t][ci] · (A dY Aᵀ)_ξ[t][co]:
// the same input transform as the forward pass, a 2×2 → 4×4 transform of the output gradient, then
// 16 GEMMs that sum over the tiles (k = tiles) into dU, and one small transform back to 3×3 at the end.
// 16 products per tile and channel pair instead of the lowered weight gradient's 36, and no im2col.
#include "CKernels.h"
#include "../common/multiversion.h"
#include "winograd_internal.h"

/// Ŷ[ξ][t][co] = (A dY Aᵀ)[ξ] for the tiles [t0, t0 + count), A = [1 0; 1 1; 1 −1; 0 −1]. Outputs of a
/// tile that lie outside the image (odd sizes) were computed and dropped: their gradient is zero.
QK_MULTIVERSION static void transform_output_gradient(const float *dy, int h, int w, int c, int tiles_w,
                                                      int tiles_per_image, long t0, int count, const float *zeros,
                                                      float *out) {
  const long xi_stride = qk_winograd_plane_stride(count, c);
  for (int t = 0; t < count; t++) {
    const qk_winograd_tile at = qk_winograd_locate(t0 + t, tiles_w, tiles_per_image);
    const long image = at.image;
    const int oy = at.oy, ox = at.ox;
    const float *g00 = dy + ((image * h + oy) * w + ox) * c;
    const float *g01 = ox + 1 < w ? g00 + c : zeros;
    const float *g10 = oy + 1 < h ? g00 + (long)w * c : zeros;
    const float *g11 = ox + 1 < w && oy + 1 < h ? g00 + (long)(w + 1) * c : zeros;
    float *o = out + (long)t * c;
#pragma clang loop vectorize(assume_safety)
    for (int co = 0; co < c; co++) {
      const float a = g00[co], b = g01[co], p = g10[co], q = g11[co];
      // A dY: rows (a, b), (a + p, b + q), (a − p, b − q), (−p, −q); each row (u, v) times Aᵀ gives
      // (u, u + v, u − v, −v).
      const float rows[4][2] = {{a, b}, {a + p, b + q}, {a - p, b - q}, {-p, -q}};
      for (int i = 0; i < 4; i++) {
        const float u = rows[i][0], v = rows[i][1];
        o[(4 * i) * xi_stride + co] = u;
        o[(4 * i + 1) * xi_stride + co] = u + v;
        o[(4 * i + 2) * xi_stride + co] = u - v;
        o[(4 * i + 3) * xi_stride + co] = -v;
      }
    }
  }
}

/// dw[(kh·3 + kw)·c_in + ci][co] = (Gᵀ dU G)[kh][kw], Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1].
QK_MULTIVERSION static void transform_weight_gradient(const float *du, int c_in, int c_out, float *dw) {
  const long plane = (long)c_in * c_out;
  for (int ci = 0; ci < c_in; ci++) {
    const float *in = du + (long)ci * c_out;
    float *out = dw + (long)ci * c_out;
#pragma clang loop vectorize(assume_safety)
    for (int co = 0; co < c_out; co++) {
      float r[4][3];
      for (int i = 0; i < 4; i++) {  // dU G
        const float q0 = in[(4 * i) * plane + co], q1 = in[(4 * i + 1) * plane + co];
        const float q2 = in[(4 * i + 2) * plane + co], q3 = in[(4 * i + 3) * plane + co];
        r[i][0] = q0 + 0.5f * (q1 + q2);
        r[i][1] = 0.5f * (q1 - q2);
        r[i][2] = 0.5f * (q1 + q2) + q3;
      }
      for (int j = 0; j < 3; j++) {  // Gᵀ (dU G)
        out[(0 * 3 + j) * plane + co] = r[0][j] + 0.5f * (r[1][j] + r[2][j]);
        out[(1 * 3 + j) * plane + co] = 0.5f * (r[1][j] - r[2][j]);
        out[(2 * 3 + j) * plane + co] = 0.5f * (r[1][j] + r[2][j]) + r[3][j];
      }
    }
  }
}

int64_t qk_winograd_weight_gradient_work_floats(int c_in, int c_out) {
  return qk_winograd_work_floats(c_in, c_out) + (int64_t)16 * c_in * c_out;
}

void qk_winograd_conv3x3_weight_gradient(qk_variant variant, int n, int h, int w, int c_in, int c_out,
                                         const float *x, const float *dy, float *dw, float *work) {
  const long plane = (long)c_in * c_out;
  const int tiles_w = (w + 1) / 2, tiles_h = (h + 1) / 2, tiles_per_image = tiles_w * tiles_h;
  const long total = n > 0 && h > 0 && w > 0 ? (long)n * tiles_per_image : 0;
  if (total == 0) {
    for (long i = 0; i < 9 * plane; i++) dw[i] = 0.0f;
    return;
  }
  const int block = qk_winograd_tile_block(c_in, c_out);
  const int widest = c_in > c_out ? c_in : c_out;
  float *du = work, *zeros = work + 16 * plane, *v = zeros + widest;
  for (int c = 0; c < widest; c++) zeros[c] = 0.0f;
  for (long t0 = 0; t0 < total; t0 += block) {
    const int count = total - t0 < block ? (int)(total - t0) : block;
    const long v_stride = qk_winograd_plane_stride(count, c_in), g_stride = qk_winograd_plane_stride(count, c_out);
    float *g = v + 16 * v_stride;
    qk_winograd_transform_input(x, h, w, c_in, tiles_w, tiles_per_image, t0, count, zeros, v);
    transform_output_gradient(dy, h, w, c_out, tiles_w, tiles_per_image, t0, count, zeros, g);
    for (int xi = 0; xi < 16; xi++)
      qk_sgemm(variant, 1, 0, c_in, c_out, count, v + xi * v_stride, c_in, g + xi * g_stride, c_out,
               t0 > 0 ? 1.0f : 0.0f, du + xi * plane, c_out);
  }
  transform_weight_gradient(du, c_in, c_out, dw);
}
