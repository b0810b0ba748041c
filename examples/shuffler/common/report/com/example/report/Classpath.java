package com.example.report;

/** What the services report of their class path. */
public final class Classpath {
  private Classpath() {}

  /**
   * Returns which library's com.example.shared.ClasspathProbe the service's class loader found
   * first: on a Spring-Boot-style class path, the one whose jar comes first in the jar's entries.
   */
  public static String winner() throws ReflectiveOperationException {
    return (String)
        Class.forName(
                "com.example.shared.ClasspathProbe",
                true,
                Thread.currentThread().getContextClassLoader())
            .getMethod("winner")
            .invoke(null);
  }
}
