package api

import (
	"context"
)

// The version methods of Ironic 21.4, judged by Ironic 21.4.4's object
// versions (release_mappings.py).
var versionRoutes = []Route{
	{Name: "check_versions", Doc: "Whether every row of every versioned model has a supported version (NULL is not).",
		Result: rBool, Args: []Arg{opt("ignore_models", tStrings, nil), opt("permit_initial_version", tBoolean, false)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().CheckVersions(ctx, c.Strings("ignore_models"), c.Bool("permit_initial_version")))
		}},
	{Name: "get_not_versions", Doc: "The rows of a model (Node, Port, NodeTag, ...) whose version is NULL or not one of versions.",
		Result: rRows21, Args: []Arg{req("model_name", tString), req("versions", tStrings)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetNotVersions(ctx, c.Str("model_name"), c.Strings("versions")))
		}},
	{Name: "update_to_latest_versions", Doc: "Move up to max_count rows (0: all) to their model's latest version: [total, migrated].",
		Result: rCounts, Args: []Arg{req("max_count", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			n := int(max(min(c.Int("max_count"), 1<<31), -1))
			total, migrated, err := c.store().UpdateToLatestVersions(ctx, n)
			return ret([]int{total, migrated}, err)
		}},
}

var (
	rRows21 = Result{Doc: "the rows, as records of the model", Schema: map[string]any{"type": "array", "items": map[string]any{"type": "object"}}}
	rCounts = Result{Doc: "[total, migrated]", Schema: map[string]any{"type": "array", "items": map[string]any{"type": "integer"}, "minItems": 2, "maxItems": 2}}
)
