package com.example.taskassignment;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Assigns training tasks to device populations round-robin, in name order. */
final class TaskAssigner {
  private TaskAssigner() {}

  /**
   * Returns, for each population, the tasks assigned to it. Both inputs are sorted first, so the
   * result does not depend on their order.
   */
  static Map<String, List<String>> assign(List<String> tasks, List<String> populations) {
    if (populations.isEmpty()) {
      throw new IllegalArgumentException("no populations to assign " + tasks.size() + " tasks to");
    }
    List<String> sortedTasks = new ArrayList<>(tasks);
    Collections.sort(sortedTasks);
    List<String> sortedPopulations = new ArrayList<>(populations);
    Collections.sort(sortedPopulations);

    Map<String, List<String>> assignment = new TreeMap<>();
    for (String population : sortedPopulations) {
      assignment.put(population, new ArrayList<>());
    }
    for (int i = 0; i < sortedTasks.size(); i++) {
      assignment.get(sortedPopulations.get(i % sortedPopulations.size())).add(sortedTasks.get(i));
    }
    return assignment;
  }
}
