import type { Consumer, Producer } from 'kafkajs';
import type { KafkaConnection } from '../../../src/kafka/connection.js';

/**
 * A workload producer that keeps writing numbered records to one topic, one
 * at a time, and remembers which the cluster acknowledged and which it
 * refused (and why).
 */
export class LiveProducer {
  readonly acknowledged: string[] = [];
  readonly refusals: string[] = [];
  private producer: Producer | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private n = 0;

  constructor(
    private readonly conn: KafkaConnection,
    private readonly topic: string,
    private readonly prefix: string,
    private readonly intervalMs = 20,
  ) {}

  async start(): Promise<void> {
    this.producer = this.conn.kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await this.producer.connect();
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const value = `${this.prefix}-${this.n++}`;
        try {
          await this.producer!.send({ topic: this.topic, acks: -1, messages: [{ key: `k${this.n % 7}`, value }] });
          this.acknowledged.push(value);
        } catch (e) {
          const err = e as { type?: string; message: string };
          this.refusals.push(`${err.type ?? ''} ${err.message}`);
        }
        await new Promise((r) => setTimeout(r, this.intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.producer?.disconnect().catch(() => undefined);
  }
}

/** A workload consumer in a group, committing after every record, remembering what it read. */
export class LiveConsumer {
  readonly values: string[] = [];
  private consumer: Consumer | undefined;

  constructor(
    private readonly conn: KafkaConnection,
    private readonly group: string,
    private readonly topics: string[],
  ) {}

  async start(): Promise<void> {
    this.consumer = this.conn.kafka.consumer({ groupId: this.group, allowAutoTopicCreation: false, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    await this.consumer.connect();
    for (const topic of this.topics) await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      autoCommitInterval: 100,
      autoCommitThreshold: 1,
      eachMessage: async ({ message }) => {
        this.values.push(message.value?.toString() ?? '');
      },
    });
  }

  async until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!ok()) {
      if (Date.now() > until) throw new Error(`consumer ${this.group}: ${what} not within ${timeoutMs} ms (read ${this.values.length})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops, leaving the group with its last position committed. */
  async stop(): Promise<void> {
    await this.consumer?.stop();
    await this.consumer?.disconnect();
  }
}
