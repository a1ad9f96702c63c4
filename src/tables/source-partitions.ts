import type { Serde } from '../channels/serde.ts'
import { partitionForKey } from '../transport/murmur2.ts'

/** Key codec and partition count of a topic the app reads. */
export interface SourceTopicShape {
  keySerde: Serde
  partitions: number
}

interface SourceTopic extends SourceTopicShape {
  /** Partitions of string keys already hashed (bounded). */
  partitionOf: Map<string, number>
}

/** Most string keys remembered per source topic before starting again. */
const MAX_KEYS = 100_000

/**
 * The partition a key hashes to in a source topic (murmur2 of its encoded bytes, as the key-partition check of
 * table writes compares it with the event's partition), remembered for string keys.
 */
export class SourcePartitions {
  readonly #lookup: (name: string) => SourceTopicShape | undefined
  readonly #sources = new Map<string, SourceTopic | null>()
  /** The source topic looked up last (writes come in runs from one topic). */
  #last: { name: string; source: SourceTopic | null } | undefined

  constructor(lookup: (name: string) => SourceTopicShape | undefined) {
    this.#lookup = lookup
  }

  /** The key's partition in `sourceTopic`; undefined for a topic the app does not read or a key it cannot encode. */
  of(sourceTopic: string, key: unknown): number | undefined {
    const source = this.#source(sourceTopic)
    if (source === null) return undefined
    const known = typeof key === 'string' ? source.partitionOf.get(key) : undefined
    if (known !== undefined) return known
    let bytes: Buffer | null
    try {
      bytes = source.keySerde.encode(key)
    } catch {
      return undefined
    }
    if (bytes === null) return undefined
    const partition = partitionForKey(bytes, source.partitions)
    if (typeof key === 'string') {
      if (source.partitionOf.size >= MAX_KEYS) source.partitionOf.clear()
      source.partitionOf.set(key, partition)
    }
    return partition
  }

  #source(name: string): SourceTopic | null {
    if (this.#last?.name === name) return this.#last.source
    let source = this.#sources.get(name)
    if (source === undefined) {
      const topic = this.#lookup(name)
      source = topic === undefined ? null : { ...topic, partitionOf: new Map() }
      this.#sources.set(name, source)
    }
    this.#last = { name, source }
    return source
  }
}
