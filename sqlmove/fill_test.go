package sqlmove

import "testing"

// The sample rows, in the forms Ironic 21.4 writes them on SQLite
// (json.dumps text, timestamps with six fraction digits, booleans 0/1):
// every table, a held reservation, JSON numbers beyond 64 bits and 1.0,
// NULLs where Ironic allows them.
var sampleRows = []string{
	`INSERT INTO chassis (created_at, updated_at, version, id, uuid, extra, description) VALUES
	 ('2026-01-02 03:04:05.123456', NULL, '1.1', 3, 'e0c1b6f2-8a57-4a8b-9d8e-1c1a6d9f0a01', '{"rack": "r1"}', 'rack 1')`,
	`INSERT INTO conductors (created_at, updated_at, version, id, hostname, drivers, online, conductor_group) VALUES
	 ('2026-01-02 03:04:05.000001', '2026-01-02 04:00:00.500000', '1.3', 4, 'cond-a', '["fake-hardware", "ipmi"]', 1, 'grp'),
	 ('2026-01-02 03:04:05.000002', '2026-01-02 04:00:00.000000', '1.3', 9, 'cond-b', '[]', 0, '')`,
	`INSERT INTO conductor_hardware_interfaces (created_at, updated_at, version, id, conductor_id, hardware_type, interface_type, interface_name, "default") VALUES
	 ('2026-01-02 03:04:05.000003', NULL, NULL, 11, 4, 'fake-hardware', 'power', 'fake', 1),
	 ('2026-01-02 03:04:05.000004', NULL, NULL, 12, 4, 'fake-hardware', 'power', 'ipmitool', 0)`,
	`INSERT INTO allocations (created_at, updated_at, version, id, uuid, name, node_id, state, owner, last_error, resource_class, traits, candidate_nodes, extra, conductor_affinity) VALUES
	 ('2026-01-03 00:00:00.000000', NULL, '1.1', 5, '2b4a7e47-6a34-4b53-8d8a-6c2b4f7c0a05', 'alloc-1', 7, 'active', 'proj', NULL, 'gold', '["CUSTOM_A"]', '[]', '{}', 4)`,
	`INSERT INTO nodes (created_at, updated_at, version, id, uuid, instance_uuid, name, chassis_id, power_state, provision_state, provision_updated_at,
	   instance_info, properties, driver, driver_info, driver_internal_info, clean_step, deploy_step, raid_config, target_raid_config, extra, network_data,
	   reservation, conductor_affinity, conductor_group, maintenance, console_enabled, protected, retired, allocation_id, automated_clean, secure_boot, owner, shard)
	 VALUES
	 ('2026-01-02 03:04:05.654321', '2026-01-04 05:06:07.000000', '1.40', 7, 'a1f7c2a4-4b1e-4c55-9a57-0e1d7f3b2c07', 'c4ca4238-a0b9-4382-8dcc-509a6f75849b', 'node-7', 3, 'power on', 'active', '2026-01-04 05:06:07.000009',
	  '{"image": "x", "big": 123456789012345678901234567890, "f": 1.0}', '{"cpus": 8, "memory_mb": 16384}', 'fake-hardware', '{"ipmi_address": "10.0.0.7"}', '{}', '{}', '{}', '{}', '{}', '{"k": [1, 2.50, null]}', '{}',
	  'cond-a', 4, 'grp', 0, 0, 1, 0, 5, NULL, 1, 'proj', 'shard-1'),
	 ('2026-01-02 03:04:06.000000', NULL, '1.40', 8, '9d3b0a35-2f8e-4f0b-8d55-3a2f2c1b0a08', NULL, NULL, NULL, NULL, 'enroll', NULL,
	  '{}', '{}', 'ipmi', '{}', '{}', '{}', '{}', '{}', '{}', '{}', NULL,
	  NULL, NULL, '', 1, 0, 0, NULL, NULL, 1, NULL, NULL, NULL)`,
	`INSERT INTO portgroups (created_at, updated_at, version, id, uuid, name, node_id, address, extra, internal_info, standalone_ports_supported, mode, properties) VALUES
	 ('2026-01-02 03:04:07.000000', NULL, '1.4', 21, '6f1b8c2e-3d4a-4e5f-8a9b-0c1d2e3f4a21', 'pg-1', 7, '52:54:00:aa:bb:01', '{}', '{}', 1, 'active-backup', '{}')`,
	`INSERT INTO ports (created_at, updated_at, version, id, uuid, address, node_id, extra, local_link_connection, portgroup_id, pxe_enabled, internal_info, physical_network, is_smartnic, name) VALUES
	 ('2026-01-02 03:04:08.000000', NULL, '1.11', 31, '7a2c9d3f-4e5b-4f6a-9b0c-1d2e3f4a5b31', '52:54:00:aa:bb:02', 7, '{}', '{"switch_id": "aa:bb:cc:dd:ee:ff"}', 21, 1, '{}', 'physnet1', 0, 'port-1'),
	 ('2026-01-02 03:04:09.000000', NULL, '1.11', 32, '8b3d0e4a-5f6c-4a7b-8c1d-2e3f4a5b6c32', '52:54:00:aa:bb:03', 8, '{}', '{}', NULL, 0, '{}', NULL, NULL, NULL)`,
	`INSERT INTO node_tags (created_at, updated_at, version, node_id, tag) VALUES
	 ('2026-01-02 03:05:00.000000', NULL, '1.0', 7, 'blue'), ('2026-01-02 03:05:00.000001', NULL, '1.0', 7, 'Green')`,
	`INSERT INTO node_traits (created_at, updated_at, version, node_id, trait) VALUES
	 ('2026-01-02 03:06:00.000000', NULL, '1.0', 7, 'CUSTOM_A'), ('2026-01-02 03:06:00.000000', NULL, '1.0', 8, 'HW_CPU_X86_VMX')`,
	`INSERT INTO volume_connectors (created_at, updated_at, version, id, uuid, node_id, type, connector_id, extra) VALUES
	 ('2026-01-02 03:07:00.000000', NULL, '1.0', 41, '9c4e1f5b-6a7d-4b8c-9d2e-3f4a5b6c7d41', 7, 'iqn', 'iqn.2026-01.org:node7', '{}')`,
	`INSERT INTO volume_targets (created_at, updated_at, version, id, uuid, node_id, volume_type, properties, boot_index, volume_id, extra) VALUES
	 ('2026-01-02 03:08:00.000000', NULL, '1.0', 51, 'ad5f2a6c-7b8e-4c9d-8e3f-4a5b6c7d8e51', 7, 'iscsi', '{"target_lun": 0}', 0, 'vol-1', '{}')`,
	`INSERT INTO bios_settings (created_at, updated_at, version, node_id, name, value, attribute_type, allowable_values, lower_bound, max_length, min_length, read_only, reset_required, "unique", upper_bound) VALUES
	 ('2026-01-02 03:09:00.000000', NULL, '1.1', 7, 'ProcVirtualization', 'Enabled', 'Enumeration', '["Enabled", "Disabled"]', NULL, NULL, NULL, 0, 1, NULL, NULL),
	 ('2026-01-02 03:09:00.000000', NULL, '1.1', 7, 'BootDelay', '5', 'Integer', '[]', 0, NULL, NULL, 0, 0, 0, 60)`,
	`INSERT INTO deploy_templates (created_at, updated_at, version, id, uuid, name, extra) VALUES
	 ('2026-01-02 03:10:00.000000', NULL, '1.1', 61, 'be6a3b7d-8c9f-4d0e-9f4a-5b6c7d8e9f61', 'CUSTOM_RAID', '{}')`,
	`INSERT INTO deploy_template_steps (created_at, updated_at, version, id, deploy_template_id, interface, step, args, priority) VALUES
	 ('2026-01-02 03:10:00.000000', NULL, NULL, 71, 61, 'raid', 'apply_configuration', '{"raid_config": {"logical_disks": []}}', 10),
	 ('2026-01-02 03:10:00.000000', NULL, NULL, 72, 61, 'bios', 'apply_configuration', '{}', 20)`,
	`INSERT INTO node_history (created_at, updated_at, version, id, uuid, conductor, event_type, severity, event, user, node_id) VALUES
	 ('2026-01-02 03:11:00.000000', NULL, '1.0', 81, 'cf7b4c8e-9d0a-4e1f-8a5b-6c7d8e9f0a81', 'cond-a', 'provisioning', 'ERROR', 'deploy failed', 'admin', 7)`,
	`INSERT INTO node_inventory (created_at, updated_at, version, id, inventory_data, plugin_data, node_id) VALUES
	 ('2026-01-02 03:12:00.000000', NULL, '1.0', 91, '{"inventory": {"cpu": {"count": 8}}}', '{"x": 1e400}', 7)`,
}

// sampleSQLite is a fresh Ironic database holding the sample rows.
func sampleSQLite(t testing.TB) (url, path string) {
	t.Helper()
	url, path = freshSQLite(t)
	execSQLite(t, path, sampleRows...)
	return url, path
}
