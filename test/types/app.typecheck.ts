// Type-level checks of the app's run-time members (docs/runtime.md): what is public, and that the internals are not.
import { App, type AppState, type AppStats, type RecoveryStats } from '../../src/index.ts'

const app = new App('typecheck-app')

// @ts-expect-error the app's services (its running side) are private
void app.services

export const state: AppState = app.state
export const stats: AppStats = app.stats()
export const recovery: RecoveryStats = app.lastRecovery
export const committing: Promise<void> = app.commit()
export const flags: [boolean, string] = [app.isLeader, app.webUrl]
