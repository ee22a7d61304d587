#!/bin/bash
# The sweep driver's own tests (median, retry, CSV shape) against fake demos.
exec "$(dirname "$0")/../../scripts/sweep/selftest.sh"
