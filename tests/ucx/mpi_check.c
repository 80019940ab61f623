// SPDX-License-Identifier: GPL-2.0
/*
 * mpi_check - two ranks, every result checked: for sizes 8 B .. 4 MiB
 *  - ping-pong: rank 0 sends a pattern, rank 1 checks it and answers with
 *    another (MPI_Send/MPI_Recv), rank 0 checks that;
 *  - exchange: both ranks MPI_Isend and MPI_Irecv at once;
 *  - allreduce: MPI_Allreduce(MPI_SUM) of size/8 longs whose sum is known.
 * Receive buffers are refilled with junk first.  Rank 0 prints
 * "mpi_check: N checks passed" and the job exits 0 when all matched;
 * a mismatch aborts the job (MPI_Abort).
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"

#define MAX_SIZE (4u << 20)

static int rank;
static unsigned long checks;


static void check(const uint8_t *p, size_t len, uint32_t seed, const char *what)
{
	uint8_t want;
	long i = pattern_find_bad(p, len, seed, &want);

	if (i >= 0) {
		fprintf(stderr, "rank %d: %s of %zu B: byte %ld is %#x, want %#x\n",
			rank, what, len, i, p[i], want);
		MPI_Abort(MPI_COMM_WORLD, 1);
	}
	checks++;
}

int main(int argc, char **argv)
{
	uint8_t *a, *b;
	long *v, *r;
	size_t size, n, i;
	int nranks, peer, it, iters;
	unsigned long total;
	MPI_Request rq[2];

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &nranks);
	if (nranks != 2) {
		if (!rank)
			fprintf(stderr, "mpi_check: needs 2 ranks\n");
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	peer = !rank;
	a = malloc(MAX_SIZE);
	b = malloc(MAX_SIZE);
	v = malloc(MAX_SIZE);
	r = malloc(MAX_SIZE);
	if (!a || !b || !v || !r)
		MPI_Abort(MPI_COMM_WORLD, 2);

	for (size = 8; size <= MAX_SIZE; size *= 2) {
		iters = size >= (1u << 20) ? 2 : 4;
		for (it = 0; it < iters; it++) {
			uint32_t seed = size + it;

			/* ping-pong */
			if (rank == 0) {
				pattern_fill(a, size, seed);
				MPI_Send(a, size, MPI_BYTE, 1, 1, MPI_COMM_WORLD);
				memset(a, 0x5a, size);
				MPI_Recv(a, size, MPI_BYTE, 1, 2, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
				check(a, size, ~seed, "pong");
			} else {
				memset(a, 0xa5, size);
				MPI_Recv(a, size, MPI_BYTE, 0, 1, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
				check(a, size, seed, "ping");
				pattern_fill(a, size, ~seed);
				MPI_Send(a, size, MPI_BYTE, 0, 2, MPI_COMM_WORLD);
			}

			/* both directions at once */
			pattern_fill(a, size, seed * 3 + rank);
			memset(b, 0x3c, size);
			MPI_Irecv(b, size, MPI_BYTE, peer, 3, MPI_COMM_WORLD, &rq[0]);
			MPI_Isend(a, size, MPI_BYTE, peer, 3, MPI_COMM_WORLD, &rq[1]);
			MPI_Waitall(2, rq, MPI_STATUSES_IGNORE);
			check(b, size, seed * 3 + peer, "exchange");

			/* allreduce: v[i] = i * (rank + 1) + seed, sum known */
			n = size / sizeof(long);
			for (i = 0; i < n; i++) {
				v[i] = (long)i * (rank + 1) + seed;
				r[i] = -1;
			}
			MPI_Allreduce(v, r, n, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
			for (i = 0; i < n; i++) {
				if (r[i] != (long)i * 3 + 2L * seed) {
					fprintf(stderr, "rank %d: allreduce of %zu longs: [%zu] = %ld, want %ld\n",
						rank, n, i, r[i], (long)i * 3 + 2L * seed);
					MPI_Abort(MPI_COMM_WORLD, 1);
				}
			}
			checks++;
		}
	}
	MPI_Reduce(&checks, &total, 1, MPI_UNSIGNED_LONG, MPI_SUM, 0,
		   MPI_COMM_WORLD);
	if (rank == 0)
		printf("mpi_check: %lu checks passed (8 B .. 4 MiB, 2 ranks)\n",
		       total);
	free(a);
	free(b);
	free(v);
	free(r);
	MPI_Finalize();
	return 0;
}
