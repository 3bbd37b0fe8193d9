/**
 * What the emulators share in one database, as numbered migrations recorded under `sandbox` in
 * schema_versions (each emulator numbers its own tables separately). For now: sandbox-wide settings
 * such as how far `POST …/_sandbox/clock` has moved the shared clock.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1 */ `
  CREATE TABLE sandbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  `,
];
