// SPDX-License-Identifier: MIT
/*
 * demo_server - starvation seen from the outside: a loopback TCP
 * request/response service on the runtime's epoll driver (rt_io_*).
 *
 * Each request is read by a per-connection reader task and handled by its
 * own task, which asks a backend task for the answer over an rt_mpsc channel
 * (reply on an rt_oneshot) under a per-request timeout (--timeout-ms), then
 * hands the response to the connection's writer task.  With --block-ms B,
 * every Nth request's handler makes a blocking call of B ms (a synchronous
 * "audit log" write) right after sending its job to the backend: that worker
 * polls nothing else meanwhile, and the backend task it just woke sits in the
 * worker's LIFO slot, so *other* requests time out waiting for the backend.
 * --fixed moves that call to rt_spawn_blocking.
 *
 * The load generator is open-loop and runs on plain threads, outside the
 * runtime under test: request i is due at start + i/R and its latency is
 * measured from that intended time, so a stalled server cannot slow the
 * generator down and hide its own stalls (no coordinated omission).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "block.h"
#include "cli.h"
#include "report.h"
#include "rt.h"
#include "sched_probe.h"

#define MAX_CONNS 64
/* The generator starts sending this long after the runtime is up. */
#define WARMUP_NS 100000000ULL
/* After the last response is due, the client waits this long past its own
 * timeout for stragglers before counting them lost. */
#define DRAIN_GRACE_NS 1000000000ULL
/* The server gives up waiting for its connections this long after that. */
#define SERVER_GRACE_NS 5000000000ULL

static struct env {
	long rate;
	long timeout_ms;
	long client_timeout_ms;
	long block_ms;
	long block_every;
	int conns;
} env = {
	.rate = 1000,
	.timeout_ms = 10,
	.client_timeout_ms = 30,
	.block_ms = 20,
	.block_every = 200,
	.conns = 4,
};

enum { ST_OK = 0, ST_TIMEOUT = 1, ST_ERROR = 2 };

/* Wire format, both directions, host byte order (same host, same binary). */
struct msg {
	uint64_t id;
	uint32_t status;
	uint32_t pad;
};

static bool is_blocking(uint64_t id)
{
	return env.block_ms > 0 && env.block_every > 0 &&
	       (id + 1) % (uint64_t)env.block_every == 0;
}

/* ---- server ------------------------------------------------------------- */

struct server {
	int lfd;
	rt_io_t lio;
	rt_mpsc_t *backend;
	uint64_t timeout_ns;
	uint64_t block_ns;
	uint64_t end_ns;      /* the generator's last intended send */
	uint64_t giveup_ns;   /* hard bound on the run */
	int apc;              /* the acceptor task's resumption point */
	int accepted;
	ssize_t ares;
	int bpc;              /* the backend task's */
	void *bitem;
	int conns_live;       /* atomic: connections whose writer is running */
	int gen_done;         /* atomic: the generator finished */
	/* atomic counters */
	uint64_t handled;
	uint64_t srv_timeouts;
	uint64_t srv_timeouts_blocking;
	uint64_t blocks;
	uint64_t blocked_ns;
};

struct conn {
	struct server *srv;
	int fd;
	rt_io_t io;
	rt_mpsc_t *out;   /* responses to the writer */
	int inflight;     /* atomic: the reader's ref + one per handler */
	/* reader */
	int rpc;
	ssize_t rres;
	size_t rlen;
	unsigned char rbuf[4096];
	/* writer */
	int wpc;
	void *item;
	size_t woff;
	ssize_t wres;
	bool wdead;
};

struct job {
	rt_oneshot_t *reply;
	uint64_t id;
};

struct handler {
	int pc;
	struct conn *c;
	struct msg req;
	uint64_t arrival_ns;
	struct job *job;
	rt_oneshot_t *reply;
	rt_mpsc_send_t op;
	int res;
	rt_timeout_t to;
	void *val;
	int ores;
	uint32_t status;
	rt_join_t *bjob;
	struct msg *resp;
};

static void conn_put(struct conn *c)
{
	/* Last one out (reader at EOF, or the last handler) ends the writer. */
	if (__atomic_sub_fetch(&c->inflight, 1, __ATOMIC_ACQ_REL) == 0)
		rt_mpsc_close(c->out);
}

static void conn_free(void *state)
{
	struct conn *c = state;

	rt_mpsc_unref(c->out);
	free(c);
}

/* The blocking "audit log write"; only the call itself is counted. */
static void *block_once(void *arg)
{
	struct server *s = arg;
	uint64_t t0 = rt_now_ns();

	demo_sleep_ns(s->block_ns);
	__atomic_add_fetch(&s->blocks, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->blocked_ns, rt_now_ns() - t0, __ATOMIC_RELAXED);
	return NULL;
}

/* Races the backend's reply against the request's deadline. */
static rt_poll_t handler_wait(struct handler *h, rt_cx_t *cx)
{
	if (rt_oneshot_recv_poll(h->reply, cx, &h->val, &h->ores) == RT_READY) {
		rt_timeout_cancel(&h->to);
		h->status = h->ores ? ST_ERROR : ST_OK;
		return RT_READY;
	}
	if (rt_timeout_poll(&h->to, cx) == RT_READY) {
		/* The deadline won: cancel the pending receive (rt.h rule 2)
		 * before the respond path drops our reference. */
		rt_oneshot_recv_cancel(h->reply);
		h->status = ST_TIMEOUT;
		return RT_READY;
	}
	return RT_PENDING;
}

static rt_poll_t handler_poll(rt_cx_t *cx, void *state)
{
	struct handler *h = state;
	struct server *s = h->c->srv;

	RT_ASYNC_BEGIN(&h->pc);
	rt_sleep_until(&h->to, h->arrival_ns + s->timeout_ns);
	h->reply = rt_oneshot_new();
	h->job = malloc(sizeof(*h->job));
	if (!h->reply || !h->job) {
		h->status = ST_ERROR;
		goto respond;
	}
	h->job->reply = h->reply;
	h->job->id = h->req.id;
	RT_AWAIT(&h->pc, rt_mpsc_send_poll(s->backend, &h->op, cx, h->job,
					   &h->res));
	if (h->res) {
		/* Backend gone: drop the sender's reference ourselves. */
		free(h->job);
		rt_oneshot_unref(h->reply);
		h->status = ST_ERROR;
		goto respond;
	}
	/* While the backend works on it: the "audit log" write.  The send
	 * just woke the backend task into this worker's LIFO slot. */
	if (is_blocking(h->req.id)) {
		if (!cli_env.fixed) {
			/* The bug: a blocking call inside a poll. */
			block_once(s);
		} else if (!rt_spawn_blocking(rt_cx_rt(cx), block_once, s,
					      &h->bjob)) {
			RT_AWAIT(&h->pc, rt_join_poll(h->bjob, cx, NULL));
			rt_join_free(h->bjob);
		} else {
			block_once(s); /* pool refused: degrade, still counted */
		}
	}
	RT_AWAIT(&h->pc, handler_wait(h, cx));
	if (h->status == ST_TIMEOUT) {
		__atomic_add_fetch(&s->srv_timeouts, 1, __ATOMIC_RELAXED);
		if (is_blocking(h->req.id))
			__atomic_add_fetch(&s->srv_timeouts_blocking, 1,
					   __ATOMIC_RELAXED);
	}
respond:
	if (h->reply)
		rt_oneshot_unref(h->reply);
	h->reply = NULL;
	h->resp = malloc(sizeof(*h->resp));
	if (!h->resp)
		goto out;
	*h->resp = (struct msg){ .id = h->req.id, .status = h->status };
	RT_AWAIT(&h->pc, rt_mpsc_send_poll(h->c->out, &h->op, cx, h->resp,
					   &h->res));
	if (h->res)
		free(h->resp);
out:
	__atomic_add_fetch(&s->handled, 1, __ATOMIC_RELAXED);
	conn_put(h->c);
	RT_ASYNC_END(&h->pc);
}

static int spawn_handler(rt_t *rt, struct conn *c, const struct msg *req)
{
	struct handler *h = calloc(1, sizeof(*h));
	int err;

	if (!h)
		return -ENOMEM;
	h->c = c;
	h->req = *req;
	h->arrival_ns = rt_now_ns();
	__atomic_add_fetch(&c->inflight, 1, __ATOMIC_ACQ_REL);
	err = rt_spawn(rt, handler_poll, h, free, NULL);
	if (err) {
		conn_put(c);
		free(h);
	}
	return err;
}

static rt_poll_t reader_poll(rt_cx_t *cx, void *state)
{
	struct conn *c = state;
	size_t off;

	RT_ASYNC_BEGIN(&c->rpc);
	for (;;) {
		RT_AWAIT(&c->rpc, rt_io_read_poll(&c->io, cx, c->rbuf + c->rlen,
						  sizeof(c->rbuf) - c->rlen,
						  &c->rres));
		if (c->rres <= 0)
			break; /* EOF (the generator is done) or error */
		c->rlen += (size_t)c->rres;
		for (off = 0; c->rlen - off >= sizeof(struct msg);
		     off += sizeof(struct msg)) {
			struct msg req;

			memcpy(&req, c->rbuf + off, sizeof(req));
			if (spawn_handler(rt_cx_rt(cx), c, &req))
				break; /* dropped: the client counts it lost */
		}
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	conn_put(c);
	RT_ASYNC_END(&c->rpc);
}

static rt_poll_t writer_poll(rt_cx_t *cx, void *state)
{
	struct conn *c = state;

	RT_ASYNC_BEGIN(&c->wpc);
	for (;;) {
		RT_AWAIT(&c->wpc, rt_mpsc_recv_poll(c->out, cx, &c->item));
		if (!c->item)
			break; /* closed and drained */
		for (c->woff = 0; !c->wdead && c->woff < sizeof(struct msg);) {
			RT_AWAIT(&c->wpc,
				 rt_io_write_poll(&c->io, cx,
						  (char *)c->item + c->woff,
						  sizeof(struct msg) - c->woff,
						  &c->wres));
			if (c->wres < 0)
				c->wdead = true; /* peer gone: drain only */
			else
				c->woff += (size_t)c->wres;
		}
		free(c->item);
		c->item = NULL;
	}
	rt_io_deregister(&c->io);
	close(c->fd);
	__atomic_sub_fetch(&c->srv->conns_live, 1, __ATOMIC_ACQ_REL);
	RT_ASYNC_END(&c->wpc);
}

static int conn_start(rt_t *rt, struct server *s, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	int one = 1, err;

	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->srv = s;
	c->fd = fd;
	c->inflight = 1; /* the reader's */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->out = rt_mpsc_new(4096);
	err = c->out ? rt_io_register(rt, &c->io, fd) : -ENOMEM;
	if (err)
		goto fail;
	__atomic_add_fetch(&s->conns_live, 1, __ATOMIC_ACQ_REL);
	/* The writer owns the connection: it ends last and frees it. */
	err = rt_spawn(rt, writer_poll, c, conn_free, NULL);
	if (err) {
		__atomic_sub_fetch(&s->conns_live, 1, __ATOMIC_ACQ_REL);
		rt_io_deregister(&c->io);
		goto fail;
	}
	err = rt_spawn(rt, reader_poll, c, NULL, NULL);
	if (err)
		conn_put(c); /* the writer sees a closed channel and ends */
	return err;
fail:
	if (c->out)
		rt_mpsc_unref(c->out);
	close(fd);
	free(c);
	return err;
}

static rt_poll_t acceptor_poll(rt_cx_t *cx, void *state)
{
	struct server *s = state;

	RT_ASYNC_BEGIN(&s->apc);
	while (s->accepted < env.conns) {
		RT_AWAIT(&s->apc, rt_io_accept_poll(&s->lio, cx, &s->ares));
		if (s->ares < 0)
			break;
		conn_start(rt_cx_rt(cx), s, (int)s->ares);
		s->accepted++;
	}
	rt_io_deregister(&s->lio);
	RT_ASYNC_END(&s->apc);
}

static rt_poll_t backend_poll(rt_cx_t *cx, void *state)
{
	struct server *s = state;
	struct job *job;

	RT_ASYNC_BEGIN(&s->bpc);
	for (;;) {
		RT_AWAIT(&s->bpc, rt_mpsc_recv_poll(s->backend, cx, &s->bitem));
		if (!s->bitem)
			break;
		job = s->bitem;
		rt_oneshot_send(job->reply, (void *)(uintptr_t)(job->id + 1));
		rt_oneshot_unref(job->reply);
		free(job);
	}
	RT_ASYNC_END(&s->bpc);
}

struct root {
	int pc;
	int err;
	struct server *srv;
	struct sched_probe probe;
	rt_join_t *ajoin, *bjoin;
	rt_sleep_t tick;
};

static rt_poll_t root_poll(rt_cx_t *cx, void *state)
{
	struct root *st = state;
	struct server *s = st->srv;
	rt_t *rt = rt_cx_rt(cx);

	RT_ASYNC_BEGIN(&st->pc);
	st->err = rt_io_register(rt, &s->lio, s->lfd);
	if (st->err)
		return RT_READY;
	st->err = sched_probe_spawn(rt, &st->probe, s->end_ns);
	if (!st->err)
		st->err = rt_spawn(rt, backend_poll, s, NULL, &st->bjoin);
	if (!st->err)
		st->err = rt_spawn(rt, acceptor_poll, s, NULL, &st->ajoin);
	if (st->err)
		return RT_READY;
	RT_AWAIT(&st->pc, rt_join_poll(st->ajoin, cx, NULL));
	rt_join_free(st->ajoin);
	/* Wait for the generator and every connection to finish. */
	while (!__atomic_load_n(&s->gen_done, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&s->conns_live, __ATOMIC_ACQUIRE) > 0) {
		if (rt_now_ns() > s->giveup_ns) {
			st->err = -ETIMEDOUT;
			break;
		}
		rt_sleep_init(&st->tick, 5000000);
		RT_AWAIT(&st->pc, rt_sleep_poll(&st->tick, cx));
	}
	rt_mpsc_close(s->backend);
	RT_AWAIT(&st->pc, rt_join_poll(st->bjoin, cx, NULL));
	rt_join_free(st->bjoin);
	RT_AWAIT(&st->pc, sched_probe_join_poll(&st->probe, cx));
	RT_ASYNC_END(&st->pc);
}

/* ---- the open-loop load generator (plain threads) ------------------------ */

struct gen {
	struct server *srv;
	int port;
	int fds[MAX_CONNS];
	int nconns;
	uint64_t start_ns;
	uint64_t nreqs;
	uint64_t sent;      /* atomic */
	int err;
	/* receiver's results */
	struct stats lat;   /* from intended send time, ns */
	struct stats lat_unblocked;	/* the same, requests that do not block */
	uint64_t answered;
	uint64_t ok, srv_timeout_seen, errors;
	uint64_t cli_timeouts, cli_timeouts_blocking;
	uint64_t lost, lost_blocking;
	uint8_t *seen;      /* per request id */
};

static uint64_t intended_ns(const struct gen *g, uint64_t i)
{
	return g->start_ns + i * 1000000000ULL / (uint64_t)env.rate;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *sender_main(void *arg)
{
	struct gen *g = arg;
	struct timespec ts;
	uint64_t due;

	for (uint64_t i = 0; i < g->nreqs; i++) {
		struct msg m = { .id = i };

		due = intended_ns(g, i);
		ts.tv_sec = (time_t)(due / 1000000000ULL);
		ts.tv_nsec = (long)(due % 1000000000ULL);
		/* Late wake-ups send at once: latency still counts from due. */
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR)
			;
		if (write_all(g->fds[i % (uint64_t)g->nconns], &m, sizeof(m))) {
			g->err = -EPIPE;
			break;
		}
		__atomic_store_n(&g->sent, i + 1, __ATOMIC_RELEASE);
	}
	/* Half-close: the server's readers see EOF and wind down. */
	for (int i = 0; i < g->nconns; i++)
		shutdown(g->fds[i], SHUT_WR);
	return NULL;
}

static void gen_record(struct gen *g, const struct msg *m, uint64_t now)
{
	uint64_t lat, tmo = (uint64_t)env.client_timeout_ms * 1000000ULL;

	if (m->id >= g->nreqs || g->seen[m->id])
		return; /* not ours: ignore */
	g->seen[m->id] = 1;
	g->answered++;
	lat = now - intended_ns(g, m->id);
	stats_record(&g->lat, lat);
	if (!is_blocking(m->id))
		stats_record(&g->lat_unblocked, lat);
	if (m->status == ST_OK)
		g->ok++;
	else if (m->status == ST_TIMEOUT)
		g->srv_timeout_seen++;
	else
		g->errors++;
	if (lat > tmo) {
		g->cli_timeouts++;
		if (is_blocking(m->id))
			g->cli_timeouts_blocking++;
	}
}

static void *receiver_main(void *arg)
{
	struct gen *g = arg;
	struct pollfd pfd[MAX_CONNS];
	unsigned char buf[MAX_CONNS][512];
	size_t len[MAX_CONNS] = {};
	int open = g->nconns;
	uint64_t deadline = intended_ns(g, g->nreqs) +
			    (uint64_t)env.client_timeout_ms * 1000000ULL +
			    DRAIN_GRACE_NS;

	for (int i = 0; i < g->nconns; i++)
		pfd[i] = (struct pollfd){ .fd = g->fds[i], .events = POLLIN };
	while (open > 0 && rt_now_ns() < deadline) {
		int n = poll(pfd, (nfds_t)g->nconns, 50);

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; n > 0 && i < g->nconns; i++) {
			ssize_t r;
			size_t off;
			uint64_t now;

			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(pfd[i].fd, buf[i] + len[i], sizeof(buf[i]) - len[i]);
			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				pfd[i].fd = -pfd[i].fd - 1; /* ignored by poll */
				open--;
				continue;
			}
			now = rt_now_ns();
			len[i] += (size_t)r;
			for (off = 0; len[i] - off >= sizeof(struct msg);
			     off += sizeof(struct msg)) {
				struct msg m;

				memcpy(&m, buf[i] + off, sizeof(m));
				gen_record(g, &m, now);
			}
			memmove(buf[i], buf[i] + off, len[i] - off);
			len[i] -= off;
		}
	}
	/* Whatever never came back timed out as far as the client knows. */
	for (uint64_t id = 0; id < __atomic_load_n(&g->sent, __ATOMIC_ACQUIRE);
	     id++) {
		if (g->seen[id])
			continue;
		g->lost++;
		g->cli_timeouts++;
		if (is_blocking(id)) {
			g->lost_blocking++;
			g->cli_timeouts_blocking++;
		}
	}
	for (int i = 0; i < g->nconns; i++)
		close(g->fds[i]);
	__atomic_store_n(&g->srv->gen_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int gen_connect(struct gen *g)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)g->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int one = 1;

	for (g->nconns = 0; g->nconns < env.conns; g->nconns++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			int err = -errno;

			close(fd);
			return err;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		g->fds[g->nconns] = fd;
	}
	return 0;
}

/* ---- main ------------------------------------------------------------------ */

static const char doc[] =
"Starvation seen from the outside: a loopback TCP service under open-loop load.\n"
"\n"
"Handlers ask a backend task over a channel under a per-request timeout;\n"
"every Nth handler then blocks B ms.  The requests that time out are mostly\n"
"not the ones that blocked.  --fixed moves the blocking call to\n"
"rt_spawn_blocking.\n"
"\v"
"EXAMPLES:\n"
"    demo_server --workers 2                       # timeouts, p99 >> T\n"
"    demo_server --workers 2 --fixed               # no timeouts\n"
"    demo_server --rate 2000 --block-ms 50 --json\n";

enum {
	OPT_RATE = 0x200,
	OPT_TIMEOUT_MS,
	OPT_CLIENT_TIMEOUT_MS,
	OPT_BLOCK_MS,
	OPT_BLOCK_EVERY,
	OPT_CONNS,
};

static const struct argp_option options[] = {
	{ "rate", OPT_RATE, "R", 0, "Requests per second, open loop (default 1000)", 0 },
	{ "timeout-ms", OPT_TIMEOUT_MS, "T", 0,
	  "Server-side timeout on the backend call, from arrival (default 10)", 0 },
	{ "client-timeout-ms", OPT_CLIENT_TIMEOUT_MS, "MS", 0,
	  "Client-side timeout, from the intended send time (default 30)", 0 },
	{ "block-ms", OPT_BLOCK_MS, "B", 0,
	  "Blocking call in every Nth handler, 0 for none (default 20)", 0 },
	{ "block-every", OPT_BLOCK_EVERY, "N", 0, "Every Nth request blocks (default 200)", 0 },
	{ "conns", OPT_CONNS, "C", 0, "Client connections (default 4)", 0 },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case OPT_RATE:
		env.rate = cli_long(state, "rate", arg, 1, 1000000);
		break;
	case OPT_TIMEOUT_MS:
		env.timeout_ms = cli_long(state, "timeout-ms", arg, 1, 60000);
		break;
	case OPT_CLIENT_TIMEOUT_MS:
		env.client_timeout_ms = cli_long(state, "client-timeout-ms",
						 arg, 1, 60000);
		break;
	case OPT_BLOCK_MS:
		env.block_ms = cli_long(state, "block-ms", arg, 0, 60000);
		break;
	case OPT_BLOCK_EVERY:
		env.block_every = cli_long(state, "block-every", arg, 1, 1000000000);
		break;
	case OPT_CONNS:
		env.conns = (int)cli_long(state, "conns", arg, 1, MAX_CONNS);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static struct argp argp = {
	.options = options,
	.parser = parse_opt,
	.doc = doc,
};

static int listen_loopback(int *port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sa);
	int fd, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		err = -errno;
		close(fd);
		return err;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static int report_run(struct root *st, struct gen *g)
{
	struct server *s = st->srv;
	uint64_t nblocking = 0;
	struct report rep;
	json_t *inj;

	for (uint64_t i = 0; i < g->sent; i++)
		nblocking += is_blocking(i);
	if (report_init(&rep, "server"))
		return -ENOMEM;
	report_probe(&rep, &st->probe.late);
	report_stats(&rep, "latency_us", "request latency", &g->lat, true);
	/* the tail of requests that never block themselves: what the
	 * blocking ones do to the others, whatever the mix */
	report_stats(&rep, "unblocked_latency_us", "  of unblocked requests",
		     &g->lat_unblocked, true);
	report_int(&rep, "requests", "requests sent", (int64_t)g->sent, NULL);
	report_int(&rep, "answered", "answered", (int64_t)g->answered, NULL);
	report_int(&rep, "server_timeouts", "server timeouts",
		   (int64_t)s->srv_timeouts, NULL);
	report_int(&rep, "server_timeouts_on_blocking", "  on blocking requests",
		   (int64_t)s->srv_timeouts_blocking, NULL);
	report_int(&rep, "client_timeouts", "client timeouts",
		   (int64_t)g->cli_timeouts, NULL);
	report_int(&rep, "client_timeouts_on_blocking", "  on blocking requests",
		   (int64_t)g->cli_timeouts_blocking, NULL);
	report_int(&rep, "lost", "  never answered", (int64_t)g->lost, NULL);
	report_int(&rep, "blocking_requests", "blocking requests",
		   (int64_t)nblocking, NULL);
	inj = json_pack("{s:I, s:I, s:s}",
			"blocks", (json_int_t)s->blocks,
			"block_ns_total", (json_int_t)s->blocked_ns,
			"mode", "sleep");
	report_set(&rep, "injected", inj);
	report_line(&rep, "injected", "%llu blocks of %ld ms, %.1f ms total%s",
		    (unsigned long long)s->blocks, env.block_ms,
		    (double)s->blocked_ns / 1e6,
		    cli_env.fixed ? " (on the blocking pool)" : "");
	report_set(&rep, "rate", json_integer(env.rate));
	report_set(&rep, "timeout_ms", json_integer(env.timeout_ms));
	report_set(&rep, "client_timeout_ms", json_integer(env.client_timeout_ms));
	report_set(&rep, "block_ms", json_integer(env.block_ms));
	report_set(&rep, "block_every", json_integer(env.block_every));
	report_set(&rep, "conns", json_integer(env.conns));
	report_line(&rep, "setup", "R=%ld/s T=%ld ms client %ld ms, B=%ld ms every %ld, %d conns",
		    env.rate, env.timeout_ms, env.client_timeout_ms,
		    env.block_ms, env.block_every, env.conns);
	return report_print(&rep);
}

int main(int argc, char **argv)
{
	rt_config_t cfg = {};
	struct server *s;
	struct root *st;
	struct gen *g;
	pthread_t snd, rcv;
	bool threads = false;
	rt_t *rt = NULL;
	int err;

	cli_parse(&argp, argc, argv, 3.0);
	/* A client that gave up may close first: EPIPE, not a signal. */
	signal(SIGPIPE, SIG_IGN);

	s = calloc(1, sizeof(*s));
	st = calloc(1, sizeof(*st));
	g = calloc(1, sizeof(*g));
	if (!s || !st || !g) {
		fprintf(stderr, "demo_server: out of memory\n");
		return 1;
	}
	g->nreqs = (uint64_t)(cli_env.secs * (double)env.rate);
	if (g->nreqs < 1)
		g->nreqs = 1;
	g->seen = calloc(g->nreqs, 1);
	if (!g->seen) {
		fprintf(stderr, "demo_server: out of memory\n");
		return 1;
	}
	stats_init(&g->lat);
	stats_init(&g->lat_unblocked);
	g->srv = s;
	st->srv = s;
	s->timeout_ns = (uint64_t)env.timeout_ms * 1000000ULL;
	s->block_ns = (uint64_t)env.block_ms * 1000000ULL;
	s->backend = rt_mpsc_new(4096);
	s->lfd = listen_loopback(&g->port);
	if (!s->backend || s->lfd < 0) {
		fprintf(stderr, "demo_server: cannot listen on 127.0.0.1: %s\n",
			strerror(s->lfd < 0 ? -s->lfd : ENOMEM));
		return 1;
	}

	cfg.workers = cli_env.workers;
	err = rt_new(&cfg, &rt);
	if (err) {
		fprintf(stderr, "demo_server: cannot start the runtime: %s\n",
			strerror(-err));
		return 1;
	}
	err = gen_connect(g);
	if (err) {
		fprintf(stderr, "demo_server: cannot connect to 127.0.0.1:%d: %s\n",
			g->port, strerror(-err));
		goto cleanup;
	}
	g->start_ns = rt_now_ns() + WARMUP_NS;
	s->end_ns = intended_ns(g, g->nreqs);
	s->giveup_ns = s->end_ns + (uint64_t)env.client_timeout_ms * 1000000ULL +
		       DRAIN_GRACE_NS + SERVER_GRACE_NS;
	err = -pthread_create(&snd, NULL, sender_main, g);
	if (!err) {
		err = -pthread_create(&rcv, NULL, receiver_main, g);
		if (err) {
			/* The sender half-closes every connection when it
			 * is done: the server still winds down. */
			pthread_join(snd, NULL);
		}
	}
	if (err) {
		fprintf(stderr, "demo_server: load generator: %s\n",
			strerror(-err));
		goto cleanup;
	}
	threads = true;
	pthread_setname_np(snd, "loadgen-send");
	pthread_setname_np(rcv, "loadgen-recv");
	err = rt_block_on(rt, root_poll, st);
	if (!err)
		err = st->err;
	if (err)
		fprintf(stderr, "demo_server: run failed: %s\n", strerror(-err));
cleanup:
	if (threads) {
		pthread_join(snd, NULL);
		pthread_join(rcv, NULL);
	}
	rt_free(rt);
	close(s->lfd);
	rt_mpsc_unref(s->backend);
	if (!err && report_run(st, g))
		err = -EIO;
	free(g->seen);
	free(g);
	free(st);
	free(s);
	return err ? 1 : 0;
}
