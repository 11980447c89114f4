#!/bin/sh
# vm-timeout: 450
# 18_steady_random with two more seeds.
SPDRAND_SEEDS="31 43"
. /scenarios/18_steady_random.sh
