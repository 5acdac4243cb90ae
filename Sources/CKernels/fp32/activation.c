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
