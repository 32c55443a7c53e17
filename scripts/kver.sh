#!/bin/sh
# Print the kernel release of the installed Debian cloud kernel headers,
# found from the metapackage's dependency, never hard-coded.
set -eu
dep=$(dpkg-query -W -f='${Depends}' linux-headers-cloud-amd64 2>/dev/null) || {
	echo "kver: linux-headers-cloud-amd64 is not installed (scripts/deps.sh)" >&2
	exit 1
}
# "linux-headers-6.1.0-NN-cloud-amd64 (= 6.1.x-y)" -> 6.1.0-NN-cloud-amd64
echo "$dep" | tr ',' '\n' | sed -n 's/^ *linux-headers-\([^ ]*-cloud-amd64\).*/\1/p' | head -n1
