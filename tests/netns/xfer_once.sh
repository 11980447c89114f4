# Runs one xfer in a lab that already exists (for a check that expects failure).
. "$TOP/tests/netns/lib.sh"
xfer "$@"
