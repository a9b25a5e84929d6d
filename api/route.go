// Package api serves the store's Connection over HTTP with JSON: one
// POST /v1/<method> route per method of Ironic's database API, under the
// reference's own method and argument names.
//
// One table (Routes) is the single source of truth: it routes requests,
// decodes their arguments, and generates GET /v1/ and the OpenAPI document.
// Adding a method of the store is one row in a routes_*.go file.
package api

import (
	"context"
	"sort"
)

// Route is one method of the Connection.
type Route struct {
	// Name is the Python method name, also the path: POST /v1/<Name>.
	Name string
	// Doc is one sentence for the method list and the OpenAPI document.
	Doc string
	// Args are the keyword arguments, under the reference's names.
	Args []Arg
	// Result says what a successful call returns.
	Result Result
	// Call runs the method against the store.
	Call func(ctx context.Context, c *Call) (any, error)
	// TestingOnly routes answer only a server started with --testing.
	TestingOnly bool
}

// Result is the kind of answer a route gives, as a JSON schema.
type Result struct {
	Doc    string
	Schema map[string]any
}

// Arg is one keyword argument.
type Arg struct {
	Name     string
	Type     ArgType
	Required bool
	// Default is what the reference defaults to when the argument is
	// left out (nil: None).
	Default any
	// Nullable arguments given as null are passed as explicitNull, not
	// as Default (get_conductor's online=None: either).
	Nullable bool
}

// routeIndex maps names to routes; built once from Routes.
var routeIndex = func() map[string]*Route {
	idx := map[string]*Route{}
	for _, group := range routeGroups {
		for i := range group {
			r := &group[i]
			if _, dup := idx[r.Name]; dup {
				panic("api: route " + r.Name + " defined twice")
			}
			idx[r.Name] = r
		}
	}
	return idx
}()

// routeGroups are the tables of the routes_*.go files.
var routeGroups = [][]Route{
	nodeRoutes,
	nodeRoutes21,
	portRoutes,
	ports21Routes,
	portgroupRoutes,
	chassisRoutes,
	conductorRoutes,
	tagRoutes,
	volumeRoutes,
	versionRoutes,
	allocationRoutes,
	testRoutes,
	templateRoutes,
	historyRoutes,
	traitRoutes,
	biosRoutes,
}

// Routes returns every route, sorted by name.
func Routes() []*Route {
	out := make([]*Route, 0, len(routeIndex))
	for _, r := range routeIndex {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup finds a route by its method name.
func Lookup(name string) (*Route, bool) {
	r, ok := routeIndex[name]
	return r, ok
}
