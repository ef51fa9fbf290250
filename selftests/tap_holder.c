// SPDX-License-Identifier: GPL-2.0
/*
 * tap_holder: a process that holds an AF_PACKET ETH_P_ALL socket on every
 * device of the network namespace it runs in, as lldpd or a forgotten
 * tcpdump would, so that a self-test can check that a test's failure
 * names it ("... socket of tap_holder (pid N) ...").  It prints "ready"
 * once the socket exists and then waits for a signal; it never sends or
 * reads anything.
 *
 *   ip netns exec NS build/selftests/tap_holder
 *
 * Exit status: 1 when the socket cannot be made (not root), else it ends
 * by the signal that stops it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_ether.h>

int main(void)
{
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	if (fd < 0) {
		fprintf(stderr, "tap_holder: AF_PACKET socket: %s\n",
			strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
