/* libFuzzer harness for the CPNG decoder: every input, in every colour mode, must decode or be
   refused with a status, never crash (run by scripts/fuzz-png under ASan and UBSan). The plain-PNG
   fast path (qpng_decode_plain, which files take before libpng) is fuzzed differentially: whatever it
   accepts, libpng must decode to the same pixels. */
#include "CPNG.h"
#include <stdint.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (int want = 0; want <= 3; want += (want == 0 ? 1 : 2)) {
    qpng_image im; qpng_decode_memory(data, size, want, qpng_default_limits(), &im);
    if (im.status == 0) { volatile uint8_t s = 0; for (size_t i = 0; i < (size_t)im.width * im.height * im.channels; i++) s ^= im.pixels[i]; }
    qpng_image plain;
    memset(&plain, 0, sizeof plain);
    if (qpng_decode_plain(data, size, want, qpng_default_limits(), &plain)) {
      if (im.status != 0 || plain.width != im.width || plain.height != im.height || plain.channels != im.channels ||
          memcmp(plain.pixels, im.pixels, (size_t)im.width * im.height * im.channels) != 0) {
        abort(); /* the fast path took a file libpng reads differently */
      }
      qpng_free(plain.pixels);
    }
    qpng_free(im.pixels);
  }
  return 0;
}
