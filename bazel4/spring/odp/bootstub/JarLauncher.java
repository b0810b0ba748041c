package odp.bootstub;

import java.io.File;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The launcher of the Bazel 4 harness's springboot stand-in, doing what Spring Boot's JarLauncher
 * does for a jar without BOOT-INF/classpath.idx (rules_spring writes none): the class path is
 * BOOT-INF/classes/ and then the nested BOOT-INF/lib/*.jar in the order of the jar's entries. So,
 * as with Spring Boot, reordering the entries of the jar changes which of two classes of the same
 * name wins. Nested jars are copied to a temporary directory (Spring Boot reads them in place).
 */
public final class JarLauncher {
  private JarLauncher() {}

  public static void main(String[] args) throws Exception {
    File self = new File(JarLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path tmp = Files.createTempDirectory("bootstub");
    // Created first: a directory URL must end in "/", which toUri() adds
    // only for a directory that exists.
    Path classes = Files.createDirectories(tmp.resolve("classes"));
    List<URL> path = new ArrayList<>();
    path.add(classes.toUri().toURL());
    String startClass;
    try (JarFile jar = new JarFile(self)) {
      startClass = jar.getManifest().getMainAttributes().getValue("Start-Class");
      Enumeration<JarEntry> entries = jar.entries(); // central directory order
      int n = 0;
      while (entries.hasMoreElements()) {
        JarEntry e = entries.nextElement();
        String name = e.getName();
        Path dest = null;
        if (name.startsWith("BOOT-INF/classes/") && !e.isDirectory()) {
          dest = classes.resolve(name.substring("BOOT-INF/classes/".length()));
        } else if (name.startsWith("BOOT-INF/lib/") && name.endsWith(".jar")) {
          dest = tmp.resolve("lib").resolve(String.format("%04d-", n++) + name.substring("BOOT-INF/lib/".length()));
          path.add(dest.toUri().toURL());
        }
        if (dest != null) {
          Files.createDirectories(dest.getParent());
          try (InputStream in = jar.getInputStream(e)) {
            Files.copy(in, dest, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
    }
    if (startClass == null) {
      throw new IllegalStateException(self + ": no Start-Class in the manifest");
    }
    URLClassLoader loader =
        new URLClassLoader(path.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
    Thread.currentThread().setContextClassLoader(loader);
    Method main = Class.forName(startClass, true, loader).getMethod("main", String[].class);
    main.invoke(null, (Object) args);
  }
}
