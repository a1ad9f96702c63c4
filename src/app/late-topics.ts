import type { Runtime } from './runtime.ts'

/**
 * Topics declared while the app runs (Faust allows it, to send to a topic): each is created with its declared
 * options before its first send, rather than auto-created by the broker with defaults. Sends wait for the creation
 * (and get its error).
 */
export class LateTopics {
  readonly #runtime: Runtime
  /** Creation under way, by topic name. */
  readonly #creating = new Map<string, Promise<void>>()

  constructor(runtime: Runtime) {
    this.#runtime = runtime
  }

  /**
   * Creates the topic of `names` now. One declared to send to, with no partition count of its own, is taken as it
   * exists (as Faust does): only a partition count the code gives is checked against the broker's.
   */
  declare(names: readonly string[], options: { partitionsGiven: boolean }): void {
    const runtime = this.#runtime
    const creating = (async () => {
      if (!options.partitionsGiven) {
        const transport = await runtime.connect()
        runtime.markCreated([...(await transport.describeTopics([...names])).keys()])
      }
      await runtime.ensureTopics()
    })()
    for (const name of names) this.#creating.set(name, creating)
    creating.then(
      () => {
        for (const name of names) if (this.#creating.get(name) === creating) this.#creating.delete(name)
      },
      () => {},
    )
  }

  /** Resolves once `topic`, if declared while running, exists; rejects with the reason it could not be created. */
  async ready(topic: string): Promise<void> {
    await this.#creating.get(topic)
  }

  clear(): void {
    this.#creating.clear()
  }
}
