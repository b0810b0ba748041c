package com.example.taskscheduler;

import com.example.jni.NativeAggregation;
import com.example.report.Classpath;

/**
 * The task_scheduler example service: prints one line that the image tests look for ("task_scheduler ok"),
 * with the class of com.example.shared.ClasspathProbe that won on its Spring-Boot-style class
 * path (the jar's entry order decides).
 */
public final class TaskSchedulerApplication {
  private TaskSchedulerApplication() {}

  public static void main(String[] args) throws Exception {
    NativeAggregation.load();
    System.out.println(
        "task_scheduler ok classpath="
            + Classpath.winner()
            + " native="
            + NativeAggregation.aggregate()
            + " libcxx="
            + NativeAggregation.libcxxVersion()
            + " user.dir="
            + System.getProperty("user.dir"));
  }
}
