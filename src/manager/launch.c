/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "docker-json.h"
#include "launch.h"
#include "strv.h"

void launch_plan_done(LaunchPlan *p)
{
        strv_free(p->entrypoint);
        strv_free(p->cmd);
        *p = (LaunchPlan){};
}

static bool file_name_is(const char *path, const char *name)
{
        const char *slash;

        if (!path)
                return false;
        slash = strrchr(path, '/');
        return strcmp(slash ? slash + 1 : path, name) == 0;
}

bool launch_runs_rie(const char *argv0)
{
        return file_name_is(argv0, "lambda-rie");
}

/* Appends copies of every string of l (NULL: none) to *out. */
static int strv_extend_all(char ***out, char *const *l)
{
        for (char *const *p = l; p && *p; p++) {
                int r = strv_extend(out, *p);

                if (r < 0)
                        return r;
        }
        return 0;
}

/* A new strv holding a, then b (either may be NULL); never NULL on success. */
static int strv_concat(char *const *a, char *const *b, char ***ret)
{
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int r;

        if (!l)
                return -ENOMEM;
        r = strv_extend_all(&l, a);
        if (r >= 0)
                r = strv_extend_all(&l, b);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

/* An image that runs lambda-rie: as it is, or with the overrides. */
static int plan_as_is(bool overridden, char *const *entrypoint, char *const *cmd, LaunchPlan *p)
{
        int r;

        if (!overridden)
                return 0;
        /* The engine drops the image's CMD when Entrypoint is given, and reads an empty Cmd as "the
         * image's": send both parts whole. */
        if (entrypoint) {
                r = strv_concat(entrypoint, NULL, &p->entrypoint);
                if (r < 0)
                        return r;
        }
        return strv_concat(cmd, NULL, &p->cmd);
}

/* Any other image: lambda-rie in front, the image's command as its bootstrap. */
static int plan_lend(char *const *entrypoint, char *const *cmd, LaunchPlan *p)
{
        _cleanup_strv_free_ char **bootstrap = NULL;
        size_t skip;
        int r;

        p->lend_rie = true;
        r = strv_concat(entrypoint, cmd, &bootstrap);
        if (r < 0)
                return r;
        /* Images made to be tried locally start their runtime under AWS's own emulator: lambda-rie
         * takes its place. */
        skip = bootstrap[0] && file_name_is(bootstrap[0], "aws-lambda-rie");
        r = strv_concat((char *const[]){ (char *) RIE_MOUNT_PATH, NULL }, NULL, &p->entrypoint);
        if (r < 0)
                return r;
        /* "--", so that a bootstrap named like an option stays the bootstrap. */
        return strv_concat(bootstrap[skip] ? (char *const[]){ (char *) "--", NULL } : NULL, bootstrap + skip,
                           &p->cmd);
}

int launch_plan(char *const *decl_entrypoint, char *const *decl_command, char *const *image_entrypoint,
                char *const *image_cmd, LaunchPlan *ret)
{
        _cleanup_(launch_plan_done) LaunchPlan p = {};
        char *const *entrypoint = decl_entrypoint ?: image_entrypoint;
        char *const *cmd = decl_command ?: image_cmd;
        const char *argv0 = entrypoint && entrypoint[0] ? entrypoint[0] : cmd ? cmd[0] : NULL;
        int r;

        if (launch_runs_rie(argv0))
                r = plan_as_is(decl_entrypoint || decl_command, entrypoint, cmd, &p);
        else
                r = plan_lend(entrypoint, cmd, &p);
        if (r < 0)
                return r;

        *ret = p;
        p = (LaunchPlan){};
        return 0;
}
