package docsync_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/rules-odp/rules_odp/tools/internal/docsync"
)

const (
	defsPath = "rules/defs.bzl"
	docsPath = "docs/rules.md"
)

// repoRoot is the directory of go.mod above the test's working directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

func realAPI(t *testing.T) (api []docsync.Symbol, docs string) {
	t.Helper()
	root := repoRoot(t)
	api, err := docsync.ReadAPI(os.DirFS(root), defsPath)
	if err != nil {
		t.Fatalf("reading the API of %s: %v", defsPath, err)
	}
	b, err := os.ReadFile(filepath.Join(root, docsPath))
	if err != nil {
		t.Fatal(err)
	}
	return api, string(b)
}

// The test that keeps the reference docs honest.
func TestDocsMatchDefs(t *testing.T) {
	api, docs := realAPI(t)
	// An API read as nothing would make every docs file pass.
	kinds := map[string]docsync.Kind{}
	for _, sym := range api {
		kinds[sym.Name] = sym.Kind
	}
	for name, want := range map[string]docsync.Kind{
		"odp_java_image": docsync.Macro,
		"odp_image":      docsync.Rule,
		"deb_packages":   docsync.RepositoryRule,
		"OdpImageInfo":   docsync.Provider,
	} {
		if kinds[name] != want {
			t.Errorf("ReadAPI: %s is %q, want %q; is the reader broken?", name, kinds[name], want)
		}
	}
	if problems := docsync.Check(api, docs); len(problems) > 0 {
		t.Errorf("%s is out of sync with %s; fix %s:\n  %s", docsPath, defsPath, docsPath, strings.Join(problems, "\n  "))
	}
}

// Each row of the real docs is needed: dropping the row of any required
// attribute, parameter or field is reported, naming it.
func TestCheckCatchesDriftInRealDocs(t *testing.T) {
	api, docs := realAPI(t)
	var checked int
	for _, sym := range api {
		for _, p := range sym.Params {
			if p.Name == "name" || p.Name == "visibility" || p.Name == "tags" {
				continue
			}
			t.Run(sym.Name+"."+p.Name, func(t *testing.T) {
				drifted := dropRow(t, docs, sym.Name, p.Name)
				problems := docsync.Check(api, drifted)
				if len(problems) != 1 || !strings.Contains(problems[0], "`"+p.Name+"`") || !strings.Contains(problems[0], "## "+sym.Name) {
					t.Errorf("without the row of %s in section %s, Check = %q; want one problem naming both", p.Name, sym.Name, problems)
				}
			})
			checked++
		}
	}
	if checked < 50 {
		t.Errorf("only %d attributes, parameters and fields were checked; is the reader broken?", checked)
	}
}

// dropRow removes the table row of param from the section of symbol.
func dropRow(t *testing.T, docs, symbol, param string) string {
	t.Helper()
	lines := strings.Split(docs, "\n")
	in := false
	for i, l := range lines {
		if strings.HasPrefix(l, "## ") {
			in = l == "## "+symbol
		}
		if in && strings.HasPrefix(l, "| `"+param+"` |") {
			return strings.Join(append(lines[:i:i], lines[i+1:]...), "\n")
		}
	}
	t.Fatalf("section ## %s has no row of %s", symbol, param)
	return ""
}

// A small rule set using every form the reader knows.
var fixture = fstest.MapFS{
	"rules/defs.bzl": {Data: []byte(`"""Public API."""

load("//rules/private:things.bzl", _thing = "thing", _ThingInfo = "ThingInfo")
load("@rules_odp//rules/private:macros.bzl", "thing_macro")
load("//rules/private:macros.bzl", _repo = "thing_repository")

VERSION = "1.2.3"

thing = _thing
ThingInfo = _ThingInfo
thing_macro_alias = thing_macro  # an alias of a loaded name
thing_repository = _repo

def direct(name, count = 1, *args, **kwargs):
    """A macro in defs.bzl itself."""
    _unused = (count, args, kwargs)
    native.filegroup(name = name)

_hidden = 1
`)},
	"rules/private/things.bzl": {Data: []byte(`load(":common.bzl", "COMMON_ATTRS")

ThingInfo = provider(
    doc = "A thing.",
    fields = {
        "file": "File: the thing.",
        "_secret": "private",
    },
)

def _impl(ctx):
    pass

thing = rule(
    implementation = _impl,
    doc = """A thing. A ")" and a '#' in a string confuse no one.""",
    attrs = dict(COMMON_ATTRS, extra = attr.string_list(
        doc = "more",
    )) | {
        "src": attr.label(mandatory = True, allow_single_file = True),
        "mode": attr.string(default = "fast", values = ["fast", "slow"]),  # a comment
        "level": attr.int(default =
            3),
        "flag": attr.bool(),
        "_tool": attr.label(default = Label("//tools:x"), cfg = "exec"),
        "base": attr.label(doc = "overrides COMMON_ATTRS' base"),
    },
)
`)},
	"rules/private/common.bzl": {Data: []byte(`COMMON_ATTRS = {
    "base": attr.string(default = 'b'),
    "opts": _OPTS,
}

_OPTS = attr.string_dict(doc = r"raw \" string")
`)},
	"rules/private/macros.bzl": {Data: []byte(`def thing_macro(name, srcs, visibility = None, _private = 2, tags = [], **kwargs):
    pass

def _repo_impl(rctx):
    pass

thing_repository = repository_rule(
    implementation = _repo_impl,
    attrs = {"lock": attr.label(mandatory = True), "urls": attr.string_list()},
)
`)},
}

func TestReadAPI(t *testing.T) {
	got, err := docsync.ReadAPI(fixture, "rules/defs.bzl")
	if err != nil {
		t.Fatal(err)
	}
	want := []docsync.Symbol{
		{Name: "VERSION", Kind: docsync.Constant, File: "rules/defs.bzl"},
		{Name: "thing", Kind: docsync.Rule, File: "rules/private/things.bzl", Params: []docsync.Param{
			{Name: "base", Type: "label", Default: "None"},
			{Name: "opts", Type: "string_dict", Default: "{}"},
			{Name: "extra", Type: "string_list", Default: "[]"},
			{Name: "src", Type: "label", Default: docsync.Required},
			{Name: "mode", Type: "string", Default: `"fast"`},
			{Name: "level", Type: "int", Default: "3"},
			{Name: "flag", Type: "bool", Default: "False"},
		}},
		{Name: "ThingInfo", Kind: docsync.Provider, File: "rules/private/things.bzl", Params: []docsync.Param{{Name: "file"}}},
		{Name: "thing_macro_alias", Kind: docsync.Macro, File: "rules/private/macros.bzl", Params: []docsync.Param{
			{Name: "name", Default: docsync.Required},
			{Name: "srcs", Default: docsync.Required},
			{Name: "visibility", Default: "None"},
			{Name: "tags", Default: "[]"},
		}, Star: []string{"**kwargs"}},
		{Name: "thing_repository", Kind: docsync.RepositoryRule, File: "rules/private/macros.bzl", Params: []docsync.Param{
			{Name: "lock", Type: "label", Default: docsync.Required},
			{Name: "urls", Type: "string_list", Default: "[]"},
		}},
		{Name: "direct", Kind: docsync.Macro, File: "rules/defs.bzl", Params: []docsync.Param{
			{Name: "name", Default: docsync.Required},
			{Name: "count", Default: "1"},
		}, Star: []string{"*args", "**kwargs"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadAPI (-want +got):\n%s", diff)
	}
}

func TestReadAPIErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{{
		name:  "missing file",
		files: map[string]string{"defs.bzl": `load("//rules:gone.bzl", _x = "x")` + "\nx = _x\n"},
		want:  "reading rules/gone.bzl",
	}, {
		name:  "name not in loaded file",
		files: map[string]string{"defs.bzl": `load(":a.bzl", _x = "x")` + "\nx = _x\n", "a.bzl": "y = 1\n"},
		want:  "a.bzl binds no global x",
	}, {
		name:  "undefined alias",
		files: map[string]string{"defs.bzl": "x = _nowhere\n"},
		want:  "defs.bzl binds no global _nowhere",
	}, {
		name:  "alias cycle",
		files: map[string]string{"defs.bzl": "x = _y\n_y = _z\n_z = _y\n"},
		want:  "cycle",
	}, {
		name:  "attrs comprehension",
		files: map[string]string{"defs.bzl": "r = rule(implementation = _i, attrs = {k: attr.string() for k in _K})\n"},
		want:  `defs.bzl:1: want "name": attr.TYPE(...)`,
	}, {
		name:  "attrs from a function",
		files: map[string]string{"defs.bzl": "r = rule(implementation = _i, attrs = _attrs())\n"},
		want:  "cannot read the attributes of _attrs()",
	}, {
		name:  "attribute not attr.TYPE",
		files: map[string]string{"defs.bzl": "r = rule(implementation = _i, attrs = {\"a\": 1})\n"},
		want:  `attribute "a": want attr.TYPE(...), got 1`,
	}, {
		name:  "unknown attr type without default",
		files: map[string]string{"defs.bzl": "r = rule(implementation = _i, attrs = {\"a\": attr.novel()})\n"},
		want:  "attr.novel sets no default",
	}, {
		name:  "rule from a factory",
		files: map[string]string{"defs.bzl": "def _make():\n    return rule(implementation = _i)\n\nr = _make()\n"},
		want:  "r is made by calling _make (defs.bzl:1)",
	}, {
		name:  "unterminated string",
		files: map[string]string{"defs.bzl": "x = \"abc\n"},
		want:  "defs.bzl: line 1:5: string",
	}, {
		name:  "unbalanced bracket",
		files: map[string]string{"defs.bzl": "x = [1, 2)\n"},
		want:  `line 1:10: unexpected ')'`,
	}, {
		name:  "unclosed bracket",
		files: map[string]string{"defs.bzl": "x = {\n"},
		want:  `line 1:5: "{" is never closed`,
	}, {
		name:  "load from another repository",
		files: map[string]string{"defs.bzl": `load("@other//x:y.bzl", "z")` + "\n"},
		want:  "in another repository (other)",
	}, {
		name:  "unknown top-level statement",
		files: map[string]string{"defs.bzl": "x, y = 1, 2\n"},
		want:  "neither load, def nor NAME = VALUE",
	}, {
		name:  "bound twice",
		files: map[string]string{"defs.bzl": "x = 1\nx = 2\n"},
		want:  "x is bound twice (first at defs.bzl:1)",
	}, {
		name:  "bad provider fields",
		files: map[string]string{"defs.bzl": "P = provider(fields = [\"a\", 1])\n"},
		want:  `want "field", got 1`,
	}, {
		name:  "bad parameter",
		files: map[string]string{"defs.bzl": "def m(name, (a, b)):\n    pass\n"},
		want:  "cannot read parameter (a, b)",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, src := range tc.files {
				fsys[name] = &fstest.MapFile{Data: []byte(src)}
			}
			_, err := docsync.ReadAPI(fsys, "defs.bzl")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadAPI error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// The docs of fixture, in sync.
const fixtureDocs = "# Reference\n\n" +
	"Intro text; a `## heading` in prose is not a heading.\n\n" +
	"## VERSION\n\n**Constant.** The version.\n\n" +
	"## thing\n\n**Rule.** Makes a thing.\n\n" +
	"```starlark\n## not a heading, code\n```\n\n" +
	"| Attribute | Type | Default | Description |\n|---|---|---|---|\n" +
	"| `name` | `name` | required | Its name. |\n" +
	"| `base` | `label` | `None` | Base. |\n" +
	"| `opts` | `string_dict` | `{}` | Options. |\n" +
	"| `extra` | `string_list` | `[]` | More. |\n" +
	"| `src` | `label` | required | Source. |\n" +
	"| `mode` | `string` | `\"fast\"` | `fast` or `slow`. |\n" +
	"| `level` | `int` | `3` | Level. |\n" +
	"| `flag` | `bool` | `False` | A flag. |\n\n" +
	"## ThingInfo\n\n**Provider.** A thing.\n\n" +
	"| Field | Description |\n|---|---|\n| `file` | File: the thing. |\n\n" +
	"## thing_macro_alias\n\n**Macro.** Things.\n\n" +
	"| Target | What |\n|---|---|\n| `NAME_x` | Free-form. |\n\n" +
	"| Parameter | Default | Description |\n|---|---|---|\n" +
	"| `name` | required | Name. |\n" +
	"| `srcs` | required | Sources. |\n" +
	"| `**kwargs` | | Anything. |\n\n" +
	"## thing_repository\n\n**Repository rule.** A repository.\n\n" +
	"| Attribute | Type | Default | Description |\n|---|---|---|---|\n" +
	"| `lock` | `label` | required | The lock. |\n" +
	"| `urls` | `string_list` | `[]` | URLs. |\n\n" +
	"## direct\n\n**Macro.** Direct.\n\n### Parameters\n\n" +
	"| Parameter | Default | Description |\n|---|---|---|\n" +
	"| `count` | `1` | How many. |\n"

func TestCheck(t *testing.T) {
	api, err := docsync.ReadAPI(fixture, "rules/defs.bzl")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		old, new string // replaced once in fixtureDocs
		tail     string // then added at the end
		want     []string
	}{{
		name: "in sync",
	}, {
		name: "attribute missing",
		old:  "| `level` | `int` | `3` | Level. |\n",
		want: []string{"line 9: section \"## thing\": add a row for attribute `level` to the Attribute table: | `level` | `int` | `3` | ... |"},
	}, {
		name: "parameter missing",
		old:  "| `srcs` | required | Sources. |\n",
		want: []string{"line 36: section \"## thing_macro_alias\": add a row for parameter `srcs` to the Parameter table: | `srcs` | required | ... |"},
	}, {
		name: "field missing",
		old:  "| `file` | File: the thing. |\n",
		want: []string{"line 28: section \"## ThingInfo\": add a row for field `file` to the Field table: | `file` | ... |"},
	}, {
		name: "attribute removed from the code",
		old:  "| `flag` | `bool` | `False` | A flag. |\n", new: "| `flag` | `bool` | `False` | A flag. |\n| `gone` | `int` | `0` | Gone. |\n",
		want: []string{"line 27: section \"## thing\": remove the row of `gone`: rule thing (rules/private/things.bzl) has no attribute gone"},
	}, {
		name: "star parameter the macro does not have",
		old:  "| `count` | `1` | How many. |\n", new: "| `count` | `1` | How many. |\n| `**opts` | | No. |\n",
		want: []string{"line 68: section \"## direct\": remove the row of `**opts`: macro direct (rules/defs.bzl) has no parameter **opts"},
	}, {
		name: "section missing",
		old:  "## ThingInfo\n\n**Provider.** A thing.\n\n| Field | Description |\n|---|---|\n| `file` | File: the thing. |\n\n",
		want: []string{`add a section "## ThingInfo" after "## thing" for provider ThingInfo (rules/private/things.bzl), starting "**Provider.**"`},
	}, {
		name: "first section missing",
		old:  "## VERSION\n\n**Constant.** The version.\n\n",
		want: []string{`add a section "## VERSION" before the first section for constant VERSION (rules/defs.bzl), starting "**Constant.**"`},
	}, {
		name: "symbol no longer exported",
		old:  "## direct\n", new: "## removed_rule\n\n**Rule.** Gone.\n\n## direct\n",
		want: []string{`line 59: remove section "## removed_rule": defs.bzl exports no removed_rule`},
	}, {
		name: "section twice",
		old:  "## direct\n", new: "## VERSION\n\n**Constant.** Again.\n\n## direct\n",
		want: []string{`line 59: section "## VERSION" again (first at line 5): keep one`},
	}, {
		name: "wrong order",
		old:  "## VERSION\n\n**Constant.** The version.\n\n", new: "", tail: "\n## VERSION\n\n**Constant.** The version.\n",
		want: []string{"reorder the sections as defs.bzl exports the symbols: VERSION, thing, ThingInfo, thing_macro_alias, thing_repository, direct"},
	}, {
		name: "wrong kind",
		old:  "**Macro.** Direct.", new: "**Rule.** Direct.",
		want: []string{`line 59: section "## direct": start with "**Macro.**" (direct is a macro in rules/defs.bzl), not "**Rule.** Direct."`},
	}, {
		name: "wrong type",
		old:  "| `flag` | `bool` |", new: "| `flag` | `int` |",
		want: []string{"line 26: section \"## thing\": the row of `flag`: Type \"`int`\", want \"`bool`\" (attr.bool)"},
	}, {
		name: "wrong default",
		old:  "| `mode` | `string` | `\"fast\"` |", new: "| `mode` | `string` | `\"slow\"` |",
		want: []string{"line 24: section \"## thing\": the row of `mode`: Default \"`\\\"slow\\\"`\", want \"`\\\"fast\\\"`\""},
	}, {
		name: "not required",
		old:  "| `src` | `label` | required |", new: "| `src` | `label` | `None` |",
		want: []string{"line 23: section \"## thing\": the row of `src`: Default \"`None`\", want \"required\""},
	}, {
		name: "empty description",
		old:  "| `lock` | `label` | required | The lock. |", new: "| `lock` | `label` | required |  |",
		want: []string{"line 56: section \"## thing_repository\": the row of `lock`: empty Description"},
	}, {
		name: "name without backticks",
		old:  "| `urls` |", new: "| urls |",
		want: []string{
			`line 57: section "## thing_repository": the row "urls": write the attribute's name in backticks, as ` + "`name`",
			"line 50: section \"## thing_repository\": add a row for attribute `urls` to the Attribute table: | `urls` | `string_list` | `[]` | ... |",
		},
	}, {
		name: "row twice",
		old:  "| `urls` | `string_list` | `[]` | URLs. |\n", new: "| `urls` | `string_list` | `[]` | URLs. |\n| `urls` | `string_list` | `[]` | URLs. |\n",
		want: []string{"line 58: section \"## thing_repository\": the row of `urls` again (first at line 57): keep one"},
	}, {
		name: "table missing",
		old:  "| Field | Description |\n|---|---|\n| `file` | File: the thing. |\n",
		want: []string{"line 28: section \"## ThingInfo\": add a table \"| Field | Description |\" with a row for each field: `file`"},
	}, {
		name: "table headed for another kind",
		old:  "| Field | Description |", new: "| Parameter | Description |",
		want: []string{
			`line 28: section "## ThingInfo": the table headed "Parameter": ThingInfo is a provider, so head its first column "Field"`,
			"line 28: section \"## ThingInfo\": add a table \"| Field | Description |\" with a row for each field: `file`",
		},
	}, {
		name: "column missing",
		old:  "| Parameter | Default | Description |\n|---|---|---|\n| `count` | `1` | How many. |", new: "| Parameter | Description |\n|---|---|\n| `count` | How many. |",
		want: []string{`line 59: section "## direct": add a column "Default" to the Parameter table`},
	}, {
		name: "macro section without its optional rows",
		old:  "| `name` | required | Name. |\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			docs := fixtureDocs
			if tc.old != "" {
				if !strings.Contains(docs, tc.old) {
					t.Fatalf("fixtureDocs has no %q", tc.old)
				}
				docs = strings.Replace(docs, tc.old, tc.new, 1)
			}
			docs += tc.tail
			got := docsync.Check(api, docs)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzReadAPI(f *testing.F) {
	for _, name := range []string{"rules/defs.bzl", "rules/private/things.bzl", "rules/private/common.bzl", "rules/private/macros.bzl"} {
		f.Add(string(fixture[name].Data))
	}
	f.Add("x = '''\n")
	f.Add("def f(a = (1,\n")
	f.Add("x = r'\\'' + b\"\\\"\"\n")
	f.Fuzz(func(t *testing.T, src string) {
		fsys := fstest.MapFS{}
		for name, file := range fixture {
			fsys[name] = file
		}
		fsys["rules/defs.bzl"] = &fstest.MapFile{Data: []byte(src)}
		api, err := docsync.ReadAPI(fsys, "rules/defs.bzl")
		if err != nil {
			return
		}
		for _, sym := range api {
			if sym.Name == "" || sym.Kind == "" || sym.File == "" {
				t.Errorf("ReadAPI gave %+v", sym)
			}
		}
		docsync.Check(api, src) // must not panic on any Markdown either
	})
}
