// SPDX-License-Identifier: MIT
/*
 * verdict.c - a diagnosis in words, in one line and in JSON (verdict.h).
 */
#include <jansson.h>
#include "output/verdict.h"

static void print_finding(FILE *f, const struct diag_finding *x)
{
	for (unsigned int i = 0; i < x->nevidence; i++)
		fprintf(f, "    - %s\n", x->evidence[i]);
	fprintf(f, "    remedy: %s\n", x->remedy);
}

void obs_verdict_print(FILE *f, const struct diag_result *res)
{
	const struct diag_finding *v;

	if (!res->nfindings)
		return;
	v = &res->findings[0];
	fprintf(f, "verdict: %s (confidence %s, %.2f)\n",
		diag_shape_words(v->shape), diag_confidence_level(v->confidence),
		v->confidence);
	print_finding(f, v);
	for (unsigned int i = 1; i < res->nfindings; i++) {
		const struct diag_finding *x = &res->findings[i];

		fprintf(f, "also: %s (confidence %s, %.2f)\n",
			diag_shape_words(x->shape),
			diag_confidence_level(x->confidence), x->confidence);
		print_finding(f, x);
	}
	if (res->nnotes)
		fprintf(f, "cannot see / cannot tell:\n");
	for (unsigned int i = 0; i < res->nnotes; i++)
		fprintf(f, "    - %s\n", res->notes[i]);
}

void obs_verdict_print_line(FILE *f, double t_s, const struct diag_result *res)
{
	const struct diag_finding *v = &res->findings[0];

	fprintf(f, "[%8.2fs] verdict: %s %s (%.2f)", t_s,
		diag_shape_name(v->shape), diag_confidence_level(v->confidence),
		v->confidence);
	for (unsigned int i = 1; i < res->nfindings; i++)
		fprintf(f, "%s%s %.2f", i == 1 ? " [also " : ", ",
			diag_shape_name(res->findings[i].shape),
			res->findings[i].confidence);
	fprintf(f, "%s%s%s\n", res->nfindings > 1 ? "]" : "",
		v->nevidence ? ": " : "", v->nevidence ? v->evidence[0] : "");
}

/* A JSON string even from bytes that are not UTF-8 (thread names are
 * whatever a program set): such bytes become '?'. */
static json_t *json_str(const char *s)
{
	char buf[DIAG_LINE_LEN];
	json_t *j = json_string(s);
	size_t i;

	if (j)
		return j;
	for (i = 0; s[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	buf[i] = '\0';
	return json_string(buf);
}

static json_t *finding_json(const struct diag_finding *x)
{
	json_t *o = json_object(), *ev = json_array();

	/* set_new steals the value even when it fails: o owns ev from here */
	if (!o || json_object_set_new(o, "shape",
				      json_string(diag_shape_name(x->shape))) ||
	    /* Two decimals: a confidence is not more precise than that. */
	    json_object_set_new(o, "confidence",
				json_real((int)(x->confidence * 100 + 0.5) / 100.0)) ||
	    json_object_set_new(o, "confidence_level",
				json_string(diag_confidence_level(x->confidence))) ||
	    json_object_set_new(o, "evidence", ev) ||
	    json_object_set_new(o, "remedy", json_string(x->remedy)))
		goto err;
	for (unsigned int i = 0; i < x->nevidence; i++)
		if (json_array_append_new(ev, json_str(x->evidence[i])))
			goto err;
	return o;
err:
	if (!o)
		json_decref(ev);
	json_decref(o);
	return NULL;
}

json_t *obs_verdict_json(const struct diag_result *res)
{
	json_t *root, *arr, *notes;

	if (!res->nfindings)
		return NULL;
	root = json_object();
	/* set_new steals its value, on failure too: root owns all from here */
	if (!root ||
	    json_object_set_new(root, "verdict", finding_json(&res->findings[0])) ||
	    json_object_set_new(root, "findings", json_array()) ||
	    json_object_set_new(root, "notes", json_array()))
		goto err;
	arr = json_object_get(root, "findings");
	notes = json_object_get(root, "notes");
	for (unsigned int i = 0; i < res->nfindings; i++)
		if (json_array_append_new(arr, finding_json(&res->findings[i])))
			goto err;
	for (unsigned int i = 0; i < res->nnotes; i++)
		if (json_array_append_new(notes, json_str(res->notes[i])))
			goto err;
	return root;
err:
	json_decref(root);
	return NULL;
}
