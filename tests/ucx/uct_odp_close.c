// SPDX-License-Identifier: GPL-2.0
/*
 * uct_odp_close - reproducer for a UCX 1.13.1/1.14 crash in uct_md_close()
 * of an IB memory domain that uses implicit ODP (UCX_IB_REG_METHODS=odp).
 *
 *	uct_odp_close [-n ROUNDS] [-s SECONDS] DEVICE
 *	e.g. uct_odp_close -n 20 mlx5_0
 *
 * Each round, in a child process: uct_md_open(DEVICE) with
 * IB_REG_METHODS=odp, (-s: a sleep, to look at the MR), uct_md_close().  Prints how many closes died
 * of a signal; exits 1 if any did, 2 if the MD could not be opened.
 *
 * The bug (UCX 1.13.1, src/uct/ib/base/ib_md.c):
 *   uct_ib_md_close()
 *     -> uct_ib_md_release_reg_method(md)
 *          uct_ib_mem_dereg(&md->super, md->global_odp);
 * uct_ib_mem_dereg(uct_md_h, const uct_md_mem_dereg_params_t *params)
 * takes a params struct (src/uct/api/v2/uct_v2.h), but gets the global ODP
 * memh (uct_ib_verbs_mem_t, src/uct/ib/base/ib_md.h: lkey, rkey,
 * atomic_rkey, indirect_rkey, flags, then mrs[]).  So
 *   params->field_mask = lkey | (u64)rkey << 32
 *   params->flags      = atomic_rkey
 *   params->memh       = flags | padding << 32 = UCT_IB_MEM_FLAG_ODP = 0x1
 *   params->comp       = mrs[0].ib (the struct ibv_mr *)
 * UCT_IB_MD_MEM_DEREG_CHECK_PARAMS reads memh only if field_mask has
 * UCT_MD_MEM_DEREG_FIELD_MEMH (bit 0), i.e. if the lkey is odd: then
 * uct_ib_memh_dereg(md, (void *)0x1) reads memh->flags at 0x11 (SIGSEGV).
 * With an even lkey the macro returns UCS_ERR_INVALID_PARAM and the global
 * MR is leaked until ibv_close_device() (no crash).  Whether a close
 * crashes thus depends on bit 0 of the implicit MR's lkey: on a device
 * with random key bytes about half of them do.  ucp_init() opens every MD
 * and closes those UCX_NET_DEVICES leaves out, so MPI_Init crashes too.
 * The fix is to call uct_ib_memh_dereg() + uct_ib_memh_free() on the
 * global memh there (or build a params struct with .memh = global_odp).
 * UCX 1.15 dropped the implicit-ODP registration method.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uct/api/uct.h>

/* 0: closed cleanly, 2: not opened */
static unsigned hold;

static int open_close(const char *dev)
{
	uct_component_h *comps;
	unsigned ncomps, i;
	int ret = 2;

	if (uct_query_components(&comps, &ncomps) != UCS_OK)
		return 2;
	for (i = 0; i < ncomps && ret == 2; i++) {
		uct_component_attr_t attr = {
			.field_mask = UCT_COMPONENT_ATTR_FIELD_NAME,
		};
		uct_md_config_t *cfg;
		uct_md_h md;

		if (uct_component_query(comps[i], &attr) != UCS_OK ||
		    strcmp(attr.name, "ib"))
			continue;
		if (uct_md_config_read(comps[i], NULL, NULL, &cfg) != UCS_OK)
			continue;
		if (uct_md_open(comps[i], dev, cfg, &md) == UCS_OK) {
			sleep(hold);
			uct_md_close(md);	/* crashes here */
			ret = 0;
		}
		uct_config_release(cfg);
	}
	uct_release_component_list(comps);
	return ret;
}

int main(int argc, char **argv)
{
	int rounds = 20, crashed = 0, failed = 0, i, st, opt;
	pid_t pid;

	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		if (opt == 'n')
			rounds = atoi(optarg);
		else if (opt == 's')
			hold = atoi(optarg);
		else
			optind = argc;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: uct_odp_close [-n ROUNDS] [-s SECONDS] DEVICE\n");
		return 2;
	}
	setenv("UCX_IB_REG_METHODS", "odp", 1);
	for (i = 0; i < rounds; i++) {
		pid = fork();
		if (pid == 0)
			_exit(open_close(argv[optind]));
		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			return 2;
		if (WIFSIGNALED(st)) {
			crashed++;
			printf("round %d: uct_md_close died of signal %d\n", i,
			       WTERMSIG(st));
		} else if (WEXITSTATUS(st)) {
			failed++;
		}
	}
	printf("uct_odp_close: %d rounds, %d crashed, %d could not open %s\n",
	       rounds, crashed, failed, argv[optind]);
	return crashed ? 1 : failed ? 2 : 0;
}
