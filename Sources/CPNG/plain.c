/* The plainest PNGs decoded without libpng; see qpng_decode_plain in CPNG.h. */
#include "CPNG.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The most inflated bytes (rows with their filter bytes) taken here: a small file can still
   inflate to megabytes, and on those libpng's own limits and messages apply. */
#define PLAIN_MAX_INFLATED ((uint64_t)1 << 20)

static const uint8_t signature[8] = {137, 80, 78, 71, 13, 10, 26, 10};

static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The chunk's CRC (over its type and data) matches the stored one. */
static int crc_ok(const uint8_t *type, uint32_t length) {
  uLong crc = crc32(crc32(0L, Z_NULL, 0), type, length + 4);
  return crc == be32(type + 4 + length);
}

/* The Paeth predictor (PNG specification, 9.4), without branches: with p = a + b - c, the three
   distances are |b - c|, |a - c| and |a + b - 2c|; ties prefer a, then b. */
static inline uint8_t paeth(int a, int b, int c) {
  int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
  int ab = pb < pa ? b : a, best = pb < pa ? pb : pa;
  return (uint8_t)(pc < best ? c : ab);
}

/* Undoes each row's filter: `raw` holds `height` rows of a filter byte and `row_bytes` bytes, and
   the rows go to `rows`. The row above the first is `zeros`. The first `bpp` bytes of a row have
   no left neighbour (0); the loops after them have no conditions. 0 for an unknown filter type. */
static int unfilter(const uint8_t *raw, uint8_t *rows, size_t row_bytes, uint32_t height, size_t bpp,
                    const uint8_t *zeros) {
  const uint8_t *up = zeros;
  size_t lead = bpp < row_bytes ? bpp : row_bytes;
  for (uint32_t y = 0; y < height; y++) {
    const uint8_t *in = raw + (size_t)y * (row_bytes + 1) + 1;
    uint8_t *row = rows + (size_t)y * row_bytes;
    switch (in[-1]) {
    case 0: memcpy(row, in, row_bytes); break;
    case 1:
      memcpy(row, in, lead);
      for (size_t x = lead; x < row_bytes; x++) row[x] = (uint8_t)(in[x] + row[x - bpp]);
      break;
    case 2:
      for (size_t x = 0; x < row_bytes; x++) row[x] = (uint8_t)(in[x] + up[x]);
      break;
    case 3:
      for (size_t x = 0; x < lead; x++) row[x] = (uint8_t)(in[x] + (up[x] >> 1));
      for (size_t x = lead; x < row_bytes; x++) row[x] = (uint8_t)(in[x] + ((row[x - bpp] + up[x]) >> 1));
      break;
    case 4:
      for (size_t x = 0; x < lead; x++) row[x] = (uint8_t)(in[x] + up[x]); /* Paeth(0, b, 0) = b */
      for (size_t x = lead; x < row_bytes; x++) row[x] = (uint8_t)(in[x] + paeth(row[x - bpp], up[x], up[x - bpp]));
      break;
    default: return 0;
    }
    up = row;
  }
  return 1;
}

/* Inflates the IDAT chunks from `p` into `raw` (exactly `raw_size` bytes) and checks that IEND
   follows. 1 if all is as a plain file has it. */
static int inflate_chunks(const uint8_t *p, const uint8_t *end, uint8_t *raw, size_t raw_size) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit(&z) != Z_OK) return 0;
  z.next_out = raw;
  z.avail_out = (uInt)raw_size;
  int ended = 0, ok = 0;
  while (end - p >= 12) {
    uint32_t length = be32(p);
    if (length > (size_t)(end - p) - 12 || !crc_ok(p + 4, length)) break;
    const uint8_t *type = p + 4, *data = p + 8;
    if (memcmp(type, "IEND", 4) == 0) {
      ok = ended && length == 0 && z.avail_out == 0;
      break;
    }
    /* Anything but more image data, or image data after the stream's end: libpng's to judge. */
    if (memcmp(type, "IDAT", 4) != 0 || ended) break;
    z.next_in = (Bytef *)data;
    z.avail_in = length;
    int status = length ? inflate(&z, Z_NO_FLUSH) : Z_OK;
    if (status == Z_STREAM_END) ended = 1;
    else if (status != Z_OK) break;
    if (z.avail_in != 0) break; /* data past the stream's end, or more than the image holds */
    p = data + length + 4;
  }
  inflateEnd(&z);
  return ok;
}

int qpng_decode_plain(const uint8_t *data, size_t size, int want, qpng_limits limits, qpng_image *out) {
  if (want != QPNG_AUTO && want != QPNG_GRAY && want != QPNG_RGB) return 0;
  if (size < 8 + 25 || memcmp(data, signature, 8) != 0) return 0;
  const uint8_t *ihdr = data + 8;
  if (be32(ihdr) != 13 || memcmp(ihdr + 4, "IHDR", 4) != 0 || !crc_ok(ihdr + 4, 13)) return 0;
  uint32_t width = be32(ihdr + 8), height = be32(ihdr + 12);
  int bit_depth = ihdr[16], color_type = ihdr[17];
  if (bit_depth != 8 || (color_type != 0 && color_type != 2) || ihdr[18] || ihdr[19] || ihdr[20]) return 0;
  if (width == 0 || height == 0 || width > limits.max_side || height > limits.max_side ||
      (uint64_t)width * height > limits.max_pixels) {
    return 0;
  }
  size_t channels = color_type == 2 ? 3 : 1;
  size_t row_bytes = (size_t)width * channels;
  if ((uint64_t)height * (row_bytes + 1) > PLAIN_MAX_INFLATED) return 0;
  size_t raw_size = (size_t)height * (row_bytes + 1);
  uint8_t *raw = malloc(raw_size);
  uint8_t *rows = malloc(row_bytes * height);
  uint8_t *zeros = calloc(row_bytes, 1);
  int taken = raw && rows && zeros && inflate_chunks(ihdr + 25, data + size, raw, raw_size) &&
              unfilter(raw, rows, row_bytes, height, channels, zeros);
  free(raw);
  free(zeros);
  int out_channels = want == QPNG_AUTO ? (int)channels : want;
  uint8_t *pixels = rows;
  if (taken && out_channels != (int)channels) {
    pixels = malloc((size_t)width * height * (size_t)out_channels);
    if (pixels) qpng_convert_pixels(rows, (int)channels, pixels, out_channels, (size_t)width * height);
    free(rows);
    taken = pixels != NULL;
  }
  if (!taken) {
    free(pixels);
    return 0;
  }
  memset(out, 0, sizeof *out);
  out->status = QPNG_OK;
  out->width = width;
  out->height = height;
  out->channels = out_channels;
  out->bit_depth = bit_depth;
  out->color_type = color_type;
  out->interlaced = 0;
  out->pixels = pixels;
  return 1;
}
