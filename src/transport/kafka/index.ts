export {
  classify,
  type Fault,
  type FaultKind,
  KAFKA_ERROR_KINDS,
  RETRY_CHANNEL,
  type RetryEvent,
  RetryStats,
} from './faults.ts'
export type { KafkaLogger, KafkaSaslOptions, KafkaTransportOptions } from './options.ts'
export type { KafkaProducerOptions } from './producer.ts'
export { KafkaTransport } from './transport.ts'
export { type BrokerAddress, parseKafkaUrl } from './url.ts'
