// A stride-1, one-group convolution over uint8 NHWC input without im2col: the image is padded once,
// after which output position (oy, ox) reads, for each kernel row ky, kernel·c_in consecutive bytes
// starting at ((oy + ky)·wp + ox)·c_in of the padded image (wp = w + 2·pad). Counting positions
// across the padded width (ox up to wp − 1), consecutive positions are c_in bytes apart all the way
// down the image, so the whole image is one GEMM whose A is read in place: k in `kernel` runs (one per
// kernel row, wp·c_in bytes apart). The kernel − 1 extra positions per row are computed and dropped.
// Lowering wrote kernel²·c_in bytes per position (9× the input) before the GEMM read them back;
// this writes nothing but the padded copy.
#include <string.h>
#include "CKernels.h"
#include "../common/cpu.h"
#include "int8_internal.h"

int qk_qconv_direct_supported(const qk_conv_shape *s) {
  return qk_cpu_has_avx512_vnni() && s->groups == 1 && s->stride == 1 && s->kernel >= 1 && s->c_in % 4 == 0 &&
         s->out_h == s->h + 2 * s->pad - s->kernel + 1 && s->out_w == s->w + 2 * s->pad - s->kernel + 1 &&
         s->out_h > 0 && s->out_w > 0;
}

/// Positions computed per image: every padded column of every output row but the last one's tail.
static long virtual_rows(const qk_conv_shape *s) {
  const long wp = s->w + 2 * s->pad;
  return (long)(s->out_h - 1) * wp + s->out_w;
}

int64_t qk_qconv_direct_scratch(const qk_conv_shape *s) {
  const long hp = s->h + 2 * s->pad, wp = s->w + 2 * s->pad;
  return hp * wp * s->c_in + virtual_rows(s) * s->c_out;
}

void qk_qconv_direct(const qk_conv_shape *s, const uint8_t *x, uint8_t pad_value, const int8_t *packed,
                     const qk_requant *rq, uint8_t *y, uint8_t *scratch) {
  const long hp = s->h + 2 * s->pad, wp = s->w + 2 * s->pad, cin = s->c_in, cout = s->c_out;
  const long image = (long)s->h * s->w * cin, rows = virtual_rows(s);
  const int k = s->kernel * s->kernel * s->c_in;
  uint8_t *padded = scratch, *wide = scratch + hp * wp * cin;
  // The border keeps the pad value; only the interior changes from image to image.
  if (s->pad > 0) memset(padded, pad_value, (size_t)(hp * wp * cin));
  for (int img = 0; img < s->n; img++) {
    const uint8_t *xi = x + img * image;
    for (int row = 0; row < s->h; row++)
      memcpy(padded + ((row + s->pad) * wp + s->pad) * cin, xi + (long)row * s->w * cin, (size_t)(s->w * cin));
    qk_qgemm_vnni_segmented((int)rows, (int)cout, k, s->kernel, wp * cin, padded, (int)cin, packed, rq, wide,
                            (int)cout);
    uint8_t *yi = y + (long)img * s->out_h * s->out_w * cout;
    for (int oy = 0; oy < s->out_h; oy++)
      memcpy(yi + (long)oy * s->out_w * cout, wide + oy * wp * cout, (size_t)(s->out_w * cout));
  }
}
