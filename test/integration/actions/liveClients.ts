import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { errorDetail } from '../../../src/kafka/kafkaErrors.js';
import { TestConsumer, testProducer, type TestProducer } from '../testClients.js';

/**
 * A workload producer that keeps writing numbered records to one topic, one
 * at a time, and remembers which the cluster acknowledged and which it
 * refused (and why: the Kafka error's name).
 */
export class LiveProducer {
  readonly acknowledged: string[] = [];
  readonly refusals: string[] = [];
  private producer: TestProducer | undefined;
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
    this.producer = testProducer(this.conn);
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const value = `${this.prefix}-${this.n++}`;
        try {
          await this.producer!.send({ topic: this.topic, messages: [{ key: `k${this.n % 7}`, value }] });
          this.acknowledged.push(value);
        } catch (e) {
          this.refusals.push(errorDetail(e));
        }
        await new Promise((r) => setTimeout(r, this.intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.producer?.close();
  }
}

/** A workload consumer in a group, committing every 100 ms, remembering what it read. */
export class LiveConsumer extends TestConsumer {
  constructor(conn: KafkaConnection, group: string, topics: string[]) {
    super(conn, group, topics, { autocommitMs: 100 });
  }
}
