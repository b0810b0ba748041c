// Package docsync keeps docs/rules.md in step with the public Starlark API
// of rules_odp, rules/defs.bzl.
//
// ReadAPI reads defs.bzl and the .bzl files it loads and lists what a user
// can load from it: every top-level `NAME = ...` and `def NAME(...)` whose
// name has no leading underscore, following aliases (`odp_image =
// _odp_image`) through load statements to the rule(...), repository_rule(...),
// provider(...) call or the def that makes the symbol. For a rule it reads the
// keys of the attrs dict (with each attribute's attr.TYPE and default), for a
// macro the parameters of the def, for a provider its fields.
//
// The reading is textual: a small scanner splits the Starlark source into
// tokens with their bracket depth, which is enough to find top-level
// statements, call arguments and dict keys. It understands the forms the
// rule set uses (dict literals, a global naming a dict, dict(A, k = v),
// A | B) and fails, naming the file and line, on anything else, so that a
// new idiom in the .bzl files shows up as a test failure rather than as an
// attribute silently left out of the check. Starlark is not evaluated: the
// module go.starlark.net would be a dependency for one test.
//
// Check compares that API with the Markdown of docs/rules.md and lists every
// difference as a sentence saying what to add, change or remove where. The
// format it expects of each symbol's section is:
//
//	## deb_layer
//
//	**Rule.** One sentence or more on what it does.
//
//	| Attribute | Type | Default | Description |
//	|---|---|---|---|
//	| `deb` | `label` | required | The `.deb`. |
//	| `compression` | `string` | `"none"` | `none` or `gzip`. |
//
// The first line says the kind (Rule, Repository rule, Macro, Provider or
// Constant). Rules have an Attribute table with the attr module's type and
// the default as Starlark source (or "required"), macros a Parameter table
// with Default and Description, providers a Field table with Description.
// Sections follow the order of defs.bzl, and every "## " heading must name
// an exported symbol. Other tables in a section (e.g. of the targets a macro
// declares) are free-form.
package docsync
