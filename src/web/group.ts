import { appServices } from '../app/app.ts'
/**
 * The whole group as one worker sees it: its own state, and each other member's, read from the member's web url
 * (announced in the group protocol). A member that is not Faustus (a Python Faust worker) or does not answer shows
 * with what the group protocol says of it: its url and the changelog partitions it holds.
 */
import type { WorkerSnapshot, WorkerState } from './state.ts'

export interface MemberView {
  url: string
  /** The member's own report; absent when it could not be read. */
  state?: WorkerSnapshot
  /** Changelog partitions the group protocol gives it (topic -> partitions). */
  changelogs: Record<string, number[]>
  error?: string
}

export interface GroupSnapshot {
  self: WorkerSnapshot
  members: MemberView[]
}

const PEER_TIMEOUT_MS = 1500

export class GroupView {
  readonly #state: WorkerState
  #cached: { at: number; members: Promise<MemberView[]> } | undefined

  constructor(state: WorkerState) {
    this.#state = state
  }

  async view(): Promise<GroupSnapshot> {
    return { self: this.#state.snapshot(), members: await this.#members() }
  }

  /** Peers' states, read at most once per sampling interval whoever asks. */
  #members(): Promise<MemberView[]> {
    const now = Date.now()
    if (this.#cached !== undefined && now - this.#cached.at < this.#state.sampleIntervalMs) return this.#cached.members
    const distribution = appServices(this.#state.app).groupMetadata?.changelog_distribution ?? {}
    const members = Promise.all(
      this.#state.members().map(async (url): Promise<MemberView> => {
        const changelogs = distribution[url] ?? {}
        try {
          const response = await fetch(new URL('/api/state', url), { signal: AbortSignal.timeout(PEER_TIMEOUT_MS) })
          if (!response.ok) return { url, changelogs, error: `HTTP ${response.status}` }
          return { url, changelogs, state: (await response.json()) as WorkerSnapshot }
        } catch (error) {
          return { url, changelogs, error: (error as Error).message }
        }
      }),
    )
    this.#cached = { at: now, members }
    return members
  }
}
