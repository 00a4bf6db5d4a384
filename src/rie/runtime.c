/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>

#include "runtime.h"

void runtime_init(Runtime *rt)
{
        *rt = (Runtime){};
}

int runtime_submit(Runtime *rt, const char *id)
{
        int action = RUNTIME_ACTION_NONE;

        if (!id || strlen(id) >= sizeof(rt->id) || !*id)
                return -EINVAL;
        if (rt->phase != INVOKE_NONE)
                return -EBUSY;

        strcpy(rt->id, id);
        rt->phase = INVOKE_QUEUED;

        if (rt->process == RUNTIME_STOPPED) {
                rt->process = RUNTIME_STARTING;
                rt->init_failed = false;
                action |= RUNTIME_ACTION_SPAWN;
        } else if (rt->next_parked) {
                rt->next_parked = false;
                rt->phase = INVOKE_RUNNING;
                action |= RUNTIME_ACTION_DELIVER;
        }
        return action;
}

bool runtime_start(Runtime *rt)
{
        if (rt->process != RUNTIME_STOPPED)
                return false;
        rt->process = RUNTIME_STARTING;
        rt->init_failed = false;
        return true;
}

int runtime_next(Runtime *rt)
{
        if (rt->next_parked || rt->phase == INVOKE_RUNNING)
                return -EBUSY;
        if (rt->init_failed)
                return -EPERM;

        rt->process = RUNTIME_READY;
        if (rt->phase == INVOKE_QUEUED) {
                rt->phase = INVOKE_RUNNING;
                return RUNTIME_ACTION_DELIVER;
        }
        rt->next_parked = true;
        return RUNTIME_ACTION_NONE;
}

int runtime_finish(Runtime *rt, const char *id)
{
        if (rt->phase == INVOKE_RUNNING && strcmp(id, rt->id) == 0) {
                strcpy(rt->done_id, rt->id);
                rt->id[0] = 0;
                rt->phase = INVOKE_NONE;
                return 0;
        }
        if (rt->done_id[0] && strcmp(id, rt->done_id) == 0)
                return -EALREADY;
        return -ENOENT;
}

int runtime_init_error(Runtime *rt)
{
        if (rt->process != RUNTIME_STARTING || rt->init_failed)
                return -EPERM;
        rt->init_failed = true;
        return 0;
}

bool runtime_abort(Runtime *rt)
{
        if (rt->phase == INVOKE_NONE)
                return false;
        strcpy(rt->done_id, rt->id);
        rt->id[0] = 0;
        rt->phase = INVOKE_NONE;
        return true;
}

RuntimePhase runtime_exited(Runtime *rt)
{
        RuntimePhase phase = rt->phase;

        rt->process = RUNTIME_STOPPED;
        rt->next_parked = false;
        return phase;
}

const char *runtime_process_to_string(RuntimeProcess p)
{
        switch (p) {
        case RUNTIME_STOPPED:
                return "stopped";
        case RUNTIME_STARTING:
                return "initializing";
        case RUNTIME_READY:
                return "ready";
        }
        return "unknown";
}

int runtime_route_parse(const char *url, char ret_id[static UUID_STRING_MAX])
{
        static const char prefix[] = "/2018-06-01/runtime/";
        static const char inv_prefix[] = "invocation/";
        const char *p, *id, *slash;

        if (strncmp(url, prefix, sizeof(prefix) - 1) != 0)
                return -ENOENT;
        p = url + sizeof(prefix) - 1;

        if (strcmp(p, "invocation/next") == 0)
                return RUNTIME_ROUTE_NEXT;
        if (strcmp(p, "init/error") == 0)
                return RUNTIME_ROUTE_INIT_ERROR;
        if (strncmp(p, inv_prefix, sizeof(inv_prefix) - 1) != 0)
                return -ENOENT;

        id = p + sizeof(inv_prefix) - 1;
        slash = strchr(id, '/');
        if (!slash || slash == id)
                return -ENOENT;
        if (strcmp(slash, "/response") != 0 && strcmp(slash, "/error") != 0)
                return -ENOENT;
        if ((size_t) (slash - id) >= UUID_STRING_MAX)
                return -EMSGSIZE;

        memcpy(ret_id, id, (size_t) (slash - id));
        ret_id[slash - id] = 0;
        return strcmp(slash, "/response") == 0 ? RUNTIME_ROUTE_RESPONSE : RUNTIME_ROUTE_ERROR;
}

const char *runtime_route_method(RuntimeRoute route)
{
        return route == RUNTIME_ROUTE_NEXT ? "GET" : "POST";
}
