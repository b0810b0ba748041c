package com.example.collector;

import com.example.report.Classpath;

/**
 * The collector example service: prints one line that the image tests look for ("collector ok"),
 * with the class of com.example.shared.ClasspathProbe that won on its Spring-Boot-style class
 * path (the jar's entry order decides).
 */
public final class CollectorApplication {
  private CollectorApplication() {}

  public static void main(String[] args) throws Exception {
    System.out.println(
        "collector ok classpath="
            + Classpath.winner()
            + " user.dir="
            + System.getProperty("user.dir"));
  }
}
