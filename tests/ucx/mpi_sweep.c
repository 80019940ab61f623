// SPDX-License-Identifier: GPL-2.0
/*
 * mpi_sweep - an OSU-style latency/bandwidth sweep between two ranks
 * (Debian has no OSU micro-benchmarks package).
 *
 *	mpi_sweep [MAX_BYTES]		default 4 MiB
 *
 * latency: half the round trip of a blocking ping-pong (osu_latency);
 * bandwidth: rank 0 posts a window of 16 MPI_Isend, rank 1 the matching
 * MPI_Irecv, then a 1-byte ack (osu_bw).  Short iteration counts: this
 * runs under TCG in `make check`; `make bench` material needs longer.
 * Sizes 8 B x4 up to MAX_BYTES, MAX_BYTES included.  Rank 0 prints one
 * table row per size.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 16

int main(int argc, char **argv)
{
	size_t max = 4u << 20, size, next;
	int rank, nranks, i, w, iters, warm;
	MPI_Request rq[WINDOW];
	double t = 0, lat, bw;
	char *buf, ack = 0;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &nranks);
	if (argc > 1)
		max = strtoul(argv[1], NULL, 0);
	if (nranks != 2)
		MPI_Abort(MPI_COMM_WORLD, 2);
	buf = malloc(max * WINDOW);
	if (!buf)
		MPI_Abort(MPI_COMM_WORLD, 2);
	memset(buf, rank, max * WINDOW);
	if (rank == 0)
		printf("# %10s %12s %12s\n", "bytes", "lat_us", "bw_MB/s");
	for (size = 8; size <= max; size = next) {
		next = size < max && size * 4 > max ? max : size * 4;
		iters = size >= (1u << 20) ? 4 : size >= 65536 ? 10 : 50;
		warm = 2;
		/* latency */
		for (i = -warm; i < iters; i++) {
			if (i == 0) {
				MPI_Barrier(MPI_COMM_WORLD);
				t = MPI_Wtime();
			}
			if (rank == 0) {
				MPI_Send(buf, size, MPI_BYTE, 1, 1, MPI_COMM_WORLD);
				MPI_Recv(buf, size, MPI_BYTE, 1, 1, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
			} else {
				MPI_Recv(buf, size, MPI_BYTE, 0, 1, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
				MPI_Send(buf, size, MPI_BYTE, 0, 1, MPI_COMM_WORLD);
			}
		}
		lat = (MPI_Wtime() - t) * 1e6 / (2.0 * iters);
		/* bandwidth */
		iters = size >= (1u << 20) ? 2 : iters / 2 + 1;
		for (i = -1; i < iters; i++) {
			if (i == 0) {
				MPI_Barrier(MPI_COMM_WORLD);
				t = MPI_Wtime();
			}
			for (w = 0; w < WINDOW; w++) {
				if (rank == 0)
					MPI_Isend(buf + w * size, size, MPI_BYTE, 1, 2,
						  MPI_COMM_WORLD, &rq[w]);
				else
					MPI_Irecv(buf + w * size, size, MPI_BYTE, 0, 2,
						  MPI_COMM_WORLD, &rq[w]);
			}
			MPI_Waitall(WINDOW, rq, MPI_STATUSES_IGNORE);
			if (rank == 0)
				MPI_Recv(&ack, 1, MPI_BYTE, 1, 3, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
			else
				MPI_Send(&ack, 1, MPI_BYTE, 0, 3, MPI_COMM_WORLD);
		}
		bw = (double)size * WINDOW * iters / (MPI_Wtime() - t) / 1e6;
		if (rank == 0)
			printf("  %10zu %12.2f %12.2f\n", size, lat, bw);
	}
	free(buf);
	MPI_Finalize();
	return 0;
}
