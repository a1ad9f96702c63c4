import type { ProduceRecord } from '../transport/types.ts'

/** Bytes counted per cached record beyond its key and value (the record and its map entry). */
const ENTRY_OVERHEAD = 64

/**
 * The latest changelog record of each key of compacted changelogs, waiting for the next checkpoint (Kafka Streams'
 * record cache, `statestore.cache.max.bytes`): a key changed many times between two checkpoints is written once,
 * with its last value. Only what a compacted topic keeps is coalesced: the last value of each key.
 */
export class ChangelogCache {
  /** Topic -> partition -> key id -> its latest record (insertion order: the first change of the key). */
  readonly #topics = new Map<string, (Map<string, ProduceRecord> | undefined)[]>()
  #lastTopic: string | undefined
  #lastPartitions: (Map<string, ProduceRecord> | undefined)[] = []
  #bytes = 0
  #size = 0

  /** Bytes held (keys, values and a fixed overhead per record). */
  get bytes(): number {
    return this.#bytes
  }

  /** Records held. */
  get size(): number {
    return this.#size
  }

  /** Keeps `record` as the latest of its key (`id`: the key's latin1 form, unique per key bytes). */
  put(record: ProduceRecord, id: string): void {
    const partitions = this.#partitions(record.topic)
    const partition = record.partition!
    let keys = partitions[partition]
    if (keys === undefined) partitions[partition] = keys = new Map()
    const previous = keys.get(id)
    if (previous === undefined) {
      this.#size++
      this.#bytes += id.length + ENTRY_OVERHEAD
    } else this.#bytes -= previous.value?.length ?? 0
    this.#bytes += record.value?.length ?? 0
    keys.set(id, record)
  }

  /** Moves every record held into `into`, grouped by topic and partition; the cache is then empty. */
  drain(into: ProduceRecord[]): void {
    if (this.#size === 0) return
    for (const partitions of this.#topics.values()) {
      for (const keys of partitions) {
        if (keys === undefined || keys.size === 0) continue
        for (const record of keys.values()) into.push(record)
        keys.clear()
      }
    }
    this.#bytes = 0
    this.#size = 0
  }

  /** Drops every record held (an aborted transaction's changes). */
  clear(): void {
    this.drain([])
  }

  #partitions(topic: string): (Map<string, ProduceRecord> | undefined)[] {
    if (topic === this.#lastTopic) return this.#lastPartitions
    let partitions = this.#topics.get(topic)
    if (partitions === undefined) this.#topics.set(topic, (partitions = []))
    this.#lastTopic = topic
    this.#lastPartitions = partitions
    return partitions
  }
}
