package jarnorm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rules-odp/rules_odp/tools/internal/jarnorm"
)

const mainJava = `import java.io.*;
public class Main {
  public static void main(String[] args) throws IOException {
    try (InputStream in = Main.class.getResourceAsStream("/data/greeting.txt")) {
      System.out.println(pkg.Helper.name() + " says " + new String(in.readAllBytes(), "UTF-8").trim());
    }
  }
}
`

const helperJava = `package pkg;
public class Helper { public static String name() { return "the normalised jar"; } }
`

// checkJava reads a jar the two ways Java does: JarInputStream (streaming,
// local headers, manifest must come first, CRCs checked, signatures
// verified as it goes) and JarFile (central directory).
const checkJava = `import java.io.*;
import java.util.jar.*;
public class Check {
  public static void main(String[] args) throws IOException {
    try (JarInputStream in = new JarInputStream(new FileInputStream(args[0]), true)) {
      Manifest m = in.getManifest();
      System.out.println("stream Main-Class: " + (m == null ? "<no manifest>" : m.getMainAttributes().getValue("Main-Class")));
      for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
        long n = in.transferTo(OutputStream.nullOutputStream());
        System.out.println(e.getName() + " " + n + (e.getCodeSigners() != null ? " signed" : ""));
      }
    }
    try (JarFile f = new JarFile(args[0], true)) {
      System.out.println("file Main-Class: " + f.getManifest().getMainAttributes().getValue("Main-Class"));
    }
  }
}
`

type jdkWorkspace struct {
	dir, jar, java, classes string
}

func newJDKWorkspace(t *testing.T) *jdkWorkspace {
	t.Helper()
	javac := needTool(t, "javac")
	w := &jdkWorkspace{dir: t.TempDir(), jar: needTool(t, "jar"), java: needTool(t, "java")}
	w.classes = filepath.Join(w.dir, "classes")
	files := map[string]string{
		"src/Main.java":               mainJava,
		"src/pkg/Helper.java":         helperJava,
		"check/Check.java":            checkJava,
		"classes/data/greeting.txt":   "hello\n",
		"classes/data/more/empty.txt": "",
	}
	for name, content := range files {
		p := filepath.Join(w.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(t, w.dir, javac, "-d", "classes", "src/Main.java", "src/pkg/Helper.java")
	run(t, w.dir, javac, "-d", "check", "check/Check.java")
	return w
}

// build runs `jar --create` after setting every input's mtime, the way
// `touch -d` on a build machine would.
func (w *jdkWorkspace) build(t *testing.T, name string, mtime time.Time, extra ...string) []byte {
	t.Helper()
	err := filepath.Walk(w.classes, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, mtime, mtime)
	})
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--create", "--file", name}, extra...)
	run(t, w.dir, w.jar, append(args, "-C", "classes", ".")...)
	b, err := os.ReadFile(filepath.Join(w.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (w *jdkWorkspace) write(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(w.dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (w *jdkWorkspace) check(t *testing.T, jar string) []string {
	t.Helper()
	return strings.Split(strings.TrimSpace(run(t, w.dir, w.java, "-cp", "check", "Check", jar)), "\n")
}

func TestJDK(t *testing.T) {
	w := newJDKWorkspace(t)

	t.Run("jars built at different times normalise identically and run", func(t *testing.T) {
		a := w.build(t, "a.jar", time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC), "--main-class", "Main")
		b := w.build(t, "b.jar", time.Date(2015, 6, 7, 8, 9, 10, 0, time.Local), "--main-class", "Main")
		if bytes.Equal(a, b) {
			t.Fatal("the two input jars are identical; the test proves nothing")
		}
		na, nb := normalize(t, a, jarnorm.Options{}), normalize(t, b, jarnorm.Options{})
		if !bytes.Equal(na, nb) {
			t.Fatalf("normalised jars differ:\n%s\n%s", listing(t, na, ""), listing(t, nb, ""))
		}
		out := w.write(t, "out.jar", na)
		if got := run(t, w.dir, w.java, "-jar", out); got != "the normalised jar says hello\n" {
			t.Errorf("java -jar printed %q", got)
		}
		// The jar tool writes META-INF/ and the manifest first; the rest
		// keeps the jar tool's order, which JarInputStream sees.
		if diff := cmp.Diff(names(t, a), names(t, na)); diff != "" {
			t.Errorf("entry order changed (-jar tool +normalised):\n%s", diff)
		}
		want := []string{"stream Main-Class: Main"}
		for _, n := range names(t, na) {
			if n != "META-INF/" && n != "META-INF/MANIFEST.MF" {
				want = append(want, n+" "+size(t, na, n))
			}
		}
		want = append(want, "file Main-Class: Main")
		if len(want) != 9 {
			t.Fatalf("Java's view should list the 7 entries of classes/: %q", want)
		}
		if diff := cmp.Diff(want, w.check(t, out)); diff != "" {
			t.Errorf("Java's view of the normalised jar (-want +got):\n%s", diff)
		}
		if got := names(t, na)[:2]; got[0] != "META-INF/" || got[1] != "META-INF/MANIFEST.MF" {
			t.Errorf("first entries %v, want META-INF/ and its manifest", got)
		}
	})

	t.Run("manifest wrapping matches java.util.jar.Manifest", func(t *testing.T) {
		in := "Manifest-Version: 1.0\nMain-Class: Main\n" +
			"X-Long: " + strings.Repeat("é", 31) + strings.Repeat("abcdefghij", 6) + "\n  continued\n" +
			"Built-By: someone\n" +
			"X-Odd: " + strings.Repeat("é", 80) + "\n" +
			"\nName: Main.class\nX-Entry: " + strings.Repeat("z", 150) + "\n"
		w.write(t, "m.txt", []byte(in))
		jar := w.build(t, "m.jar", time.Now(), "--manifest", "m.txt")
		jdk := string(readEntry(t, entryByName(t, jar, "META-INF/MANIFEST.MF")))
		want := regexp.MustCompile(`(?m)^(Built-By|Created-By): .*\r\n`).ReplaceAllString(jdk, "")
		if want == jdk {
			t.Fatalf("the JDK's manifest holds no Built-By/Created-By line:\n%q", jdk)
		}
		got, err := jarnorm.NormalizeManifest([]byte(in), jarnorm.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, string(got)); diff != "" {
			t.Errorf("our manifest vs the JDK's minus volatile lines (-want +got):\n%s", diff)
		}
	})

	t.Run("signed jar keeps its manifest and still verifies", func(t *testing.T) {
		keytool, jarsigner := needTool(t, "keytool"), needTool(t, "jarsigner")
		w.build(t, "signed.jar", time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC), "--main-class", "Main")
		run(t, w.dir, keytool, "-genkeypair", "-keystore", "ks.p12", "-storetype", "PKCS12", "-storepass", "changeit",
			"-alias", "test", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=test", "-validity", "3650")
		run(t, w.dir, jarsigner, "-keystore", "ks.p12", "-storepass", "changeit", "signed.jar", "test")
		signed, err := os.ReadFile(filepath.Join(w.dir, "signed.jar"))
		if err != nil {
			t.Fatal(err)
		}
		out := normalize(t, signed, jarnorm.Options{})
		before := readEntry(t, entryByName(t, signed, "META-INF/MANIFEST.MF"))
		after := readEntry(t, entryByName(t, out, "META-INF/MANIFEST.MF"))
		if !bytes.Equal(before, after) {
			t.Errorf("signed jar's manifest changed:\n%q\n%q", before, after)
		}
		if !strings.Contains(string(before), "Created-By: ") {
			t.Fatalf("the signed manifest has no volatile attribute; the test proves nothing:\n%q", before)
		}
		p := w.write(t, "signed-norm.jar", out)
		if got := run(t, w.dir, jarsigner, "-verify", p); !strings.Contains(got, "jar verified.") {
			t.Errorf("jarsigner -verify:\n%s", got)
		}
		lines := w.check(t, p)
		if !contains(lines, "Main.class "+size(t, out, "Main.class")+" signed") {
			t.Errorf("JarInputStream does not see Main.class as signed:\n%s", strings.Join(lines, "\n"))
		}
	})
}

func size(t *testing.T, jar []byte, name string) string {
	return strconv.FormatUint(entryByName(t, jar, name).UncompressedSize64, 10)
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
