/** The local UbiOps emulator: `start()` serves the environment endpoints of API v2.1 on loopback. */
export { start } from './server';
export { DEFAULT_PORT, DEFAULT_TOKEN, DEFAULT_USER, LOG_DELAY_SECONDS } from './options';
export type { Emulator, EmulatorOptions, EmulatorStats, Faults } from './options';
