import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root: migrations, calendars, the console's build and the data folder are found from here. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
