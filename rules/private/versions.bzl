"""The odptool release the prebuilt toolchain downloads by default.

The block between the markers is written by `scripts/release.sh VERSION`
from the binaries it built (twice, byte-identical): anyone can rebuild them
from the tagged source and compare the sha256s.
"""

# release.sh:versions begin
ODPTOOL_VERSION = "0.1.0"

ODPTOOL_SHA256 = {
    "darwin_amd64": "c78c07b1d3769403d8f8c5ead3a1d7fab0c446941d5df45b6c4e92833c38a247",
    "darwin_arm64": "27757091a0a235c2061486ac747fb1abe5a3ef4f78767724fe97b1ea51dbc0f8",
    "linux_amd64": "0cb86d5cb44b09c05bb11e865eddb7a8431afd42acfd83f7269aecde7d4eba9e",
    "linux_arm64": "82b4c38616dd64996782e89eb7b124d22c77fb2b2eed1db6dfe62147415660b9",
}
# release.sh:versions end

# Where release binaries are published; `{version}` and `{file}`
# (`odptool_<version>_<os>_<arch>`) are filled in. Mirrors for air-gapped
# users are configuration: `urls` of rules_odp_register_toolchains() or of
# the `odptool.toolchain` module extension tag.
ODPTOOL_URLS = [
    "https://github.com/rules-odp/rules_odp/releases/download/v{version}/{file}",
]
