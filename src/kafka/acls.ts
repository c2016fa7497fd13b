import {
  AclOperations,
  AclPermissionTypes,
  ResourcePatternTypes,
  ResourceTypes,
  type Acl as ClientAcl,
  type AclOperationValue,
  type ResourceTypeValue,
} from '@platformatic/kafka';
import type { KafkaConnection } from './connection.js';

/** One ACL, in Kafka's own words (as `kafka-acls` prints them). */
export interface Acl {
  principal: string;
  host: string;
  resourceType: 'Topic' | 'Group' | 'Cluster' | 'TransactionalId';
  resourceName: string;
  patternType: 'LITERAL' | 'PREFIXED';
  operation: AclOperation;
  permission: 'ALLOW' | 'DENY';
}

export type AclOperation =
  | 'All' | 'Read' | 'Write' | 'Create' | 'Delete' | 'Alter' | 'Describe'
  | 'ClusterAction' | 'DescribeConfigs' | 'AlterConfigs' | 'IdempotentWrite';

const RESOURCE: Record<Acl['resourceType'], ResourceTypeValue> = {
  Topic: ResourceTypes.TOPIC,
  Group: ResourceTypes.GROUP,
  Cluster: ResourceTypes.CLUSTER,
  TransactionalId: ResourceTypes.TRANSACTIONAL_ID,
};
const OPERATION: Record<AclOperation, AclOperationValue> = {
  All: AclOperations.ALL,
  Read: AclOperations.READ,
  Write: AclOperations.WRITE,
  Create: AclOperations.CREATE,
  Delete: AclOperations.DELETE,
  Alter: AclOperations.ALTER,
  Describe: AclOperations.DESCRIBE,
  ClusterAction: AclOperations.CLUSTER_ACTION,
  DescribeConfigs: AclOperations.DESCRIBE_CONFIGS,
  AlterConfigs: AclOperations.ALTER_CONFIGS,
  IdempotentWrite: AclOperations.IDEMPOTENT_WRITE,
};

function invert<K extends string, V extends number>(m: Record<K, V>): Map<number, K> {
  return new Map(Object.entries(m).map(([k, v]) => [v as number, k as K]));
}
const RESOURCE_NAME = invert(RESOURCE);
const OPERATION_NAME = invert(OPERATION);

export function aclKey(a: Acl): string {
  return `${a.permission} ${a.principal} ${a.operation} ${a.resourceType}:${a.patternType === 'PREFIXED' ? a.resourceName + '*' : a.resourceName} from ${a.host}`;
}

function toEntry(a: Acl): ClientAcl {
  return {
    resourceType: RESOURCE[a.resourceType],
    resourceName: a.resourceName,
    resourcePatternType: a.patternType === 'PREFIXED' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal: a.principal,
    host: a.host,
    operation: OPERATION[a.operation],
    permissionType: a.permission === 'DENY' ? AclPermissionTypes.DENY : AclPermissionTypes.ALLOW,
  };
}

/** Every ACL on the cluster, in one request. Throws when the cluster has no authorizer. */
export async function listAcls(conn: KafkaConnection): Promise<Acl[]> {
  const admin = await conn.admin();
  const res = await conn.call('describe ACLs', () =>
    admin.describeAcls({
      filter: {
        resourceType: ResourceTypes.ANY,
        resourceName: null,
        resourcePatternType: ResourcePatternTypes.ANY,
        principal: null,
        host: null,
        operation: AclOperations.ANY,
        permissionType: AclPermissionTypes.ANY,
      },
    }),
  );
  const out: Acl[] = [];
  for (const r of res) {
    const resourceType = RESOURCE_NAME.get(r.resourceType);
    if (!resourceType) continue;
    for (const a of r.acls) {
      const operation = OPERATION_NAME.get(a.operation);
      if (!operation) continue;
      out.push({
        principal: a.principal,
        host: a.host,
        resourceType,
        resourceName: r.resourceName,
        patternType: r.resourcePatternType === ResourcePatternTypes.PREFIXED ? 'PREFIXED' : 'LITERAL',
        operation,
        permission: a.permissionType === AclPermissionTypes.DENY ? 'DENY' : 'ALLOW',
      });
    }
  }
  return out;
}

export async function createAcls(conn: KafkaConnection, acls: Acl[]): Promise<void> {
  if (acls.length === 0) return;
  const admin = await conn.admin();
  await conn.call(`create ${acls.length} ACLs`, () => admin.createAcls({ creations: acls.map(toEntry) }));
}

/** Deletes exactly these ACLs (each filter matches one binding literally). */
export async function deleteAcls(conn: KafkaConnection, acls: Acl[]): Promise<void> {
  if (acls.length === 0) return;
  const admin = await conn.admin();
  await conn.call(`delete ${acls.length} ACLs`, () => admin.deleteAcls({ filters: acls.map(toEntry) }));
}
