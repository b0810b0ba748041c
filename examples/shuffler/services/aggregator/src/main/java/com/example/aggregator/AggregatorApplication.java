package com.example.aggregator;

import com.example.jni.NativeAggregation;
import com.example.report.Classpath;

/**
 * The aggregator example service: prints one line that the image tests look for ("aggregator ok"),
 * with the class of com.example.shared.ClasspathProbe that won on its Spring-Boot-style class
 * path (the jar's entry order decides). Confidential Space lets the operator set FCP_OPTS
 * at launch (tee.launch_policy.allow_env_override).
 */
public final class AggregatorApplication {
  private AggregatorApplication() {}

  public static void main(String[] args) throws Exception {
    NativeAggregation.load();
    String fcpOpts = System.getenv("FCP_OPTS");
    System.out.println(
        "aggregator ok classpath="
            + Classpath.winner()
            + " native="
            + NativeAggregation.aggregate()
            + " libcxx="
            + NativeAggregation.libcxxVersion()
            + " fcp_opts="
            + (fcpOpts == null ? "unset" : fcpOpts)
            + " user.dir="
            + System.getProperty("user.dir"));
  }
}
