/* libFuzzer harness for the CPNG decoder: every input, in every colour mode, must decode or be
   refused with a status, never crash (run by scripts/fuzz-png under ASan and UBSan). */
#include "CPNG.h"
#include <stdint.h>
#include <stddef.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (int want = 0; want <= 3; want += (want == 0 ? 1 : 2)) {
    qpng_image im; qpng_decode_memory(data, size, want, qpng_default_limits(), &im);
    if (im.status == 0) { volatile uint8_t s = 0; for (size_t i = 0; i < (size_t)im.width * im.height * im.channels; i++) s ^= im.pixels[i]; }
    qpng_free(im.pixels);
  }
  return 0;
}
