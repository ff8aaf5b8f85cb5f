/**
 * Importing a store backend's optional driver package, reported with what to install when it
 * cannot be loaded.
 *
 * @module
 */
import { CimdError } from '../errors.js';

/** Imports a driver module; replaceable in tests. */
export type DriverImporter = () => Promise<{ default: unknown }>;

/**
 * The default export of the driver `importer` loads. Throws `ERR_STORE_DRIVER` naming
 * `backend` (e.g. "SQLite store"), the package and `installHint` when it cannot be imported.
 */
export async function importDriver(
  backend: string,
  packageName: string,
  installHint: string,
  importer: DriverImporter,
): Promise<unknown> {
  try {
    return (await importer()).default;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CimdError(
      'ERR_STORE_DRIVER',
      `The ${backend} needs the ${packageName} package, which could not be loaded (${reason}). ${installHint}`,
      { cause: error },
    );
  }
}
