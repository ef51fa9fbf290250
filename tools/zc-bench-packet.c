// SPDX-License-Identifier: GPL-2.0
/*
 * zc-bench-packet: what each packet-socket send path costs on this host.
 * Frames per second and sender CPU time per frame for sendto(), sendmmsg(),
 * the PACKET_TX_RING (TPACKET_V2) and the TX ring with PACKET_QDISC_BYPASS,
 * for several frame sizes, repeated to give a median and a spread.
 *
 * It sends test frames (zc_packet.h) out of a device that drops them: the
 * sink topology's ifb0, whose noqueue qdisc hands each frame to the ifb
 * inside the sender's own call, so that the whole cost of a frame is the
 * sender's (CLOCK_THREAD_CPUTIME_ID, user and system).  The device's drop
 * counter must rise by the frames sent, or the run is marked.  The methods
 * and sizes are interleaved run by run, so that a burst of load elsewhere
 * on the host hurts all of them alike.  A benchmark, never a test: its
 * figures depend on the host and on what else runs there (the tool says
 * how busy the other CPUs were).
 *
 * Each frame is written once; before each send only its number changes,
 * in the caller's buffer or in the ring frame alike.
 *
 * Run: make bench (builds the sink topology: tools/bench.sh).  Like the
 * tests, it refuses to send from anywhere but the namespace the topology
 * names in ZC_TX_NS.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* sendmmsg(), sched_setaffinity() */
#endif
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>

#include "zc_counters.h"
#include "zc_packet.h"
#include "zc_sys.h"

#define MAX_SIZES	8
#define MAX_RUNS	101
#define MAX_BATCH	1024
/* Bound of every blocking send (SO_SNDTIMEO): a run never hangs. */
#define SEND_TIMEOUT_MS	10000

enum method { M_SENDTO, M_SENDMMSG, M_RING, M_RING_BYPASS, NR_METHODS };

static const char *const method_names[NR_METHODS] = {
	[M_SENDTO] = "sendto",
	[M_SENDMMSG] = "sendmmsg",
	[M_RING] = "tx_ring",
	[M_RING_BYPASS] = "tx_ring_bypass",
};

static struct {
	const char *dev;
	unsigned long frames;
	unsigned int runs;
	unsigned int batch;
	unsigned int sizes[MAX_SIZES];
	unsigned int nr_sizes;
	bool methods[NR_METHODS];
	int cpu;
} opt = {
	.frames = 100000,
	.runs = 7,
	.batch = 64,
	.sizes = { 64, 512, 1500 },
	.nr_sizes = 3,
	.methods = { true, true, true, true },
	.cpu = -1,
};

/* One run's figures. */
struct sample {
	double fps;		/* frames per second */
	double cpu_ns;		/* sender CPU time per frame */
};

static struct zc_link link_;
static const uint8_t dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s -d DEV [-n FRAMES] [-r RUNS] [-s SIZES] [-m METHODS] [-b BATCH] [-c CPU]\n"
		"\n"
		"  -d DEV      device that drops what it is sent (the sink topology's ifb0)\n"
		"  -n FRAMES   frames per run, rounded up to a multiple of BATCH (default %lu)\n"
		"  -r RUNS     runs of each method and size (default %u, at most %d)\n"
		"  -s SIZES    frame sizes on the wire, link header included, comma-separated\n"
		"              (default 64,512,1500; each %d..MTU+14, and at most %zu\n"
		"              with tx_ring or tx_ring_bypass: what a ring frame holds)\n"
		"  -m METHODS  any of sendto,sendmmsg,tx_ring,tx_ring_bypass (default all)\n"
		"  -b BATCH    frames per sendmmsg() call and per ring send, even (default %u, at most %d)\n"
		"  -c CPU      run on this CPU only (default: wherever the scheduler puts it)\n",
		prog, opt.frames, opt.runs, MAX_RUNS, ZC_FRAME_HDR,
		zc_ring_max_len(TPACKET_V2, SOCK_RAW), opt.batch, MAX_BATCH);
}

static void bad_usage(const char *prog, const char *fmt, const char *val)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, val);
	fprintf(stderr, "\nTry '%s -h'.\n", prog);
	exit(2);
}

/* A number in [lo, hi], or bad usage naming @what. */
static unsigned long number(const char *prog, const char *what,
			    const char *s, unsigned long lo, unsigned long hi)
{
	unsigned long v;
	char *end, msg[128];

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi) {
		snprintf(msg, sizeof(msg), "argument of %s must be %lu..%lu, not '%%s'",
			 what, lo, hi);
		bad_usage(prog, msg, s);
	}
	return v;
}

static void parse_methods(const char *prog, char *list)
{
	char *tok, *save = NULL;
	int m;

	memset(opt.methods, 0, sizeof(opt.methods));
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (m = 0; m < NR_METHODS; m++)
			if (!strcmp(tok, method_names[m]))
				break;
		if (m == NR_METHODS)
			bad_usage(prog, "unknown method '%s' (sendto, sendmmsg, tx_ring, tx_ring_bypass)",
				  tok);
		opt.methods[m] = true;
	}
}

static void parse_sizes(const char *prog, char *list)
{
	char *tok, *save = NULL;

	opt.nr_sizes = 0;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (opt.nr_sizes == MAX_SIZES)
			bad_usage(prog, "too many sizes in -s (at most 8): '%s'",
				  tok);
		/* Checked against the MTU once the device is known. */
		opt.sizes[opt.nr_sizes++] = number(prog, "-s", tok,
						   ZC_FRAME_HDR, 65535);
	}
}

static void parse_args(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "d:n:r:s:m:b:c:h")) != -1) {
		switch (c) {
		case 'd':
			opt.dev = optarg;
			break;
		case 'n':
			opt.frames = number(argv[0], "-n", optarg, 1,
					    1000000000);
			break;
		case 'r':
			opt.runs = number(argv[0], "-r", optarg, 1, MAX_RUNS);
			break;
		case 's':
			parse_sizes(argv[0], optarg);
			break;
		case 'm':
			parse_methods(argv[0], optarg);
			break;
		case 'b':
			opt.batch = number(argv[0], "-b", optarg, 2,
					   MAX_BATCH);
			if (opt.batch % 2)
				bad_usage(argv[0], "argument of -b must be even (a ring holds frames in pairs), not %s",
					  optarg);
			break;
		case 'c':
			opt.cpu = number(argv[0], "-c", optarg, 0, 4095);
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		default:
			usage(stderr, argv[0]);
			exit(2);
		}
	}
	if (optind < argc)
		bad_usage(argv[0], "unexpected argument '%s'", argv[optind]);
	if (!opt.dev)
		bad_usage(argv[0], "no device given (-d)%s", "");
	opt.frames = (opt.frames + opt.batch - 1) / opt.batch * opt.batch;
}

static void set_seq(uint8_t *frame, uint32_t seq)
{
	uint32_t le = htole32(seq);

	memcpy(frame + ETH_HLEN, &le, sizeof(le));
}

static int packet_socket(bool bypass)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = link_.ifindex,
	};
	struct timeval tv = {
		.tv_sec = SEND_TIMEOUT_MS / 1000,
		.tv_usec = SEND_TIMEOUT_MS % 1000 * 1000,
	};
	int fd, one = 1;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    (bypass && setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
				  sizeof(one))) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		one = -errno;
		close(fd);
		return one;
	}
	return fd;
}

/* The clocks at the start of the timed part of a run. */
static int64_t t0, c0;

static void clocks_start(void)
{
	t0 = zc_now_us();
	c0 = zc_thread_cpu_ns();
}

static void clocks_stop(struct sample *s, unsigned long n)
{
	s->cpu_ns = (double)(zc_thread_cpu_ns() - c0) / n;
	s->fps = n * 1e6 / (double)(zc_now_us() - t0 ?: 1);
}

/*
 * @n frames of @size with sendto() or sendmmsg(), timed into @s (setup
 * and close are not: closing a packet socket waits for an RCU grace
 * period); -errno on failure.
 */
static int run_socket(enum method m, unsigned int size, unsigned long n,
		      struct sample *s)
{
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	unsigned long seq = 0;
	unsigned int i, k;
	int fd, ret = 0;
	uint8_t *buf;
	ssize_t r;

	buf = malloc((size_t)opt.batch * size);
	if (!buf)
		return -ENOMEM;
	fd = packet_socket(false);
	if (fd < 0) {
		free(buf);
		return fd;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < opt.batch; i++) {
		iov[i].iov_base = buf + (size_t)i * size;
		iov[i].iov_len = size;
		zc_frame_fill(iov[i].iov_base, size, dst, link_.mac, 0, true);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	clocks_start();
	while (seq < n && !ret) {
		if (m == M_SENDTO) {
			set_seq(buf, seq);
			r = sendto(fd, buf, size, 0, NULL, 0);
			if (r != (ssize_t)size)
				ret = r < 0 ? -errno : -EIO;
			seq++;
			continue;
		}
		k = n - seq < opt.batch ? n - seq : opt.batch;
		for (i = 0; i < k; i++)
			set_seq(iov[i].iov_base, seq + i);
		r = sendmmsg(fd, msgs, k, 0);
		if (r <= 0)
			ret = r < 0 ? -errno : -EIO;
		else
			seq += r;
	}
	clocks_stop(s, n);
	close(fd);
	free(buf);
	return ret;
}

/* @n frames of @size through a TX ring of opt.batch frames, timed. */
static int run_ring(bool bypass, unsigned int size, unsigned long n,
		    struct sample *s)
{
	struct zc_ring_spec spec = {
		.version = TPACKET_V2,
		.type = SOCK_RAW,
		.link = &link_,
		.frames = opt.batch,
		.qdisc_bypass = bypass,
		.sndtimeo_ms = SEND_TIMEOUT_MS,
	};
	unsigned long seq = 0;
	struct zc_ring ring;
	unsigned int i;
	ssize_t r;
	int ret;

	ret = zc_ring_open(&ring, &spec);
	if (ret)
		return ret;
	for (i = 0; i < ring.frames && !ret; i++)
		ret = zc_ring_queue(&ring, i, size, dst, link_.mac, 0);
	if (ret) {
		zc_ring_close(&ring);
		return ret;
	}
	/*
	 * Every send takes the whole ring (n is a multiple of it), so the
	 * kernel's next frame is always frame 0.
	 */
	clocks_start();
	while (seq < n && !ret) {
		for (i = 0; i < ring.frames; i++) {
			set_seq(zc_ring_data(&ring, i), seq + i);
			zc_ring_set_status(&ring, i, TP_STATUS_SEND_REQUEST);
		}
		r = zc_ring_send(&ring, 0);
		if (r != (ssize_t)ring.frames * size)
			ret = r < 0 ? (int)r : -EIO;
		seq += ring.frames;
	}
	clocks_stop(s, n);
	zc_ring_close(&ring);
	return ret;
}

/*
 * One run: @n frames; the figures in @s; false with a message when a
 * send failed or the device did not count every frame.
 */
static bool run(enum method m, unsigned int size, unsigned long n,
		struct sample *s)
{
	uint64_t before = 0, after = 0;
	int ret, stat;

	stat = zc_dev_stat(NULL, opt.dev, ZC_DEV_RX_DROPPED, &before);
	if (stat) {
		fprintf(stderr, "# %s, %u bytes: reading the drop counter of %s before the run: %s\n",
			method_names[m], size, opt.dev, strerror(-stat));
		return false;
	}
	if (m <= M_SENDMMSG)
		ret = run_socket(m, size, n, s);
	else
		ret = run_ring(m == M_RING_BYPASS, size, n, s);
	stat = zc_dev_stat(NULL, opt.dev, ZC_DEV_RX_DROPPED, &after);
	/* A socket's send times out with EAGAIN, a ring's with ETIMEDOUT. */
	if (ret == -EAGAIN || ret == -ETIMEDOUT) {
		fprintf(stderr, "# %s, %u bytes: a send blocked longer than its %d ms timeout (SO_SNDTIMEO): %s\n",
			method_names[m], size, SEND_TIMEOUT_MS, strerror(-ret));
		return false;
	}
	if (ret) {
		fprintf(stderr, "# %s, %u bytes: %s\n", method_names[m], size,
			strerror(-ret));
		return false;
	}
	if (stat) {
		fprintf(stderr, "# %s, %u bytes: reading the drop counter of %s after the run: %s\n",
			method_names[m], size, opt.dev, strerror(-stat));
		return false;
	}
	if (after - before < n) {
		fprintf(stderr, "# %s, %u bytes: %s counted %llu of %lu frames\n",
			method_names[m], size, opt.dev,
			(unsigned long long)(after - before), n);
		return false;
	}
	return true;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median, smallest and largest of @n values (sorted in place). */
static void stats(double *v, unsigned int n, double *med, double *lo,
		  double *hi)
{
	qsort(v, n, sizeof(*v), cmp_double);
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*lo = v[0];
	*hi = v[n - 1];
}

/* Busy and total jiffies of all CPUs, from /proc/stat. */
static int cpu_times(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "re");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9]);
	fclose(f);
	if (n < 5)
		return -EINVAL;
	*total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	*busy = *total - v[3] - v[4];		/* idle, iowait */
	return 0;
}

static void print_host(void)
{
	char load[64] = "?";
	struct utsname u;
	FILE *f;

	uname(&u);
	f = fopen("/proc/loadavg", "re");
	if (f) {
		if (!fgets(load, sizeof(load), f))
			snprintf(load, sizeof(load), "?");
		load[strcspn(load, "\n")] = 0;
		fclose(f);
	}
	printf("# kernel %s, %ld CPUs online, load average %s\n", u.release,
	       sysconf(_SC_NPROCESSORS_ONLN), load);
}

int main(int argc, char **argv)
{
	static struct sample s[NR_METHODS][MAX_SIZES][MAX_RUNS];
	double fps[MAX_RUNS], cpu[MAX_RUNS], m1, l1, h1, m2, l2, h2;
	unsigned long long busy0 = 0, total0 = 0, busy1 = 0, total1 = 0;
	bool ok[NR_METHODS][MAX_SIZES];
	struct timespec p0, p1;
	unsigned int i, j, k;
	char msg[160], val[16];
	struct sample warm;
	double own, other, hz;
	int m, ret, load0, load1;
	size_t ring_max;
	long ncpu;

	parse_args(argc, argv);
	/* Test traffic stays inside the suite's own namespaces. */
	if (zc_netns_is(zc_getenv("ZC_TX_NS", "")) != 1) {
		fprintf(stderr, "%s: refusing to send outside the topology's namespace (ZC_TX_NS='%s'): run it through make bench\n",
			argv[0], zc_getenv("ZC_TX_NS", ""));
		return 1;
	}
	ret = zc_link_get(NULL, 0, opt.dev, &link_);
	if (ret) {
		fprintf(stderr, "%s: device '%s': %s\n", argv[0], opt.dev,
			strerror(-ret));
		return 1;
	}
	ring_max = zc_ring_max_len(TPACKET_V2, SOCK_RAW);
	for (j = 0; j < opt.nr_sizes; j++) {
		snprintf(val, sizeof(val), "%u", opt.sizes[j]);
		if (opt.sizes[j] > link_.mtu + ETH_HLEN) {
			snprintf(msg, sizeof(msg), "argument of -s must be %d..%u on %s (its MTU + 14), not '%%s'",
				 ZC_FRAME_HDR, link_.mtu + ETH_HLEN, opt.dev);
			bad_usage(argv[0], msg, val);
		}
		if ((opt.methods[M_RING] || opt.methods[M_RING_BYPASS]) &&
		    opt.sizes[j] > ring_max) {
			snprintf(msg, sizeof(msg), "argument of -s must be %d..%zu with tx_ring or tx_ring_bypass (what a ring frame holds), not '%%s'",
				 ZC_FRAME_HDR, ring_max);
			bad_usage(argv[0], msg, val);
		}
	}
	if (opt.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(opt.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			fprintf(stderr, "%s: CPU %d: %s\n", argv[0], opt.cpu,
				strerror(errno));
			return 1;
		}
	}

	print_host();
	printf("# %s: %lu frames per run, %u runs after one to warm up, batch %u\n",
	       opt.dev, opt.frames, opt.runs, opt.batch);
	if (opt.cpu >= 0)
		printf("# pinned to CPU %d\n", opt.cpu);
	memset(ok, 1, sizeof(ok));
	load0 = cpu_times(&busy0, &total0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p0);
	for (i = 0; i < opt.runs + 1; i++) {
		for (j = 0; j < opt.nr_sizes; j++) {
			for (m = 0; m < NR_METHODS; m++) {
				if (!opt.methods[m] || !ok[m][j])
					continue;
				/* Run 0 warms up and is not counted. */
				ok[m][j] = run(m, opt.sizes[j], opt.frames,
					       i ? &s[m][j][i - 1] : &warm);
			}
		}
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p1);
	load1 = load0 ? load0 : cpu_times(&busy1, &total1);

	printf("%-15s %5s  %-30s  %-24s\n", "method", "bytes",
	       "kframes/s median [min..max]", "CPU ns/frame median [min..max]");
	for (j = 0; j < opt.nr_sizes; j++) {
		for (m = 0; m < NR_METHODS; m++) {
			if (!opt.methods[m])
				continue;
			if (!ok[m][j]) {
				printf("%-15s %5u  failed (see above)\n",
				       method_names[m], opt.sizes[j]);
				continue;
			}
			for (k = 0; k < opt.runs; k++) {
				fps[k] = s[m][j][k].fps / 1000;
				cpu[k] = s[m][j][k].cpu_ns;
			}
			stats(fps, opt.runs, &m1, &l1, &h1);
			stats(cpu, opt.runs, &m2, &l2, &h2);
			printf("%-15s %5u  %7.1f [%7.1f..%7.1f] %3.0f%%  %6.0f [%6.0f..%6.0f] %3.0f%%\n",
			       method_names[m], opt.sizes[j], m1, l1, h1,
			       (h1 - l1) * 100 / m1, m2, l2, h2,
			       (h2 - l2) * 100 / m2);
		}
	}
	printf("# spread: (max - min) / median\n");
	/* How busy the host was apart from this tool. */
	if (load1) {
		printf("# how busy the other CPUs were is unknown: /proc/stat: %s\n",
		       strerror(-load1));
	} else if (total1 > total0) {
		hz = sysconf(_SC_CLK_TCK);
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		own = (p1.tv_sec - p0.tv_sec) +
		      (p1.tv_nsec - p0.tv_nsec) / 1e9;
		other = (busy1 - busy0) / hz - own;
		printf("# meanwhile other processes kept %.2f of the %ld CPUs busy on average\n",
		       (other > 0 ? other : 0) / ((total1 - total0) / hz / ncpu),
		       ncpu);
	}
	for (j = 0; j < opt.nr_sizes; j++)
		for (m = 0; m < NR_METHODS; m++)
			if (opt.methods[m] && !ok[m][j])
				return 1;
	return 0;
}
