/* fuzz_cn_proc.c - libFuzzer entry: any bytes into cn_parse_datagram. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cn_proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch every field so an uninitialised or out-of-range value shows up. */
static int fuzz_cb(const struct cn_event *ev, void *arg)
{
	volatile uint64_t *sink = arg;

	*sink += ev->what + ev->pid + ev->tgid + ev->parent_pid +
		 ev->parent_tgid + ev->exit_code + (uint32_t)ev->exit_signal +
		 ev->uid + (uint32_t)ev->ack_err + strlen(ev->comm);
	return ev->what == 0x7fffffffu ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	volatile uint64_t sink = 0;

	cn_parse_datagram(data, size, fuzz_cb, (void *)&sink);
	return 0;
}
