/* SPDX-License-Identifier: MIT */
/*
 * rt.h - the runtime tier of the rt runtime (demos/rt): its USDT probes
 * (docs/probes.md, abi/rt_probe_abi.h) attached to the programs of
 * bpf/runtime.bpf.h, and the workers' published records read from the
 * process.  An obs_runtime_tier (tiers/runtime.h).
 */
#ifndef OBS_TIERS_RT_H
#define OBS_TIERS_RT_H

#include "tiers/runtime.h"

extern const struct obs_runtime_tier obs_rt_usdt_tier;

#endif /* OBS_TIERS_RT_H */
