package api

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ironic-etcd/ironic-etcd/etcdstore"
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
			var online *bool
			if b, ok := c.Get("online").(bool); ok {
				online = &b
			}
			return ret(c.store().GetConductorOnline(ctx, c.Str("hostname"), online))
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
	{Name: "get_offline_conductors", Doc: "A column (default hostname) of the offline conductors, in id order.", Result: rAnyList,
		Args: []Arg{opt("field", tString, "hostname")},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetOfflineConductorsField(ctx, c.Str("field")))
		}},
	{Name: "get_conductor_list", Doc: "Every conductor, online or not, paged.", Result: rRecords(newConductor), Args: listArgs(newConductor),
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetConductorListWith(ctx, c.ListOptions()))
		}},
	{Name: "get_online_conductors", Doc: "The hostnames of the active conductors.", Result: rStrings,
		Call: func(ctx context.Context, c *Call) (any, error) { return ret(c.store().GetOnlineConductors(ctx)) }},
	{Name: "get_active_hardware_type_dict", Doc: "Hardware types (\"<conductor_group>:<type>\" with use_groups) of the active conductors to their hostnames.",
		Result: rHostsByKey, Args: []Arg{opt("use_groups", tBoolean, false)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().GetActiveHardwareTypeDict(ctx, c.Bool("use_groups")))
		}},
	{Name: "list_hardware_type_interfaces", Doc: "The hardware interfaces of the active conductors for some hardware types.",
		Result: rRecords(newHWIface), Args: []Arg{req("hardware_types", tStrings)},
		Call: func(ctx context.Context, c *Call) (any, error) {
			return ret(c.store().ListHardwareTypeInterfaces(ctx, c.Strings("hardware_types")))
		}},
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

// tInterfaces is a list of interface names (seed) or of row dicts (21.4).
var tInterfaces = ArgType{Schema: map[string]any{"type": "array", "items": map[string]any{"oneOf": []any{
	map[string]any{"type": "string"}, map[string]any{"$ref": schemaRef(newHWIface())}}}},
	decode: func(raw json.RawMessage) (any, error) {
		if v, err := tStrings.decode(raw); err == nil {
			return v, nil
		}
		var items []json.RawMessage
		if err := decodeExact(raw, &items); err != nil || items == nil {
			return nil, want("an array of names or of objects", raw)
		}
		rows := make([]etcdstore.Values, len(items))
		for i, item := range items {
			v, err := tValues(newHWIface).decode(item)
			if err != nil {
				return nil, fmt.Errorf("interfaces[%d]: %v", i, err)
			}
			rows[i] = v.(etcdstore.Values)
		}
		return rows, nil
	}}

// registerHardwareInterfaces serves both forms: the seed's names of one
// (hardware type, interface type), or 21.4's row dicts of any.
func (h *Handler) registerHardwareInterfaces(ctx context.Context, c *Call) error {
	id := c.Int("conductor_id")
	if names, ok := c.Get("interfaces").([]string); ok {
		return h.store().RegisterConductorHardwareInterfaces(ctx, id, c.Str("hardware_type"), c.Str("interface_type"),
			names, c.Str("default_interface"))
	}
	if c.Given("hardware_type") || c.Given("interface_type") || c.Given("default_interface") {
		return badRequest(errArgumentType, nil, "with interfaces as dicts, hardware_type, interface_type and default_interface go in each dict")
	}
	return h.store().RegisterConductorHardwareInterfaceDicts(ctx, id, c.Get("interfaces").([]etcdstore.Values))
}
