#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every C file of the tree is clang-format clean (.clang-format at the top settles the style).
set -euo pipefail
cd "${LAMBDAD_SOURCE_DIR:-$(dirname "$0")/..}"
command -v clang-format >/dev/null || { echo "SKIP: clang-format not installed (apt-get install clang-format)"; exit 77; }
mapfile -t files < <(find src tests -name '*.[ch]' | sort)
((${#files[@]} > 0)) || { echo "no C files found" >&2; exit 1; }
clang-format --dry-run -Werror "${files[@]}"
echo "${#files[@]} files clean"
