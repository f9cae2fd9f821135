/* fuzz_ts_codec.c - libFuzzer entry point for the taskstats codec: the bytes
 * are a received datagram (ts_parse_datagram with the family id taken from
 * the first header, and with 31), a CTRL_CMD_GETFAMILY reply
 * (ts_parse_family) and a raw STATS payload (ts_decode_stats). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ts_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int touch(const struct ts_msg *m, void *arg)
{
	size_t *sum = arg;
	int f;

	/* read every decoded field so a bogus sample would be noticed */
	for (f = 0; f < TSF_COUNT; f++)
		*sum += ts_field_u64(&m->pid_stats, f) + ts_field_u64(&m->tgid_stats, f);
	*sum += strlen(m->pid_stats.comm) + strlen(m->tgid_stats.comm);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_sample s;
	uint16_t family = 31, fam;
	size_t sum = 0;

	if (size >= sizeof(struct nlmsghdr))
		memcpy(&family, data + offsetof(struct nlmsghdr, nlmsg_type), 2);
	ts_parse_datagram(data, size, family, touch, &sum);
	ts_parse_datagram(data, size, 31, touch, &sum);
	ts_parse_family(data, size, &fam);
	if (ts_decode_stats(data, size, &s) == 0)
		for (int f = 0; f < TSF_COUNT; f++)
			sum += ts_has(&s, f) ? ts_field_u64(&s, f) : 0;
	return sum == 1 ? 1 : 0;	/* keep sum alive; never 1 in practice */
}
