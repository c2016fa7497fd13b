import { aclKey, listAcls, type Acl } from '../kafka/acls.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { errorMessage } from '../errors.js';
import { isSecurityDisabled } from '../kafka/kafkaErrors.js';

/** The DENY WRITE binding that fences one producer principal off one topic. */
export function fenceAcl(principal: string, topic: string): Acl {
  return { principal, host: '*', resourceType: 'Topic', resourceName: topic, patternType: 'LITERAL', operation: 'Write', permission: 'DENY' };
}

export function describeAcl(a: Acl): string {
  return aclKey(a);
}

export type AclRead = { ok: true; acls: Acl[]; keys: Set<string> } | { ok: false; error: string; noAuthorizer: boolean };

/** Every ACL of a cluster, or why they cannot be read (no authorizer is a finding of its own). */
export async function readAcls(conn: KafkaConnection): Promise<AclRead> {
  try {
    const acls = await listAcls(conn);
    return { ok: true, acls, keys: new Set(acls.map(aclKey)) };
  } catch (e) {
    return { ok: false, error: errorMessage(e), noAuthorizer: isSecurityDisabled(e) };
  }
}
