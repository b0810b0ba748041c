package com.example.taskassignment;

import java.util.List;
import java.util.Map;

/**
 * The task_assignment example service: assigns a fixed set of tasks and prints one line that the
 * image tests look for ("task_assignment ok").
 */
public final class TaskAssignmentApplication {
  private TaskAssignmentApplication() {}

  public static void main(String[] args) {
    Map<String, List<String>> assignment =
        TaskAssigner.assign(
            List.of("mnist_fedavg", "next_word", "emoji_suggest"), List.of("pixel", "tablet"));
    int assigned = 0;
    for (List<String> tasks : assignment.values()) {
      assigned += tasks.size();
    }
    System.out.println(
        "task_assignment ok java="
            + System.getProperty("java.version")
            + " assigned="
            + assigned
            + " assignment="
            + assignment);
  }
}
