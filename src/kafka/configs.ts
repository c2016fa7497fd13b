import kafkajs from 'kafkajs';
import type { KafkaConnection } from './connection.js';

const { ConfigResourceTypes } = kafkajs;

export interface ConfigValue {
  value: string | null;
  isDefault: boolean;
  /** true when Kafka withholds the value (passwords) */
  sensitive: boolean;
}

export type ConfigMap = Record<string, ConfigValue>;

/**
 * Configs of many topics in one DescribeConfigs request. Kafka fails the
 * whole request when one topic does not exist, so callers pass only topics
 * that the same snapshot's Metadata listed. `names` limits the answer to the
 * configs that will be compared.
 */
export async function describeTopicConfigs(conn: KafkaConnection, topics: readonly string[], names?: readonly string[]): Promise<Map<string, ConfigMap>> {
  const out = new Map<string, ConfigMap>();
  if (topics.length === 0) return out;
  const admin = await conn.admin();
  const res = await conn.call(`describe configs of ${topics.length} topics`, () =>
    admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, ...(names ? { configNames: [...names] } : {}) })),
    }),
  );
  for (const r of res.resources) out.set(r.resourceName, toMap(r.configEntries));
  return out;
}

/** Every config of one broker (static ones included), for config parity and security settings. */
export async function describeBrokerConfigs(conn: KafkaConnection, nodeId: number): Promise<ConfigMap> {
  const admin = await conn.admin();
  const res = await conn.call(`describe configs of broker ${nodeId}`, () =>
    admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: String(nodeId) }] }),
  );
  return toMap(res.resources[0]?.configEntries ?? []);
}

function toMap(entries: { configName: string; configValue: string | null; isDefault: boolean; isSensitive: boolean }[]): ConfigMap {
  const out: ConfigMap = {};
  for (const e of entries) out[e.configName] = { value: e.configValue, isDefault: e.isDefault, sensitive: e.isSensitive };
  return out;
}
