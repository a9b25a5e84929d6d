"""Ironic 21.4's database ``Connection`` over the ironic-etcd HTTP API.

Each method is one ``POST /v1/<method>`` with the method's own keyword
arguments (21.4's names, which the API routes by); the answer becomes
model instances (``rows``) or the Ironic exception the reference raises
(``exceptions``). Signatures are the reference's (ironic/db/sqlalchemy/
api.py 21.4.4), so callers and tests that autospec them see no difference.
"""

import collections

from oslo_config import cfg
from oslo_log import log

from ironic.db import api as db_api
from ironic.db.sqlalchemy import models as m

from ironic_etcd import arguments
from ironic_etcd import client as http
from ironic_etcd import conf as etcd_conf
from ironic_etcd import rows

CONF = cfg.CONF
LOG = log.getLogger(__name__)
etcd_conf.register_opts(CONF)

_values = arguments.columns_only


def _new_row(model, values):
    """A history or inventory row's values (their test data use id 0)."""
    return arguments.without_zero_id(_values(model, values))


def _marker(marker, sort_key):
    """A paging marker as the API takes it: the last row of the previous
    page (a model instance or an Ironic object), by its id and sort key."""
    if marker is None:
        return None
    out = {'id': marker['id']}
    if sort_key and sort_key != 'id':
        out[sort_key] = marker[sort_key]
    return out


class Connection(db_api.Connection):
    """Every method of Ironic's database API, served by ironic-etcd."""

    def __init__(self, client=None):
        super().__init__()
        self._client = client or http.Client.from_conf(CONF)

    # -- plumbing --

    def _call(self, method, **kwargs):
        return self._client.call(method, **arguments.call_arguments(kwargs))

    def _one(self, model, method, **kwargs):
        return rows.one(model, self._call(method, **kwargs))

    def _many(self, model, method, **kwargs):
        return rows.many(model, self._call(method, **kwargs))

    def _paged(self, method, limit, marker, sort_key, sort_dir, **kwargs):
        """The raw answer of a paged method (marker as the API takes it)."""
        return self._call(method, limit=limit,
                          marker=_marker(marker, sort_key),
                          sort_key=sort_key, sort_dir=sort_dir, **kwargs)

    def _page(self, model, method, limit, marker, sort_key, sort_dir,
              **kwargs):
        return rows.many(model, self._paged(method, limit, marker, sort_key,
                                            sort_dir, **kwargs))

    def reset_for_tests(self):
        """Empty the store (ironic-etcd api --testing only): the state a
        fresh database has, ids starting at 1."""
        self._call('reset_for_tests')

    # -- nodes --

    def get_nodeinfo_list(self, columns=None, filters=None, limit=None,
                          marker=None, sort_key=None, sort_dir=None):
        result = self._paged('get_nodeinfo_list', limit, marker, sort_key,
                             sort_dir, columns=columns, filters=filters)
        return rows.tuples(columns or ('id',), result)

    def get_node_list(self, filters=None, limit=None, marker=None,
                      sort_key=None, sort_dir=None, fields=None):
        if fields:
            return self.get_node_list_columns(
                columns=fields, filters=filters, limit=limit, marker=marker,
                sort_key=sort_key, sort_dir=sort_dir)
        return self._page(m.Node, 'get_node_list', limit, marker, sort_key,
                          sort_dir, filters=filters)

    def get_node_list_columns(self, columns=None, filters=None, limit=None,
                              marker=None, sort_key=None, sort_dir=None):
        result = self._paged('get_node_list_columns', limit, marker,
                             sort_key, sort_dir, columns=columns,
                             filters=filters)
        return rows.many(m.Node, result, only_given=True)

    def check_node_list(self, idents, project=None):
        return self._call('check_node_list', idents=list(idents),
                          project=project)

    def reserve_node(self, tag, node_id):
        return self._one(m.Node, 'reserve_node', tag=tag, node_id=node_id)

    def release_node(self, tag, node_id):
        self._call('release_node', tag=tag, node_id=node_id)

    def create_node(self, values):
        return self._one(m.Node, 'create_node', values=_values(m.Node, values))

    def get_node_by_id(self, node_id):
        return self._one(m.Node, 'get_node_by_id', node_id=node_id)

    def get_node_by_uuid(self, node_uuid):
        return self._one(m.Node, 'get_node_by_uuid', node_uuid=node_uuid)

    def get_node_by_name(self, node_name):
        return self._one(m.Node, 'get_node_by_name', node_name=node_name)

    def get_node_by_instance(self, instance):
        return self._one(m.Node, 'get_node_by_instance', instance=instance)

    def destroy_node(self, node_id):
        self._call('destroy_node', node_id=node_id)

    def update_node(self, node_id, values):
        return self._one(m.Node, 'update_node', node_id=node_id,
                         values=_values(m.Node, values))

    def touch_node_provisioning(self, node_id):
        self._call('touch_node_provisioning', node_id=node_id)

    def get_node_by_port_addresses(self, addresses):
        return self._one(m.Node, 'get_node_by_port_addresses',
                         addresses=list(addresses))

    def count_nodes_in_provision_state(self, state):
        if isinstance(state, str):
            state = [state]
        return self._call('count_nodes_in_provision_state',
                          state=list(state))

    def get_shard_list(self):
        return self._call('get_shard_list')

    # -- ports --

    def get_port_by_id(self, port_id):
        return self._one(m.Port, 'get_port_by_id', port_id=port_id)

    def get_port_by_uuid(self, port_uuid):
        return self._one(m.Port, 'get_port_by_uuid', port_uuid=port_uuid)

    def get_port_by_address(self, address, owner=None, project=None):
        return self._one(m.Port, 'get_port_by_address', address=address,
                         owner=owner, project=project)

    def get_port_by_name(self, port_name):
        return self._one(m.Port, 'get_port_by_name', port_name=port_name)

    def get_port_list(self, limit=None, marker=None, sort_key=None,
                      sort_dir=None, owner=None, project=None):
        return self._page(m.Port, 'get_port_list', limit, marker, sort_key,
                          sort_dir, owner=owner, project=project)

    def get_ports_by_shards(self, shards, limit=None, marker=None,
                            sort_key=None, sort_dir=None):
        return self._page(m.Port, 'get_ports_by_shards', limit, marker,
                          sort_key, sort_dir, shards=list(shards))

    def get_ports_by_node_id(self, node_id, limit=None, marker=None,
                             sort_key=None, sort_dir=None, owner=None,
                             project=None):
        return self._page(m.Port, 'get_ports_by_node_id', limit, marker,
                          sort_key, sort_dir, node_id=node_id, owner=owner,
                          project=project)

    def get_ports_by_portgroup_id(self, portgroup_id, limit=None,
                                  marker=None, sort_key=None, sort_dir=None,
                                  owner=None, project=None):
        return self._page(m.Port, 'get_ports_by_portgroup_id', limit, marker,
                          sort_key, sort_dir, portgroup_id=portgroup_id,
                          owner=owner, project=project)

    def create_port(self, values):
        return self._one(m.Port, 'create_port', values=_values(m.Port, values))

    def update_port(self, port_id, values):
        return self._one(m.Port, 'update_port', port_id=port_id,
                         values=_values(m.Port, values))

    def destroy_port(self, port_id):
        self._call('destroy_port', port_id=port_id)

    # -- portgroups --

    def get_portgroup_by_id(self, portgroup_id, project=None):
        return self._one(m.Portgroup, 'get_portgroup_by_id',
                         portgroup_id=portgroup_id, project=project)

    def get_portgroup_by_uuid(self, portgroup_uuid):
        return self._one(m.Portgroup, 'get_portgroup_by_uuid',
                         portgroup_uuid=portgroup_uuid)

    def get_portgroup_by_address(self, address, project=None):
        return self._one(m.Portgroup, 'get_portgroup_by_address',
                         address=address, project=project)

    def get_portgroup_by_name(self, name):
        return self._one(m.Portgroup, 'get_portgroup_by_name', name=name)

    def get_portgroup_list(self, limit=None, marker=None, sort_key=None,
                           sort_dir=None, project=None):
        return self._page(m.Portgroup, 'get_portgroup_list', limit, marker,
                          sort_key, sort_dir, project=project)

    def get_portgroups_by_node_id(self, node_id, limit=None, marker=None,
                                  sort_key=None, sort_dir=None, project=None):
        return self._page(m.Portgroup, 'get_portgroups_by_node_id', limit,
                          marker, sort_key, sort_dir, node_id=node_id,
                          project=project)

    def create_portgroup(self, values):
        if isinstance(values, dict) and not values.get('mode'):
            # The reference fills the mode from the caller's own
            # configuration, which the API cannot read.
            values = dict(values, mode=CONF.default_portgroup_mode)
        return self._one(m.Portgroup, 'create_portgroup',
                         values=_values(m.Portgroup, values))

    def update_portgroup(self, portgroup_id, values):
        return self._one(m.Portgroup, 'update_portgroup',
                         portgroup_id=portgroup_id,
                         values=_values(m.Portgroup, values))

    def destroy_portgroup(self, portgroup_id):
        self._call('destroy_portgroup', portgroup_id=portgroup_id)

    # -- chassis --

    def get_chassis_by_id(self, chassis_id):
        return self._one(m.Chassis, 'get_chassis_by_id',
                         chassis_id=chassis_id)

    def get_chassis_by_uuid(self, chassis_uuid):
        return self._one(m.Chassis, 'get_chassis_by_uuid',
                         chassis_uuid=chassis_uuid)

    def get_chassis_list(self, limit=None, marker=None, sort_key=None,
                         sort_dir=None):
        return self._page(m.Chassis, 'get_chassis_list', limit, marker,
                          sort_key, sort_dir)

    def create_chassis(self, values):
        return self._one(m.Chassis, 'create_chassis',
                         values=_values(m.Chassis, values))

    def update_chassis(self, chassis_id, values):
        return self._one(m.Chassis, 'update_chassis', chassis_id=chassis_id,
                         values=_values(m.Chassis, values))

    def destroy_chassis(self, chassis_id):
        self._call('destroy_chassis', chassis_id=chassis_id)

    # -- conductors --

    def register_conductor(self, values, update_existing=False):
        return self._one(m.Conductor, 'register_conductor',
                         values=_values(m.Conductor, values),
                         update_existing=update_existing)

    def get_conductor_list(self, limit=None, marker=None, sort_key=None,
                           sort_dir=None):
        return self._page(m.Conductor, 'get_conductor_list', limit, marker,
                          sort_key, sort_dir)

    def get_conductor(self, hostname, online=True):
        return self._one(m.Conductor, 'get_conductor', hostname=hostname,
                         online=online)

    def unregister_conductor(self, hostname):
        self._call('unregister_conductor', hostname=hostname)

    def touch_conductor(self, hostname):
        self._call('touch_conductor', hostname=hostname)

    def clear_node_reservations_for_conductor(self, hostname):
        self._call('clear_node_reservations_for_conductor',
                   hostname=hostname)

    def clear_node_target_power_state(self, hostname):
        self._call('clear_node_target_power_state', hostname=hostname)

    def get_active_hardware_type_dict(self, use_groups=False):
        result = self._call('get_active_hardware_type_dict',
                            use_groups=use_groups)
        d2c = collections.defaultdict(set)
        for key, hosts in result.items():
            d2c[key].update(hosts)
        return d2c

    def get_offline_conductors(self, field='hostname'):
        return self._call('get_offline_conductors', field=field)

    def get_online_conductors(self):
        return self._call('get_online_conductors')

    def list_conductor_hardware_interfaces(self, conductor_id):
        # 21.4 asks for no order; SQLite and MySQL answer through the
        # unique index (conductor_id, hardware_type, interface_type,
        # interface_name), so in that order, and Ironic's own test expects
        # it. The store answers in id order (the seed's contract).
        found = self._many(m.ConductorHardwareInterfaces,
                           'list_conductor_hardware_interfaces',
                           conductor_id=conductor_id)
        return sorted(found, key=lambda r: (r.hardware_type,
                                            r.interface_type,
                                            r.interface_name))

    def list_hardware_type_interfaces(self, hardware_types):
        return self._many(m.ConductorHardwareInterfaces,
                          'list_hardware_type_interfaces',
                          hardware_types=list(hardware_types))

    def register_conductor_hardware_interfaces(self, conductor_id,
                                               interfaces):
        self._call('register_conductor_hardware_interfaces',
                   conductor_id=conductor_id, interfaces=list(interfaces))

    def unregister_conductor_hardware_interfaces(self, conductor_id):
        self._call('unregister_conductor_hardware_interfaces',
                   conductor_id=conductor_id)

    # -- tags --

    def set_node_tags(self, node_id, tags):
        return self._many(m.NodeTag, 'set_node_tags', node_id=node_id,
                          tags=list(tags))

    def unset_node_tags(self, node_id):
        self._call('unset_node_tags', node_id=node_id)

    def get_node_tags_by_node_id(self, node_id):
        return self._many(m.NodeTag, 'get_node_tags_by_node_id',
                          node_id=node_id)

    def add_node_tag(self, node_id, tag):
        return self._one(m.NodeTag, 'add_node_tag', node_id=node_id, tag=tag)

    def delete_node_tag(self, node_id, tag):
        self._call('delete_node_tag', node_id=node_id, tag=tag)

    def node_tag_exists(self, node_id, tag):
        return self._call('node_tag_exists', node_id=node_id, tag=tag)

    # -- traits --

    def set_node_traits(self, node_id, traits, version):
        return self._many(m.NodeTrait, 'set_node_traits', node_id=node_id,
                          traits=list(traits), version=version)

    def unset_node_traits(self, node_id):
        self._call('unset_node_traits', node_id=node_id)

    def get_node_traits_by_node_id(self, node_id):
        return self._many(m.NodeTrait, 'get_node_traits_by_node_id',
                          node_id=node_id)

    def add_node_trait(self, node_id, trait, version):
        return self._one(m.NodeTrait, 'add_node_trait', node_id=node_id,
                         trait=trait, version=version)

    def delete_node_trait(self, node_id, trait):
        self._call('delete_node_trait', node_id=node_id, trait=trait)

    def node_trait_exists(self, node_id, trait):
        return self._call('node_trait_exists', node_id=node_id, trait=trait)

    # -- volume connectors and targets --

    def get_volume_connector_list(self, limit=None, marker=None,
                                  sort_key=None, sort_dir=None, project=None):
        return self._page(m.VolumeConnector, 'get_volume_connector_list',
                          limit, marker, sort_key, sort_dir, project=project)

    def get_volume_connector_by_id(self, db_id):
        return self._one(m.VolumeConnector, 'get_volume_connector_by_id',
                         db_id=db_id)

    def get_volume_connector_by_uuid(self, connector_uuid):
        return self._one(m.VolumeConnector, 'get_volume_connector_by_uuid',
                         connector_uuid=connector_uuid)

    def get_volume_connectors_by_node_id(self, node_id, limit=None,
                                         marker=None, sort_key=None,
                                         sort_dir=None, project=None):
        return self._page(m.VolumeConnector,
                          'get_volume_connectors_by_node_id', limit, marker,
                          sort_key, sort_dir, node_id=node_id,
                          project=project)

    def create_volume_connector(self, connector_info):
        return self._one(m.VolumeConnector, 'create_volume_connector',
                         connector_info=_values(m.VolumeConnector,
                                                connector_info))

    def update_volume_connector(self, ident, connector_info):
        return self._one(m.VolumeConnector, 'update_volume_connector',
                         ident=ident,
                         connector_info=_values(m.VolumeConnector,
                                                connector_info))

    def destroy_volume_connector(self, ident):
        self._call('destroy_volume_connector', ident=ident)

    def get_volume_target_list(self, limit=None, marker=None, sort_key=None,
                               sort_dir=None, project=None):
        return self._page(m.VolumeTarget, 'get_volume_target_list', limit,
                          marker, sort_key, sort_dir, project=project)

    def get_volume_target_by_id(self, db_id):
        return self._one(m.VolumeTarget, 'get_volume_target_by_id',
                         db_id=db_id)

    def get_volume_target_by_uuid(self, uuid):
        return self._one(m.VolumeTarget, 'get_volume_target_by_uuid',
                         uuid=uuid)

    def get_volume_targets_by_node_id(self, node_id, limit=None, marker=None,
                                      sort_key=None, sort_dir=None,
                                      project=None):
        return self._page(m.VolumeTarget, 'get_volume_targets_by_node_id',
                          limit, marker, sort_key, sort_dir, node_id=node_id,
                          project=project)

    def get_volume_targets_by_volume_id(self, volume_id, limit=None,
                                        marker=None, sort_key=None,
                                        sort_dir=None, project=None):
        return self._page(m.VolumeTarget, 'get_volume_targets_by_volume_id',
                          limit, marker, sort_key, sort_dir,
                          volume_id=volume_id, project=project)

    def create_volume_target(self, target_info):
        return self._one(m.VolumeTarget, 'create_volume_target',
                         target_info=_values(m.VolumeTarget, target_info))

    def update_volume_target(self, ident, target_info):
        return self._one(m.VolumeTarget, 'update_volume_target', ident=ident,
                         target_info=_values(m.VolumeTarget, target_info))

    def destroy_volume_target(self, ident):
        self._call('destroy_volume_target', ident=ident)

    # -- object versions --

    def get_not_versions(self, model_name, versions):
        result = self._call('get_not_versions', model_name=model_name,
                            versions=list(versions))
        return rows.many(getattr(m, model_name), result)

    def check_versions(self, ignore_models=(), permit_initial_version=False):
        return self._call('check_versions', ignore_models=list(ignore_models),
                          permit_initial_version=permit_initial_version)

    def update_to_latest_versions(self, context, max_count):
        # context is the caller's (it reads no remote objects here).
        total, done = self._call('update_to_latest_versions',
                                 max_count=max_count)
        return total, done

    # -- BIOS settings --

    def create_bios_setting_list(self, node_id, settings, version):
        return self._many(m.BIOSSetting, 'create_bios_setting_list',
                          node_id=node_id, settings=list(settings),
                          version=version)

    def update_bios_setting_list(self, node_id, settings, version):
        return self._many(m.BIOSSetting, 'update_bios_setting_list',
                          node_id=node_id, settings=list(settings),
                          version=version)

    def delete_bios_setting_list(self, node_id, names):
        self._call('delete_bios_setting_list', node_id=node_id,
                   names=list(names))

    def get_bios_setting(self, node_id, name):
        return self._one(m.BIOSSetting, 'get_bios_setting', node_id=node_id,
                         name=name)

    def get_bios_setting_list(self, node_id):
        return self._many(m.BIOSSetting, 'get_bios_setting_list',
                          node_id=node_id)

    # -- allocations --

    def get_allocation_by_id(self, allocation_id):
        return self._one(m.Allocation, 'get_allocation_by_id',
                         allocation_id=allocation_id)

    def get_allocation_by_uuid(self, allocation_uuid):
        return self._one(m.Allocation, 'get_allocation_by_uuid',
                         allocation_uuid=allocation_uuid)

    def get_allocation_by_name(self, name):
        return self._one(m.Allocation, 'get_allocation_by_name', name=name)

    def get_allocation_list(self, filters=None, limit=None, marker=None,
                            sort_key=None, sort_dir=None):
        return self._page(m.Allocation, 'get_allocation_list', limit, marker,
                          sort_key, sort_dir, filters=filters)

    def create_allocation(self, values):
        return self._one(m.Allocation, 'create_allocation',
                         values=_values(m.Allocation, values))

    def update_allocation(self, allocation_id, values, update_node=True):
        return self._one(m.Allocation, 'update_allocation',
                         allocation_id=allocation_id,
                         values=_values(m.Allocation, values),
                         update_node=update_node)

    def take_over_allocation(self, allocation_id, old_conductor_id,
                             new_conductor_id):
        return self._call('take_over_allocation',
                          allocation_id=allocation_id,
                          old_conductor_id=old_conductor_id,
                          new_conductor_id=new_conductor_id)

    def destroy_allocation(self, allocation_id):
        self._call('destroy_allocation', allocation_id=allocation_id)

    # -- deploy templates --

    def create_deploy_template(self, values):
        return self._one(m.DeployTemplate, 'create_deploy_template',
                         values=_values(m.DeployTemplate, values))

    def update_deploy_template(self, template_id, values):
        return self._one(m.DeployTemplate, 'update_deploy_template',
                         template_id=template_id,
                         values=_values(m.DeployTemplate, values))

    def destroy_deploy_template(self, template_id):
        self._call('destroy_deploy_template', template_id=template_id)

    def get_deploy_template_by_id(self, template_id):
        return self._one(m.DeployTemplate, 'get_deploy_template_by_id',
                         template_id=template_id)

    def get_deploy_template_by_uuid(self, template_uuid):
        return self._one(m.DeployTemplate, 'get_deploy_template_by_uuid',
                         template_uuid=template_uuid)

    def get_deploy_template_by_name(self, template_name):
        return self._one(m.DeployTemplate, 'get_deploy_template_by_name',
                         template_name=template_name)

    def get_deploy_template_list(self, limit=None, marker=None,
                                 sort_key=None, sort_dir=None):
        return self._page(m.DeployTemplate, 'get_deploy_template_list',
                          limit, marker, sort_key, sort_dir)

    def get_deploy_template_list_by_names(self, names):
        return self._many(m.DeployTemplate,
                          'get_deploy_template_list_by_names',
                          names=list(names))

    # -- node history --

    def create_node_history(self, values):
        return self._one(m.NodeHistory, 'create_node_history',
                         values=_new_row(m.NodeHistory, values))

    def destroy_node_history_by_uuid(self, history_uuid):
        self._call('destroy_node_history_by_uuid', history_uuid=history_uuid)

    def get_node_history_by_id(self, history_id):
        return self._one(m.NodeHistory, 'get_node_history_by_id',
                         history_id=history_id)

    def get_node_history_by_uuid(self, history_uuid):
        return self._one(m.NodeHistory, 'get_node_history_by_uuid',
                         history_uuid=history_uuid)

    def get_node_history_list(self, limit=None, marker=None,
                              sort_key='created_at', sort_dir='asc'):
        return self._page(m.NodeHistory, 'get_node_history_list', limit,
                          marker, sort_key, sort_dir)

    def get_node_history_by_node_id(self, node_id, limit=None, marker=None,
                                    sort_key=None, sort_dir=None):
        return self._page(m.NodeHistory, 'get_node_history_by_node_id',
                          limit, marker, sort_key, sort_dir, node_id=node_id)

    def query_node_history_records_for_purge(self, conductor_id):
        group = CONF.conductor
        result = self._call(
            'query_node_history_records_for_purge',
            conductor_id=conductor_id,
            node_history_max_entries=group.node_history_max_entries,
            node_history_minimum_days=group.node_history_minimum_days)
        # JSON object keys are strings; the reference keys by node id.
        return {int(k): v for k, v in result.items()}

    def bulk_delete_node_history_records(self, entries):
        self._call('bulk_delete_node_history_records', entries=list(entries))

    # -- node inventory --

    def create_node_inventory(self, values):
        return self._one(m.NodeInventory, 'create_node_inventory',
                         values=_new_row(m.NodeInventory, values))

    def destroy_node_inventory_by_node_id(self, node_id):
        self._call('destroy_node_inventory_by_node_id', node_id=node_id)

    def get_node_inventory_by_node_id(self, node_id):
        return self._one(m.NodeInventory, 'get_node_inventory_by_node_id',
                         node_id=node_id)
