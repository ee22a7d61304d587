/* SPDX-License-Identifier: MIT */
/*
 * tokio.h - the Tokio tier: uprobes on Tokio's own functions in an
 * unmodified binary with a symbol table (bpf/tokio.bpf.h,
 * docs/tokio-tier.md).  An obs_runtime_tier (tiers/runtime.h).
 */
#ifndef OBS_TIERS_TOKIO_H
#define OBS_TIERS_TOKIO_H

#include "tiers/runtime.h"

extern const struct obs_runtime_tier obs_tokio_tier;

#endif /* OBS_TIERS_TOKIO_H */
