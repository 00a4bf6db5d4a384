/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Replays every file of the corpus directories (or files) named on the command line through a
 * fuzz target, so the corpus runs as a regression test under meson test without libFuzzer. */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "fuzz.h"

static int replay_file(const char *path)
{
        char chunk[65536];
        Buf b = {};
        FILE *f;
        size_t n;

        f = fopen(path, "re");
        if (!f) {
                fprintf(stderr, "%s: %m\n", path);
                return -errno;
        }
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                if (buf_append(&b, chunk, n) < 0) {
                        fclose(f);
                        buf_done(&b);
                        return -ENOMEM;
                }
        fclose(f);
        (void) LLVMFuzzerTestOneInput((const uint8_t *) (b.data ?: ""), b.len);
        buf_done(&b);
        return 0;
}

static int replay(const char *path, unsigned *count)
{
        struct dirent **entries;
        struct stat st;
        int n, r = 0;

        if (stat(path, &st) < 0) {
                fprintf(stderr, "%s: %m\n", path);
                return -errno;
        }
        if (!S_ISDIR(st.st_mode)) {
                (*count)++;
                return replay_file(path);
        }

        n = scandir(path, &entries, NULL, alphasort);
        if (n < 0)
                return -errno;
        for (int i = 0; i < n; i++) {
                char *p;

                if (entries[i]->d_name[0] != '.' && asprintf(&p, "%s/%s", path, entries[i]->d_name) >= 0) {
                        if (r >= 0)
                                r = replay(p, count);
                        free(p);
                }
                free(entries[i]);
        }
        free(entries);
        return r;
}

int main(int argc, char *argv[])
{
        unsigned count = 0;

        for (int i = 1; i < argc; i++)
                if (replay(argv[i], &count) < 0)
                        return EXIT_FAILURE;
        if (count == 0) {
                fprintf(stderr, "No corpus files found.\n");
                return EXIT_FAILURE;
        }
        printf("Replayed %u inputs.\n", count);
        return EXIT_SUCCESS;
}
