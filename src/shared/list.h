/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * list.h: intrusive doubly linked lists. An item has "prev" and "next" pointers; the head is a
 * plain pointer to the first item. Used for the daemons' connections, instances, functions and
 * calls, whose removal must be O(1) from anywhere.
 */

#include <stddef.h>

#define LIST_PREPEND(head, item)               \
        do {                                   \
                (item)->prev = NULL;           \
                (item)->next = (head);         \
                if (head)                      \
                        (head)->prev = (item); \
                (head) = (item);               \
        } while (0)

#define LIST_REMOVE(head, item)                            \
        do {                                               \
                if ((item)->prev)                          \
                        (item)->prev->next = (item)->next; \
                else                                       \
                        (head) = (item)->next;             \
                if ((item)->next)                          \
                        (item)->next->prev = (item)->prev; \
                (item)->prev = (item)->next = NULL;        \
        } while (0)
