/* PNG decoding through libpng's classic API; see CPNG.h for the rules. */
#include "CPNG.h"
#include "internal.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Input read after the last row, at most: enough for the end of the IDAT stream, the chunks that
   may follow it and IEND in any ordinary file, so their checksums are still checked. A stream that
   goes on (an IDAT that inflates to gigabytes after the rows) or more chunks than this end the
   decoding there, with the image already complete. */
#define QPNG_TAIL_BYTES ((uint64_t)8 << 10)

/* Everything that must survive a longjmp lives here (not in locals of the setjmp frame). */
typedef struct {
  const uint8_t *data;   /* the bytes, when decoding from memory */
  size_t size;
  size_t position;
  int fd;                /* the file, when decoding from a file (-1 otherwise) */
  uint64_t consumed;     /* bytes handed to libpng so far */
  uint64_t max_bytes;    /* most bytes read before the rows are complete */
  uint64_t rows_done_at; /* `consumed` when the last row was decoded; 0 before */
  uint64_t rows_expected; /* rows libpng decodes, over all interlace passes */
  uint64_t rows_seen;
  int rows_done;
  int stopped_after_rows; /* decoding ended after the rows because the tail went on too long */
  int over_limit;         /* more than max_bytes before the rows were complete */
  char error[160];
  char warnings[160];
  uint8_t *rows;         /* the decoded rows before conversion */
  png_bytep *row_pointers;
} decode_context;

static void on_error(png_structp png, png_const_charp message) {
  decode_context *ctx = (decode_context *)png_get_error_ptr(png);
  snprintf(ctx->error, sizeof ctx->error, "%s", message ? message : "unknown libpng error");
  png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
  decode_context *ctx = (decode_context *)png_get_error_ptr(png);
  size_t used = strlen(ctx->warnings);
  if (used + 4 >= sizeof ctx->warnings || !message) return;
  snprintf(ctx->warnings + used, sizeof ctx->warnings - used, "%s%s", used ? "; " : "", message);
}

/* libpng's input: from memory or from the file, never past what the image needs. Before the rows
   are complete at most `max_bytes` are read; after them at most QPNG_TAIL_BYTES more. */
static void read_input(png_structp png, png_bytep into, png_size_t length) {
  decode_context *ctx = (decode_context *)png_get_io_ptr(png);
  if (ctx->rows_done && ctx->consumed + length - ctx->rows_done_at > QPNG_TAIL_BYTES) {
    ctx->stopped_after_rows = 1;
    png_longjmp(png, 1);
  }
  if (!ctx->rows_done && ctx->consumed + length > ctx->max_bytes) {
    snprintf(ctx->error, sizeof ctx->error,
             "the image data goes on past %llu MiB, the limit for one image",
             (unsigned long long)(ctx->max_bytes >> 20));
    ctx->over_limit = 1;
    png_longjmp(png, 1);
  }
  size_t got = 0;
  if (ctx->position < ctx->size) { /* the bytes in memory first (for a file: its header) */
    got = length < ctx->size - ctx->position ? length : ctx->size - ctx->position;
    memcpy(into, ctx->data + ctx->position, got);
    ctx->position += got;
  }
  while (got < length) {
    if (ctx->fd < 0) png_error(png, "unexpected end of file (the file is truncated)");
    ssize_t n = read(ctx->fd, into + got, length - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) png_error(png, "the file could not be read");
    if (n == 0) png_error(png, "unexpected end of file (the file is truncated)");
    got += (size_t)n;
  }
  ctx->consumed += length;
}

/* The rows libpng decodes from the data: `height` rows, or for Adam7 the rows of each pass that
   has any columns (a pass without columns is skipped, rows and all). */
static uint64_t data_rows(png_uint_32 width, png_uint_32 height, int interlaced) {
  if (!interlaced) return height;
  uint64_t rows = 0;
  for (int pass = 0; pass < 7; pass++) {
    if (PNG_PASS_COLS(width, pass) > 0) rows += PNG_PASS_ROWS(height, pass);
  }
  return rows;
}

/* Called by libpng for each decoded row, after its data is inflated and before libpng goes on:
   after the last one, libpng only checks the end of the data (png_read_finish_row inflates the
   rest of the stream there, which is where a stream that goes on would take its time). */
static void count_row(png_structp png, png_row_infop row_info, png_bytep data) {
  (void)row_info;
  (void)data;
  decode_context *ctx = (decode_context *)png_get_io_ptr(png);
  ctx->rows_seen++;
  if (ctx->rows_seen == ctx->rows_expected) {
    ctx->rows_done = 1;
    ctx->rows_done_at = ctx->consumed;
  }
}

qpng_limits qpng_default_limits(void) {
  qpng_limits limits = {16384, (uint64_t)1 << 26, (uint64_t)256 << 20};
  return limits;
}

const char *qpng_libpng_version(void) { return PNG_LIBPNG_VER_STRING; }

void qpng_free(void *pointer) { free(pointer); }

static int fail(qpng_image *out, int status, const char *message) {
  out->status = status;
  snprintf(out->message, sizeof out->message, "%s", message);
  return status;
}

static uint32_t big_endian_32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Refuses absurd dimensions from the IHDR bytes, before libpng allocates anything. */
static int check_header_size(const uint8_t *data, size_t size, qpng_limits limits, qpng_image *out) {
  if (size < 8 + 8 + 13 || memcmp(data + 12, "IHDR", 4) != 0) return QPNG_OK; /* libpng will say */
  uint32_t width = big_endian_32(data + 16), height = big_endian_32(data + 20);
  if (width > limits.max_side || height > limits.max_side ||
      (uint64_t)width * height > limits.max_pixels) {
    char message[160];
    snprintf(message, sizeof message,
             "the image is %u x %u pixels; the limit is %u on a side and %llu pixels in all",
             width, height, limits.max_side, (unsigned long long)limits.max_pixels);
    return fail(out, QPNG_ERR_TOO_LARGE, message);
  }
  return QPNG_OK;
}

/* Composites alpha over black and converts to the asked channel count. */
void qpng_convert_pixels(const uint8_t *src, int src_channels, uint8_t *dst, int dst_channels,
                         size_t pixel_count) {
  for (size_t i = 0; i < pixel_count; i++, src += src_channels, dst += dst_channels) {
    unsigned r, g, b;
    if (src_channels <= 2) {
      r = g = b = src[0];
    } else {
      r = src[0]; g = src[1]; b = src[2];
    }
    if (src_channels == 2 || src_channels == 4) {
      unsigned a = src[src_channels - 1];
      /* Exact rounding: v*a/255 is never exactly halfway, so +127 rounds to nearest. */
      r = (r * a + 127) / 255; g = (g * a + 127) / 255; b = (b * a + 127) / 255;
    }
    if (dst_channels == 1) {
      dst[0] = (src_channels <= 2) ? (uint8_t)r : (uint8_t)((299 * r + 587 * g + 114 * b + 500) / 1000);
    } else {
      dst[0] = (uint8_t)r; dst[1] = (uint8_t)g; dst[2] = (uint8_t)b;
    }
  }
}

/* True when every palette entry is gray, so AUTO can give one channel. */
static int palette_is_gray(png_structp png, png_infop info) {
  png_colorp palette = NULL;
  int count = 0;
  if (png_get_PLTE(png, info, &palette, &count) == 0 || !palette) return 0;
  for (int i = 0; i < count; i++) {
    if (palette[i].red != palette[i].green || palette[i].green != palette[i].blue) return 0;
  }
  return 1;
}

/* The libpng part: every setjmp is here. Returns QPNG_OK with ctx->rows filled. */
static int run_libpng(decode_context *ctx, int want, qpng_limits limits, qpng_image *out,
                      int *src_channels) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, on_error, on_warning);
  if (!png) return fail(out, QPNG_ERR_MEMORY, "libpng could not start (out of memory)");
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, NULL, NULL);
    return fail(out, QPNG_ERR_MEMORY, "libpng could not start (out of memory)");
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, NULL);
    if (ctx->stopped_after_rows) return QPNG_OK; /* the rows are all there */
    if (ctx->over_limit) return fail(out, QPNG_ERR_TOO_LARGE, ctx->error);
    char message[sizeof out->message];
    if (ctx->warnings[0]) {
      snprintf(message, sizeof message, "%s (libpng: %s)", ctx->error, ctx->warnings);
    } else {
      snprintf(message, sizeof message, "%s", ctx->error);
    }
    return fail(out, QPNG_ERR_CORRUPT, message);
  }
  png_set_read_fn(png, ctx, read_input);
  png_set_user_limits(png, limits.max_side, limits.max_side);
  png_set_chunk_malloc_max(png, 8u << 20); /* no zTXt/iCCP bombs */

  png_read_info(png, info);
  png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
  int color_type = png_get_color_type(png, info), bit_depth = png_get_bit_depth(png, info);
  out->width = width; out->height = height;
  out->color_type = color_type; out->bit_depth = bit_depth;
  out->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;

  int gray_source = (color_type & PNG_COLOR_MASK_COLOR) == 0 ||
                    (color_type == PNG_COLOR_TYPE_PALETTE && palette_is_gray(png, info));
  out->channels = want == QPNG_AUTO ? (gray_source ? 1 : 3) : want;

  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  if (bit_depth == 16) png_set_strip_16(png); /* keeps the high byte */
  png_set_interlace_handling(png);
  png_set_read_user_transform_fn(png, count_row); /* changes nothing, counts the rows */
  ctx->rows_expected = data_rows(width, height, out->interlaced);
  png_read_update_info(png, info);

  *src_channels = png_get_channels(png, info);
  size_t row_bytes = png_get_rowbytes(png, info);
  if (row_bytes != (size_t)width * (size_t)*src_channels) png_error(png, "unexpected row layout");
  /* +1: a zero-size malloc may return NULL. When no conversion is needed the rows are decoded
     straight into the caller's buffer (most datasets: 8-bit gray or RGB without alpha). */
  ctx->rows = malloc(row_bytes * height + 1);
  ctx->row_pointers = malloc(sizeof(png_bytep) * height);
  if (!ctx->rows || !ctx->row_pointers) png_error(png, "out of memory");
  for (png_uint_32 y = 0; y < height; y++) ctx->row_pointers[y] = ctx->rows + y * row_bytes;
  png_read_image(png, ctx->row_pointers);
  /* A missing IEND or a bad trailing chunk fails here (or at the last row, for the end of the
     image data), unless the tail is longer than QPNG_TAIL_BYTES: then read_input stops it there,
     and the complete rows are kept. */
  png_read_end(png, NULL);
  png_destroy_read_struct(&png, &info, NULL);
  return QPNG_OK;
}

/* Checks the header bytes `head` (all of a memory image, or the start of a file), then decodes
   with `ctx` as the input. */
static int decode(decode_context *ctx, const uint8_t *head, size_t head_size, int want, qpng_limits limits,
                  qpng_image *out) {
  if (want != QPNG_AUTO && want != QPNG_GRAY && want != QPNG_RGB) {
    return fail(out, QPNG_ERR_IO, "internal: unknown colour request");
  }
  if (head_size == 0) return fail(out, QPNG_ERR_NOT_PNG, "the file is empty");
  if (head_size >= 4 && memcmp(head + 1, "PNG", 3) == 0 && (head_size < 8 || png_sig_cmp(head, 0, 8) != 0)) {
    return fail(out, QPNG_ERR_NOT_PNG,
                "the PNG signature is damaged (was the file copied in text mode, changing line endings?)");
  }
  if (head_size < 8 || png_sig_cmp(head, 0, 8) != 0) {
    return fail(out, QPNG_ERR_NOT_PNG, "not a PNG file (the first bytes are not the PNG signature)");
  }
  if (check_header_size(head, head_size, limits, out) != QPNG_OK) return out->status;

  ctx->max_bytes = limits.max_file_bytes;
  int src_channels = 0;
  int status = run_libpng(ctx, want, limits, out, &src_channels);
  if (status == QPNG_OK && src_channels == out->channels) {
    out->pixels = ctx->rows; /* already in the asked form: hand the buffer over */
    ctx->rows = NULL;
  } else if (status == QPNG_OK) {
    size_t pixel_count = (size_t)out->width * out->height;
    out->pixels = malloc(pixel_count * (size_t)out->channels + 1);
    if (!out->pixels) {
      status = fail(out, QPNG_ERR_MEMORY, "out of memory for the decoded pixels");
    } else {
      qpng_convert_pixels(ctx->rows, src_channels, out->pixels, out->channels, pixel_count);
    }
  }
  free(ctx->rows);
  free(ctx->row_pointers);
  ctx->rows = NULL;
  ctx->row_pointers = NULL;
  out->status = status;
  return status;
}

int qpng_decode_memory(const uint8_t *data, size_t size, int want, qpng_limits limits, qpng_image *out) {
  memset(out, 0, sizeof *out);
  decode_context ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.data = data;
  ctx.size = size;
  ctx.fd = -1;
  return decode(&ctx, data, size, want, limits, out);
}

int qpng_decode_file(const char *path, int want, qpng_limits limits, qpng_image *out) {
  memset(out, 0, sizeof *out);
  /* The kind first, by stat: opening a named pipe would wait for a writer. The open is
     non-blocking too, in case the file was replaced since; for a regular file it reads the same. */
  struct stat st;
  if (stat(path, &st) != 0) return fail(out, QPNG_ERR_IO, "cannot open the file");
  if (!S_ISREG(st.st_mode)) return fail(out, QPNG_ERR_IO, "not a regular file");
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return fail(out, QPNG_ERR_IO, "cannot open the file");
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return fail(out, QPNG_ERR_IO, "not a regular file");
  }
  /* The header is read first, to check the signature and the size before libpng starts; the rest
     is read as libpng asks for it, so nothing after the image's end is ever read. */
  uint8_t head[8 + 8 + 13];
  size_t got = 0;
  while (got < sizeof head) {
    ssize_t n = read(fd, head + got, sizeof head - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return fail(out, QPNG_ERR_IO, "cannot read the file");
    }
    if (n == 0) break;
    got += (size_t)n;
  }
  decode_context ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.data = head; /* served first, then the file */
  ctx.size = got;
  ctx.fd = -1;
  int status;
  if (got < sizeof head) {
    status = decode(&ctx, head, got, want, limits, out); /* short: decoded from memory */
  } else {
    ctx.fd = fd;
    status = decode(&ctx, head, got, want, limits, out);
  }
  close(fd);
  return status;
}

/* qpng_decode_file_at once the file is open and known regular: reads and decodes it. */
static int decode_open_file(int fd, const struct stat *st, int want, qpng_limits limits, qpng_image *out) {
  /* One read for a small file (its size is known from fstat, so no second read looks for the end).
     Reading at most QPNG_TAIL_BYTES ahead keeps qpng_decode_file's promise: never more than that
     past the image's end. */
  uint8_t buffer[QPNG_TAIL_BYTES];
  size_t size = st->st_size > 0 && (uint64_t)st->st_size < sizeof buffer ? (size_t)st->st_size : sizeof buffer;
  size_t got = 0;
  int at_end = 0;
  while (got < size) {
    ssize_t n = read(fd, buffer + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(out, QPNG_ERR_IO, "cannot read the file");
    if (n == 0) {
      at_end = 1;
      break;
    }
    got += (size_t)n;
  }
  if (got < sizeof buffer && got == (size_t)st->st_size) at_end = 1;
  if (at_end && qpng_decode_plain(buffer, got, want, limits, out)) return out->status;
  decode_context ctx;
  memset(&ctx, 0, sizeof ctx);
  ctx.data = buffer; /* served first, then the rest of the file if there is more */
  ctx.size = got;
  ctx.fd = at_end ? -1 : fd;
  return decode(&ctx, buffer, got, want, limits, out);
}

int qpng_decode_file_at(int dir_fd, const char *name, int want, qpng_limits limits, qpng_image *out) {
  memset(out, 0, sizeof *out);
  out->file_size = -1;
  out->file_modified_ns = -1;
  int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return fail(out, QPNG_ERR_IO, "cannot open the file");
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return fail(out, QPNG_ERR_IO, "not a regular file");
  }
  int status = decode_open_file(fd, &st, want, limits, out);
  close(fd);
  /* After decoding (which may reset `out`). Unsigned, so the product wraps as the Swift side's does. */
  out->file_size = (int64_t)st.st_size;
  out->file_modified_ns = (int64_t)((uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec);
  return status;
}
