/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * launch.h: what a function's container runs. The image's ENTRYPOINT and CMD, with the declaration's
 * ImageConfig overrides, become the container's command; when that command does not start lambda-rie
 * (an AWS base image, a runtime interface client, a custom runtime), lambda-rie is lent to the
 * container and runs in front of it, the image's command becoming its bootstrap (AWS's own emulator,
 * which images made to be tried locally put first, left out). Pure logic, no I/O.
 */

#include <stdbool.h>

#include "macro.h"

typedef struct LaunchPlan {
        char **entrypoint; /* Config.Entrypoint to send; NULL: leave the image's */
        char **cmd;        /* Config.Cmd to send; NULL: leave the image's */
        bool lend_rie;     /* mount lambda-rie at RIE_MOUNT_PATH: entrypoint runs it */
} LaunchPlan;

void launch_plan_done(LaunchPlan *p);

/* Whether argv0 starts lambda-rie (its file name is "lambda-rie"). */
bool launch_runs_rie(const char *argv0);

/*
 * The plan for an image whose Config has image_entrypoint and image_cmd (NULL: none), under the
 * declaration's overrides decl_entrypoint and decl_command (NULL: not overridden; an empty command
 * means no arguments). As with `aws lambda create-function --image-config`, each override replaces
 * its part of the image's and keeps the other. -ENOMEM.
 */
int launch_plan(char *const *decl_entrypoint, char *const *decl_command, char *const *image_entrypoint,
                char *const *image_cmd, LaunchPlan *ret);
