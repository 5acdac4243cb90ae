// ReLU and ReLU6 (a capped ReLU), forward and backward.
#include "CKernels.h"

void qk_relu_forward(const float *x, int64_t count, float cap, float *y) {
  if (cap > 0.0f) {
    for (int64_t i = 0; i < count; i++) { float v = x[i] > 0.0f ? x[i] : 0.0f; y[i] = v < cap ? v : cap; }
  } else {
    for (int64_t i = 0; i < count; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
  }
}

void qk_relu_backward(const float *dy, const float *y, int64_t count, float cap, float *dx) {
  if (cap > 0.0f) {
    for (int64_t i = 0; i < count; i++) dx[i] = (y[i] > 0.0f && y[i] < cap) ? dy[i] : 0.0f;
  } else {
    for (int64_t i = 0; i < count; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
  }
}
