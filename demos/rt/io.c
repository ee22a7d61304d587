// SPDX-License-Identifier: MIT
/*
 * io.c - the I/O driver (epoll, edge-triggered like mio) and the driver turn
 * that also fires timers.  No thread of its own: see rt_internal.h
 * invariant 4.
 *
 * Readiness: the driver sets RT__IO_READ/WRITE in io->ready and wakes the
 * waiter.  A leaf op clears the bit before its syscall; on EAGAIN it
 * registers its waker only if the bit is still clear, so an edge that
 * arrives between the syscall and the registration is never lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rt_internal.h"

enum { RT__IO_READ = 1, RT__IO_WRITE = 2 };

int rt__driver_init(rt_t *rt)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	rt->epfd = -1;
	rt->evfd = -1;
	pthread_mutex_init(&rt->io_mu, NULL);
	pthread_cond_init(&rt->io_cv, NULL);
	rt__timers_init(&rt->timers);
	rt->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (rt->epfd < 0)
		return -errno;
	rt->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (rt->evfd < 0)
		return -errno;
	/* Level-triggered: a wake written before the driver waits is seen. */
	if (epoll_ctl(rt->epfd, EPOLL_CTL_ADD, rt->evfd, &ev) < 0)
		return -errno;
	return 0;
}

void rt__driver_destroy(rt_t *rt)
{
	if (rt->evfd >= 0)
		close(rt->evfd);
	if (rt->epfd >= 0)
		close(rt->epfd);
	rt->evfd = rt->epfd = -1;
	rt__timers_destroy(&rt->timers);
	pthread_mutex_destroy(&rt->io_mu);
	pthread_cond_destroy(&rt->io_cv);
}

void rt__unpark_driver(rt_t *rt)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is saturated: a wake is pending anyway. */
	if (write(rt->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		abort();
}

static void dispatch(struct epoll_event *ev)
{
	rt_io_t *io = ev->data.ptr;
	rt_waker_t rw = { 0 }, ww = { 0 };

	pthread_mutex_lock(&io->mu);
	if (ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		io->ready |= RT__IO_READ;
		rw = io->read_waker;
		io->read_waker.task = NULL;
	}
	if (ev->events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
		io->ready |= RT__IO_WRITE;
		ww = io->write_waker;
		io->write_waker.task = NULL;
	}
	pthread_mutex_unlock(&io->mu);
	rt_waker_wake(&rw);
	rt_waker_wake(&ww);
}

void rt__driver_turn(rt_t *rt, bool block)
{
	struct epoll_event evs[RT__IO_EVENTS];
	struct timespec ts = { 0 }, *tsp = &ts;
	int n;

	if (block) {
		uint64_t next = rt__timers_next(rt, true);
		uint64_t now = rt_now_ns();

		if (next == UINT64_MAX) {
			tsp = NULL;
		} else if (next > now) {
			ts.tv_sec = (time_t)((next - now) / 1000000000ULL);
			ts.tv_nsec = (long)((next - now) % 1000000000ULL);
		}
	}
	pthread_mutex_lock(&rt->io_mu);
	rt->io_polling = true;
	pthread_mutex_unlock(&rt->io_mu);

	n = epoll_pwait2(rt->epfd, evs, RT__IO_EVENTS, tsp, NULL);

	if (block) {
		pthread_mutex_lock(&rt->timers.mu);
		rt->driver_wake_at = 0;
		pthread_mutex_unlock(&rt->timers.mu);
	}
	pthread_mutex_lock(&rt->io_mu);
	for (int i = 0; i < n; i++) {
		if (!evs[i].data.ptr) {
			uint64_t v;

			if (read(rt->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				abort();
			continue;
		}
		dispatch(&evs[i]);
	}
	rt->io_polling = false;
	rt->io_cycle++;
	pthread_cond_broadcast(&rt->io_cv);
	pthread_mutex_unlock(&rt->io_mu);
	rt__timers_process(rt, rt_now_ns());
}

/* ---- registration ----------------------------------------------------------------- */

int rt_io_register(rt_t *rt, rt_io_t *io, int fd)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = io,
	};
	int fl, err;

	if (!rt || fd < 0)
		return -EINVAL;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	memset(io, 0, sizeof(*io));
	io->fd = fd;
	io->rt = rt;
	io->ready = RT__IO_READ | RT__IO_WRITE; /* try first, like mio */
	pthread_mutex_init(&io->mu, NULL);
	/* Under io_mu: the driver dispatches under it too, so its first
	 * event for this fd is ordered after the initialisation above. */
	pthread_mutex_lock(&rt->io_mu);
	err = epoll_ctl(rt->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
	pthread_mutex_unlock(&rt->io_mu);
	if (err)
		pthread_mutex_destroy(&io->mu);
	return err;
}

void rt_io_deregister(rt_io_t *io)
{
	rt_t *rt = io->rt;

	if (!rt)
		return;
	epoll_ctl(rt->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	/* A driver turn in flight may hold this io in its event array: wait
	 * for it to finish (and wake it, it may be parked) before the caller
	 * frees io. */
	pthread_mutex_lock(&rt->io_mu);
	if (rt->io_polling) {
		uint64_t c = rt->io_cycle;

		rt__unpark_driver(rt);
		while (rt->io_polling && rt->io_cycle == c)
			pthread_cond_wait(&rt->io_cv, &rt->io_mu);
	}
	pthread_mutex_unlock(&rt->io_mu);
	rt_waker_drop(&io->read_waker);
	rt_waker_drop(&io->write_waker);
	pthread_mutex_destroy(&io->mu);
	io->rt = NULL;
}

/* Clears `bit` before an attempt. */
static void clear_ready(rt_io_t *io, uint32_t bit)
{
	pthread_mutex_lock(&io->mu);
	io->ready &= ~bit;
	pthread_mutex_unlock(&io->mu);
}

/* After EAGAIN: true if readiness arrived meanwhile (retry), else the waker
 * is registered. */
static bool retry_or_register(rt_io_t *io, uint32_t bit, rt_cx_t *cx)
{
	bool retry;

	pthread_mutex_lock(&io->mu);
	retry = io->ready & bit;
	if (!retry)
		rt_waker_register(bit == RT__IO_READ ? &io->read_waker
						     : &io->write_waker, cx);
	pthread_mutex_unlock(&io->mu);
	return retry;
}

rt_poll_t rt_io_read_poll(rt_io_t *io, rt_cx_t *cx, void *buf, size_t len,
			  ssize_t *res)
{
	if (!rt_coop_proceed(cx))
		return RT_PENDING;
	for (;;) {
		ssize_t n;

		clear_ready(io, RT__IO_READ);
		n = read(io->fd, buf, len);
		if (n >= 0 || (errno != EAGAIN && errno != EINTR)) {
			*res = n >= 0 ? n : -errno;
			return RT_READY;
		}
		if (errno == EAGAIN && !retry_or_register(io, RT__IO_READ, cx))
			return RT_PENDING;
	}
}

rt_poll_t rt_io_write_poll(rt_io_t *io, rt_cx_t *cx, const void *buf,
			   size_t len, ssize_t *res)
{
	if (!rt_coop_proceed(cx))
		return RT_PENDING;
	for (;;) {
		ssize_t n;

		clear_ready(io, RT__IO_WRITE);
		n = send(io->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(io->fd, buf, len);
		if (n >= 0 || (errno != EAGAIN && errno != EINTR)) {
			*res = n >= 0 ? n : -errno;
			return RT_READY;
		}
		if (errno == EAGAIN && !retry_or_register(io, RT__IO_WRITE, cx))
			return RT_PENDING;
	}
}

rt_poll_t rt_io_accept_poll(rt_io_t *io, rt_cx_t *cx, ssize_t *res)
{
	if (!rt_coop_proceed(cx))
		return RT_PENDING;
	for (;;) {
		int fd;

		clear_ready(io, RT__IO_READ);
		fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0 || (errno != EAGAIN && errno != EINTR)) {
			*res = fd >= 0 ? fd : -errno;
			return RT_READY;
		}
		if (errno == EAGAIN && !retry_or_register(io, RT__IO_READ, cx))
			return RT_PENDING;
	}
}

rt_poll_t rt_io_connect_poll(rt_io_t *io, rt_cx_t *cx, int *res)
{
	struct sockaddr_storage ss;

	if (!rt_coop_proceed(cx))
		return RT_PENDING;
	for (;;) {
		socklen_t sl = sizeof(ss);
		int err = 0;
		socklen_t el = sizeof(err);

		clear_ready(io, RT__IO_WRITE);
		if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) {
			*res = -errno;
			return RT_READY;
		}
		if (err) {
			*res = -err;
			return RT_READY;
		}
		if (getpeername(io->fd, (struct sockaddr *)&ss, &sl) == 0) {
			*res = 0;
			return RT_READY;
		}
		if (errno != ENOTCONN) {
			*res = -errno;
			return RT_READY;
		}
		if (!retry_or_register(io, RT__IO_WRITE, cx))
			return RT_PENDING;
	}
}
