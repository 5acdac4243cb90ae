// ReLU and ReLU6 (a capped ReLU), forward and backward.
#include "CKernels.h"
#include "../common/multiversion.h"

QK_MULTIVERSION void qk_relu_forward(const float *restrict x, int64_t count, float cap, float *restrict y) {
  if (cap > 0.0f) {
    for (int64_t i = 0; i < count; i++) { float v = x[i] > 0.0f ? x[i] : 0.0f; y[i] = v < cap ? v : cap; }
  } else {
    for (int64_t i = 0; i < count; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
  }
}

QK_MULTIVERSION void qk_relu_backward(const float *restrict dy, const float *restrict y, int64_t count, float cap,
                                      float *restrict dx) {
  if (cap > 0.0f) {
    for (int64_t i = 0; i < count; i++) { const float g = dy[i]; dx[i] = (y[i] > 0.0f && y[i] < cap) ? g : 0.0f; }
  } else {
    // dy is loaded unconditionally so the select vectorizes instead of branching on the data.
    for (int64_t i = 0; i < count; i++) { const float g = dy[i]; dx[i] = y[i] > 0.0f ? g : 0.0f; }
  }
}

// The fused epilogues of the inference path (FloatProgram): each is the training path's separate
// passes (bias, then ReLU; add, then ReLU) in one, with the same operations in the same order, so
// the results are bit-identical to running them one after another.
static inline float activate(float v, float cap) {
  if (cap < 0.0f) return v;
  v = v > 0.0f ? v : 0.0f;
  return (cap > 0.0f && v > cap) ? cap : v;
}

QK_MULTIVERSION void qk_bias_activation_rows(float *restrict y, int64_t rows, int cols, const float *restrict bias,
                                             float relu_cap) {
  for (int64_t r = 0; r < rows; r++) {
    float *restrict row = y + r * cols;
    for (int c = 0; c < cols; c++) row[c] = activate(row[c] + bias[c], relu_cap);
  }
}

QK_MULTIVERSION void qk_add_activation(const float *restrict a, const float *restrict b, int64_t count, float relu_cap,
                                       float *restrict y) {
  for (int64_t i = 0; i < count; i++) y[i] = activate(a[i] + b[i], relu_cap);
}

QK_MULTIVERSION void qk_affine_activation_rows(const float *restrict x, int64_t rows, int cols,
                                               const float *restrict scale, const float *restrict offset,
                                               float relu_cap, float *restrict y) {
  for (int64_t r = 0; r < rows; r++) {
    for (int c = 0; c < cols; c++) y[r * cols + c] = activate(x[r * cols + c] * scale[c] + offset[c], relu_cap);
  }
}
