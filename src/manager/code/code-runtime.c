/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json.h>

#include "code-runtime.h"
#include "registry.h"
#include "strv.h"
#include "util.h"

#define RUNTIME_LIST                                                                                        \
        "nodejs20.x, nodejs22.x, nodejs24.x, python3.10 to python3.14, java8.al2, java11, java17, java21, " \
        "java25, dotnet8, dotnet10, ruby3.3, ruby3.4, provided.al2, provided.al2023"

const LambdaRuntime *code_runtime_find(const char *id)
{
        const LambdaRuntime *r = lambda_runtime_find(id);

        return r && r->image ? r : NULL;
}

const char *code_runtime_list(void)
{
        return RUNTIME_LIST;
}

bool code_runtime_id_is_valid(const char *id)
{
        size_t n = id ? strlen(id) : 0;

        if (n < 1 || n > RUNTIME_ID_MAX || !(id[0] >= 'a' && id[0] <= 'z'))
                return false;
        for (const char *p = id; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
                        return false;
        return true;
}

bool code_runtime_is_provided(const char *id)
{
        return strcmp(id, "provided") == 0 || strncmp(id, "provided.", STRLEN("provided.")) == 0;
}

void runtime_image_done(RuntimeImage *r)
{
        free(r->image);
        *r = (RuntimeImage){};
}

bool code_runtime_override_is_valid(const char *arg)
{
        const char *eq = strchr(arg, '=');
        char id[RUNTIME_ID_MAX + 1];

        if (!eq || (size_t) (eq - arg) > RUNTIME_ID_MAX)
                return false;
        memcpy(id, arg, (size_t) (eq - arg));
        id[eq - arg] = 0;
        return code_runtime_id_is_valid(id) && image_reference_is_valid(eq + 1);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* DIR/ID.json: {"image": "REF", "pull": BOOL}. 0 and the image, -ENOENT when there is no such file. */
static int runtime_file_read(const char *dir, const char *id, RuntimeImage *ret, char **ret_error)
{
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *file = NULL, *data = NULL, *error = NULL, *image = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        bool pull = false;
        size_t len;
        int r;

        if (asprintf(&file, "%s.json", id) < 0)
                return -ENOMEM;
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0 || faccessat(dir_fd, file, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOMEM ? -ENOMEM : -ENOENT;
        r = config_file_read(dir_fd, file, &data, &len, &error);
        if (r >= 0)
                r = config_json_parse(data, len, &o, &error);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return set_error(ret_error, "%s/%s: %s", dir, file, error ?: "invalid");

        json_object_object_foreach(o, key, v)
        {
                if (strcmp(key, "image") == 0 && json_object_is_type(v, json_type_string) &&
                    image_reference_is_valid(json_object_get_string(v))) {
                        free(image);
                        image = strdup(json_object_get_string(v));
                        if (!image)
                                return -ENOMEM;
                } else if (strcmp(key, "pull") == 0 && json_object_is_type(v, json_type_boolean))
                        pull = json_object_get_boolean(v);
                else
                        return set_error(ret_error,
                                         "%s/%s: expected {\"image\": IMAGE_REFERENCE, \"pull\": BOOLEAN}, "
                                         "got a bad or unknown key \"%s\"",
                                         dir, file, strcmp(key, "pull") == 0 ? "pull" : key);
        }
        if (!image)
                return set_error(ret_error, "%s/%s: image: missing", dir, file);
        *ret = (RuntimeImage){ .image = TAKE_PTR(image), .pull = pull, .from = "runtimes directory" };
        return 0;
}

int code_runtime_image(const char *id, char *const *overrides, const char *dir, RuntimeImage *ret,
                       char **ret_error)
{
        size_t n = strlen(id);
        const LambdaRuntime *info;
        int r;

        if (!code_runtime_id_is_valid(id))
                return set_error(ret_error, "runtime: expected a runtime identifier such as nodejs22.x");

        /* The last of the command line's mappings wins, as with any repeated option. */
        for (char *const *o = overrides ? overrides + strv_length(overrides) : NULL; o && o > overrides;) {
                o--;
                if (strncmp(*o, id, n) == 0 && (*o)[n] == '=') {
                        char *image = strdup(*o + n + 1);

                        if (!image)
                                return -ENOMEM;
                        *ret = (RuntimeImage){ .image = image, .from = "--runtime" };
                        return 0;
                }
        }
        if (dir) {
                r = runtime_file_read(dir, id, ret, ret_error);
                if (r != -ENOENT)
                        return r;
        }
        info = code_runtime_find(id);
        if (!info) {
                r = set_error(
                        ret_error,
                        "runtime \"%s\" is not one of AWS's (%s) and no image is mapped to it: map one "
                        "with --runtime=%s=IMAGE or in %s/%s.json",
                        id, RUNTIME_LIST, id, dir ?: "a runtimes directory", id);
                return r == -ENOMEM ? r : -ENOENT;
        }
        *ret = (RuntimeImage){ .image = strdup(info->image), .from = "AWS's base image" };
        return ret->image ? 0 : -ENOMEM;
}
