"""The odptool release the prebuilt toolchain downloads by default.

The block between the markers is written by `scripts/release.sh VERSION`
from the binaries it built (twice, byte-identical): anyone can rebuild them
from the tagged source and compare the sha256s.
"""

# release.sh:versions begin
ODPTOOL_VERSION = "0.1.0"

ODPTOOL_SHA256 = {
    "darwin_amd64": "0000000000000000000000000000000000000000000000000000000000000000",
    "darwin_arm64": "0000000000000000000000000000000000000000000000000000000000000000",
    "linux_amd64": "0000000000000000000000000000000000000000000000000000000000000000",
    "linux_arm64": "0000000000000000000000000000000000000000000000000000000000000000",
}
# release.sh:versions end

# Where release binaries are published; `{version}` and `{file}`
# (`odptool_<version>_<os>_<arch>`) are filled in. Mirrors for air-gapped
# users are configuration: `urls` of rules_odp_register_toolchains() or of
# the `odptool.toolchain` module extension tag.
ODPTOOL_URLS = [
    "https://github.com/rules-odp/rules_odp/releases/download/v{version}/{file}",
]
