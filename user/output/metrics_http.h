/* SPDX-License-Identifier: MIT */
/*
 * metrics_http.h - the --prometheus endpoint: libmicrohttpd serves GET
 * /metrics from its own thread; each interval publishes a new text, which
 * replaces the last whole (a scrape never sees half of one).
 */
#ifndef OBS_OUTPUT_METRICS_HTTP_H
#define OBS_OUTPUT_METRICS_HTTP_H

#include "output/metrics.h"

struct obs_metrics;

/*
 * Listens on ADDR:PORT ([ADDR6]:PORT; :PORT every address; port 0 any free
 * one) and says where on stderr; one line and -errno when it cannot.
 */
int obs_metrics_start(struct obs_metrics **m, const char *addr_port);

/* Renders in and serves it from now on; a failure keeps the last text. */
void obs_metrics_publish(struct obs_metrics *m,
			 const struct obs_metrics_input *in);

/* Stops serving (NULL: nothing). */
void obs_metrics_stop(struct obs_metrics *m);

#endif
