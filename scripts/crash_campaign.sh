#!/usr/bin/env bash
# The long crash campaign: stop a `gan train` child at random moments with a random one of
# SIGKILL, SIGTERM, SIGINT and SIGHUP (GAN_CRASH_KILLS times, default 24, with a checkpoint
# every step; then half as many with a checkpoint every 25 steps), resuming each time, and
# check that the finished run is bit-identical to an uninterrupted one. Prints the figures
# (stops per signal, clean stops, kills inside a checkpoint write, resumes, steps lost).
#   scripts/crash_campaign.sh            # 24 + 12 kills
#   GAN_CRASH_KILLS=100 GAN_CRASH_SEED=7 scripts/crash_campaign.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo test --workspace --test cli_crash -- --ignored --nocapture crash_campaign
