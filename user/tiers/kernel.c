// SPDX-License-Identifier: MIT
/*
 * aggregate.c - reading the BPF maps into a snapshot.  Maps are only read,
 * never deleted from, so an increment landing during a read is never lost:
 * at worst it shows in the next snapshot.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tiers/kernel.h"

static const char *const role_names[OBS_ROLE__COUNT] = {
	[OBS_ROLE_WORKER] = "worker",
	[OBS_ROLE_BLOCKING] = "blocking",
	[OBS_ROLE_OTHER] = "other",
};

const char *obs_role_name(enum obs_role role)
{
	return role < OBS_ROLE__COUNT ? role_names[role] : "other";
}

enum obs_role obs_role_of(const struct obs_roles_cfg *cfg, const char *comm)
{
	int i;

	for (i = 0; i < cfg->nworker; i++)
		if (fnmatch(cfg->worker[i], comm, 0) == 0)
			return OBS_ROLE_WORKER;
	for (i = 0; i < cfg->nblocking; i++)
		if (fnmatch(cfg->blocking[i], comm, 0) == 0)
			return OBS_ROLE_BLOCKING;
	return OBS_ROLE_OTHER;
}

int obs_read_hash(int fd, size_t key_size, size_t val_off, size_t rec_size,
		     size_t max, void **out, size_t *n)
{
	unsigned char key[64], next[64];
	unsigned char *arr, *rec;
	void *prev = NULL;
	size_t cnt = 0;
	int err;

	*out = NULL;
	*n = 0;
	arr = calloc(max ? max : 1, rec_size);
	if (!arr)
		return -ENOMEM;
	while (cnt < max) {
		err = bpf_map_get_next_key(fd, prev, next);
		if (err) {
			if (errno == ENOENT)
				break;
			err = -errno;
			free(arr);
			return err;
		}
		rec = arr + cnt * rec_size;
		memcpy(rec, next, key_size);
		/* a key deleted in between is skipped, not an error */
		if (!bpf_map_lookup_elem(fd, next, rec + val_off))
			cnt++;
		memcpy(key, next, key_size);
		prev = key;
	}
	*out = arr;
	*n = cnt;
	return 0;
}

static int cmp_thread(const void *a, const void *b)
{
	const struct obs_thread_view *x = a, *y = b;

	if (x->k.tgid != y->k.tgid)
		return x->k.tgid < y->k.tgid ? -1 : 1;
	return (x->k.tid > y->k.tid) - (x->k.tid < y->k.tid);
}

static int cmp_futex_wait(const void *a, const void *b)
{
	const struct obs_futex_view *x = a, *y = b;

	if (x->v.wait_ns != y->v.wait_ns)
		return x->v.wait_ns > y->v.wait_ns ? -1 : 1;
	return (x->key.uaddr > y->key.uaddr) - (x->key.uaddr < y->key.uaddr);
}

void obs_snapshot_sum_roles(struct obs_snapshot *s)
{
	size_t i;
	int j;

	memset(s->roles, 0, sizeof(s->roles));
	for (i = 0; i < s->nthreads; i++) {
		const struct obs_thread *k = &s->threads[i].k;
		struct obs_role_sum *r = &s->roles[s->threads[i].role];

		r->threads++;
		r->on_cpu_ns += k->on_cpu_ns;
		r->rq_delay_ns += k->rq_total_ns;
		r->rq_count += k->rq_count;
		if (k->rq_max_ns > r->rq_max_ns)
			r->rq_max_ns = k->rq_max_ns;
		r->off_cpu_ns += k->off_cpu_ns;
		r->futex_wait_ns += k->futex_wait_ns;
		for (j = 0; j < OBS_MAX_SLOTS; j++)
			r->rq_hist[j] += k->rq_hist[j];
		for (j = 0; j < OBS_SYS__COUNT; j++)
			r->off_by_sys[j] += k->off_by_sys[j];
	}
}

/*
 * Spans still open at now_ns are charged to the totals (not to counts other
 * than futex_waits, nor to histograms): a thread running, or blocked, through
 * the whole window must not read as idle.  The dead never run again.
 */
static void add_in_progress(struct obs_thread *k, uint64_t now_ns)
{
	uint64_t d;
	__u32 cls;

	if (k->ts_in && now_ns > k->ts_in)
		k->on_cpu_ns += now_ns - k->ts_in;
	if (!k->ts_in && k->ts_off && now_ns > k->ts_off) {
		d = now_ns - k->ts_off;
		cls = k->off_class < OBS_SYS__COUNT ? k->off_class : OBS_SYS_OTHER;
		k->off_cpu_ns += d;
		k->off_by_sys[cls] += d;
		if (k->off_uaddr) {
			k->futex_waits++;
			k->futex_wait_ns += d;
		}
	}
}

uint64_t obs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int obs_snapshot_read(struct obs_snapshot *s, const struct obs_map_fds *fds,
		      const struct obs_roles_cfg *cfg, uint64_t now_ns)
{
	struct obs_thread *tv = NULL;
	__u64 *percpu = NULL;
	size_t i, n;
	int ncpus, err;
	__u32 k;

	memset(s, 0, sizeof(*s));

	/* threads: values only, the key is also in the value */
	err = obs_read_hash(fds->threads, sizeof(__u32), sizeof(__u32),
			sizeof(__u32) + sizeof(struct obs_thread),
			OBS_MAX_THREADS, (void **)&tv, &n);
	if (err)
		goto cleanup;
	s->threads = calloc(n ? n : 1, sizeof(*s->threads));
	if (!s->threads) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		struct obs_thread *k = (void *)((char *)tv + i *
			(sizeof(__u32) + sizeof(struct obs_thread)) + sizeof(__u32));

		memcpy(&s->threads[i].k, k, sizeof(*k));
		k = &s->threads[i].k;
		if (now_ns && !k->exited)
			add_in_progress(k, now_ns);
		s->threads[i].k.comm[OBS_COMM_LEN - 1] = '\0';
		s->threads[i].role = obs_role_of(cfg, s->threads[i].k.comm);
	}
	s->nthreads = n;
	qsort(s->threads, n, sizeof(*s->threads), cmp_thread);
	obs_snapshot_sum_roles(s);

	err = obs_read_hash(fds->futexes, sizeof(struct obs_futex_key),
			offsetof(struct obs_futex_view, v),
			sizeof(struct obs_futex_view), OBS_MAX_FUTEX,
			(void **)&s->futexes, &s->nfutexes);
	if (err)
		goto cleanup;
	qsort(s->futexes, s->nfutexes, sizeof(*s->futexes), cmp_futex_wait);

	err = obs_read_hash(fds->pairs, sizeof(struct obs_pair_key),
			offsetof(struct obs_pair_view, v),
			sizeof(struct obs_pair_view), OBS_MAX_PAIRS,
			(void **)&s->pairs, &s->npairs);
	if (err)
		goto cleanup;

	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		err = ncpus ? ncpus : -EINVAL;
		goto cleanup;
	}
	percpu = calloc(ncpus, sizeof(*percpu));
	if (!percpu) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (k = 0; k < OBS_COUNTERS__COUNT; k++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(fds->drops, &k, percpu)) {
			err = -errno;
			goto cleanup;
		}
		for (int c = 0; c < ncpus; c++)
			sum += percpu[c];
		if (k < OBS_DROP__COUNT)
			s->drops[k] = sum;
		else if (k == OBS_DIAG_MISSED_WAKEUP)
			s->missed_wakeups = sum;
	}
	err = 0;

cleanup:
	free(tv);
	free(percpu);
	if (err)
		obs_snapshot_free(s);
	return err;
}

void obs_snapshot_free(struct obs_snapshot *s)
{
	free(s->threads);
	free(s->futexes);
	free(s->pairs);
	memset(s, 0, sizeof(*s));
}

const struct obs_futex_view *obs_snapshot_futex(const struct obs_snapshot *s,
						uint32_t tgid, uint64_t uaddr)
{
	size_t i;

	for (i = 0; i < s->nfutexes; i++)
		if (s->futexes[i].key.tgid == tgid &&
		    s->futexes[i].key.uaddr == uaddr)
			return &s->futexes[i];
	return NULL;
}

const struct obs_thread_view *obs_snapshot_thread(const struct obs_snapshot *s,
						  uint32_t tid)
{
	size_t i;

	for (i = 0; i < s->nthreads; i++)
		if (s->threads[i].k.tid == tid)
			return &s->threads[i];
	return NULL;
}

void obs_notables_add(struct obs_notables *nb, const struct obs_event *ev,
		      int stack_fd)
{
	struct obs_notable *slot;
	__u32 id;
	size_t i, min = 0;

	nb->seen++;
	if (nb->n < OBS_NOTABLE_MAX) {
		slot = &nb->items[nb->n++];
	} else {
		/* full: replace the shortest span if this one is longer */
		for (i = 1; i < nb->n; i++)
			if (nb->items[i].ev.ns < nb->items[min].ev.ns)
				min = i;
		if (nb->items[min].ev.ns >= ev->ns)
			return;
		slot = &nb->items[min];
	}
	memset(slot, 0, sizeof(*slot));
	slot->ev = *ev;
	slot->ev.comm[OBS_COMM_LEN - 1] = '\0';
	if (stack_fd < 0 || ev->ustack_id < 0)
		return;
	/* the stack is read now: the BPF side may reuse its id later */
	id = (__u32)ev->ustack_id;
	if (bpf_map_lookup_elem(stack_fd, &id, slot->ustack))
		return;
	while (slot->nframes < OBS_STACK_DEPTH && slot->ustack[slot->nframes])
		slot->nframes++;
}

void obs_notables_add_pending(struct obs_notables *nb,
			      const struct obs_snapshot *s)
{
	const struct obs_thread *k;
	struct obs_event ev;
	size_t i;
	__u32 j;

	for (i = 0; i < s->nthreads; i++) {
		k = &s->threads[i].k;
		for (j = 0; j < k->npend && j < OBS_PENDING_MAX; j++) {
			memset(&ev, 0, sizeof(ev));
			ev.kind = k->pend[j].kind;
			ev.tid = k->tid;
			ev.tgid = k->tgid;
			ev.sys_class = k->pend[j].sys_class;
			ev.ns = k->pend[j].ns;
			ev.uaddr = k->pend[j].uaddr;
			ev.ustack_id = -1;
			memcpy(ev.comm, k->comm, sizeof(ev.comm));
			obs_notables_add(nb, &ev, -1);
		}
	}
}

static int cmp_notable(const void *a, const void *b)
{
	const struct obs_notable *x = a, *y = b;

	return (x->ev.ns < y->ev.ns) - (x->ev.ns > y->ev.ns);
}

void obs_notables_sort(struct obs_notables *nb)
{
	qsort(nb->items, nb->n, sizeof(nb->items[0]), cmp_notable);
}
