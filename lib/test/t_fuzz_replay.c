/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main() of a libFuzzer harness built without libFuzzer (gcc, or the
 * replay test of any build): replays each file named on the command line,
 * and each file in each directory named there, as libFuzzer takes a
 * corpus, through the harness's LLVMFuzzerTestOneInput. A broken
 * invariant aborts, as under libFuzzer. The test's name is the program's.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t_fuzz.h"
#include "t_helpers.h"

static void
replay_file(const char *path)
{
	static uint8_t buf[1 << 16];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		t_fail("%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
}

int
main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');
	int files = 0;

	t_init(name != NULL ? name + 1 : argv[0]);
	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		char path[4096];

		if (d == NULL) {
			replay_file(argv[i]);
			files++;
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			replay_file(path);
			files++;
		}
		closedir(d);
	}
	T_EXPECT(files > 0, "%d inputs replayed, no invariant broken", files);
	return t_finish();
}
