// Run a real Apache Kafka 4 broker (KRaft) for tests, benchmarks and users. See scripts/kafka.ts for the CLI.
export { type KafkaCluster, type StartOptions, startBroker, startKafka, stopBroker } from './broker.ts'
export { type DownloadOptions, downloadKafka, isDownloaded, kafkaVersion } from './download.ts'
export { type CollectOptions, collectJars } from './maven.ts'
export { defaultStateDir, libsDir, runRoot } from './paths.ts'
export { type KafkaStatus, kafkaStatus, type StopOptions, stopKafka } from './state.ts'
