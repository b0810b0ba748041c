package com.example.modelupdater;

import com.example.jni.NativeAggregation;
import com.example.report.Classpath;

/**
 * The model_updater example service: prints one line that the image tests look for ("model_updater ok"),
 * with the class of com.example.shared.ClasspathProbe that won on its Spring-Boot-style class
 * path (the jar's entry order decides). Confidential Space lets the operator set FCP_OPTS
 * at launch (tee.launch_policy.allow_env_override).
 */
public final class ModelUpdaterApplication {
  private ModelUpdaterApplication() {}

  public static void main(String[] args) throws Exception {
    NativeAggregation.load();
    String fcpOpts = System.getenv("FCP_OPTS");
    System.out.println(
        "model_updater ok classpath="
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
