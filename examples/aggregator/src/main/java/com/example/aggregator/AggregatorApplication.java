package com.example.aggregator;

/**
 * The aggregator example service: calls into its JNI library and prints one line that the image
 * tests look for ("aggregator ok"), with the native result and FCP_OPTS, which Confidential Space
 * lets the operator set at launch (tee.launch_policy.allow_env_override).
 */
public final class AggregatorApplication {
  private AggregatorApplication() {}

  public static void main(String[] args) {
    NativeAggregation.load();
    String fcpOpts = System.getenv("FCP_OPTS");
    System.out.println(
        "aggregator ok native="
            + NativeAggregation.aggregate()
            + " libcxx="
            + NativeAggregation.libcxxVersion()
            + " fcp_opts="
            + (fcpOpts == null ? "unset" : fcpOpts));
  }
}
