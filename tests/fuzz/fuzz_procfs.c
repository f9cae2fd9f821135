/* fuzz_procfs.c - libFuzzer entry: any bytes into the /proc parsers
 * (procfs_parse_stat/io take a length; the proc_ident parsers take a
 * NUL-terminated buffer, as their callers give them). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proc_ident.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_stat_vals st;
	struct proc_io_vals io;
	struct proc_ident pi;
	char *copy, *v2 = NULL, *sd = NULL;
	uid_t uid;

	/* the length-bounded parsers get an exact-size heap copy, so ASan
	 * sees any read past the end */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	procfs_parse_stat(copy, size, &st);
	procfs_parse_io(copy, size, &io);
	free(copy);

	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	memset(&pi, 0, sizeof(pi));
	proc_ident_parse_stat(copy, &pi);
	proc_ident_parse_status_uid(copy, &uid);
	if (proc_ident_parse_cgroup(copy, &v2, &sd) == 0) {
		free(v2);
		free(sd);
	}
	free(copy);
	return 0;
}
