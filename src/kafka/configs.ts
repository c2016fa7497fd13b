import { ConfigResourceTypes, ConfigSources } from '@platformatic/kafka';
import type { KafkaConnection } from './connection.js';

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
      resources: topics.map((resourceName) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName, ...(names ? { configurationKeys: [...names] } : {}) })),
    }),
  );
  for (const r of res) out.set(r.resourceName, toMap(r.configs));
  return out;
}

/** Every config of one broker (static ones included), for config parity and security settings. */
export async function describeBrokerConfigs(conn: KafkaConnection, nodeId: number): Promise<ConfigMap> {
  const admin = await conn.admin();
  const res = await conn.call(`describe configs of broker ${nodeId}`, () =>
    admin.describeConfigs({ includeSynonyms: false, resources: [{ resourceType: ConfigResourceTypes.BROKER, resourceName: String(nodeId) }] }),
  );
  return toMap(res[0]?.configs ?? []);
}

/** DescribeConfigs v1 and later say where a value comes from instead of whether it is the default; a default is Kafka's own. */
function toMap(entries: readonly { name: string; value?: string | null; configSource: number; isSensitive: boolean }[]): ConfigMap {
  const out: ConfigMap = {};
  for (const e of entries) out[e.name] = { value: e.value ?? null, isDefault: e.configSource === ConfigSources.DEFAULT_CONFIG, sensitive: e.isSensitive };
  return out;
}
