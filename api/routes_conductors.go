package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/ironic-etcd/ironic-etcd/internal/render"
)

var conductorRoutes = []Route{
	{Name: "register_conductor", Doc: "Register a conductor, alive while its lease (TTL = heartbeat timeout) is renewed by touch_conductor.",
		Result: rRecord(newConductor), Args: []Arg{req("values", tValues(newConductor)), opt("update_existing", tBoolean, false)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.h.registerConductor(ctx, c.Values("values"), c.Bool("update_existing")))
		}},
	{Name: "get_conductor", Doc: "A conductor by hostname; online true (default), false, or null for either.",
		Result: rRecord(newConductor), Args: []Arg{req("hostname", tString), {Name: "online", Type: tBoolean, Default: true, Nullable: true}},
		Call: func(ctx context.Context, c *Call) (any, error) {
			if c.Bool("online") {
				return ret(c.store().GetConductor(ctx, c.Str("hostname")))
			}
			return c.h.conductorByHostname(ctx, c.Str("hostname"), c.Get("online"))
		}},
	{Name: "unregister_conductor", Doc: "Mark a conductor offline and revoke its lease (its locks go with it).", Result: rNone,
		Args: []Arg{req("hostname", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.h.unregisterConductor(ctx, c.Str("hostname")))
		}},
	{Name: "touch_conductor", Doc: "Heartbeat: renew the conductor's lease and set updated_at.", Result: rNone,
		Args: []Arg{req("hostname", tString)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.h.touchConductor(ctx, c.Str("hostname")))
		}},
	{Name: "get_active_driver_dict", Doc: "Drivers of the live conductors (seed only; null interval: the heartbeat timeout).",
		Result: rDriverDict, Args: []Arg{opt("interval", tSeconds, nil)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			secs, _ := c.Get("interval").(float64)
			return ret(c.store().GetActiveDriverDict(ctx, time.Duration(secs*float64(time.Second))))
		}},
	{Name: "get_offline_conductors", Doc: "A column (default hostname) of the offline conductors.", Result: rAnyList,
		Args: []Arg{opt("field", tString, "hostname")},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return c.h.offlineConductors(ctx, c.Str("field"))
		}},
	{Name: "get_conductor_list", Doc: "Every conductor, online or not (21.4's paging arguments: not yet).",
		Result: rRecords(newConductor), Args: []Arg{unsupported("limit"), unsupported("marker"), unsupported("sort_key"), unsupported("sort_dir")},
		Call: func(ctx context.Context, c *Call) (any, error) { return ret(c.store().GetConductorList(ctx)) }},
	{Name: "list_conductor_hardware_interfaces", Doc: "A conductor's hardware interfaces.", Result: rRecords(newHWIface),
		Args: []Arg{req("conductor_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().ListConductorHardwareInterfaces(ctx, c.Int("conductor_id")))
		}},
	{Name: "register_conductor_hardware_interfaces",
		Doc:    "21.4: interfaces as dicts (hardware_type, interface_type, interface_name, default) of one hardware and interface type; seed: names with hardware_type, interface_type, default_interface.",
		Result: rNone,
		Args: []Arg{req("conductor_id", tInteger), req("interfaces", tInterfaces), opt("hardware_type", tString, nil),
			opt("interface_type", tString, nil), opt("default_interface", tString, nil)},
		Call: func(ctx context.Context, c *Call) (any, error) { return none(c.h.registerHardwareInterfaces(ctx, c)) }},
	{Name: "unregister_conductor_hardware_interfaces", Doc: "Remove a conductor's hardware interfaces.", Result: rNone,
		Args: []Arg{req("conductor_id", tInteger)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return none(c.store().UnregisterConductorHardwareInterfaces(ctx, c.Int("conductor_id")))
		}},
}

// tInterfaces is a list of interface names (seed) or of dicts (21.4).
var tInterfaces = ArgType{Schema: map[string]any{"type": "array", "items": map[string]any{"oneOf": []any{
	map[string]any{"type": "string"}, map[string]any{"type": "object"}}}},
	decode: func(raw json.RawMessage) (any, error) {
		if v, err := tStrings.decode(raw); err == nil {
			return v, nil
		}
		if v, err := tObjects.decode(raw); err == nil {
			return v, nil
		}
		return nil, want("an array of names or of objects", raw)
	}}

// registerHardwareInterfaces maps both forms onto the store's one
// (hardware type, interface type) batch. The 21.4 form spanning several
// types needs one transaction for them all, which the store has not yet.
func (h *Handler) registerHardwareInterfaces(ctx context.Context, c *Call) error {
	id := c.Int("conductor_id")
	if names, ok := c.Get("interfaces").([]string); ok {
		return h.store().RegisterConductorHardwareInterfaces(ctx, id, c.Str("hardware_type"), c.Str("interface_type"),
			names, c.Str("default_interface"))
	}
	if c.Given("hardware_type") || c.Given("interface_type") || c.Given("default_interface") {
		return badRequest(errArgumentType, nil, "with interfaces as dicts, hardware_type, interface_type and default_interface go in each dict")
	}
	var hwType, ifType, def string
	var names []string
	for i, d := range c.Get("interfaces").([]map[string]any) {
		ht, _ := d["hardware_type"].(string)
		it, _ := d["interface_type"].(string)
		name, _ := d["interface_name"].(string)
		if ht == "" || it == "" || name == "" {
			return badRequest(errArgumentType, map[string]any{"argument": "interfaces"},
				"interfaces[%d] needs hardware_type, interface_type and interface_name strings", i)
		}
		if i > 0 && (ht != hwType || it != ifType) {
			return badRequest(errNotSupported, map[string]any{"argument": "interfaces"},
				"interfaces of several hardware or interface types in one call are not supported by this store yet: one call per (hardware_type, interface_type)")
		}
		hwType, ifType, names = ht, it, append(names, name)
		if isDefault, _ := d["default"].(bool); isDefault {
			def = name
		}
	}
	if len(names) == 0 {
		return nil
	}
	return h.store().RegisterConductorHardwareInterfaces(ctx, id, hwType, ifType, names, def)
}

// conductorByHostname serves get_conductor with online false (offline
// only) or null (either), from the conductor list.
func (h *Handler) conductorByHostname(ctx context.Context, hostname string, online any) (any, error) {
	all, err := h.store().GetConductorList(ctx)
	if err != nil {
		return nil, err
	}
	for _, cd := range all {
		if cd.Hostname == hostname && (online == explicitNull || !cd.Online) {
			return cd, nil
		}
	}
	return nil, &requestError{Status: http.StatusNotFound, Type: "ConductorNotFound",
		Msg: fmt.Sprintf("ConductorNotFound: conductor %s could not be found", hostname), Params: map[string]any{"conductor": hostname}}
}

// offlineConductors serves get_offline_conductors(field).
func (h *Handler) offlineConductors(ctx context.Context, field string) (any, error) {
	if !slices.Contains(conductorColumns(), field) {
		return nil, badRequest(errArgumentType, map[string]any{"argument": "field"},
			"conductors have no column %q; they have %v", field, conductorColumns())
	}
	hosts, err := h.store().GetOfflineConductors(ctx)
	if err != nil || field == "hostname" {
		return ret(hosts, err)
	}
	offline := map[string]bool{}
	for _, host := range hosts {
		offline[host] = true
	}
	all, err := h.store().GetConductorList(ctx)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, cd := range all {
		for _, col := range render.Of(cd).Columns {
			if offline[cd.Hostname] && col.Name == field {
				out = append(out, col.Value)
			}
		}
	}
	return out, nil
}

// conductorColumns are the conductor's Ironic columns.
func conductorColumns() []string {
	var out []string
	for _, col := range ironicColumns(render.Of(newConductor())).Columns {
		out = append(out, col.Name)
	}
	return out
}
