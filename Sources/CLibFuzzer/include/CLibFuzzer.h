#ifndef MESH_CLIBFUZZER_H
#define MESH_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry point for programs that keep their own `main` (compiler-rt
/// `FuzzerInterface.h`). Parses libFuzzer's flags from `*argc` / `*argv` and runs `callback` on
/// each generated input until a crash or the run limit; returns the exit status.
///
/// Only defined when linked with `-sanitize=fuzzer`: `mesh-fuzz` calls it only in a build with
/// `-DMESH_FUZZ` (scripts/fuzz.sh), so ordinary builds never reference the symbol.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
