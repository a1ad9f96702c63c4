export type { KafkaLogger, KafkaSaslOptions, KafkaTransportOptions } from './options.ts'
export type { KafkaProducerOptions } from './producer.ts'
export { KafkaTransport } from './transport.ts'
export { type BrokerAddress, parseKafkaUrl } from './url.ts'
