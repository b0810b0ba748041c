package com.example.shared;

/** One of two classes of this name: the one first on the class path wins. */
public final class ClasspathProbe {
  private ClasspathProbe() {}

  public static String winner() {
    return "alpha";
  }
}
