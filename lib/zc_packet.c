// SPDX-License-Identifier: GPL-2.0
/* Packet sockets, test frames and the TX ring: see zc_packet.h. */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "zc_net.h"
#include "zc_packet.h"

/* Byte @off of test frame @seq, from the sequence number's end on. */
static uint64_t body_off(uint32_t seq, size_t off)
{
	return (uint64_t)seq * 65536 + off;
}

static void frame_header(uint8_t *h, const uint8_t *dst, const uint8_t *src,
			 uint32_t seq)
{
	uint16_t type = htons(ZC_ETH_P_TEST);
	uint32_t le = htole32(seq);

	memcpy(h, dst, ETH_ALEN);
	memcpy(h + ETH_ALEN, src, ETH_ALEN);
	memcpy(h + 2 * ETH_ALEN, &type, sizeof(type));
	memcpy(h + ETH_HLEN, &le, sizeof(le));
}

void zc_frame_fill(void *buf, size_t len, const uint8_t *dst,
		   const uint8_t *src, uint32_t seq, bool link_header)
{
	uint8_t h[ZC_FRAME_HDR], *p = buf;
	size_t skip = link_header ? 0 : ETH_HLEN;

	frame_header(h, dst, src, seq);
	memcpy(p, h + skip, ZC_FRAME_HDR - skip);
	p += ZC_FRAME_HDR - skip;
	zc_fill(p, len - ZC_FRAME_HDR, body_off(seq, ZC_FRAME_HDR));
}

long zc_frame_verify(const void *buf, size_t len, size_t want_len,
		     const uint8_t *dst, const uint8_t *src, uint32_t *seq)
{
	const uint8_t *p = buf;
	uint8_t h[ZC_FRAME_HDR];
	uint32_t le;
	size_t i;
	long bad;

	if (len < ZC_FRAME_HDR)
		return (long)len;
	memcpy(&le, p + ETH_HLEN, sizeof(le));
	*seq = le32toh(le);
	frame_header(h, dst, src, *seq);
	for (i = 0; i < ZC_FRAME_HDR; i++)
		if (p[i] != h[i])
			return (long)i;
	if (len != want_len)
		return (long)(len < want_len ? len : want_len);
	bad = zc_verify(p + ZC_FRAME_HDR, len - ZC_FRAME_HDR,
			body_off(*seq, ZC_FRAME_HDR));
	return bad < 0 ? -1 : bad + ZC_FRAME_HDR;
}

/* Position of @v in @a[from, n), or -1. */
static long find(const uint32_t *a, size_t from, size_t n, uint32_t v)
{
	size_t i;

	for (i = from; i < n; i++)
		if (a[i] == v)
			return (long)i;
	return -1;
}

static const char *frame_name(uint32_t seq, char *buf, size_t len)
{
	if (seq == ZC_FRAME_END)
		snprintf(buf, len, "the end marker");
	else
		snprintf(buf, len, "frame %u", seq);
	return buf;
}

long zc_frames_compare(const uint32_t *want, size_t n_want,
		       const uint32_t *got, size_t n_got,
		       char *why, size_t len)
{
	char a[32], b[32];
	size_t i;

	for (i = 0; i < n_want && i < n_got; i++)
		if (want[i] != got[i])
			break;
	if (i == n_want && i == n_got) {
		snprintf(why, len, "all %zu frames in order", n_want);
		return -1;
	}
	if (i == n_got) {
		snprintf(why, len, "%s lost: the peer got %zu of %zu frames, the last one in order being %s",
			 frame_name(want[i], a, sizeof(a)), n_got, n_want,
			 i ? frame_name(want[i - 1], b, sizeof(b)) : "none");
	} else if (find(got, 0, i, got[i]) >= 0) {
		snprintf(why, len, "%s received twice (at position %zu)",
			 frame_name(got[i], a, sizeof(a)), i);
	} else if (i == n_want) {
		snprintf(why, len, "%s received after the last frame expected",
			 frame_name(got[i], a, sizeof(a)));
	} else if (find(got, i + 1, n_got, want[i]) >= 0) {
		snprintf(why, len, "%s out of order: %s came before it",
			 frame_name(want[i], a, sizeof(a)),
			 frame_name(got[i], b, sizeof(b)));
	} else if (find(want, i + 1, n_want, got[i]) >= 0) {
		snprintf(why, len, "%s lost: %s came in its place",
			 frame_name(want[i], a, sizeof(a)),
			 frame_name(got[i], b, sizeof(b)));
	} else {
		snprintf(why, len, "%s never sent, received in place of %s",
			 frame_name(got[i], a, sizeof(a)),
			 frame_name(want[i], b, sizeof(b)));
	}
	return (long)i;
}

/* Where a frame's data begins, from the start of its header. */
static unsigned int data_off(int version)
{
	return (version == TPACKET_V3 ? TPACKET3_HDRLEN : TPACKET2_HDRLEN) -
	       sizeof(struct sockaddr_ll);
}

size_t zc_ring_max_len(int version, int type)
{
	return ZC_RING_FRAME_SIZE - data_off(version) +
	       (type == SOCK_DGRAM ? ETH_HLEN : 0);
}

int zc_ring_open(struct zc_ring *r, const struct zc_ring_spec *s)
{
	struct timeval tv = {
		.tv_sec = s->sndtimeo_ms / 1000,
		.tv_usec = (s->sndtimeo_ms % 1000) * 1000,
	};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = s->link->ifindex,
	};
	struct tpacket_req3 req = { 0 };
	int one = 1, ret;
	socklen_t req_len;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (!s->frames || s->frames % 2 || s->sndtimeo_ms <= 0)
		return -EINVAL;
	r->version = s->version;
	r->type = s->type;
	r->frames = s->frames;
	r->frame_size = ZC_RING_FRAME_SIZE;
	r->block_size = 2 * ZC_RING_FRAME_SIZE;
	r->data_off = data_off(s->version);
	/* Protocol 0: the socket only transmits (packet_mmap.rst). */
	r->fd = socket(AF_PACKET, s->type | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		return -errno;
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &s->version,
		       sizeof(s->version)) ||
	    setsockopt(r->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    (s->qdisc_bypass &&
	     setsockopt(r->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
			sizeof(one))) ||
	    (s->loss &&
	     setsockopt(r->fd, SOL_PACKET, PACKET_LOSS, &one, sizeof(one))))
		goto fail;
	req.tp_block_size = r->block_size;
	req.tp_block_nr = s->frames / 2;
	req.tp_frame_size = r->frame_size;
	req.tp_frame_nr = s->frames;
	req_len = s->version == TPACKET_V3 ? sizeof(req) :
					     sizeof(struct tpacket_req);
	if (setsockopt(r->fd, SOL_PACKET, PACKET_TX_RING, &req, req_len))
		goto fail;
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto fail;
	r->map_len = (size_t)req.tp_block_nr * req.tp_block_size;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		goto fail;
	}
	r->to = sll;
	r->to.sll_protocol = htons(ZC_ETH_P_TEST);
	r->to.sll_halen = ETH_ALEN;
	if (s->dst)
		memcpy(r->to.sll_addr, s->dst, ETH_ALEN);
	return 0;
fail:
	ret = -errno;
	zc_ring_close(r);
	return ret;
}

void zc_ring_close(struct zc_ring *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	r->map = NULL;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* The tpacket2_hdr or tpacket3_hdr of frame @i. */
static void *frame_hdr(const struct zc_ring *r, unsigned int i)
{
	unsigned int per_block = r->block_size / r->frame_size;

	return r->map + (size_t)(i / per_block) * r->block_size +
	       (size_t)(i % per_block) * r->frame_size;
}

static uint32_t *status_word(const struct zc_ring *r, unsigned int i)
{
	if (r->version == TPACKET_V3)
		return &((struct tpacket3_hdr *)frame_hdr(r, i))->tp_status;
	return &((struct tpacket2_hdr *)frame_hdr(r, i))->tp_status;
}

uint8_t *zc_ring_data(const struct zc_ring *r, unsigned int i)
{
	return (uint8_t *)frame_hdr(r, i) + r->data_off;
}

uint32_t zc_ring_status(const struct zc_ring *r, unsigned int i)
{
	return __atomic_load_n(status_word(r, i), __ATOMIC_ACQUIRE) &
	       ~(uint32_t)ZC_TP_STATUS_TS_MASK;
}

void zc_ring_set_status(const struct zc_ring *r, unsigned int i,
			uint32_t status)
{
	__atomic_store_n(status_word(r, i), status, __ATOMIC_RELEASE);
}

void zc_ring_set_len(const struct zc_ring *r, unsigned int i, uint32_t len)
{
	if (r->version == TPACKET_V3)
		((struct tpacket3_hdr *)frame_hdr(r, i))->tp_len = len;
	else
		((struct tpacket2_hdr *)frame_hdr(r, i))->tp_len = len;
}

int zc_ring_queue(const struct zc_ring *r, unsigned int i, size_t len,
		  const uint8_t *dst, const uint8_t *src, uint32_t seq)
{
	bool raw = r->type == SOCK_RAW;
	size_t tp_len;

	if (len < ZC_FRAME_HDR)
		return -EINVAL;
	tp_len = raw ? len : len - ETH_HLEN;
	if (tp_len > r->frame_size - r->data_off)
		return -EMSGSIZE;
	zc_frame_fill(zc_ring_data(r, i), len, dst, src, seq, raw);
	zc_ring_set_len(r, i, tp_len);
	zc_ring_set_status(r, i, TP_STATUS_SEND_REQUEST);
	return 0;
}

ssize_t zc_ring_send(const struct zc_ring *r, int flags)
{
	bool dgram = r->type == SOCK_DGRAM;
	ssize_t n;

	n = sendto(r->fd, NULL, 0, flags,
		   dgram ? (const struct sockaddr *)&r->to : NULL,
		   dgram ? sizeof(r->to) : 0);
	return n < 0 ? -errno : n;
}

void zc_ring_count(const struct zc_ring *r, unsigned int from,
		   unsigned int to, struct zc_ring_census *c)
{
	unsigned int i;
	uint32_t st;

	memset(c, 0, sizeof(*c));
	c->first_not_available = -1;
	c->first_send_request = -1;
	c->first_wrong_format = -1;
	c->first_other = -1;
	for (i = from; i < to; i++) {
		st = zc_ring_status(r, i);
		if (st != TP_STATUS_AVAILABLE && c->first_not_available < 0)
			c->first_not_available = i;
		switch (st) {
		case TP_STATUS_AVAILABLE:
			c->available++;
			break;
		case TP_STATUS_SEND_REQUEST:
			if (c->first_send_request < 0)
				c->first_send_request = i;
			c->send_request++;
			break;
		case TP_STATUS_SENDING:
			c->sending++;
			break;
		case TP_STATUS_WRONG_FORMAT:
			if (c->first_wrong_format < 0)
				c->first_wrong_format = i;
			c->wrong_format++;
			break;
		default:
			if (c->first_other < 0) {
				c->first_other = i;
				c->other_status = st;
			}
			c->other++;
		}
	}
}

const char *zc_ring_status_name(uint32_t status, char *buf, size_t len)
{
	switch (status) {
	case TP_STATUS_AVAILABLE:
		return "AVAILABLE";
	case TP_STATUS_SEND_REQUEST:
		return "SEND_REQUEST";
	case TP_STATUS_SENDING:
		return "SENDING";
	case TP_STATUS_WRONG_FORMAT:
		return "WRONG_FORMAT";
	}
	snprintf(buf, len, "0x%x", status);
	return buf;
}
