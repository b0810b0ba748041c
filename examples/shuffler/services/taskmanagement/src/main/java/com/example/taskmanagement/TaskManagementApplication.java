package com.example.taskmanagement;

import com.example.report.Classpath;

/**
 * The task_management example service: prints one line that the image tests look for ("task_management ok"),
 * with the class of com.example.shared.ClasspathProbe that won on its Spring-Boot-style class
 * path (the jar's entry order decides).
 */
public final class TaskManagementApplication {
  private TaskManagementApplication() {}

  public static void main(String[] args) throws Exception {
    System.out.println(
        "task_management ok classpath="
            + Classpath.winner()
            + " user.dir="
            + System.getProperty("user.dir"));
  }
}
