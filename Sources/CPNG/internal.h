/* Shared between the shim's C files; not part of its interface. */
#ifndef QAT_CPNG_INTERNAL_H
#define QAT_CPNG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Composites alpha over black and converts `pixel_count` pixels between channel counts, by the
   rules in CPNG.h (decode.c). */
void qpng_convert_pixels(const uint8_t *src, int src_channels, uint8_t *dst, int dst_channels,
                         size_t pixel_count);

#endif
