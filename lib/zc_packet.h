/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet sockets: the suite's test frames, and the PACKET_TX_RING
 * (Documentation/networking/packet_mmap.rst) as a plain struct; the link
 * they go out on is a struct zc_link (zc_nl.h).  Plain helpers: they
 * return -errno and never assert.
 *
 * A test frame is an Ethernet frame of the IEEE 802 local experimental
 * ethertype 1 (0x88b5), so that nothing else on a link takes it for its
 * own:
 *
 *   bytes 0-13   destination, source, ethertype
 *   bytes 14-17  sequence number, little endian (ZC_FRAME_END: the last)
 *   bytes 18-    zc_pattern() from offset seq * 65536 + 18: a frame with
 *                the right number but another frame's body differs
 *
 * A frame's length is its length on the wire, link header included (no
 * FCS).  A SOCK_DGRAM socket is handed the frame without its first 14
 * bytes: the kernel writes the link header.
 */
#ifndef ZC_PACKET_H
#define ZC_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "zc_nl.h"

#define ZC_ETH_P_TEST	0x88b5
#define ZC_FRAME_HDR	18		/* link header + sequence number */
#define ZC_FRAME_END	0xffffffffu	/* sequence number of the last */

/* Status bits that PACKET_TIMESTAMP may add to tp_status. */
#define ZC_TP_STATUS_TS_MASK \
	(TP_STATUS_TS_SOFTWARE | TP_STATUS_TS_SYS_HARDWARE | \
	 TP_STATUS_TS_RAW_HARDWARE)

/**
 * zc_frame_fill() - write test frame @seq, @len bytes (at least
 * ZC_FRAME_HDR) from @src to @dst, into @buf; with @link_header false,
 * only its bytes from 14 on (what a SOCK_DGRAM socket is given), @len - 14
 * of them.
 */
void zc_frame_fill(void *buf, size_t len, const uint8_t *dst,
		   const uint8_t *src, uint32_t seq, bool link_header);

/**
 * zc_frame_verify() - check a received frame against test frame @want_len
 * long from @src to @dst, whatever its sequence number
 *
 * Return: -1 when every byte matches, with the frame's number in @seq;
 * else the index of the first byte that differs (@len itself when the
 * frame is shorter than expected), @seq set when bytes 14-17 were there.
 */
long zc_frame_verify(const void *buf, size_t len, size_t want_len,
		     const uint8_t *dst, const uint8_t *src, uint32_t *seq);

/**
 * zc_frames_compare() - compare the frame numbers a receiver got, in
 * order of arrival, with those it should have got, in order
 *
 * Return: -1 when they are the same; else the position of the first
 * difference, with @why saying it in words and naming the frame ("frame
 * 17 lost: frame 18 came in its place").
 */
long zc_frames_compare(const uint32_t *want, size_t n_want,
		       const uint32_t *got, size_t n_got,
		       char *why, size_t len);

struct zc_ring_spec {
	int version;		/* TPACKET_V2 or TPACKET_V3 */
	int type;		/* SOCK_RAW or SOCK_DGRAM */
	const struct zc_link *link;	/* where the frames go out: a
					 * device of the caller's namespace
					 * (zc_link_get(NULL, ...)) */
	const uint8_t *dst;	/* SOCK_DGRAM: destination of every frame */
	unsigned int frames;	/* even: two 2048-byte frames per block */
	bool qdisc_bypass;	/* PACKET_QDISC_BYPASS */
	bool loss;		/* PACKET_LOSS: skip malformed frames */
	int sndtimeo_ms;	/* bound of a blocking send (SO_SNDTIMEO),
				 * more than 0: a send never blocks forever */
};

/* An mmap'ed PACKET_TX_RING, bound to its link with protocol 0. */
struct zc_ring {
	int fd;
	int version;
	int type;
	uint8_t *map;
	size_t map_len;
	unsigned int frames;
	unsigned int frame_size;
	unsigned int block_size;
	unsigned int data_off;	/* where a frame's data begins */
	struct sockaddr_ll to;	/* SOCK_DGRAM: the destination */
};

#define ZC_RING_FRAME_SIZE 2048

/**
 * zc_ring_open() - a packet socket of @s->type with a TX ring of
 * @s->frames frames, every frame TP_STATUS_AVAILABLE
 *
 * Return: 0; -EINVAL from PACKET_TX_RING (e.g. TPACKET_V3 before
 * 7f953ab2ba46, v4.11), or for an odd frame count or no send timeout;
 * -ENOPROTOOPT when an
 * option is unknown to the kernel; else -errno of the failed call.
 */
int zc_ring_open(struct zc_ring *r, const struct zc_ring_spec *s);

/** zc_ring_close() - unmap and close; idempotent */
void zc_ring_close(struct zc_ring *r);

/** zc_ring_data() - the data of frame @i (what tp_len counts) */
uint8_t *zc_ring_data(const struct zc_ring *r, unsigned int i);

/** zc_ring_status() - tp_status of frame @i, timestamp bits removed */
uint32_t zc_ring_status(const struct zc_ring *r, unsigned int i);

/** zc_ring_set_status() - write tp_status of frame @i (after its data) */
void zc_ring_set_status(const struct zc_ring *r, unsigned int i,
			uint32_t status);

/** zc_ring_set_len() - write tp_len of frame @i */
void zc_ring_set_len(const struct zc_ring *r, unsigned int i, uint32_t len);

/**
 * zc_ring_max_len() - the longest frame, on the wire, that a frame of a
 * TPACKET @version ring of socket @type holds: ZC_RING_FRAME_SIZE less
 * the frame's header (for SOCK_DGRAM, plus the link header the kernel
 * writes).  2016 for TPACKET_V2 and SOCK_RAW.
 */
size_t zc_ring_max_len(int version, int type);

/**
 * zc_ring_queue() - fill frame @i with test frame @seq, @len bytes on the
 * wire (tp_len @len, or @len - 14 for SOCK_DGRAM), and mark it
 * TP_STATUS_SEND_REQUEST
 *
 * Return: 0; -EMSGSIZE when the frame holds less than @len
 * (zc_ring_max_len()), -EINVAL when @len is less than ZC_FRAME_HDR: the
 * frame is left untouched then.
 */
int zc_ring_queue(const struct zc_ring *r, unsigned int i, size_t len,
		  const uint8_t *dst, const uint8_t *src, uint32_t seq);

/**
 * zc_ring_send() - sendto(fd, NULL, 0, @flags): transmit every frame
 * marked TP_STATUS_SEND_REQUEST, from the kernel's current frame on
 *
 * Return: the bytes queued (tp_len summed), or -errno.
 */
ssize_t zc_ring_send(const struct zc_ring *r, int flags);

/* How many frames of a ring are in each state, and the first of each. */
struct zc_ring_census {
	unsigned int available;
	unsigned int send_request;
	unsigned int sending;
	unsigned int wrong_format;
	unsigned int other;
	int first_not_available;	/* -1: none */
	int first_send_request;		/* -1: none */
	int first_wrong_format;		/* -1: none */
	int first_other;		/* -1: none */
	uint32_t other_status;
};

/** zc_ring_count() - count frames [@from, @to) by status */
void zc_ring_count(const struct zc_ring *r, unsigned int from,
		   unsigned int to, struct zc_ring_census *c);

/** zc_ring_status_name() - "AVAILABLE", "SENDING", ... or "0x..." */
const char *zc_ring_status_name(uint32_t status, char *buf, size_t len);

#endif /* ZC_PACKET_H */
