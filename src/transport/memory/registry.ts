/**
 * Brokers by name, so every `memory://name` transport in a process reaches the same broker (several apps in one
 * process act as workers of one cluster). `memoryBrokers` is the process-wide registry behind broker URLs: the one
 * piece of module state of the memory driver, kept here; tests pass their own registry or call `clear()`.
 */
import { MemoryBroker, type MemoryBrokerOptions } from './broker.ts'

export class MemoryBrokerRegistry {
  readonly #brokers = new Map<string, MemoryBroker>()

  /** The broker of that name, created on first use with `options` (later options are ignored). */
  get(name: string, options?: MemoryBrokerOptions): MemoryBroker {
    let broker = this.#brokers.get(name)
    if (!broker) {
      broker = new MemoryBroker(options)
      this.#brokers.set(name, broker)
    }
    return broker
  }

  has(name: string): boolean {
    return this.#brokers.has(name)
  }

  /** Forgets a broker: the next `get` of that name starts empty. */
  delete(name: string): boolean {
    return this.#brokers.delete(name)
  }

  clear(): void {
    this.#brokers.clear()
  }
}

export const memoryBrokers = new MemoryBrokerRegistry()
