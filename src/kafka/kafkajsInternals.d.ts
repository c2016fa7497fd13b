// The two kafkajs 2.2.x internals wire.ts builds on (connection.ts pins
// kafkajs for the same reason). kafkajs ships no types for them.
declare module 'kafkajs/src/protocol/encoder.js' {
  /** kafkajs's request encoder; its connection sends what a request's encode() returns in one */
  export default class Encoder {
    writeBuffer(value: Buffer): this;
  }
}

declare module 'kafkajs/src/protocol/error.js' {
  /** the kafkajs error for a Kafka error code: KafkaJSProtocolError with `type` the code's name */
  export function createErrorFromCode(code: number): Error & { type?: string };
}
