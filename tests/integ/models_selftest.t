#!/bin/bash
# The models' own tests (formulas on fixed inputs; scripts/models.sh).
exec "$(dirname "$0")/../../scripts/models.sh" --selftest
