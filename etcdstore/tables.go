package etcdstore

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ironic-etcd/ironic-etcd/keys"
	"github.com/ironic-etcd/ironic-etcd/pb"
)

// The tables of Ironic's schema. Unique indexes are listed in the order in
// which the reference reports a clash on create; a clash on the record's
// own id or uuid (alreadyExists) is reported last, as the reference does.

// tableRegistry maps a table's key segment to the table.
type tableRegistry map[string]*table

// tablesByName is every table of the schema, for whatever walks keys
// rather than one table (the read cache, reindex, the race table).
var tablesByName = registryOf(nodesTable, portsTable, portgroupsTable, chassisTable,
	conductorsTable, hardwareInterfacesTable, volumeConnectorsTable, volumeTargetsTable,
	deployTemplatesTable, nodeHistoryTable, nodeInventoryTable, allocationsTable, biosSettingsTable)

func registryOf(tables ...*table) tableRegistry {
	r := make(tableRegistry, len(tables))
	for _, t := range tables {
		r[t.name] = t
	}
	return r
}

// ofKey returns the table whose record key under ks this is, or nil.
func (r tableRegistry) ofKey(ks keys.Space, key string) *table {
	rest, ok := strings.CutPrefix(key, ks.Prefix())
	if !ok {
		return nil
	}
	name, id, ok := strings.Cut(rest, "/")
	if !ok || strings.Contains(id, "/") {
		return nil
	}
	return r[name]
}

func str(rec protoreflect.Message, column string) string {
	return rec.Get(rec.Descriptor().Fields().ByName(protoreflect.Name(column))).String()
}

var chassisTable = &table{
	name:   "chassis",
	noun:   "chassis",
	newMsg: func() proto.Message { return &pb.Chassis{} },
	uniques: []unique{
		{name: "uuid", columns: []string{"uuid"}, clash: func(r protoreflect.Message) error {
			return errAlreadyExists(ErrChassisAlreadyExists, "chassis", recordUUID(r))
		}},
	},
	notFound: func(id string) error { return errNotFound(ErrChassisNotFound, "chassis", "chassis", id) },
	alreadyExists: func(r protoreflect.Message) error {
		return errAlreadyExists(ErrChassisAlreadyExists, "chassis", recordUUID(r))
	},
}

var nodesTable = &table{
	name:   "nodes",
	noun:   "node",
	newMsg: func() proto.Message { return &pb.Node{} },
	locked: true,
	uniques: []unique{
		{name: "name", columns: []string{"name"}, clash: func(r protoreflect.Message) error {
			name := str(r, "name")
			return newError(ErrDuplicateName, fmt.Sprintf("a node with name %s already exists", name), "name", name)
		}},
		{name: "instance_uuid", columns: []string{"instance_uuid"}, clash: func(r protoreflect.Message) error {
			return errInstanceAssociated(str(r, "instance_uuid"), recordUUID(r))
		}},
		{name: "uuid", columns: []string{"uuid"}, clash: func(r protoreflect.Message) error {
			return errAlreadyExists(ErrNodeAlreadyExists, "a node", recordUUID(r))
		}},
	},
	members:  []membership{{column: "chassis_id", owner: chassisTable, mustExist: true}},
	notFound: func(id string) error { return errNodeNotFound(id) },
	alreadyExists: func(r protoreflect.Message) error {
		return errAlreadyExists(ErrNodeAlreadyExists, "a node", recordUUID(r))
	},
}

var portgroupsTable = &table{
	name:   "portgroups",
	noun:   "portgroup",
	newMsg: func() proto.Message { return &pb.Portgroup{} },
	uniques: []unique{
		{name: "name", columns: []string{"name"}, clash: func(r protoreflect.Message) error {
			name := str(r, "name")
			return newError(ErrPortgroupDuplicateName, fmt.Sprintf("a portgroup with name %s already exists", name), "name", name)
		}},
		{name: "address", columns: []string{"address"}, clash: func(r protoreflect.Message) error {
			mac := str(r, "address")
			return newError(ErrPortgroupMACAlreadyExists, fmt.Sprintf("a portgroup with MAC address %s already exists", mac), "mac", mac)
		}},
		{name: "uuid", columns: []string{"uuid"}, clash: func(r protoreflect.Message) error {
			return errAlreadyExists(ErrPortgroupAlreadyExists, "a portgroup", recordUUID(r))
		}},
	},
	members:  []membership{{column: "node_id", owner: nodesTable, mustExist: true}},
	notFound: func(id string) error { return errNotFound(ErrPortgroupNotFound, "portgroup", "portgroup", id) },
	alreadyExists: func(r protoreflect.Message) error {
		return errAlreadyExists(ErrPortgroupAlreadyExists, "a portgroup", recordUUID(r))
	},
}

var portsTable = &table{
	name:   "ports",
	noun:   "port",
	newMsg: func() proto.Message { return &pb.Port{} },
	// update_port reports a name before an address, create_port an
	// address before anything else (a name as PortAlreadyExists): name
	// first, with its own create error, gives both for one clash and, for
	// a name and an address at once, what 21.4 on SQLite reports.
	uniques: []unique{
		{name: "name", columns: []string{"name"}, clash: func(r protoreflect.Message) error {
			name := str(r, "name")
			return newError(ErrPortDuplicateName, fmt.Sprintf("a port with name %s already exists", name), "name", name)
		}, createClash: func(r protoreflect.Message) error {
			return errAlreadyExists(ErrPortAlreadyExists, "a port", recordUUID(r))
		}},
		{name: "address", columns: []string{"address"}, clash: func(r protoreflect.Message) error {
			mac := str(r, "address")
			return newError(ErrMACAlreadyExists, fmt.Sprintf("a port with MAC address %s already exists", mac), "mac", mac)
		}},
		{name: "uuid", columns: []string{"uuid"}, clash: func(r protoreflect.Message) error {
			return errAlreadyExists(ErrPortAlreadyExists, "a port", recordUUID(r))
		}},
	},
	members: []membership{
		{column: "node_id", owner: nodesTable, mustExist: true},
		{column: "portgroup_id", owner: portgroupsTable, mustExist: true},
	},
	notFound: func(id string) error { return errNotFound(ErrPortNotFound, "port", "port", id) },
	alreadyExists: func(r protoreflect.Message) error {
		return errAlreadyExists(ErrPortAlreadyExists, "a port", recordUUID(r))
	},
}

var volumeConnectorsTable = &table{
	name:   "volume_connectors",
	noun:   "volume connector",
	newMsg: func() proto.Message { return &pb.VolumeConnector{} },
	uniques: []unique{
		{name: "type_connector_id", columns: []string{"type", "connector_id"}, clash: func(r protoreflect.Message) error {
			typ, cid := str(r, "type"), str(r, "connector_id")
			return newError(ErrVolumeConnectorTypeAndIdAlreadyExists, fmt.Sprintf("a volume connector with type %s and connector_id %s already exists", typ, cid), "type", typ, "connector_id", cid)
		}},
		{name: "uuid", columns: []string{"uuid"}, clash: func(r protoreflect.Message) error {
			return errAlreadyExists(ErrVolumeConnectorAlreadyExists, "a volume connector", recordUUID(r))
		}},
	},
	members: []membership{{column: "node_id", owner: nodesTable, mustExist: true}},
	notFound: func(id string) error {
		return errNotFound(ErrVolumeConnectorNotFound, "volume connector", "connector", id)
	},
	alreadyExists: func(r protoreflect.Message) error {
		return errAlreadyExists(ErrVolumeConnectorAlreadyExists, "a volume connector", recordUUID(r))
	},
}

var volumeTargetsTable = &table{
	name:   "volume_targets",
	noun:   "volume target",
	newMsg: func() proto.Message { return &pb.VolumeTarget{} },
	uniques: []unique{
		{name: "node_id_boot_index", columns: []string{"node_id", "boot_index"}, clash: func(r protoreflect.Message) error {
			bi := strconv.FormatInt(r.Get(r.Descriptor().Fields().ByName("boot_index")).Int(), 10)
			return newError(ErrVolumeTargetBootIndexAlreadyExists, fmt.Sprintf("a volume target with boot index %s for the same node already exists", bi), "boot_index", bi)
		}},
		{name: "uuid", columns: []string{"uuid"}, clash: func(r protoreflect.Message) error {
			return errAlreadyExists(ErrVolumeTargetAlreadyExists, "a volume target", recordUUID(r))
		}},
	},
	members: []membership{{column: "node_id", owner: nodesTable, mustExist: true}},
	notFound: func(id string) error {
		return errNotFound(ErrVolumeTargetNotFound, "volume target", "target", id)
	},
	alreadyExists: func(r protoreflect.Message) error {
		return errAlreadyExists(ErrVolumeTargetAlreadyExists, "a volume target", recordUUID(r))
	},
}

// biosSettingsTable holds one record per node with BIOS settings, under
// the node's id: every bios_settings method works on one node's settings,
// so each is one compare-and-swap on one key (bios_settings.go). Its
// membership on its own id makes every create compare that the node
// exists and makes the record a child that destroy_node removes.
var biosSettingsTable = &table{
	name:    "bios_settings",
	noun:    "BIOS settings",
	newMsg:  func() proto.Message { return &pb.NodeBIOSSettings{} },
	members: []membership{{column: "id", owner: nodesTable, mustExist: true}},
	notFound: func(id string) error {
		return newError(ErrBIOSSettingListNotFound, fmt.Sprintf("node %s has no BIOS settings", id), "node", id)
	},
	alreadyExists: func(protoreflect.Message) error { return errBIOSRecordTaken },
}

var conductorsTable = &table{
	name:   "conductors",
	noun:   "conductor",
	newMsg: func() proto.Message { return &pb.Conductor{} },
	uniques: []unique{
		{name: "hostname", columns: []string{"hostname"}, clash: func(r protoreflect.Message) error {
			host := str(r, "hostname")
			return newError(ErrConductorAlreadyRegistered, fmt.Sprintf("conductor %s already registered", host), "conductor", host)
		}},
	},
	notFound: func(id string) error { return errNotFound(ErrConductorNotFound, "conductor", "conductor", id) },
	alreadyExists: func(r protoreflect.Message) error {
		host := str(r, "hostname")
		return newError(ErrConductorAlreadyRegistered, fmt.Sprintf("conductor %s already registered", host), "conductor", host)
	},
}

var hardwareInterfacesTable = &table{
	name:   "conductor_hardware_interfaces",
	noun:   "conductor hardware interface",
	newMsg: func() proto.Message { return &pb.ConductorHardwareInterface{} },
	uniques: []unique{
		{name: "conductor_id_hardware_type_interface_type_interface_name",
			columns: []string{"conductor_id", "hardware_type", "interface_type", "interface_name"},
			clash: func(r protoreflect.Message) error {
				ht, it, name := str(r, "hardware_type"), str(r, "interface_type"), str(r, "interface_name")
				return newError(ErrConductorHardwareInterfacesAlreadyRegistered,
					fmt.Sprintf("one or more of the interfaces %s of hardware type %s and interface type %s are already registered", name, ht, it),
					"hardware_type", ht, "interface_type", it, "interfaces", name)
			}},
	},
	members: []membership{{column: "conductor_id", owner: conductorsTable}},
	notFound: func(id string) error {
		return errNotFound(ErrConductorNotFound, "conductor hardware interface", "conductor", id)
	},
	alreadyExists: func(r protoreflect.Message) error {
		return invalidParam("conductor hardware interface %d already exists", recordID(r))
	},
}

// allocationsTable: unique on name, then uuid (create_allocation reports a
// name clash before a uuid clash); members of their node by node_id, so a
// node's allocations are one range read and destroy_node finds them.
var allocationsTable = &table{
	name:   "allocations",
	noun:   "allocation",
	newMsg: func() proto.Message { return &pb.Allocation{} },
	uniques: []unique{
		{name: "name", columns: []string{"name"}, clash: func(r protoreflect.Message) error {
			name := str(r, "name")
			return newError(ErrAllocationDuplicateName, fmt.Sprintf("an allocation with name %s already exists", name), "name", name)
		}},
		{name: "uuid", columns: []string{"uuid"}, clash: allocationUUIDClash},
	},
	members:       []membership{{column: "node_id", owner: nodesTable, mustExist: true}},
	notFound:      func(id string) error { return errNotFound(ErrAllocationNotFound, "allocation", "allocation", id) },
	alreadyExists: allocationUUIDClash,
}

func allocationUUIDClash(r protoreflect.Message) error {
	return errAlreadyExists(ErrAllocationAlreadyExists, "an allocation", recordUUID(r))
}

// Nodes are members of the allocation their allocation_id names, so
// destroy_allocation finds every node pointing at it with one range read
// (update_node may point a node at an allocation whose node_id is another
// or none). Not a must-exist reference: 21.4 on SQLite does not enforce
// it either. Set here because the two tables refer to each other.
func init() {
	nodesTable.members = append(nodesTable.members, membership{column: "allocation_id", owner: allocationsTable})
}

// nodeOf is the node a record of the nodes table holds.
func nodeOf(rec protoreflect.Message) *pb.Node { return rec.Interface().(*pb.Node) }

// applyLock is the one place a node's lock is merged into its record,
// token being the lock key's ModRevision: holder "" means unreserved. It
// returns the token the record now carries (0 when unreserved), for the
// lockModRev kept beside it.
func applyLock(rec protoreflect.Message, holder string, token int64) int64 {
	n := nodeOf(rec)
	if holder == "" {
		n.Reservation = nil
		n.ReservationRevision = 0
		return 0
	}
	n.Reservation = proto.String(holder)
	n.ReservationRevision = token
	return token
}
