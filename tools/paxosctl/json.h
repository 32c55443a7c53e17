/* SPDX-License-Identifier: GPL-2.0 */
/* A small streaming JSON writer: objects, arrays, escaped strings. */
#ifndef PAXOSCTL_JSON_H
#define PAXOSCTL_JSON_H

#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	int depth;
	int first[16];		/* no member written yet at this depth */
};

void json_init(struct json *j, FILE *f);
void json_open(struct json *j, const char *key, char bracket);	/* '{' or '[' */
void json_close(struct json *j, char bracket);
void json_str(struct json *j, const char *key, const char *v);
void json_strn(struct json *j, const char *key, const void *v, size_t len);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_bool(struct json *j, const char *key, int v);
/* Ends a top-level value with a newline. */
void json_end(struct json *j);

#endif
