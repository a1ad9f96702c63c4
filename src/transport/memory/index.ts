export { MemoryBroker, type MemoryBrokerOptions, type MemoryTopic } from './broker.ts'
export { MemoryBrokerRegistry, memoryBrokers } from './registry.ts'
export { MemoryTransport, type MemoryTransportOptions, memoryBrokerName } from './transport.ts'
