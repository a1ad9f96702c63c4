/**
 * Codec lookup by name, as Faust's `codecs.get_codec`: built-ins plus registered user codecs; `'a|b'` names a
 * chain (see `composeCodecs`).
 */
import { FaustusError } from '../errors.ts'
import { binary, type Codec, composeCodecs, json, raw } from './codec.ts'
import { definitionError } from './issues.ts'

export class CodecRegistry {
  readonly #byName = new Map<string, Codec>()
  // Chains are built once per name; registering may change what a chain means, so it clears them.
  readonly #chains = new Map<string, Codec>()

  constructor(codecs: Iterable<Codec> = [raw, json, binary]) {
    for (const codec of codecs) this.#byName.set(codec.name, codec)
  }

  register(name: string, codec: Codec): void {
    if (name === '' || name.includes('|')) throw definitionError(`codec name "${name}" must be non-empty, without "|"`)
    this.#byName.set(name, codec)
    this.#chains.clear()
  }

  has(name: string): boolean {
    return this.#byName.has(name)
  }

  names(): string[] {
    return [...this.#byName.keys()]
  }

  /** The codec for a name (or chain of names); a codec object is returned as it is. */
  get(nameOrCodec: string | Codec): Codec {
    if (typeof nameOrCodec !== 'string') return nameOrCodec
    const codec = this.#byName.get(nameOrCodec) ?? this.#chains.get(nameOrCodec)
    if (codec !== undefined) return codec
    if (!nameOrCodec.includes('|')) throw unknownCodec(nameOrCodec)
    const chain = composeCodecs(
      nameOrCodec.split('|').map((part) => this.#single(part.trim())),
      nameOrCodec,
    )
    this.#chains.set(nameOrCodec, chain)
    return chain
  }

  #single(name: string): Codec {
    const codec = this.#byName.get(name)
    if (codec === undefined) throw unknownCodec(name)
    return codec
  }
}

function unknownCodec(name: string): FaustusError {
  return new FaustusError('FST_CODEC_UNKNOWN', `codec "${name}" is not registered`, { details: { codec: name } })
}

/** The default registry. */
export const codecs = new CodecRegistry()

/** Registers a codec in the default registry, as Faust's `codecs.register`. */
export function registerCodec(name: string, codec: Codec): void {
  codecs.register(name, codec)
}

/** Looks a codec up in the default registry. */
export function getCodec(nameOrCodec: string | Codec): Codec {
  return codecs.get(nameOrCodec)
}
