"""The odptool release the prebuilt toolchain downloads by default.

The block between the markers is written by `scripts/release.sh VERSION`
from the binaries it built (twice, byte-identical): anyone can rebuild them
from the tagged source and compare the sha256s.
"""

# release.sh:versions begin
ODPTOOL_VERSION = "0.1.0"

ODPTOOL_SHA256 = {
    "darwin_amd64": "c53d2c4337f3b928d6bc40cb21be7d1303050e26c27fcaa66256fc4648b42259",
    "darwin_arm64": "ccbd03d1eb8f971d5a5f6caad026fb1ea479c15709c99bdd60b8862ea5288fda",
    "linux_amd64": "f18d1501da93ca6c9ae7f81b665aaff891ecb2abd906d190abdf240a909de9a7",
    "linux_arm64": "b8041c39b67b9e436c1122c64e7778f0f48f2e9c6b151acd162810fe2e3f4895",
}
# release.sh:versions end

# Where release binaries are published; `{version}` and `{file}`
# (`odptool_<version>_<os>_<arch>`) are filled in. Mirrors for air-gapped
# users are configuration: `urls` of rules_odp_register_toolchains() or of
# the `odptool.toolchain` module extension tag.
ODPTOOL_URLS = [
    "https://github.com/rules-odp/rules_odp/releases/download/v{version}/{file}",
]
