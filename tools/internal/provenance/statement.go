// Package provenance renders SLSA provenance v1 for pushed images: an
// in-toto Statement v1 whose subjects are the pushed repositories with the
// manifest digest, and whose predicate names what went into the build
// (source revision, lock files, base images, Go toolchain).
//
// The statement is a function of its inputs only: keys and lists are
// sorted, times appear only when given, and nothing is read from the
// clock, the machine or the working directory, so the same inputs give the
// same bytes anywhere. docs/provenance.md is the user-facing contract.
package provenance

// Type URIs of the formats (in-toto attestation spec v1, SLSA v1.0).
const (
	StatementType = "https://in-toto.io/Statement/v1"
	PredicateType = "https://slsa.dev/provenance/v1"
	// BuildType identifies how to read externalParameters and
	// resolvedDependencies; it resolves to their documentation.
	BuildType = "https://github.com/rules-odp/rules_odp/blob/main/docs/provenance.md#build-type-v1"
	// DefaultBuilderID is used unless the caller names its build platform.
	// It resolves to documentation saying that nothing vouches for the
	// machine that ran odptool (SLSA Build L1).
	DefaultBuilderID = "https://github.com/rules-odp/rules_odp/blob/main/docs/provenance.md#builder-local"
)

// Statement is an in-toto Statement v1 carrying SLSA provenance.
type Statement struct {
	Type          string               `json:"_type"`
	Subject       []ResourceDescriptor `json:"subject"`
	PredicateType string               `json:"predicateType"`
	Predicate     Provenance           `json:"predicate"`
}

// ResourceDescriptor is the in-toto ResourceDescriptor (the fields we
// use). Digest values are lower-case hex without an algorithm prefix.
type ResourceDescriptor struct {
	Name        string            `json:"name,omitempty"`
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	MediaType   string            `json:"mediaType,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Provenance is the SLSA provenance v1 predicate.
type Provenance struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition is what went into the build.
type BuildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   map[string]any       `json:"externalParameters"`
	InternalParameters   map[string]any       `json:"internalParameters,omitempty"`
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies,omitempty"`
}

// RunDetails is about this run of the build.
type RunDetails struct {
	Builder    Builder              `json:"builder"`
	Metadata   *BuildMetadata       `json:"metadata,omitempty"`
	Byproducts []ResourceDescriptor `json:"byproducts,omitempty"`
}

// Builder identifies the build platform.
type Builder struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// BuildMetadata holds the only values that may differ between runs, and
// only when the caller gives them. Times are RFC 3339 in UTC.
type BuildMetadata struct {
	InvocationID string `json:"invocationId,omitempty"`
	StartedOn    string `json:"startedOn,omitempty"`
	FinishedOn   string `json:"finishedOn,omitempty"`
}
