// SPDX-License-Identifier: GPL-2.0
/* The production odph_opcode.c, compiled into odph_wire.ko (see Kbuild). */
#include "odph_opcode.c"
