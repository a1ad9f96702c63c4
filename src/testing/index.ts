/**
 * `faustus/testing`: test an app without a broker. A driver runs the app on the memory transport with a virtual
 * clock: send records, run until idle, read topics and tables, advance time, restart.
 */
export { type Clock, realClock } from '../clock.ts'
export { type DriverOptions, drive, type InputRecord, type OutputRecord, TestDriver } from './driver.ts'
export { captureLogs, type LogEntry } from './logs.ts'
export { turns, VirtualClock } from './virtual-clock.ts'
