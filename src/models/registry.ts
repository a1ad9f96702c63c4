/**
 * Namespace → record class, for decoding by `__faust.ns` (Faust's model registry). Apps and tests may keep their
 * own; `record()` uses `records`, the default one, unless told otherwise.
 */
import { defOf } from './definition.ts'
import { definitionError } from './issues.ts'
import type { AnyRecordClass } from './types.ts'

export class RecordRegistry {
  readonly #byNamespace = new Map<string, AnyRecordClass>()

  /**
   * Adds a record class. The same namespace with the same fields replaces the old class (module reloads, tests);
   * with different fields it is a definition error.
   */
  register(cls: AnyRecordClass): void {
    const existing = this.#byNamespace.get(cls.namespace)
    if (existing !== undefined && existing !== cls && defOf(existing).fingerprint !== defOf(cls).fingerprint) {
      throw definitionError(`record namespace "${cls.namespace}" is already registered with different fields`)
    }
    this.#byNamespace.set(cls.namespace, cls)
  }

  get(namespace: string): AnyRecordClass | undefined {
    return this.#byNamespace.get(namespace)
  }

  has(namespace: string): boolean {
    return this.#byNamespace.has(namespace)
  }

  delete(namespace: string): boolean {
    return this.#byNamespace.delete(namespace)
  }

  namespaces(): string[] {
    return [...this.#byNamespace.keys()]
  }

  [Symbol.iterator](): IterableIterator<AnyRecordClass> {
    return this.#byNamespace.values()
  }
}

/** The default registry. */
export const records = new RecordRegistry()
