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

bool launch_runs_rie(const char *argv0)
{
        const char *slash;

        if (!argv0)
                return false;
        slash = strrchr(argv0, '/');
        return strcmp(slash ? slash + 1 : argv0, "lambda-rie") == 0;
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

int launch_plan(char *const *decl_entrypoint, char *const *decl_command, char *const *image_entrypoint,
                char *const *image_cmd, LaunchPlan *ret)
{
        _cleanup_(launch_plan_done) LaunchPlan p = {};
        char *const *entrypoint = decl_entrypoint ?: image_entrypoint;
        char *const *cmd = decl_command ?: image_cmd;
        const char *argv0 = entrypoint && entrypoint[0] ? entrypoint[0] : cmd ? cmd[0] : NULL;
        int r;

        if (!launch_runs_rie(argv0)) {
                /* lambda-rie in front; "--" so that a bootstrap named like an option stays one. */
                p.lend_rie = true;
                r = strv_concat((char *const[]){ (char *) RIE_MOUNT_PATH, NULL }, NULL, &p.entrypoint);
                if (r >= 0 && (entrypoint || (cmd && cmd[0])))
                        r = strv_concat((char *const[]){ (char *) "--", NULL }, entrypoint, &p.cmd);
                if (r >= 0 && p.cmd)
                        r = strv_extend_all(&p.cmd, cmd);
                if (r >= 0 && !p.cmd)
                        r = strv_concat(NULL, NULL, &p.cmd);
                if (r < 0)
                        return r;
        } else if (decl_entrypoint || decl_command) {
                /* The engine drops the image's CMD when Entrypoint is given, and reads an empty Cmd as
                 * "the image's": send both parts whole. */
                if (entrypoint) {
                        r = strv_concat(entrypoint, NULL, &p.entrypoint);
                        if (r < 0)
                                return r;
                }
                r = strv_concat(cmd, NULL, &p.cmd);
                if (r < 0)
                        return r;
        }

        *ret = p;
        p = (LaunchPlan){};
        return 0;
}
