package com.example.taskassignment;

import com.example.report.Classpath;

/**
 * The task_assignment example service: prints one line that the image tests look for ("task_assignment ok"),
 * with the class of com.example.shared.ClasspathProbe that won on its Spring-Boot-style class
 * path (the jar's entry order decides).
 */
public final class TaskAssignmentApplication {
  private TaskAssignmentApplication() {}

  public static void main(String[] args) throws Exception {
    System.out.println(
        "task_assignment ok classpath="
            + Classpath.winner()
            + " user.dir="
            + System.getProperty("user.dir"));
  }
}
