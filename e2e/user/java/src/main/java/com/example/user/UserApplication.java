package com.example.user;

import java.io.File;
import java.lang.management.ManagementFactory;

/** Prints what the image test checks: where it runs and with what. */
public final class UserApplication {
  private UserApplication() {}

  public static void main(String[] args) throws Exception {
    System.out.println("user ok");
    System.out.println("greeting " + System.getProperty("odp.greeting"));
    System.out.println("cwd " + new File(".").getCanonicalPath());
    System.out.println("jar " + UserApplication.class.getProtectionDomain().getCodeSource().getLocation().getPath());
    System.out.println("libunwind " + new File("/usr/lib/x86_64-linux-gnu/libunwind.so.1").exists());
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      System.out.println("jvm " + arg);
    }
  }
}
