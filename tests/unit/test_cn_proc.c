/* test_cn_proc.c - the proc connector codec against hand-built bytes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cn_proc.h"

/* ---- a byte-by-byte message builder (little-endian host assumed) ---- */

struct wbuf {
	unsigned char b[1024];
	size_t len;
};

static void put32(struct wbuf *w, uint32_t v)
{
	memcpy(w->b + w->len, &v, 4);
	w->len += 4;
}

static void put16(struct wbuf *w, uint16_t v)
{
	memcpy(w->b + w->len, &v, 2);
	w->len += 2;
}

static void put64(struct wbuf *w, uint64_t v)
{
	memcpy(w->b + w->len, &v, 8);
	w->len += 8;
}

/* nlmsghdr + cn_msg + proc_event header; data: 24 bytes of event_data.
 * Returns the offset of the message. */
static size_t put_event(struct wbuf *w, uint32_t what, uint32_t cpu,
			uint64_t ts, const uint32_t data[6])
{
	size_t start = w->len;
	int i;

	put32(w, 16 + 20 + 40);	/* nlmsg_len = 76 */
	put16(w, 3);		/* NLMSG_DONE */
	put16(w, 0);
	put32(w, 7);		/* seq */
	put32(w, 0);		/* pid */
	put32(w, 1);		/* idx */
	put32(w, 1);		/* val */
	put32(w, 7);		/* seq */
	put32(w, 0);		/* ack */
	put16(w, 40);		/* len */
	put16(w, 0);		/* flags */
	put32(w, what);
	put32(w, cpu);
	put64(w, ts);
	for (i = 0; i < 6; i++)
		put32(w, data[i]);
	return start;
}

#define MAXEV 8
struct got {
	struct cn_event ev[MAXEV];
	int n;
	int ret;		/* what the callback returns */
};

static int collect(const struct cn_event *ev, void *data)
{
	struct got *g = data;

	if (g->n < MAXEV)
		g->ev[g->n] = *ev;
	g->n++;
	return g->ret;
}

static struct cn_event parse_one(struct wbuf *w)
{
	struct got g = { .n = 0 };

	assert_int_equal(cn_parse_datagram(w->b, w->len, collect, &g), 1);
	assert_int_equal(g.n, 1);
	return g.ev[0];
}

static void test_fork_thread(void **st)
{
	struct wbuf w = { .len = 0 };
	const uint32_t d[6] = { 10944, 10944, 10949, 10948, 0, 0 };
	struct cn_event ev;

	put_event(&w, CN_EV_FORK, 1, 123456789012ull, d);
	ev = parse_one(&w);
	assert_int_equal(ev.what, CN_EV_FORK);
	assert_int_equal(ev.cpu, 1);
	assert_int_equal(ev.timestamp_ns, 123456789012ull);
	assert_int_equal(ev.parent_pid, 10944);
	assert_int_equal(ev.parent_tgid, 10944);
	assert_int_equal(ev.pid, 10949);
	assert_int_equal(ev.tgid, 10948);	/* a thread: pid != tgid */
}

static void test_fork_process(void **st)
{
	struct wbuf w = { .len = 0 };
	const uint32_t d[6] = { 500, 500, 501, 501, 0, 0 };
	struct cn_event ev;

	put_event(&w, CN_EV_FORK, 0, 1, d);
	ev = parse_one(&w);
	assert_int_equal(ev.parent_pid, 500);
	assert_int_equal(ev.parent_tgid, 500);
	assert_int_equal(ev.pid, 501);
	assert_int_equal(ev.tgid, 501);
}

static void test_exec(void **st)
{
	struct wbuf w = { .len = 0 };
	const uint32_t d[6] = { 4242, 4242, 0xdead, 0xbeef, 0, 0 };
	struct cn_event ev;

	put_event(&w, CN_EV_EXEC, 3, 99, d);
	ev = parse_one(&w);
	assert_int_equal(ev.what, CN_EV_EXEC);
	assert_int_equal(ev.cpu, 3);
	assert_int_equal(ev.pid, 4242);
	assert_int_equal(ev.tgid, 4242);
	assert_int_equal(ev.parent_pid, 0);	/* not part of EXEC */
}

static void test_comm_15(void **st)
{
	struct wbuf w = { .len = 0 };
	uint32_t d[6] = { 77, 76, 0, 0, 0, 0 };
	struct cn_event ev;

	memcpy(&d[2], "abcdefghijklmno", 16);	/* 15 chars + NUL */
	put_event(&w, CN_EV_COMM, 0, 5, d);
	ev = parse_one(&w);
	assert_int_equal(ev.what, CN_EV_COMM);
	assert_int_equal(ev.pid, 77);
	assert_int_equal(ev.tgid, 76);
	assert_string_equal(ev.comm, "abcdefghijklmno");
}

static void test_comm_unterminated(void **st)
{
	struct wbuf w = { .len = 0 };
	uint32_t d[6] = { 1, 1, 0, 0, 0, 0 };
	struct cn_event ev;

	memcpy(&d[2], "0123456789abcdef", 16);	/* no NUL at all */
	put_event(&w, CN_EV_COMM, 0, 5, d);
	ev = parse_one(&w);
	assert_int_equal(strlen(ev.comm), 16);
	assert_string_equal(ev.comm, "0123456789abcdef");
}

static void test_exit_process(void **st)
{
	struct wbuf w = { .len = 0 };
	const uint32_t d[6] = { 10948, 10948, 0x300, 17, 10944, 10944 };
	struct cn_event ev;

	put_event(&w, CN_EV_EXIT, 1, 2, d);
	ev = parse_one(&w);
	assert_int_equal(ev.what, CN_EV_EXIT);
	assert_int_equal(ev.pid, 10948);
	assert_int_equal(ev.tgid, 10948);
	assert_int_equal(ev.exit_code, 0x300);
	assert_int_equal(ev.exit_signal, 17);
	assert_int_equal(ev.parent_pid, 10944);
	assert_int_equal(ev.parent_tgid, 10944);
}

static void test_exit_thread(void **st)
{
	struct wbuf w = { .len = 0 };
	const uint32_t d[6] = { 10949, 10948, 0, (uint32_t)-1, 0, 0 };
	struct cn_event ev;

	put_event(&w, CN_EV_EXIT, 1, 2, d);
	ev = parse_one(&w);
	assert_int_equal(ev.pid, 10949);
	assert_int_equal(ev.tgid, 10948);
	assert_int_equal(ev.exit_code, 0);
	assert_int_equal(ev.exit_signal, -1);
	assert_int_equal(ev.parent_pid, 0);
	assert_int_equal(ev.parent_tgid, 0);
}

static void test_ack(void **st)
{
	struct wbuf w = { .len = 0 };
	const uint32_t d[6] = { EPERM, 0, 0, 0, 0, 0 };
	struct cn_event ev;

	put_event(&w, 0, (uint32_t)-1, 0, d);
	ev = parse_one(&w);
	assert_int_equal(ev.what, 0);
	assert_int_equal(ev.ack_err, EPERM);
}

static void test_uid_ptrace_coredump_sid(void **st)
{
	struct wbuf w = { .len = 0 };
	const uint32_t uid[6] = { 10, 10, 1000, 33, 0, 0 };
	const uint32_t pt[6] = { 11, 11, 12, 12, 0, 0 };
	const uint32_t cd[6] = { 13, 13, 1, 1, 0, 0 };
	const uint32_t sid[6] = { 14, 14, 0, 0, 0, 0 };
	struct got g = { .n = 0 };

	put_event(&w, CN_EV_UID, 0, 0, uid);
	put_event(&w, CN_EV_PTRACE, 0, 0, pt);
	put_event(&w, CN_EV_COREDUMP, 0, 0, cd);
	put_event(&w, CN_EV_SID, 0, 0, sid);
	assert_int_equal(cn_parse_datagram(w.b, w.len, collect, &g), 4);
	assert_int_equal(g.ev[0].what, CN_EV_UID);
	assert_int_equal(g.ev[0].uid, 33);		/* euid */
	assert_int_equal(g.ev[1].what, CN_EV_PTRACE);
	assert_int_equal(g.ev[1].parent_pid, 12);	/* tracer */
	assert_int_equal(g.ev[2].what, CN_EV_COREDUMP);
	assert_int_equal(g.ev[2].pid, 13);
	assert_int_equal(g.ev[2].parent_tgid, 1);
	assert_int_equal(g.ev[3].what, CN_EV_SID);
	assert_int_equal(g.ev[3].tgid, 14);
}

static void test_several(void **st)
{
	struct wbuf w = { .len = 0 };
	const uint32_t f[6] = { 1, 1, 2, 2, 0, 0 };
	const uint32_t e[6] = { 2, 2, 0, 0, 0, 0 };
	const uint32_t x[6] = { 2, 2, 0, 17, 1, 1 };
	struct got g = { .n = 0 };

	put_event(&w, CN_EV_FORK, 0, 1, f);
	put_event(&w, CN_EV_EXEC, 0, 2, e);
	put_event(&w, CN_EV_EXIT, 0, 3, x);
	assert_int_equal(cn_parse_datagram(w.b, w.len, collect, &g), 3);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.ev[0].what, CN_EV_FORK);
	assert_int_equal(g.ev[1].what, CN_EV_EXEC);
	assert_int_equal(g.ev[2].what, CN_EV_EXIT);
	assert_int_equal(g.ev[2].timestamp_ns, 3);
}

static void test_unknown_what(void **st)
{
	struct wbuf w = { .len = 0 };
	const uint32_t d[6] = { 9, 9, 9, 9, 9, 9 };
	struct cn_event ev;

	put_event(&w, 0x00001000, 0, 42, d);
	ev = parse_one(&w);
	assert_int_equal(ev.what, 0x00001000);
	assert_int_equal(ev.timestamp_ns, 42);
	assert_int_equal(ev.pid, 0);
}

static void test_callback_stops(void **st)
{
	struct wbuf w = { .len = 0 };
	const uint32_t d[6] = { 1, 1, 2, 2, 0, 0 };
	struct got g = { .n = 0, .ret = -ECANCELED };

	put_event(&w, CN_EV_FORK, 0, 1, d);
	put_event(&w, CN_EV_FORK, 0, 1, d);
	assert_int_equal(cn_parse_datagram(w.b, w.len, collect, &g), -ECANCELED);
	assert_int_equal(g.n, 1);
}

static void test_other_connector_skipped(void **st)
{
	struct wbuf w = { .len = 0 };
	const uint32_t d[6] = { 1, 1, 2, 2, 0, 0 };
	struct got g = { .n = 0 };

	put_event(&w, CN_EV_FORK, 0, 1, d);
	memcpy(w.b + 16, &(uint32_t){ 5 }, 4);	/* idx: not CN_IDX_PROC */
	assert_int_equal(cn_parse_datagram(w.b, w.len, collect, &g), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(cn_parse_datagram(NULL, 0, collect, &g), 0);
}

/* Malformed input must be rejected using only the bytes given: copy into
 * an exactly sized heap buffer so ASan sees any read past it. */
static int parse_exact(const unsigned char *b, size_t len)
{
	struct got g = { .n = 0 };
	unsigned char *p = malloc(len ? len : 1);
	int rc;

	memcpy(p, b, len);
	rc = cn_parse_datagram(p, len, collect, &g);
	free(p);
	return rc;
}

static void test_truncated_nlmsghdr(void **st)
{
	struct wbuf w = { .len = 0 };
	const uint32_t d[6] = { 1, 1, 2, 2, 0, 0 };
	size_t cut;

	put_event(&w, CN_EV_FORK, 0, 1, d);
	for (cut = 1; cut < 16; cut++)
		assert_int_equal(parse_exact(w.b, cut), -EPROTO);
	/* whole header but nlmsg_len says more than we have */
	for (cut = 16; cut < w.len; cut++)
		assert_int_equal(parse_exact(w.b, cut), -EPROTO);
	/* a second message cut in its header */
	put_event(&w, CN_EV_FORK, 0, 1, d);
	assert_int_equal(parse_exact(w.b, 76 + 10), -EPROTO);
	/* nlmsg_len below the header size */
	memcpy(w.b, &(uint32_t){ 8 }, 4);
	assert_int_equal(parse_exact(w.b, w.len), -EPROTO);
}

static void test_cn_len_too_big(void **st)
{
	struct wbuf w = { .len = 0 };
	const uint32_t d[6] = { 1, 1, 2, 2, 0, 0 };

	put_event(&w, CN_EV_FORK, 0, 1, d);
	memcpy(w.b + 16 + 16, &(uint16_t){ 41 }, 2);	/* cn_msg.len */
	assert_int_equal(parse_exact(w.b, w.len), -EPROTO);
	memcpy(w.b + 16 + 16, &(uint16_t){ 0xffff }, 2);
	assert_int_equal(parse_exact(w.b, w.len), -EPROTO);
}

static void test_short_proc_event(void **st)
{
	struct wbuf w = { .len = 0 };
	const uint32_t d[6] = { 1, 1, 2, 2, 0, 0 };
	uint16_t cl;
	uint32_t nl;

	/* an EXIT needs 16 + 24 bytes: give it 16 + 20 */
	put_event(&w, CN_EV_EXIT, 0, 1, d);
	cl = 36;
	nl = 16 + 20 + 36;
	memcpy(w.b + 32, &cl, 2);
	memcpy(w.b, &nl, 4);
	assert_int_equal(parse_exact(w.b, nl), -EPROTO);
	/* less than the event header */
	cl = 12;
	nl = 16 + 20 + 12;
	memcpy(w.b + 32, &cl, 2);
	memcpy(w.b, &nl, 4);
	assert_int_equal(parse_exact(w.b, nl), -EPROTO);
	/* a FORK needs only 16 bytes of data: 16 + 16 is enough */
	w.len = 0;
	put_event(&w, CN_EV_FORK, 0, 1, d);
	cl = 32;
	nl = 16 + 20 + 32;
	memcpy(w.b + 32, &cl, 2);
	memcpy(w.b, &nl, 4);
	assert_int_equal(parse_exact(w.b, nl), 1);
	/* cn_msg header itself cut */
	nl = 16 + 10;
	memcpy(w.b, &nl, 4);
	assert_int_equal(parse_exact(w.b, nl), -EPROTO);
}

static void test_nlmsg_error(void **st)
{
	struct wbuf w = { .len = 0 };

	put32(&w, 16 + 4);
	put16(&w, 2);		/* NLMSG_ERROR */
	put16(&w, 0);
	put32(&w, 0);
	put32(&w, 0);
	put32(&w, (uint32_t)-ECONNREFUSED);
	assert_int_equal(parse_exact(w.b, w.len), -ECONNREFUSED);
}

static void test_subscribe_bytes(void **st)
{
	unsigned char b[64];
	uint32_t u32;
	uint16_t u16;
	size_t n;

	n = cn_put_subscribe(b, sizeof(b), true, CN_EV_FORK | CN_EV_EXIT, 0x1234);
	assert_int_equal(n, 16 + 20 + 8);
	memcpy(&u32, b, 4);
	assert_int_equal(u32, 44);		/* nlmsg_len */
	memcpy(&u16, b + 4, 2);
	assert_int_equal(u16, 3);		/* NLMSG_DONE */
	memcpy(&u16, b + 6, 2);
	assert_int_equal(u16, 0);		/* flags */
	memcpy(&u32, b + 8, 4);
	assert_int_equal(u32, 0x1234);		/* nlmsg_seq */
	memcpy(&u32, b + 16, 4);
	assert_int_equal(u32, 1);		/* idx CN_IDX_PROC */
	memcpy(&u32, b + 20, 4);
	assert_int_equal(u32, 1);		/* val CN_VAL_PROC */
	memcpy(&u32, b + 24, 4);
	assert_int_equal(u32, 0x1234);		/* cn seq */
	memcpy(&u32, b + 28, 4);
	assert_int_equal(u32, 0);		/* ack */
	memcpy(&u16, b + 32, 2);
	assert_int_equal(u16, 8);		/* cn len */
	memcpy(&u32, b + 36, 4);
	assert_int_equal(u32, 1);		/* PROC_CN_MCAST_LISTEN */
	memcpy(&u32, b + 40, 4);
	assert_int_equal(u32, 0x80000001u);	/* filter mask */

	n = cn_put_subscribe(b, sizeof(b), false, 0, 1);
	memcpy(&u32, b + 36, 4);
	assert_int_equal(u32, 2);		/* PROC_CN_MCAST_IGNORE */
	memcpy(&u32, b + 40, 4);
	assert_int_equal(u32, 0);

	assert_int_equal(cn_put_subscribe(b, 43, true, 0, 1), 0);
	assert_int_equal(cn_put_subscribe(NULL, 64, true, 0, 1), 0);

	n = cn_put_subscribe_legacy(b, sizeof(b), true, 9);
	assert_int_equal(n, 40);
	memcpy(&u16, b + 32, 2);
	assert_int_equal(u16, 4);
	memcpy(&u32, b + 36, 4);
	assert_int_equal(u32, 1);
}

static void test_kernel_has_filter(void **st)
{
	assert_true(cn_kernel_has_filter("6.18.44-fc-v595"));
	assert_true(cn_kernel_has_filter("6.6.0"));
	assert_true(cn_kernel_has_filter("7.0"));
	assert_false(cn_kernel_has_filter("6.5.13-1"));
	assert_false(cn_kernel_has_filter("6.1.0-28-amd64"));
	assert_false(cn_kernel_has_filter("5.10.0"));
	assert_false(cn_kernel_has_filter("garbage"));
	assert_false(cn_kernel_has_filter(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_thread),
		cmocka_unit_test(test_fork_process),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_comm_15),
		cmocka_unit_test(test_comm_unterminated),
		cmocka_unit_test(test_exit_process),
		cmocka_unit_test(test_exit_thread),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_uid_ptrace_coredump_sid),
		cmocka_unit_test(test_several),
		cmocka_unit_test(test_unknown_what),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_other_connector_skipped),
		cmocka_unit_test(test_truncated_nlmsghdr),
		cmocka_unit_test(test_cn_len_too_big),
		cmocka_unit_test(test_short_proc_event),
		cmocka_unit_test(test_nlmsg_error),
		cmocka_unit_test(test_subscribe_bytes),
		cmocka_unit_test(test_kernel_has_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
