/*
 * CPNG: a small shim over libpng's classic API.
 *
 * libpng reports errors with longjmp, which must never cross Swift frames, so every
 * setjmp lives in this C target and each entry point returns a status and a message.
 * The classic API (not the simplified one) is used because its warnings often carry
 * the real reason for a failure ("Image width exceeds user limit" behind "Invalid IHDR
 * data"); they are appended to the message.
 *
 * Conversion rules (fixed so results are reproducible everywhere):
 *   - 16-bit samples keep their high byte; 1, 2 and 4-bit gray is scaled to 0..255;
 *   - palettes expand to RGB, tRNS becomes alpha;
 *   - alpha is composited over black: v * a / 255, rounded to nearest;
 *   - gray from RGB uses Rec. 601 weights: (299 R + 587 G + 114 B) / 1000, rounded half up;
 *   - no gamma correction (gAMA, sRGB and iCCP chunks are ignored).
 *
 * Threading: every call is self-contained; calls may run on many threads at once.
 * Ownership: pixel and encoded buffers are malloc'ed here and released with qpng_free.
 */
#ifndef QAT_CPNG_H
#define QAT_CPNG_H

#include <stddef.h>
#include <stdint.h>

/* What the caller asks for: the image's own kind, 8-bit gray, or 8-bit RGB. */
enum { QPNG_AUTO = 0, QPNG_GRAY = 1, QPNG_RGB = 3 };

/* Outcomes. */
enum {
  QPNG_OK = 0,
  QPNG_ERR_IO = 1,        /* the file could not be opened or read */
  QPNG_ERR_NOT_PNG = 2,   /* empty, or the signature is not PNG's */
  QPNG_ERR_TOO_LARGE = 3, /* dimensions or file size beyond the limits */
  QPNG_ERR_CORRUPT = 4,   /* libpng refused it: truncated, bad CRC, bad zlib stream, ... */
  QPNG_ERR_MEMORY = 5     /* an allocation failed */
};

typedef struct {
  int status;           /* one of QPNG_OK ... */
  uint32_t width;       /* columns of the decoded image */
  uint32_t height;      /* rows */
  int channels;         /* 1 (gray) or 3 (RGB): what `pixels` holds */
  int bit_depth;        /* the file's bit depth (1, 2, 4, 8 or 16) */
  int color_type;       /* the file's PNG colour type (0, 2, 3, 4 or 6) */
  int interlaced;       /* 1 if the file is Adam7-interlaced */
  uint8_t *pixels;      /* height * width * channels bytes, rows top to bottom; NULL on failure */
  char message[320];    /* the reason on failure (empty on success) */
  int64_t file_size;    /* qpng_decode_file_at: the file's size and modification time (ns since */
  int64_t file_modified_ns; /* 1970) from fstat once it was opened as a regular file; else -1 */
} qpng_image;

/* Limits applied before any pixel memory is allocated. */
typedef struct {
  uint32_t max_side;    /* largest width or height accepted */
  uint64_t max_pixels;  /* largest width * height accepted */
  uint64_t max_file_bytes; /* most bytes read before the last row is decoded */
} qpng_limits;

/* The default limits: 16384 on a side, 64 Mpixel, 256 MiB read. */
qpng_limits qpng_default_limits(void);

/* Decodes the PNG file at `path` as `want` (QPNG_AUTO, QPNG_GRAY or QPNG_RGB). In AUTO mode
 * gray, gray+alpha and all-gray palettes give 1 channel, everything else 3. Only a regular file
 * is opened (a named pipe is refused, never waited on). The file is read as the decoder needs it,
 * never past IEND: after the last row at most 8 KiB more are read, so that the end of the image
 * data, the chunks after it and IEND are checked, and a tail longer than that (an IDAT stream that
 * goes on, a file that continues) is not read at all. Returns out->status. */
int qpng_decode_file(const char *path, int want, qpng_limits limits, qpng_image *out);

/* The same for the file `name` in the open folder `dir_fd` (openat), as a folder loader reads its
 * images: no path is walked again, and no stat comes before the open, because the folder scan has
 * already seen a regular file there. The open is non-blocking and fstat checks the kind before
 * anything is read, so a pipe or device put in the file's place is still refused without waiting.
 * A file of at most 8 KiB (every MNIST or CIFAR-sized image) is read whole with one read() and
 * decoded from memory (by qpng_decode_plain when it takes the file, else by libpng); a larger one
 * is read as qpng_decode_file reads it. The outcome (pixels, status, message) is the same as
 * qpng_decode_file's for the same file. Returns out->status. */
int qpng_decode_file_at(int dir_fd, const char *name, int want, qpng_limits limits, qpng_image *out);

/* Decodes the plainest PNGs without libpng: 8-bit gray or RGB, not interlaced, only IHDR, IDAT and
 * IEND chunks, every CRC right, one zlib stream that ends exactly with the image data, at most
 * 1 MiB of it. Most datasets are that, and libpng spends most of its time on such small images
 * inflating row by row (the data of a 28-pixel row is too short for zlib's fast loop); here the
 * whole stream is inflated with one call. Returns 1 with `out` filled (QPNG_OK, the same pixels,
 * sizes and source info libpng gives) when it took the file; 0, with `out` untouched, for
 * anything else, anything wrong included: libpng must then decode it, so every refusal and its
 * message stay libpng's. */
int qpng_decode_plain(const uint8_t *data, size_t size, int want, qpng_limits limits, qpng_image *out);

/* The same for a PNG held in memory (`data` is only borrowed). */
int qpng_decode_memory(const uint8_t *data, size_t size, int want, qpng_limits limits, qpng_image *out);

/* Encodes 8-bit pixels (channels 1 gray, 2 gray+alpha, 3 RGB or 4 RGBA, rows top to bottom)
 * as a PNG in memory. On success *out_data (free with qpng_free) and *out_size are set and
 * QPNG_OK is returned; otherwise `message` (of `message_size` bytes) says why. */
int qpng_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                int compression_level, uint8_t **out_data, size_t *out_size,
                char *message, size_t message_size);

/* Releases a buffer returned by this shim (NULL is fine). */
void qpng_free(void *pointer);

/* The libpng version this was built against, e.g. "1.6.39". */
const char *qpng_libpng_version(void);

#endif
