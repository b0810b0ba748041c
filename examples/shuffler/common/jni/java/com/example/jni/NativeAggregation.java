package com.example.jni;

/** The native half of the aggregator, in libaggregation-jni.so (C++, libc++). */
public final class NativeAggregation {
  public static final String LIBRARY = "aggregation-jni";

  private NativeAggregation() {}

  /** Loads the library from java.library.path (the image's entrypoint sets it to the jar's directory). */
  public static void load() {
    System.loadLibrary(LIBRARY);
  }

  /** Returns the sum of a fixed set of client updates, computed in C++, as a decimal string. */
  public static native String aggregate();

  /** Returns _LIBCPP_VERSION of the libc++ the library was compiled against, e.g. 160006 for 16.0.6. */
  public static native int libcxxVersion();
}
