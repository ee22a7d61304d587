// SPDX-License-Identifier: MIT
/* test_rt_io.c - the epoll driver: a TCP echo over loopback with
 * accept/connect/read/write, large enough to hit EAGAIN both ways. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../tap.h"
#include "rt.h"

#define BYTES (4 << 20) /* 4 MiB: far beyond the socket buffers */

struct server {
	int pc;
	rt_io_t lio, cio;
	ssize_t res;
	char buf[65536];
	size_t have, sent;
	long echoed;
};

static rt_poll_t server_fn(rt_cx_t *cx, void *st)
{
	struct server *s = st;

	RT_ASYNC_BEGIN(&s->pc);
	RT_AWAIT(&s->pc, rt_io_accept_poll(&s->lio, cx, &s->res));
	if (s->res < 0)
		TAP_FAIL("accept: %zd", s->res);
	if (rt_io_register(rt_cx_rt(cx), &s->cio, (int)s->res))
		TAP_FAIL("register");
	for (;;) {
		RT_AWAIT(&s->pc, rt_io_read_poll(&s->cio, cx, s->buf,
						 sizeof(s->buf), &s->res));
		if (s->res <= 0)
			break;
		s->have = (size_t)s->res;
		for (s->sent = 0; s->sent < s->have;) {
			RT_AWAIT(&s->pc, rt_io_write_poll(&s->cio, cx,
							  s->buf + s->sent,
							  s->have - s->sent,
							  &s->res));
			if (s->res < 0)
				TAP_FAIL("server write: %zd", s->res);
			s->sent += (size_t)s->res;
		}
		s->echoed += (long)s->have;
	}
	rt_io_deregister(&s->cio);
	close(s->cio.fd);
	RT_ASYNC_END(&s->pc);
}

struct client {
	int pc, cres;
	rt_io_t io;
	struct sockaddr_in addr;
	ssize_t res;
	unsigned char *out, *in;
	size_t off_out, off_in;
	bool mismatch;
};

static rt_poll_t client_fn(rt_cx_t *cx, void *st)
{
	struct client *c = st;
	int fd;

	RT_ASYNC_BEGIN(&c->pc);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (rt_io_register(rt_cx_rt(cx), &c->io, fd))
		TAP_FAIL("register client");
	if (connect(fd, (struct sockaddr *)&c->addr, sizeof(c->addr)) < 0 &&
	    errno != EINPROGRESS)
		TAP_FAIL("connect: %d", errno);
	RT_AWAIT(&c->pc, rt_io_connect_poll(&c->io, cx, &c->cres));
	if (c->cres)
		TAP_FAIL("connect poll: %d", c->cres);
	/* Interleave: write what the socket takes, read what came back. */
	while (c->off_in < BYTES) {
		if (c->off_out < BYTES &&
		    rt_io_write_poll(&c->io, cx, c->out + c->off_out,
				     BYTES - c->off_out, &c->res) == RT_READY) {
			if (c->res < 0)
				TAP_FAIL("client write: %zd", c->res);
			c->off_out += (size_t)c->res;
			if (c->off_out == BYTES)
				shutdown(c->io.fd, SHUT_WR);
		}
		if (rt_io_read_poll(&c->io, cx, c->in + c->off_in,
				    BYTES - c->off_in, &c->res) == RT_PENDING)
			return RT_PENDING;
		if (c->res <= 0)
			TAP_FAIL("client read: %zd", c->res);
		c->off_in += (size_t)c->res;
	}
	c->mismatch = memcmp(c->in, c->out, BYTES) != 0;
	rt_io_deregister(&c->io);
	close(c->io.fd);
	RT_ASYNC_END(&c->pc);
}

TEST(tcp_echo_loopback)
{
	rt_config_t cfg = { .workers = 2 };
	static struct server s;
	static struct client c;
	socklen_t sl = sizeof(c.addr);
	rt_join_t *js;
	rt_t *rt;
	int lfd;

	ASSERT_EQ(rt_new(&cfg, &rt), 0);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c.addr.sin_family = AF_INET;
	c.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(bind(lfd, (struct sockaddr *)&c.addr, sizeof(c.addr)), 0);
	ASSERT_EQ(listen(lfd, 8), 0);
	ASSERT_EQ(getsockname(lfd, (struct sockaddr *)&c.addr, &sl), 0);
	ASSERT_EQ(rt_io_register(rt, &s.lio, lfd), 0);
	c.out = malloc(BYTES);
	c.in = malloc(BYTES);
	for (int i = 0; i < BYTES; i++)
		c.out[i] = (unsigned char)(i * 7 + (i >> 11));
	ASSERT_EQ(rt_spawn(rt, server_fn, &s, NULL, &js), 0);
	ASSERT_EQ(rt_block_on(rt, client_fn, &c), 0);
	ASSERT_EQ(rt_join_wait(js, NULL), 0);
	rt_join_free(js);
	ASSERT_EQ(c.off_in, BYTES);
	ASSERT(!c.mismatch);
	ASSERT_EQ(s.echoed, BYTES);
	rt_io_deregister(&s.lio);
	close(lfd);
	free(c.out);
	free(c.in);
	rt_free(rt);
}

TEST(connect_refused_and_bad_register)
{
	rt_config_t cfg = { .workers = 1 };
	static struct client c;
	rt_io_t io;
	rt_t *rt;
	int lfd;
	socklen_t sl = sizeof(c.addr);

	ASSERT_EQ(rt_new(&cfg, &rt), 0);
	ASSERT_EQ(rt_io_register(rt, &io, -1), -EINVAL);
	/* A port nobody listens on: bind, learn it, close. */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	c.addr.sin_family = AF_INET;
	c.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(lfd, (struct sockaddr *)&c.addr, sizeof(c.addr));
	getsockname(lfd, (struct sockaddr *)&c.addr, &sl);
	close(lfd);
	c.pc = 0;
	/* client_fn fails the test on error, so check connect directly. */
	{
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		ASSERT_EQ(rt_io_register(rt, &io, fd), 0);
		if (connect(fd, (struct sockaddr *)&c.addr, sizeof(c.addr)) == 0)
			SKIP("connect to a closed port succeeded");
		ASSERT(errno == EINPROGRESS || errno == ECONNREFUSED);
		rt_io_deregister(&io);
		close(fd);
	}
	rt_free(rt);
}

int main(void)
{
	return tap_run();
}
