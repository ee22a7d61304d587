#!/bin/bash
# The article number check's own tests (made-up article and data; scripts/check-article.sh).
exec "$(dirname "$0")/../../scripts/check-article.sh" --selftest
