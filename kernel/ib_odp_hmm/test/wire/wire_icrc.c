// SPDX-License-Identifier: GPL-2.0
/* The production odph_icrc.c, compiled into odph_wire.ko (see Kbuild). */
#include "odph_icrc.c"
