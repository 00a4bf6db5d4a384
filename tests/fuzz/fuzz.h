/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * fuzz.h: the libFuzzer entry point every target defines. The same targets link either libFuzzer
 * (-Dfuzzers=true, clang) or fuzz-main.c, which replays a corpus under meson test.
 */

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
