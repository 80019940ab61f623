/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wire_tool.h - shared by wire_tool.c (the subcommands on the wire layer,
 * forged responses) and wire_inject.c (forged requests): packet building
 * and sending helpers.
 */
#ifndef WIRE_TOOL_H
#define WIRE_TOOL_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <infiniband/verbs.h>

#define ROCE_PORT	4791

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
double now(void);
/* RoCE v2 ICRC of @pkt (IP header on, ICRC included) */
uint32_t icrc_user(const uint8_t *pkt, size_t len);
uint16_t ip_csum(const uint8_t *p, size_t len);
void raw4_send(int s, const struct sockaddr_in *dst, const uint8_t *pkt,
	       size_t len);
/* IPv4 + UDP headers of a RoCE v2 packet; then ICRC, checksum, send */
void roce4_headers(uint8_t *pkt, size_t len, const char *saddr,
		   const char *daddr, uint16_t id, uint16_t sport);
void roce4_seal_send(int s, uint8_t *pkt, size_t len);
/* a raw IPv4 socket (IP_HDRINCL) in the namespace at @path */
int raw4_socket_in(const char *path);
/* port counter @name of @dev from sysfs; -1 if it has none */
long long port_cnt(const char *dev, const char *name);
/* a completion on @cq without waiting: 1 (in @wc) or 0 */
int poll1(struct ibv_cq *cq, struct ibv_wc *wc);

struct vt_end;
/* RC QPs on DEVA and DEVB (argv: DEVA GIDXA DEVB GIDXB), connected */
void rc_pair(struct vt_end *a, struct vt_end *b, char **argv, uint32_t apsn,
	     uint32_t bpsn, uint8_t rnr);

int cmd_rc_inject(int argc, char **argv);

#endif /* WIRE_TOOL_H */
