// SPDX-License-Identifier: GPL-2.0
/*
 * ucp_check - UCP traffic between two processes with every byte checked
 * (ucx_perftest moves data but never looks at it).
 *
 *	ucp_check [-p PORT] [-n ITERS]            server
 *	ucp_check [-p PORT] [-n ITERS] SERVER_IP  client
 *
 * The worker addresses are exchanged over TCP; then, for message sizes 8 B
 * to 4 MiB (eager, and rendezvous over the registration method the
 * environment picks: UCX_IB_REG_METHODS=odp or rcache):
 *  - tag ping-pong: the client sends a pattern, the server checks it and
 *    answers with another, the client checks that;
 *  - put/get: the server maps a malloc'd 4 MiB buffer (ucp_mem_map of user
 *    memory, so a registration and not an allocation), the client puts a
 *    pattern into it, flushes and tells the server, which checks it; the
 *    server writes a new pattern and the client reads it back with get.
 * Buffers are plain malloc'd memory, refilled with junk before every
 * receive.  Exits 0 with "ucp_check: N checks passed" when every byte
 * matched.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ucp/api/ucp.h>

#include "pattern.h"

#define MAX_SIZE	(4u << 20)
#define TAG_PING	0x100
#define TAG_PONG	0x200
#define TAG_CTRL	0x300

static ucp_context_h ctx;
static ucp_worker_h worker;
static ucp_ep_h ep;
static int sock = -1;
static unsigned long checks;

#define die(...) do { fprintf(stderr, "ucp_check: " __VA_ARGS__); \
		      fputc('\n', stderr); exit(1); } while (0)


static void check(const uint8_t *p, size_t len, uint32_t seed,
		  const char *what)
{
	uint8_t want;
	long i = pattern_find_bad(p, len, seed, &want);

	if (i >= 0)
		die("%s of %zu B: byte %ld is %#x, want %#x", what, len, i,
		    p[i], want);
	checks++;
}

static void xfer_all(int out, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = out ? write(sock, p, len) : read(sock, p, len);
		if (n <= 0)
			die("tcp %s failed", out ? "write" : "read");
		p += n;
		len -= n;
	}
}

/* Both sides reach the same point (the TCP connection is the barrier). */
static void barrier(void)
{
	char c = 'b';

	xfer_all(1, &c, 1);
	xfer_all(0, &c, 1);
}

static void wait_req(void *req, const char *what)
{
	ucs_status_t st;

	if (req == NULL)
		return;
	if (UCS_PTR_IS_ERR(req))
		die("%s: %s", what, ucs_status_string(UCS_PTR_STATUS(req)));
	do {
		ucp_worker_progress(worker);
		st = ucp_request_check_status(req);
	} while (st == UCS_INPROGRESS);
	ucp_request_free(req);
	if (st != UCS_OK)
		die("%s: %s", what, ucs_status_string(st));
}

static void tag_send(const void *buf, size_t len, ucp_tag_t tag)
{
	ucp_request_param_t prm = { 0 };

	wait_req(ucp_tag_send_nbx(ep, buf, len, tag, &prm), "tag send");
}

static void tag_recv(void *buf, size_t len, ucp_tag_t tag)
{
	ucp_request_param_t prm = { 0 };

	wait_req(ucp_tag_recv_nbx(worker, buf, len, tag, (ucp_tag_t)-1, &prm),
		 "tag recv");
}

static void flush_ep(void)
{
	ucp_request_param_t prm = { 0 };

	wait_req(ucp_ep_flush_nbx(ep, &prm), "flush");
}

static void tcp_connect(const char *server, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int one = 1, l, i;

	if (server) {
		if (inet_pton(AF_INET, server, &sa.sin_addr) != 1)
			die("bad address %s", server);
		for (i = 0; i < 600; i++) {	/* the server may start late */
			sock = socket(AF_INET, SOCK_STREAM, 0);
			if (!connect(sock, (struct sockaddr *)&sa, sizeof(sa)))
				break;
			close(sock);
			sock = -1;
			usleep(100000);
		}
		if (sock < 0)
			die("cannot connect to %s:%d", server, port);
	} else {
		l = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1))
			die("cannot listen on port %d", port);
		sock = accept(l, NULL, NULL);
		close(l);
		if (sock < 0)
			die("accept failed");
	}
	setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void ucp_setup(void)
{
	ucp_params_t p = {
		.field_mask = UCP_PARAM_FIELD_FEATURES,
		.features = UCP_FEATURE_TAG | UCP_FEATURE_RMA,
	};
	ucp_worker_params_t wp = {
		.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE,
		.thread_mode = UCS_THREAD_MODE_SINGLE,
	};
	ucp_address_t *addr, *peer;
	size_t alen;
	uint64_t plen;
	ucp_ep_params_t ep_params = { .field_mask =
					      UCP_EP_PARAM_FIELD_REMOTE_ADDRESS };
	ucp_config_t *cfg;

	if (ucp_config_read(NULL, NULL, &cfg) != UCS_OK ||
	    ucp_init(&p, cfg, &ctx) != UCS_OK)
		die("ucp_init failed");
	ucp_config_release(cfg);
	if (ucp_worker_create(ctx, &wp, &worker) != UCS_OK)
		die("ucp_worker_create failed");
	if (ucp_worker_get_address(worker, &addr, &alen) != UCS_OK)
		die("ucp_worker_get_address failed");
	plen = alen;
	xfer_all(1, &plen, sizeof(plen));
	xfer_all(1, addr, alen);
	xfer_all(0, &plen, sizeof(plen));
	peer = malloc(plen);
	if (!peer)
		die("out of memory");
	xfer_all(0, peer, plen);
	ucp_worker_release_address(worker, addr);
	ep_params.address = peer;
	if (ucp_ep_create(worker, &ep_params, &ep) != UCS_OK)
		die("ucp_ep_create failed");
	free(peer);
}

static void ucp_teardown(void)
{
	ucp_request_param_t prm = {
		.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS,
		.flags = UCP_EP_CLOSE_FLAG_FORCE,
	};
	void *req;

	flush_ep();
	barrier();	/* nobody closes while the peer still talks */
	req = ucp_ep_close_nbx(ep, &prm);
	if (req && !UCS_PTR_IS_ERR(req)) {
		while (ucp_request_check_status(req) == UCS_INPROGRESS)
			ucp_worker_progress(worker);
		ucp_request_free(req);
	}
	barrier();
	ucp_worker_destroy(worker);
	ucp_cleanup(ctx);
}

static const size_t sizes[] = { 8, 100, 4096, 8192 + 17, 65536, 262144 + 3,
				1u << 20, MAX_SIZE };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static void tag_pingpong(int server, int iters, uint8_t *buf)
{
	unsigned s;
	int i;

	for (s = 0; s < NSIZES; s++) {
		for (i = 0; i < iters; i++) {
			uint32_t seed = s * 1000 + i;

			if (server) {
				memset(buf, 0xa5, sizes[s]);
				tag_recv(buf, sizes[s], TAG_PING + s);
				check(buf, sizes[s], seed, "tag ping");
				pattern_fill(buf, sizes[s], ~seed);
				tag_send(buf, sizes[s], TAG_PONG + s);
			} else {
				pattern_fill(buf, sizes[s], seed);
				tag_send(buf, sizes[s], TAG_PING + s);
				memset(buf, 0x5a, sizes[s]);
				tag_recv(buf, sizes[s], TAG_PONG + s);
				check(buf, sizes[s], ~seed, "tag pong");
			}
		}
	}
}

struct rdesc {
	uint64_t addr;
	uint64_t rkey_len;
};

static void rma(int server, int iters, uint8_t *buf)
{
	ucp_request_param_t prm = { 0 };
	struct rdesc d;
	uint32_t seed;
	unsigned s;
	char ok;
	int i;

	if (server) {
		ucp_mem_map_params_t mp = {
			.field_mask = UCP_MEM_MAP_PARAM_FIELD_ADDRESS |
				      UCP_MEM_MAP_PARAM_FIELD_LENGTH,
			.address = buf,
			.length = MAX_SIZE,
		};
		ucp_mem_h memh;
		void *rkey;
		size_t rlen;

		if (ucp_mem_map(ctx, &mp, &memh) != UCS_OK)
			die("ucp_mem_map failed");
		if (ucp_rkey_pack(ctx, memh, &rkey, &rlen) != UCS_OK)
			die("ucp_rkey_pack failed");
		d.addr = (uintptr_t)buf;
		d.rkey_len = rlen;
		xfer_all(1, &d, sizeof(d));
		xfer_all(1, rkey, rlen);
		ucp_rkey_buffer_release(rkey);
		for (s = 0; s < NSIZES; s++) {
			for (i = 0; i < iters; i++) {
				seed = 7000 + s * 100 + i;
				memset(buf, 0xa5, sizes[s]);
				xfer_all(1, &ok, 1);	/* ready for the put */
				xfer_all(0, &ok, 1);	/* put flushed */
				check(buf, sizes[s], seed, "put");
				pattern_fill(buf, sizes[s], ~seed);
				xfer_all(1, &ok, 1);	/* ready for the get */
				xfer_all(0, &ok, 1);	/* got it */
			}
		}
		ucp_mem_unmap(ctx, memh);
	} else {
		ucp_rkey_h rkey;
		void *rbuf;

		xfer_all(0, &d, sizeof(d));
		rbuf = malloc(d.rkey_len);
		if (!rbuf)
			die("out of memory");
		xfer_all(0, rbuf, d.rkey_len);
		if (ucp_ep_rkey_unpack(ep, rbuf, &rkey) != UCS_OK)
			die("ucp_ep_rkey_unpack failed");
		free(rbuf);
		for (s = 0; s < NSIZES; s++) {
			for (i = 0; i < iters; i++) {
				seed = 7000 + s * 100 + i;
				pattern_fill(buf, sizes[s], seed);
				xfer_all(0, &ok, 1);
				wait_req(ucp_put_nbx(ep, buf, sizes[s], d.addr,
						     rkey, &prm), "put");
				flush_ep();
				xfer_all(1, &ok, 1);
				memset(buf, 0x5a, sizes[s]);
				xfer_all(0, &ok, 1);
				wait_req(ucp_get_nbx(ep, buf, sizes[s], d.addr,
						     rkey, &prm), "get");
				flush_ep();
				check(buf, sizes[s], ~seed, "get");
				xfer_all(1, &ok, 1);
			}
		}
		ucp_rkey_destroy(rkey);
	}
}

int main(int argc, char **argv)
{
	const char *server_ip = NULL;
	int port = 13400, iters = 3, opt;
	uint8_t *buf;

	while ((opt = getopt(argc, argv, "p:n:")) != -1) {
		switch (opt) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'n':
			iters = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: ucp_check [-p PORT] [-n ITERS] [SERVER_IP]\n");
			return 2;
		}
	}
	if (optind < argc)
		server_ip = argv[optind];
	buf = malloc(MAX_SIZE);
	if (!buf)
		die("out of memory");

	tcp_connect(server_ip, port);
	ucp_setup();
	tag_pingpong(!server_ip, iters, buf);
	rma(!server_ip, iters, buf);
	ucp_teardown();
	close(sock);
	free(buf);
	printf("ucp_check: %lu checks passed\n", checks);
	return 0;
}
