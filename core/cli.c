/* SPDX-License-Identifier: Apache-2.0 */
/* cli: option parsing and paths shared by hanko and hankod (see cli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"

/** cli_parse(argc, argv, opts, usage): parse "--name value" pairs. */
int
cli_parse(int argc, char **argv, const struct cli_opt *opts, const char *usage)
{
	int i;
	const struct cli_opt *o;

	for (i = 0; i < argc; i += 2) {
		for (o = opts; o->name != NULL; o++)
			if (strncmp(argv[i], "--", 2) == 0 &&
			    strcmp(argv[i] + 2, o->name) == 0)
				break;
		if (o->name == NULL) {
			fprintf(stderr, "hanko: unknown argument %s\nusage: %s\n",
			    argv[i], usage);
			return CLI_ERROR;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "hanko: %s needs a value\nusage: %s\n",
			    argv[i], usage);
			return CLI_ERROR;
		}
		*o->val = argv[i + 1];
	}
	return 0;
}

/** cli_u64(s, name, out): parse a decimal uint64 strictly. */
int
cli_u64(const char *s, const char *name, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s[0] < '0' || s[0] > '9' ||
	    ((v = strtoull(s, &end, 10)), errno != 0) || *end != '\0') {
		fprintf(stderr, "hanko: --%s: not a number: %s\n", name, s);
		return CLI_ERROR;
	}
	*out = v;
	return 0;
}

/** cli_path(buf, len, dir, name): join a state directory and a name. */
int
cli_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "hanko: path too long: %s\n", dir);
		return CLI_ERROR;
	}
	return 0;
}
