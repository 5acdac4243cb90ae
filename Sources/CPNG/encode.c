/* PNG encoding through libpng's classic API, into a growable memory buffer. */
#include "CPNG.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uint8_t *data;
  size_t size;
  size_t capacity;
  char error[160];
} encode_context;

static void on_encode_error(png_structp png, png_const_charp message) {
  encode_context *ctx = (encode_context *)png_get_error_ptr(png);
  snprintf(ctx->error, sizeof ctx->error, "%s", message ? message : "unknown libpng error");
  png_longjmp(png, 1);
}

static void on_encode_warning(png_structp png, png_const_charp message) {
  (void)png; (void)message; /* nothing we write should warn; ignore rather than print */
}

static void write_to_memory(png_structp png, png_bytep bytes, png_size_t length) {
  encode_context *ctx = (encode_context *)png_get_io_ptr(png);
  if (length > ctx->capacity - ctx->size) {
    size_t capacity = ctx->capacity ? ctx->capacity : 4096;
    while (capacity - ctx->size < length) capacity *= 2;
    uint8_t *grown = realloc(ctx->data, capacity);
    if (!grown) png_error(png, "out of memory while encoding");
    ctx->data = grown;
    ctx->capacity = capacity;
  }
  memcpy(ctx->data + ctx->size, bytes, length);
  ctx->size += length;
}

static void flush_nothing(png_structp png) { (void)png; }

/* Runs libpng; every setjmp of the encoder is in this frame. */
static int run_encoder(encode_context *ctx, const uint8_t *pixels, uint32_t width, uint32_t height,
                       int color_type, int channels, int level) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, ctx, on_encode_error, on_encode_warning);
  if (!png) { snprintf(ctx->error, sizeof ctx->error, "libpng could not start"); return QPNG_ERR_MEMORY; }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, NULL);
    snprintf(ctx->error, sizeof ctx->error, "libpng could not start");
    return QPNG_ERR_MEMORY;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return QPNG_ERR_CORRUPT;
  }
  png_set_write_fn(png, ctx, write_to_memory, flush_nothing);
  png_set_compression_level(png, level);
  png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  size_t stride = (size_t)width * (size_t)channels;
  for (uint32_t y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + y * stride));
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return QPNG_OK;
}

int qpng_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                int compression_level, uint8_t **out_data, size_t *out_size,
                char *message, size_t message_size) {
  *out_data = NULL;
  *out_size = 0;
  static const int color_types[5] = {-1, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                     PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  if (channels < 1 || channels > 4 || width == 0 || height == 0 || !pixels) {
    if (message && message_size) snprintf(message, message_size, "cannot encode a %u x %u image with %d channels", width, height, channels);
    return QPNG_ERR_IO;
  }
  if (compression_level < 0 || compression_level > 9) compression_level = 6;
  encode_context ctx;
  memset(&ctx, 0, sizeof ctx);
  int status = run_encoder(&ctx, pixels, width, height, color_types[channels], channels, compression_level);
  if (status != QPNG_OK) {
    free(ctx.data);
    if (message && message_size) snprintf(message, message_size, "%s", ctx.error);
    return status;
  }
  *out_data = ctx.data;
  *out_size = ctx.size;
  return QPNG_OK;
}
