/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * bus-code: CreateFunction or UpdateFunction with a zip, for the manager's tests: busctl cannot pass
 * a file descriptor. "bus-code create NAME DECLARATION ZIP" and "bus-code update NAME REVISION CHANGES
 * ZIP" call the manager on the system bus with ZIP open as the one descriptor of the zip argument, and
 * print "ok" or the error's name and message; the exit status is 0 either way, 1 when the call could
 * not be made. "bus-code create-publish NAME DECLARATION ZIP" then calls, at once on the same
 * connection, PublishVersion and PublishVersionWhenReady (the code surely still loading for a large
 * zip) and prints a line for each: "METHOD: VERSION" or "METHOD: ERROR-NAME".
 */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

/* Calls method (PublishVersion or PublishVersionWhenReady) of name, printing the version or the error. */
static void publish(sd_bus *bus, const char *method, const char *name)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *key, *version = "?";
        int r;

        r = sd_bus_call_method(bus, "org.lambdad.Manager1", "/org/lambdad/Manager1", "org.lambdad.Manager1",
                               method, &error, &reply, "ssss", name, "", "", "");
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                r = sd_bus_message_read(reply, "s", &key);
                if (r >= 0 && strcmp(key, "Version") == 0)
                        r = sd_bus_message_read(reply, "v", "s", &version);
                else if (r >= 0)
                        r = sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        printf("%s: %s\n", method, r < 0 ? error.name ?: strerror(-r) : version);
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
}

int main(int argc, char *argv[])
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        bool publish_after = argc == 5 && strcmp(argv[1], "create-publish") == 0;
        bool create = publish_after || (argc == 5 && strcmp(argv[1], "create") == 0);
        sd_bus *bus = NULL;
        int fd, r;

        if (!create && !(argc == 6 && strcmp(argv[1], "update") == 0)) {
                fprintf(stderr, "usage: bus-code create[-publish] NAME DECLARATION ZIP | "
                                "update NAME REVISION CHANGES ZIP\n");
                return 1;
        }
        fd = open(argv[argc - 1], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                perror(argv[argc - 1]);
                return 1;
        }
        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_message_new_method_call(bus, &m, "org.lambdad.Manager1", "/org/lambdad/Manager1",
                                                   "org.lambdad.Manager1",
                                                   create ? "CreateFunction" : "UpdateFunction");
        if (r >= 0)
                r = create ? sd_bus_message_append(m, "ss", argv[2], argv[3])
                           : sd_bus_message_append(m, "sss", argv[2], argv[3], argv[4]);
        if (r >= 0)
                r = sd_bus_message_append(m, "ah", 1, fd);
        if (r < 0) {
                fprintf(stderr, "bus-code: %s\n", strerror(-r));
                return 1;
        }
        r = sd_bus_call(bus, m, 60 * 1000000ULL, &error, &reply);
        if (r < 0)
                printf("%s: %s\n", error.name ?: "error", error.message ?: strerror(-r));
        else
                printf("ok\n");
        if (r >= 0 && publish_after) {
                publish(bus, "PublishVersion", argv[2]);
                publish(bus, "PublishVersionWhenReady", argv[2]);
        }
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        sd_bus_flush_close_unref(bus);
        close(fd);
        return 0;
}
