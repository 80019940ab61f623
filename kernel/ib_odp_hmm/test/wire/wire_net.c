// SPDX-License-Identifier: GPL-2.0
/* The production odph_net.c, compiled into odph_wire.ko (see Kbuild). */
#include "odph_net.c"
