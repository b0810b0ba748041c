"""The odptool release the prebuilt toolchain downloads by default.

The block between the markers is written by `scripts/release.sh VERSION`
from the binaries it built (twice, byte-identical): anyone can rebuild them
from the tagged source and compare the sha256s.
"""

# release.sh:versions begin
ODPTOOL_VERSION = "0.1.0"

ODPTOOL_SHA256 = {
    "darwin_amd64": "9dc935e216dd18144d19cc52b0a38c2d06312bb4e86658f71db86863fc2f7abe",
    "darwin_arm64": "674b33fac8866202e4f1df425bcae0085860d01a9b736c2fe9c030c9b36cdac6",
    "linux_amd64": "d8df78a54ee95c67982afd8b7b00bb7a0f6c551bc9f15adc37e45d26e48e3d2f",
    "linux_arm64": "fe221c1e5128cfa95191265a7ae892a15487aee3b14f922ffd667602e03a5497",
}
# release.sh:versions end

# Where release binaries are published; `{version}` and `{file}`
# (`odptool_<version>_<os>_<arch>`) are filled in. Mirrors for air-gapped
# users are configuration: `urls` of rules_odp_register_toolchains() or of
# the `odptool.toolchain` module extension tag.
ODPTOOL_URLS = [
    "https://github.com/rules-odp/rules_odp/releases/download/v{version}/{file}",
]
