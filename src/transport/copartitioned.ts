/**
 * Assignment of one co-partitioned group: partition numbers 0..P-1 (partition N of every topic in the group goes
 * to the same member) over the group's members. Pure and deterministic: same input, same output.
 *
 * Actives, in order of preference:
 *   1. sticky: a member keeps the partitions it held, up to its share;
 *   2. strictly balanced: every member ends with floor(P/n) or ceil(P/n), exactly P % n of them with the ceiling;
 *   3. a partition that moves goes first to a member holding its standby (state already warm), then to the
 *      member with the fewest partitions in this group, then the fewest across groups (`load`), then by order.
 * Standbys (`replicas` per partition, never on the active holder): sticky, then the previous active holder (it still
 * has the state), then the member with the fewest standbys.
 */

export interface CopartitionedMember {
  id: string
  previousActives: ReadonlySet<number>
  previousStandbys: ReadonlySet<number>
  /** Actives already given to this member by other groups; spreads the ceil(P/n) extras across members. */
  load: number
}

export interface CopartitionedInput {
  partitions: number
  /** In a deterministic order (the assignor sorts by member id). */
  members: readonly CopartitionedMember[]
  /** Standby copies wanted per partition; capped at members - 1. */
  replicas: number
}

export interface CopartitionedResult {
  /** member id -> partition numbers, ascending. */
  actives: Map<string, number[]>
  standbys: Map<string, number[]>
}

export function assignCopartitioned(input: CopartitionedInput): CopartitionedResult {
  const { partitions, members } = input
  const owner = assignActives(partitions, members)
  const replicas = Math.max(0, Math.min(input.replicas, members.length - 1))
  const holders = replicas > 0 ? assignStandbys(partitions, members, owner, replicas) : null

  const actives = new Map<string, number[]>()
  const standbys = new Map<string, number[]>()
  for (const member of members) {
    actives.set(member.id, [])
    standbys.set(member.id, [])
  }
  for (let p = 0; p < partitions; p++) {
    actives.get(members[owner[p]].id)!.push(p)
    if (holders) for (const m of holders[p]) standbys.get(members[m].id)!.push(p)
  }
  for (const list of standbys.values()) list.sort((a, b) => a - b)
  return { actives, standbys }
}

/** Returns owner[p] = index of the member holding partition p. */
function assignActives(partitions: number, members: readonly CopartitionedMember[]): Int32Array {
  const n = members.length
  const base = Math.floor(partitions / n)
  let extrasLeft = partitions % n
  const owner = new Int32Array(partitions).fill(-1)
  const count = new Array<number>(n).fill(0)

  const hasRoom = (m: number) => count[m] < base || (count[m] === base && extrasLeft > 0)
  const give = (m: number, p: number) => {
    if (count[m] === base) extrasLeft--
    count[m]++
    owner[p] = m
  }
  const previous = members.map((member) =>
    [...member.previousActives].filter((p) => p >= 0 && p < partitions).sort((a, b) => a - b),
  )

  // 1. Sticky up to the floor share: a member that held too many gives back its highest partitions.
  for (let m = 0; m < n; m++) {
    for (const p of previous[m]) if (owner[p] < 0 && count[m] < base) give(m, p)
  }
  // 2. Sticky extras: members that held more than the floor keep one more while extras remain.
  for (let m = 0; m < n && extrasLeft > 0; m++) {
    if (count[m] !== base) continue
    const p = previous[m].find((q) => owner[q] < 0)
    if (p !== undefined) give(m, p)
  }
  // 3. The rest. Room always exists while partitions remain: counts sum to P only at floor/ceil shares.
  const better = (a: number, b: number, p: number): boolean => {
    const promoteA = members[a].previousStandbys.has(p)
    const promoteB = members[b].previousStandbys.has(p)
    if (promoteA !== promoteB) return promoteA
    if (count[a] !== count[b]) return count[a] < count[b]
    if (members[a].load !== members[b].load) return members[a].load < members[b].load
    return a < b
  }
  for (let p = 0; p < partitions; p++) {
    if (owner[p] >= 0) continue
    let best = -1
    for (let m = 0; m < n; m++) {
      if (hasRoom(m) && (best < 0 || better(m, best, p))) best = m
    }
    give(best, p)
  }
  return owner
}

/** Returns, per partition, the indexes of the members holding a standby copy. */
function assignStandbys(
  partitions: number,
  members: readonly CopartitionedMember[],
  owner: Int32Array,
  replicas: number,
): Set<number>[] {
  const n = members.length
  const cap = Math.ceil((partitions * replicas) / n)
  const holders = Array.from({ length: partitions }, () => new Set<number>())
  const count = new Array<number>(n).fill(0)
  const eligible = (m: number, p: number) => owner[p] !== m && !holders[p].has(m) && holders[p].size < replicas
  const give = (m: number, p: number) => {
    holders[p].add(m)
    count[m]++
  }

  // Sticky: keep previous standbys (their state is already restored) up to the balanced share.
  for (let m = 0; m < n; m++) {
    const previous = [...members[m].previousStandbys].filter((p) => p >= 0 && p < partitions).sort((a, b) => a - b)
    for (const p of previous) if (count[m] < cap && eligible(m, p)) give(m, p)
  }
  // Fill: under the share first, then whoever held the active before, then the fewest standbys.
  for (let p = 0; p < partitions; p++) {
    while (holders[p].size < replicas) {
      let best = -1
      for (let m = 0; m < n; m++) {
        if (eligible(m, p) && (best < 0 || betterStandby(m, best, p))) best = m
      }
      give(best, p)
    }
  }
  return holders

  function betterStandby(a: number, b: number, p: number): boolean {
    const fullA = count[a] >= cap
    const fullB = count[b] >= cap
    if (fullA !== fullB) return !fullA
    const warmA = members[a].previousActives.has(p)
    const warmB = members[b].previousActives.has(p)
    if (warmA !== warmB) return warmA
    if (count[a] !== count[b]) return count[a] < count[b]
    return a < b
  }
}
