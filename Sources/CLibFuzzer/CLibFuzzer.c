// Declarations only: LLVMFuzzerRunDriver is provided by libFuzzer (compiler-rt) in a
// `-sanitize=fuzzer` build. SwiftPM needs one source file per C target.
#include "CLibFuzzer.h"
