"""The odptool release the prebuilt toolchain downloads by default.

The block between the markers is written by `scripts/release.sh VERSION`
from the binaries it built (twice, byte-identical): anyone can rebuild them
from the tagged source and compare the sha256s.
"""

# release.sh:versions begin
ODPTOOL_VERSION = "0.1.0"

ODPTOOL_SHA256 = {
    "darwin_amd64": "3af60a2269660b6dd3142d8004c9bb733c0583e049ebe77c88aff60f69107829",
    "darwin_arm64": "0d33da960277b6a9f14322c302d256a5184e6f4684402b2dca60111e2318da7f",
    "linux_amd64": "5ef492c1de8da2dcea2f4798b403d15a105afbe8e850fbdeeafca4bf5f26b64d",
    "linux_arm64": "1b73251525665e551b4acc888aa975294f73ff74f3d14e3af370f89feaa778c5",
}
# release.sh:versions end

# Where release binaries are published; `{version}` and `{file}`
# (`odptool_<version>_<os>_<arch>`) are filled in. Mirrors for air-gapped
# users are configuration: `urls` of rules_odp_register_toolchains() or of
# the `odptool.toolchain` module extension tag.
ODPTOOL_URLS = [
    "https://github.com/rules-odp/rules_odp/releases/download/v{version}/{file}",
]
