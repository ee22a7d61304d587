// SPDX-License-Identifier: MIT
/*
 * metrics_http.c - the --prometheus endpoint (metrics_http.h), on
 * libmicrohttpd's internal polling thread.  The only state shared with
 * that thread is the published text, under one mutex.
 */
#include <errno.h>
#include <stdio.h>
#include "output/metrics_http.h"

#ifdef OBS_NO_HTTP
/* make observe-static: no HTTP server could be linked in (Makefile). */
int obs_metrics_start(struct obs_metrics **m, const char *addr_port)
{
	(void)m;
	fprintf(stderr, "observe: --prometheus %s: this build has no HTTP server "
		"(observe-static; use make observe)\n", addr_port);
	return -ENOTSUP;
}

void obs_metrics_publish(struct obs_metrics *m,
			 const struct obs_metrics_input *in)
{
	(void)m;
	(void)in;
}

void obs_metrics_stop(struct obs_metrics *m)
{
	(void)m;
}
#else
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <microhttpd.h>

#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct obs_metrics {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;
	char *text;		/* the last published exposition */
	size_t len;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **req)
{
	static char not_found[] = "observe: the metrics are at /metrics\n";
	static char bad_method[] = "observe: GET /metrics\n";
	struct obs_metrics *m = cls;
	char *copy;
	size_t len;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, bad_method,
			     strlen(bad_method), MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, not_found, strlen(not_found),
			     MHD_RESPMEM_PERSISTENT);
	pthread_mutex_lock(&m->lock);
	len = m->len;
	copy = malloc(len + 1);
	if (copy)
		memcpy(copy, m->text ? m->text : "", len + 1);
	pthread_mutex_unlock(&m->lock);
	if (!copy)
		return MHD_NO;
	return reply(c, MHD_HTTP_OK, copy, len, MHD_RESPMEM_MUST_FREE);
}

/* ADDR:PORT into a socket address (the port checked by cli.c). */
static int resolve(const char *addr_port, struct sockaddr_storage *sa)
{
	const char *colon = strrchr(addr_port, ':');
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	}, *res;
	char host[256];
	size_t len = colon - addr_port;
	int rc;

	if (len >= sizeof(host))
		return EAI_NONAME;
	memcpy(host, addr_port, len);
	host[len] = '\0';
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		memmove(host, host + 1, len - 2);
		host[len - 2] = '\0';
	}
	rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
	if (rc)
		return rc;
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static unsigned int bound_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);

	return info ? info->port : 0;
}

int obs_metrics_start(struct obs_metrics **out, const char *addr_port)
{
	struct sockaddr_storage sa = {};
	struct obs_metrics *m;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD;
	int rc = resolve(addr_port, &sa), err;

	if (rc) {
		fprintf(stderr, "observe: --prometheus %s: %s\n", addr_port,
			gai_strerror(rc));
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	m->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				     MHD_OPTION_END);
	if (!m->daemon) {
		err = errno ? -errno : -EADDRNOTAVAIL;
		fprintf(stderr, "observe: --prometheus %s: cannot listen: %s\n",
			addr_port, strerror(-err));
		obs_metrics_stop(m);
		return err;
	}
	fprintf(stderr, "observe: metrics at http://%.*s:%u/metrics\n",
		(int)(strrchr(addr_port, ':') - addr_port), addr_port,
		bound_port(m->daemon));
	*out = m;
	return 0;
}

void obs_metrics_publish(struct obs_metrics *m,
			 const struct obs_metrics_input *in)
{
	char *text = NULL, *old;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	if (obs_metrics_render(f, in) | fclose(f)) {
		free(text);
		return;
	}
	pthread_mutex_lock(&m->lock);
	old = m->text;
	m->text = text;
	m->len = len;
	pthread_mutex_unlock(&m->lock);
	free(old);
}

void obs_metrics_stop(struct obs_metrics *m)
{
	if (!m)
		return;
	if (m->daemon)
		MHD_stop_daemon(m->daemon);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
}
#endif /* OBS_NO_HTTP */
