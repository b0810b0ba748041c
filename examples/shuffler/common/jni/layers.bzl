"""The deb layers of the Java + JNI services."""

# The libc++ runtime the JNI library needs, one layer per package, in the
# seed's order.
LIBCXX_LAYERS = [
    "@libcxx_debs//libc++1-16",
    "@libcxx_debs//libc++abi1-16",
    "@libcxx_debs//libunwind-16",
    "@libcxx_debs//libc6",
    "@libcxx_debs//libgcc-s1",
    "@libcxx_debs//gcc-12-base",
]
